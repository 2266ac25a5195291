import { isUtf8 } from 'node:buffer';
import type { ApolloServerOptions, GraphQLRequestContext } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { NextFunction, Request, Response } from 'express';
import {
  BREAK,
  getDirectiveValues,
  getNamedType,
  GraphQLID,
  getOperationAST,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  GraphQLError,
  Kind,
  visit as visitDocument,
  type DocumentNode,
  type FieldNode,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type SelectionNode,
  type ValueNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import { estimateFieldRows, type AnalyticsArguments, type AnalyticsCatalogue } from '../analytics/volume';
import { todayIn } from '../common/clock';
import { startDeadline } from './deadlines';
import type { RequestConcern, RequestHooks } from './request-hooks';
import { limitMessage, QueryRejection, rejection, type LimitDetails, type QueryRejectionCode } from './query-rejection';
import type { GraphQLLimits, HubConfig } from '../config';

/**
 * Limits and hardening of the GraphQL endpoint. The checks run before the first resolver, so a refused
 * operation never reaches the database: body size and UTF-8 while reading, the token limit while parsing,
 * depth, aliases, directives and introspection as validation rules, the cost and the text of string inputs
 * once the operation and its variables are known. The execution deadline then stops resolvers from starting
 * once GRAPHQL_TIMEOUT_SECONDS have passed, and bounds the SQL statements of queries on MariaDB/MySQL.
 */

/** graphql-armor reports "… limit of N exceeded, found M."; the rule reports our error instead. */
function armorRejection(code: QueryRejectionCode, what: string, setting: string, maximum: number) {
  return [
    (context: ValidationContext | null, error: GraphQLError) => {
      const found = /found (\d+)/.exec(error.message);
      context?.reportError(rejection(code, what, { setting, maximum, actual: found ? Number(found[1]) : undefined }));
    },
  ];
}

/**
 * Refuses `__schema` and `__type` (`__typename` stays available), and the federation's `_service { sdl }`, which
 * tells as much (a supergraph composes from schema/subgraph.graphql instead; `_entities` keeps working).
 */
function noIntrospection(context: ValidationContext): { Field: (node: FieldNode) => void } {
  return {
    Field(node) {
      if (node.name.value === '__schema' || node.name.value === '__type' || node.name.value === '_service') {
        context.reportError(
          new QueryRejection('INTROSPECTION_DISABLED', `introspection (${node.name.value}) is disabled on this server (GRAPHQL_INTROSPECTION=false)`, {
            setting: 'GRAPHQL_INTROSPECTION',
            maximum: 0,
          }),
        );
      }
    },
  };
}

export function validationRules(limits: GraphQLLimits): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      // Depth counts fields, not the fragments they are written in.
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: armorRejection('QUERY_TOO_DEEP', 'query depth', 'GRAPHQL_MAX_DEPTH', limits.maxDepth),
    }) as unknown as ValidationRule,
    maxAliasesRule({
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: armorRejection('TOO_MANY_ALIASES', 'aliases', 'GRAPHQL_MAX_ALIASES', limits.maxAliases),
    }) as unknown as ValidationRule,
    maxDirectivesRule({
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: armorRejection('TOO_MANY_DIRECTIVES', 'directives', 'GRAPHQL_MAX_DIRECTIVES', limits.maxDirectives),
    }) as unknown as ValidationRule,
  ];
  if (!limits.introspection) rules.push(noIntrospection as ValidationRule);
  return rules;
}

// ---- Cost ---------------------------------------------------------------------------------------------------

/** What list estimators read from getComplexity's context. */
interface CostContext {
  defaultPageSize: number;
  maxPageSize: number;
}

/** Items a list without paging (e.g. a model's metrics, a record's history) is assumed to hold. */
export const UNPAGED_LIST_SIZE = 10;

/** Whether a connection field asks for rows (edges or pageInfo, or a fragment that might) rather than only totalCount. */
function selectsRows(node: FieldNode): boolean {
  return (node.selectionSet?.selections ?? []).some(
    (selection) => selection.kind !== Kind.FIELD || selection.name.value === 'edges' || selection.name.value === 'pageInfo',
  );
}

/**
 * Cost of a Relay connection: its children once per row of the page (`first`/`last`, else the default page
 * size, capped at the maximum: a larger value is refused by the resolver with a clearer error). A connection
 * asked only for totalCount costs its children once.
 */
