/**
 * Refusals of operations by the query limits: one error class whose message names the setting, its maximum and
 * what the operation had.
 */
import { HeaderMap } from '@apollo/server';
import { GraphQLError } from 'graphql';

/** Codes of refused operations (`extensions.code`); `extensions.limit` names the setting, its maximum and what was found. */
export type QueryRejectionCode =
  | 'QUERY_TOO_DEEP'
  | 'TOO_MANY_ALIASES'
  | 'TOO_MANY_DIRECTIVES'
  | 'TOO_MANY_TOKENS'
  | 'QUERY_TOO_COMPLEX'
  | 'QUERY_TOO_LARGE'
  | 'BATCH_TOO_LARGE'
  | 'INTROSPECTION_DISABLED'
  | 'TIMEOUT';

export interface LimitDetails {
  setting: string;
  maximum: number;
  actual?: number;
}

/** An operation refused by a limit; its message names the setting, the maximum and what the operation had. */
export class QueryRejection extends GraphQLError {
  constructor(
    readonly code: QueryRejectionCode,
    message: string,
    readonly limit: LimitDetails,
    status = 400,
    /** More extensions sent with the error (the volume limit's estimate and what to narrow). */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message, { extensions: { code, limit, ...details, http: { status, headers: new HeaderMap() } } });
  }
}

/** E.g. "query depth: 7, more than the maximum of 5 (GRAPHQL_MAX_DEPTH)". */
export function limitMessage(what: string, limit: LimitDetails): string {
  const found = limit.actual === undefined ? '' : ` ${limit.actual},`;
  return `${what}:${found} more than the maximum of ${limit.maximum} (${limit.setting})`;
}

export function rejection(code: QueryRejectionCode, what: string, limit: LimitDetails): QueryRejection {
  return new QueryRejection(code, limitMessage(what, limit), limit);
}

/** The refusal behind an error as Apollo hands it to formatError (validation errors wrap the rule's error). */
export function queryRejectionOf(error: unknown): QueryRejection | undefined {
  if (error instanceof QueryRejection) return error;
  if (!(error instanceof GraphQLError)) return undefined;
  if (error.originalError instanceof QueryRejection) return error.originalError;
  // The token limit is graphql-js's own parser option: its syntax error is turned into the same shape.
  const tokens = /Document contains more tha[nt] (\d+) tokens/.exec(error.message);
  if (tokens && error.extensions?.code === 'GRAPHQL_PARSE_FAILED') {
    const maximum = Number(tokens[1]);
    return rejection('TOO_MANY_TOKENS', 'tokens', { setting: 'GRAPHQL_MAX_TOKENS', maximum });
  }
  return undefined;
}
