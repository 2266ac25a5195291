import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  getNamedType,
  getOperationAST,
  GraphQLError,
  isObjectType,
  Kind,
  type GraphQLFormattedError,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { HubError } from '../common/errors';
import type { HubContext } from '../graphql/context';
import { requestHooksPlugin, type RequestConcern } from '../graphql/request-hooks';
import { outcomeOf, recordAuditEvents, type AuditEventInput, type AuditTarget } from './audit';
import { fromGlobalId } from '../graphql/node-id';

/** What a mutation acted on, and what it produced that is worth keeping (e.g. the id of the run it started). */
export type AuditTargetResolver = (
  args: Record<string, unknown>,
  result: unknown,
) => { target: AuditTarget | null; details?: Record<string, unknown> };

const targetResolvers = new Map<string, AuditTargetResolver>();

/**
 * Names the target of a mutation whose return type does not (e.g. it returns a Boolean, or a run rather than
 * the connector it ran). Mutations returning the object they change need no registration: the target is the
 * returned type with its `code` (or `id`).
 */
export function registerAuditTarget(mutation: string, resolve: AuditTargetResolver): void {
  targetResolvers.set(mutation, resolve);
}

function property(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
}

function identifier(value: unknown): string | number | null {
  return typeof value === 'string' || typeof value === 'number' ? value : null;
}

/** The run a connector mutation started (a run, or a push result holding one), for the details. */
function runDetails(result: unknown): Record<string, unknown> | undefined {
  const run = property(result, 'run') ?? result;
  const runId = property(run, 'id');
  if (runId === undefined) return undefined;
  const summary = property(result, 'summary');
  if (summary === undefined || summary === null || typeof summary !== 'object') return { runId };
  // The counts only: the rejected rows are in the run's ledger.
  return { runId, summary: Object.fromEntries(Object.entries(summary).filter(([, value]) => typeof value === 'number')) };
}

/**
 * The database number of the object an id argument names, as the audit log records every target (a global id is
 * decoded; text that is neither stays as sent, so a refused call still records what was asked for).
 */
export function targetKey(value: unknown): string | number | null {
  const given = identifier(value);
  const parsed = typeof given === 'string' ? fromGlobalId(given) : null;
  return parsed ? parsed.key : given;
}

const connectorOf = (argument: string): AuditTargetResolver => (args, result) => ({
  target: { type: 'connector', id: targetKey(args[argument]) },
  details: runDetails(result),
});
registerAuditTarget('runConnector', connectorOf('id'));
registerAuditTarget('testConnector', (args, result) => ({ target: { type: 'connector', id: targetKey(args.id) }, details: { ok: property(result, 'ok') } }));
registerAuditTarget('deleteConnector', connectorOf('id'));
// A check that writes nothing: the connector it would replace (none for a new one) and the name asked for.
registerAuditTarget('validateConnector', (args) => {
  const input = (args.input ?? {}) as { name?: unknown; department?: unknown };
  return { target: { type: 'connector', id: args.id == null ? null : targetKey(args.id) }, details: { name: input.name, department: input.department } };
});
registerAuditTarget('submitObservations', connectorOf('connectorId'));
// The file itself is kept shortened with the arguments; what the import did is its counts.
registerAuditTarget('importCatalogue', (_args, result) => ({
  target: { type: 'catalogue', id: null },
  details: result === undefined ? undefined : { applied: property(result, 'applied'), summary: property(result, 'summary'), problems: (property(result, 'problems') as unknown[] | undefined)?.length },
}));

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** Default target: the object type the mutation returns, identified by its code, else its id. */
function defaultTarget(returnType: GraphQLOutputType, args: Record<string, unknown>, result: unknown): AuditTarget | null {
  const named = getNamedType(returnType);
  if (!isObjectType(named)) return null;
  const fields = named.getFields();
  const key = fields.code ? 'code' : fields.id ? 'id' : null;
  if (!key) return null;
  return { type: lowerFirst(named.name), id: identifier(property(result, key)) ?? identifier(args[key]) };
}

interface ResolvedField {
  name: string;
  responseKey: string;
  args: Record<string, unknown>;
  returnType: GraphQLOutputType;
  settled: boolean;
  error?: unknown;
  result?: unknown;
}

/** The code the caller was sent for `error` (the formatted one when present, else derived from the error). */
function errorCode(error: unknown, formatted: GraphQLFormattedError | undefined): string {
  const sent = formatted?.extensions?.code;
  if (typeof sent === 'string') return sent;
  const original = unwrapResolverError(error);
  if (original instanceof HubError) return original.code;
  if (original instanceof GraphQLError && typeof original.extensions?.code === 'string') return original.extensions.code;
  return 'INTERNAL_SERVER_ERROR';
}

function rootFieldNames(selectionSet: SelectionSetNode): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return selection.name.value.startsWith('__') ? [] : [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(selection.selectionSet);
    return [];
  });
}

/** Longest `action` stored (the column holds 100 characters). */
const MAX_ACTION_LENGTH = 100;

/** The root fields an operation refused before it ran asked for, as one audit record describes them. */
export interface RefusedFields {
  /** The names of mutation fields that exist, each once, or a summary (`+1897 unknown fields`) when none does. */
  action: string;
  details: { fields: string[]; unknownFields?: number };
}