export const connectionCost: ComplexityEstimator = ({ args, childComplexity, node, context }) => {
  const { defaultPageSize, maxPageSize } = (context ?? {}) as Partial<CostContext>;
  const requested = typeof args.first === 'number' ? args.first : typeof args.last === 'number' ? args.last : (defaultPageSize ?? 50);
  const rows = selectsRows(node) ? Math.min(Math.max(requested, 1), maxPageSize ?? requested) : 1;
  return 1 + childComplexity * rows;
};

/** Cost of a list field without paging: its children UNPAGED_LIST_SIZE times. */
export const listCost: ComplexityEstimator = ({ childComplexity }) => 1 + childComplexity * UNPAGED_LIST_SIZE;

/**
 * Fields clients add on their own cost nothing: meta fields (`__typename`, and the introspection roots with
 * everything below them) and the `id` of an entity (Apollo Client adds `__typename` to every selection, Relay `id`
 * to every node), so an operation costs the same from curl, Apollo Client or Relay.
 */
const clientAddedFields: ComplexityEstimator = ({ field, node }) =>
  node.name.value.startsWith('__') || (field.name === 'id' && getNamedType(field.type) === GraphQLID) ? 0 : undefined;

const estimators = [clientAddedFields, fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];

/** Costs already computed, by document (Apollo reuses the parsed document of a repeated operation), then by operation name and variables. */
const knownCosts = new WeakMap<object, Map<string, number | undefined>>();
/** Distinct operation names and variables remembered per document: beyond that, costs are computed afresh. */
const KNOWN_COSTS_PER_DOCUMENT = 64;

/**
 * The estimated cost of the operation of a request, or undefined when its variables are invalid (execution
 * reports them). The cost depends only on the document, the operation and the variables: a repeated request
 * (a dashboard) reuses it.
 */
export function operationCost(
  schema: GraphQLSchema,
  request: Pick<GraphQLRequestContext<object>, 'document' | 'request'>,
  pages: CostContext,
): number | undefined {
  const document = request.document!;
  let costs = knownCosts.get(document);
  if (!costs) {
    costs = new Map();
    knownCosts.set(document, costs);
  }
  const key = JSON.stringify([pages.defaultPageSize, pages.maxPageSize, request.request.operationName ?? null, request.request.variables ?? {}]);
  if (costs.has(key)) return costs.get(key);
  const cost = computeOperationCost(schema, request, pages);
  if (costs.size < KNOWN_COSTS_PER_DOCUMENT) costs.set(key, cost);
  return cost;
}

function computeOperationCost(
  schema: GraphQLSchema,
  request: Pick<GraphQLRequestContext<object>, 'document' | 'request'>,
  pages: CostContext,
): number | undefined {
  const document = request.document!;
  const operation = getOperationAST(document, request.request.operationName ?? undefined);
  if (!operation) return undefined;
  const variables = request.request.variables ?? {};
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: 1 });
  if (coerced.errors) return undefined;
  try {
    return getComplexity({
      schema,
      query: document,
      operationName: operation.name?.value,
      variables,
      estimators,
      context: pages as unknown as Record<string, unknown>,
    });
  } catch {
    // The only remaining failure is the node budget of the calculator (fragments spread many times).
    return Number.POSITIVE_INFINITY;
  }
}

// ---- Data volume -----------------------------------------------------------------------------------------------

/** Root query fields whose cost is the data they read (src/analytics/volume.ts estimates it). */
const ANALYTICS_FIELDS = new Set(['aggregate', 'series']);

export interface FieldVolume {
  /** Response key: the alias, or the field name. */
  field: string;
  rows: number;
  /** 'raw' observations or month 'rollups'. */
  source: 'raw' | 'rollups';
}

export interface OperationVolume {
  rows: number;
  fields: FieldVolume[];
}

/**
 * Estimated rows the analytics fields of the operation read, summed over every aliased field (fragments read,
 * `@skip`/`@include` honoured); undefined when the operation or its variables are invalid (execution reports them).
 */
