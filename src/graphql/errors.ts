import { unwrapResolverError } from '@apollo/server/errors';
import { BREAK, GraphQLError, Kind, parse, visit, type ASTNode, type GraphQLFormattedError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import { HubError, isDatabaseUnavailable } from '../common/errors';
import { queryRejectionOf } from './query-rejection';

/** Messages of GraphQL validation errors that are really about a bad argument value. */
const INPUT_VALUE_PROBLEM = /^(Expected value of type|Expected type|Value ".*" does not exist in|Int cannot represent|Float cannot represent|String cannot represent|Boolean cannot represent|Field ".*" of required type|Argument ".*" of required type)/;


/**
 * The argument path (e.g. `filter.from`) of the literal a validation error points at, found by walking the
 * document to that node: graphql-js names the type and the value but not where the value was written.
 */
function argumentPath(error: unknown): string | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  const target = error.nodes?.[0];
  const body = error.source?.body;
  if (!target?.loc || !body) return undefined;
  let path: string | undefined;
  try {
    visit(parse(body), {
      enter(node, _key, parent, _path, ancestors) {
        if (node.loc?.start !== target.loc?.start || node.kind !== target.kind) return undefined;
        const names = [...ancestors, parent, node].flatMap((ancestor) => {
          const candidate = ancestor as ASTNode;
          return candidate.kind === Kind.ARGUMENT || candidate.kind === Kind.OBJECT_FIELD ? [candidate.name.value] : [];
        });
        path = names.length > 0 ? names.join('.') : undefined;
        return BREAK;
      },
    });
  } catch {
    return undefined;
  }
  return path;
}

export interface ErrorReporter {
  (error: unknown): void;
}

/**
 * Maps every error to a stable `extensions.code` and a message safe to show: domain errors keep theirs,
 * argument problems become BAD_USER_INPUT, anything unexpected is reported and replaced by a generic line.
 */
export function createErrorFormatter(report: ErrorReporter) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
    const rejected = queryRejectionOf(original);
    if (rejected) {
      return { ...base, message: rejected.message, extensions: { code: rejected.code, limit: rejected.limit, ...rejected.details } };
    }
    if (original instanceof HubError) {
      return { ...base, message: original.message, extensions: { code: original.code, ...(original.field ? { field: original.field } : {}), ...original.details } };
    }
    if (original instanceof ArgumentValidationError) {
      const problems = original.extensions.validationErrors as Array<{ property: string; constraints?: Record<string, string> }> | undefined;
      const details = (problems ?? []).flatMap((problem) => Object.values(problem.constraints ?? {}));
      return { ...base, message: `invalid input: ${details.join('; ') || 'argument validation failed'}`, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const code = formatted.extensions?.code;
    if (code === 'GRAPHQL_VALIDATION_FAILED' && INPUT_VALUE_PROBLEM.test(formatted.message)) {
      const field = argumentPath(error);
      const message = field ? `${field}: ${formatted.message}` : formatted.message;
      return { ...base, message, extensions: { code: 'BAD_USER_INPUT', ...(field ? { field } : {}) } };
    }
    if (typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR') {
      const field = formatted.extensions?.field;
      return { ...base, extensions: { code, ...(typeof field === 'string' ? { field } : {}) } };
    }
    if (original instanceof GraphQLError && original.extensions?.code === undefined && !(original.originalError)) {
      // Errors raised by graphql-js or Apollo themselves carry no code but are safe to show: on a field (e.g. scalar
      // serialisation) they are the server's fault, about the request as a whole (e.g. a persisted-query hash
      // that does not match) the caller's.
      return { ...base, extensions: { code: formatted.path ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } };
    }
    if (isDatabaseUnavailable(original)) {
      return { ...base, message: 'the database is unavailable; try again shortly', extensions: { code: 'SERVICE_UNAVAILABLE' } };
    }
    report(original);
    return { ...base, message: 'internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}