/**
 * Describes the root fields of a refused mutation for its one audit record: only names that are mutation fields
 * of `schema` are kept (each once); the others, whatever the caller wrote, are only counted. The action lists
 * the known names (`runConnector,deleteConnector`), then `+N unknown fields`, within 100 characters.
 */
export function describeRefusedFields(schema: GraphQLSchema, selectionSet: SelectionSetNode): RefusedFields {
  const mutationFields = schema.getMutationType()?.getFields() ?? {};
  const names = rootFieldNames(selectionSet);
  const known = [...new Set(names.filter((name) => Object.hasOwn(mutationFields, name)))];
  const unknown = names.filter((name) => !Object.hasOwn(mutationFields, name)).length;
  const parts: string[] = [];
  const suffix = (left: number) => [left > 0 ? `+${left} more` : '', unknown > 0 ? `+${unknown} unknown field${unknown === 1 ? '' : 's'}` : ''].filter(Boolean).join(' ');
  for (const [index, name] of known.entries()) {
    const candidate = [...parts, name].join(',');
    const rest = suffix(known.length - index - 1);
    if ((rest ? `${candidate} ${rest}` : candidate).length > MAX_ACTION_LENGTH) break;
    parts.push(name);
  }
  const listed = parts.join(',');
  const rest = suffix(known.length - parts.length);
  const action = [listed, rest].filter(Boolean).join(' ') || 'mutation';
  return { action, details: { fields: known, ...(unknown > 0 ? { unknownFields: unknown } : {}) } };
}

function formattedErrors(context: GraphQLRequestContextWillSendResponse<HubContext>): readonly GraphQLFormattedError[] {
  const body = context.response.body;
  return (body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors) ?? [];
}

/**
 * Records every GraphQL mutation field in the audit log once the operation has finished (its transaction
 * committed or rolled back): SUCCESS, FAILURE with the error code sent, or DENIED for FORBIDDEN /
 * UNAUTHORIZED / UNAUTHENTICATED. Mutations refused before they ran (invalid arguments, query limits) are recorded as
 * FAILURE too. The write never changes the response: a failed audit write is reported, not returned.
 */
export const auditConcern: RequestConcern<HubContext> = () => {
  const fields: ResolvedField[] = [];
  return {
    executionDidStart(context) {
      if (context.operation?.operation !== 'mutation') return;
      return {
        willResolveField({ info, args }) {
          if (info.path.prev !== undefined) return;
          const field: ResolvedField = { name: info.fieldName, responseKey: String(info.path.key), args, returnType: info.returnType, settled: false };
          fields.push(field);
          return (error, result) => {
            field.settled = true;
            field.error = error ?? undefined;
            field.result = result;
          };
        },
      };
    },
    willSendResponse(context) {
      const operation = context.operation ?? (context.document ? getOperationAST(context.document, context.request.operationName) : null);
      // Queries return at once, without a promise (this runs for every operation).
      if (operation?.operation !== 'mutation') return;
      return recordMutation(context, operation, fields);
    },
  };
};

/** The audit records of a mutation that has finished or was refused, written before the response is sent. */
async function recordMutation(context: GraphQLRequestContextWillSendResponse<HubContext>, operation: OperationDefinitionNode, fields: readonly ResolvedField[]): Promise<void> {
  const { principal, requestId, clientIp, dataSource } = context.contextValue;
  const errors = formattedErrors(context);
  const common = { actor: principal, requestId: requestId ?? null, clientIp: clientIp ?? null };
  let events: AuditEventInput[];
  if (fields.length > 0) {
    events = fields.map((field) => {
      const failed = field.error !== undefined || !field.settled;
      const code = failed ? errorCode(field.error, errors.find((error) => error.path?.[0] === field.responseKey)) : undefined;
      const described = targetResolvers.get(field.name)?.(field.args, failed ? undefined : field.result);
      return {
        ...common,
        action: field.name,
        target: described ? described.target : defaultTarget(field.returnType, field.args, failed ? undefined : field.result),
        outcome: outcomeOf(code),
        errorCode: code,
        details: { arguments: field.args, ...(failed ? {} : described?.details) },
      };
    });
  } else {
    // Refused before execution: one record for the operation, whatever it asked for. No resolved arguments,
    // so the variables sent are kept (redacted, and shortened with the rest of the details). The error
    // message is not: graphql-js quotes invalid variable values in it, a secret among them.
    const code = errorCode(undefined, errors[0]);
    const refused = describeRefusedFields(context.schema, operation.selectionSet);
    events = [
      {
        ...common,
        action: refused.action,
        target: null,
        outcome: outcomeOf(code),
        errorCode: code,
        details: { notExecuted: true, ...refused.details, variables: context.request.variables },
      },
    ];
  }
  const written = recordAuditEvents(dataSource, events);
  // With the database unreachable the write (which will be reported as lost) would only add its connect
  // timeout to an answer that should come promptly; otherwise the record exists before the answer does.
  if (!errors.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE')) await written;
}

/** {@link auditConcern} as an Apollo plugin of its own. */
export function auditPlugin(): ApolloServerPlugin<HubContext> {
  return requestHooksPlugin([auditConcern]);
}