export function operationVolume(
  schema: GraphQLSchema,
  request: Pick<GraphQLRequestContext<object>, 'document' | 'request'>,
  catalogue: AnalyticsCatalogue,
  /** Today's date, or what tells it (asked only when the operation has an analytics field). */
  today: string | (() => string),
): OperationVolume | undefined {
  const document = request.document!;
  const operation = getOperationAST(document, request.request.operationName ?? undefined);
  const queryType = schema.getQueryType();
  if (!operation || operation.operation !== 'query' || !queryType) return undefined;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.request.variables ?? {}, { maxErrors: 1 });
  if (coerced.errors) return undefined;
  const variables = coerced.coerced;
  const fragments = new Map(document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])));
  const byKey = new Map<string, FieldVolume>();
  const included = (node: SelectionNode) =>
    getDirectiveValues(GraphQLSkipDirective, node, variables)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
  const visit = (selections: readonly SelectionNode[], seen: ReadonlySet<string>): void => {
    for (const selection of selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet.selections, seen);
      } else if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !seen.has(fragment.name.value)) visit(fragment.selectionSet.selections, new Set([...seen, fragment.name.value]));
      } else if (ANALYTICS_FIELDS.has(selection.name.value)) {
        const key = selection.alias?.value ?? selection.name.value;
        const definition = queryType.getFields()[selection.name.value];
        if (!definition || byKey.has(key)) continue;
        let estimate: ReturnType<typeof estimateFieldRows> = null;
        try {
          if (typeof today !== 'string') today = today();
          estimate = estimateFieldRows(catalogue, getArgumentValues(definition, selection, variables) as AnalyticsArguments, today);
        } catch {
          // Invalid arguments: execution refuses them before reading anything.
        }
        if (estimate) byKey.set(key, { field: key, rows: estimate.rows, source: estimate.raw ? 'raw' : 'rollups' });
      }
    }
  };
  visit(operation.selectionSet.selections, new Set());
  const fields = [...byKey.values()];
  return { rows: fields.reduce((sum, field) => sum + field.rows, 0), fields };
}

/** Whether each document names an analytics field anywhere (its operations or fragments). */
const analyticsDocuments = new WeakMap<DocumentNode, boolean>();

/** Whether a document may read analytics at all: one without an `aggregate` or `series` field reads nothing {@link operationVolume} counts. */
function mayReadAnalytics(document: DocumentNode): boolean {
  let known = analyticsDocuments.get(document);
  if (known === undefined) {
    known = false;
    visitDocument(document, {
      Field(node) {
        if (ANALYTICS_FIELDS.has(node.name.value)) {
          known = true;
          return BREAK;
        }
        return undefined;
      },
    });
    analyticsDocuments.set(document, known);
  }
  return known;
}

/** The QUERY_TOO_LARGE refusal: the estimate, the field that reads most, and what to narrow. */
function volumeRejection(volume: OperationVolume, maximum: number): QueryRejection {
  const largest = volume.fields.reduce((best, field) => (field.rows > best.rows ? field : best));
  const narrow =
    largest.source === 'raw'
      ? { field: largest.field, arguments: ['from', 'to', 'metrics'], hint: 'a shorter range, fewer metrics, or whole months (e.g. from: "2024-01") at MONTH granularity or coarser without asOf, which read the monthly rollups' }
      : { field: largest.field, arguments: ['from', 'to', 'metrics'], hint: 'a shorter range or fewer metrics, or fewer aliased fields' };
  const limit: LimitDetails = { setting: 'MAX_QUERY_ROWS', maximum, actual: volume.rows };
  const message =
    `${limitMessage('estimated rows read', limit)}; ${largest.field} reads about ${largest.rows} ${largest.source === 'raw' ? 'observations' : 'rollup rows'}: ` +
    `narrow ${narrow.arguments.join(', ')} (${narrow.hint})`;
  return new QueryRejection('QUERY_TOO_LARGE', message, limit, 400, { estimate: { rows: volume.rows, fields: volume.fields }, narrow });
}

// ---- Input text ---------------------------------------------------------------------------------------------

/** C0 controls other than tab, line feed and carriage return, DEL, and UTF-16 halves without their partner. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const NOT_TEXT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function describe(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Deepest nesting of lists and objects accepted in an input value (a connector configuration needs a handful). */
export const MAX_INPUT_NESTING = 64;

type InputProblem = { path: string; character?: string };

/** The first string in a value that is not text, or a value nested too deeply (walked without recursion). */
function findNonText(root: unknown, rootPath: string): InputProblem | undefined {
  const pending: Array<{ value: unknown; path: string; depth: number }> = [{ value: root, path: rootPath, depth: 0 }];
  while (pending.length > 0) {
    const { value, path, depth } = pending.pop()!;
    if (typeof value === 'string') {
      const match = NOT_TEXT.exec(value);
      if (match) return { path, character: match[0] };
    } else if (value && typeof value === 'object') {
      if (depth >= MAX_INPUT_NESTING) return { path };
      const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [`[${index}]`, item]) : Object.entries(value).map(([key, item]) => [`.${key}`, item]);
      for (const [step, item] of entries.reverse()) {
        if (!Array.isArray(value)) pending.push({ value: step.slice(1), path: path + step, depth: depth + 1 });
        pending.push({ value: item, path: path + step, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

/**
 * Strings of an operation (its variables and the string literals of its arguments) must be text: control
 * characters and broken UTF-16 are refused here, where the input enters, so they are never stored. Values
 * nested deeper than MAX_INPUT_NESTING are refused too, before any code walks them recursively.
 */
export function nonTextInput(request: Pick<GraphQLRequestContext<object>, 'document' | 'request'>): GraphQLError | undefined {
  for (const [name, value] of Object.entries(request.request.variables ?? {})) {
    const found = findNonText(value, `$${name}`);
    if (found) return inputError(found);
  }
  if (!request.document) return undefined;
  let problem = documentTextProblems.get(request.document);
  if (problem === undefined) {
    problem = documentTextProblem(request.document) ?? null;
    documentTextProblems.set(request.document, problem);
  }
  return problem ?? undefined;
}

/** The text problem of each document's own string literals (null: none); Apollo reuses the document of a repeated operation. */
const documentTextProblems = new WeakMap<DocumentNode, GraphQLError | null>();

function documentTextProblem(document: DocumentNode): GraphQLError | undefined {
  let problem: GraphQLError | undefined;
  const visitValue = (node: ValueNode, path: string, depth: number): void => {
    if (problem) return;
    if (depth > MAX_INPUT_NESTING) {
      problem = inputError({ path });
    } else if (node.kind === Kind.STRING) {
      const match = NOT_TEXT.exec(node.value);
      if (match) problem = inputError({ path, character: match[0] });
    } else if (node.kind === Kind.LIST) {
      node.values.forEach((item, index) => visitValue(item, `${path}[${index}]`, depth + 1));
    } else if (node.kind === Kind.OBJECT) {
      node.fields.forEach((field) => visitValue(field.value, `${path}.${field.name.value}`, depth + 1));
    }
  };
  const visitSelections = (selections: readonly SelectionNode[]): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD) selection.arguments?.forEach((argument) => visitValue(argument.value, argument.name.value, 0));
      if (selection.kind !== Kind.FRAGMENT_SPREAD) visitSelections(selection.selectionSet?.selections ?? []);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      visitSelections(definition.selectionSet.selections);
    }
  }
  return problem;
}

function inputError({ path, character }: InputProblem): GraphQLError {
  const field = path.replace(/^\$/, '');
  const problem = character === undefined ? `is nested more than ${MAX_INPUT_NESTING} levels deep` : `contains ${describe(character)}; only text (with tabs and line breaks) is accepted`;
  return new GraphQLError(`${field}: ${problem}`, {
    extensions: { code: 'BAD_USER_INPUT', field, http: { status: 400, headers: new HeaderMap() } },
  });
}

// ---- Apollo ---------------------------------------------------------------------------------------------------

/** What the volume limit needs: the catalogue snapshot and the hub's time zone (for "today"). */
export interface VolumeSettings {
  catalogue: AnalyticsCatalogue;
  timeZone: string;
}

/** Cost, volume and input checks once the operation is known, and the execution deadline. */
function limitsConcern(limits: GraphQLLimits, pages: CostContext, volume?: VolumeSettings): RequestConcern<object> {
  const hooks: RequestHooks<object> = {
    didResolveOperation(request) {
      const badText = nonTextInput(request);
      if (badText) throw badText;
      const cost = operationCost(request.schema, request, pages);
      if (cost !== undefined && cost > limits.maxCost) {
        const actual = Number.isFinite(cost) ? cost : undefined;
        throw rejection('QUERY_TOO_COMPLEX', 'estimated cost', { setting: 'GRAPHQL_MAX_COST', maximum: limits.maxCost, actual });
      }
      if (volume && mayReadAnalytics(request.document)) {
        const read = operationVolume(request.schema, request, volume.catalogue, () => todayIn(volume.timeZone));
        if (read && read.rows > limits.maxQueryRows) throw volumeRejection(read, limits.maxQueryRows);
      }
    },
    executionDidStart(request) {
      return { executionDidEnd: startDeadline(request.contextValue, request.operation?.operation === 'query', limits.timeoutMs) };
    },
  };
  // The hooks keep no state of their own between calls: one object serves every request.
  return () => hooks;
}

/** The Apollo Server options that enforce the limits (merged into the server's own options); the volume limit needs `catalogue`. */
export function limitOptions(config: HubConfig, catalogue?: AnalyticsCatalogue): Pick<
  ApolloServerOptions<object>,
  'validationRules' | 'parseOptions' | 'allowBatchedHttpRequests' | 'csrfPrevention' | 'includeStacktraceInErrorResponses'
> & { concern: RequestConcern<object> } {
  const limits = config.graphql;
  return {
    validationRules: validationRules(limits),
    // graphql-js stops parsing at this many tokens (the parser-level limit graphql-armor's max-tokens adds to envelop).
    parseOptions: { maxTokens: limits.maxTokens },
    // "Did you mean …?" is removed by suggestionsRemover (not by Apollo's hideSchemaDetailsFromClientErrors).
    allowBatchedHttpRequests: limits.maxBatch > 0,
    // Refuses requests a browser could send cross-site without a preflight (simple GET/POST without a JSON body).
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    concern: limitsConcern(
      limits,
      { defaultPageSize: config.defaultPageSize, maxPageSize: config.maxPageSize },
      catalogue ? { catalogue, timeZone: config.timeZone } : undefined,
    ),
  };
}

/**
 * Removes "Did you mean …?" from every error sent (GRAPHQL_FIELD_SUGGESTIONS=false): validation errors, and those of
 * variable values, checked later, at execution, whose messages suggest enum values and input fields too. Apollo's
 * `hideSchemaDetailsFromClientErrors` is not used: it covers validation errors only, with a plugin whose hooks
 * cost every request a few promises.
 */
export function suggestionsRemover(limits: GraphQLLimits): (formatted: GraphQLFormattedError) => GraphQLFormattedError {
  if (limits.fieldSuggestions) return (formatted) => formatted;
  return (formatted) => ({ ...formatted, message: formatted.message.replace(/ ?Did you mean(.+?)\?$/, '') });
}

// ---- HTTP -----------------------------------------------------------------------------------------------------

function httpError(response: Response, status: number, code: string, message: string, extra: Record<string, unknown> = {}): void {
  response.status(status).json({ errors: [{ message, extensions: { code, ...extra } }] });
}

/** Refuses batches larger than GRAPHQL_MAX_BATCH (Apollo itself refuses every batch when batching is off). */
export function batchLimit(limits: GraphQLLimits) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const body: unknown = request.body;
    if (limits.maxBatch > 0 && Array.isArray(body) && body.length > limits.maxBatch) {
      const limit = { setting: 'GRAPHQL_MAX_BATCH', maximum: limits.maxBatch, actual: body.length };
      httpError(response, 400, 'BATCH_TOO_LARGE', limitMessage('operations in the batch', limit), { limit });
      return;
    }
    next();
  };
}

/** Refuses request bodies that are not valid UTF-8 instead of storing replacement characters. */
export function verifyUtf8(_request: Request, _response: Response, body: Buffer, encoding: string): void {
  if (encoding.toLowerCase() === 'utf-8' && !isUtf8(body)) {
    throw Object.assign(new Error('the request body is not valid UTF-8'), { status: 400, expose: true, type: 'encoding.invalid' });
  }
}


const BODY_ERROR_CODES: Record<number, string> = { 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/**
 * Answers errors raised before Apollo (unreadable or oversized bodies) as GraphQL-shaped JSON: express's
 * default handler would answer HTML with the stack trace outside production.
 */
export function requestErrorHandler(reportError: (error: unknown) => void) {
  return (error: unknown, _request: Request, response: Response, next: NextFunction): void => {
    if (response.headersSent) {
      next(error);
      return;
    }
    const details = error as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown };
    const status = Number(details.status ?? details.statusCode);
    if (status >= 400 && status < 500) {
      const message = details.expose === true && typeof details.message === 'string' ? details.message : 'bad request';
      httpError(response, status, BODY_ERROR_CODES[status] ?? 'BAD_REQUEST', message);
      return;
    }
    reportError(error);
    httpError(response, 500, 'INTERNAL_SERVER_ERROR', 'internal error');
  };
}
