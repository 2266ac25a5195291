import fs from 'node:fs';
import path from 'node:path';
import { getNamedType, isListType, isNonNullType, isObjectType, Kind, parse, print, TypeInfo, visit, visitWithTypeInfo, type DocumentNode, type FieldNode, type GraphQLSchema, type GraphQLType } from 'graphql';
import { ConfigError, loadConfig } from '../../src/config';
import { connectionCost, listCost, operationCost } from '../../src/graphql/limits';
import { buildHubSchema } from '../../src/graphql/schema';

const EXAMPLES = path.join(__dirname, '..', '..', 'schema', 'examples');
const PAGES = { defaultPageSize: 50, maxPageSize: 500 };

function costOf(schema: GraphQLSchema, query: string, variables?: Record<string, unknown>): number | undefined {
  return operationCost(schema, { document: parse(query), request: { query, variables } }, PAGES);
}

function isListOfObjects(type: GraphQLType): boolean {
  const nullable = isNonNullType(type) ? type.ofType : type;
  return isListType(nullable) && isObjectType(getNamedType(nullable));
}

describe('GraphQL limit settings', () => {
  it('has defaults that let every example pass', () => {
    expect(loadConfig({}).graphql).toEqual({
      maxDepth: 12,
      maxAliases: 15,
      maxDirectives: 20,
      maxTokens: 2000,
      maxCost: 25_000,
      maxQueryRows: 500_000,
      timeoutMs: 30_000,
      introspection: true,
      fieldSuggestions: true,
      maxBatch: 0,
      maxBodyBytes: 1024 * 1024,
    });
  });

  it('turns field suggestions off in production unless asked for', () => {
    const production = { NODE_ENV: 'production', SECRETS_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}` };
    expect(loadConfig(production).graphql.fieldSuggestions).toBe(false);
    expect(loadConfig({ ...production, GRAPHQL_FIELD_SUGGESTIONS: 'true' }).graphql.fieldSuggestions).toBe(true);
    expect(loadConfig({ GRAPHQL_INTROSPECTION: 'false' }).graphql.introspection).toBe(false);
    expect(loadConfig({ GRAPHQL_TIMEOUT_SECONDS: '2.5', GRAPHQL_MAX_BODY_KB: '64' }).graphql).toMatchObject({ timeoutMs: 2500, maxBodyBytes: 65_536 });
  });

  it.each([
    [{ GRAPHQL_MAX_DEPTH: '0' }, 'GRAPHQL_MAX_DEPTH'],
    [{ GRAPHQL_MAX_ALIASES: 'many' }, 'GRAPHQL_MAX_ALIASES'],
    [{ GRAPHQL_MAX_DIRECTIVES: '-1' }, 'GRAPHQL_MAX_DIRECTIVES'],
    [{ GRAPHQL_MAX_TOKENS: '10' }, 'GRAPHQL_MAX_TOKENS'],
    [{ GRAPHQL_MAX_COST: '1.5' }, 'GRAPHQL_MAX_COST'],
    [{ GRAPHQL_TIMEOUT_SECONDS: '0' }, 'GRAPHQL_TIMEOUT_SECONDS'],
    [{ GRAPHQL_INTROSPECTION: 'yes' }, 'GRAPHQL_INTROSPECTION'],
    [{ GRAPHQL_FIELD_SUGGESTIONS: '1' }, 'GRAPHQL_FIELD_SUGGESTIONS'],
    [{ GRAPHQL_MAX_BATCH: '101' }, 'GRAPHQL_MAX_BATCH'],
    [{ GRAPHQL_MAX_BODY_KB: '0' }, 'GRAPHQL_MAX_BODY_KB'],
  ])('rejects %j naming %s', (environment, name) => {
    expect(() => loadConfig(environment)).toThrow(ConfigError);
    expect(() => loadConfig(environment)).toThrow(name);
  });
});

/**
 * What client libraries add to an operation before sending it: `__typename` in every selection set (Apollo
 * Client's cache) and `id` in the selection of every type implementing Node (Relay's store).
 */
function addedByClients(schema: GraphQLSchema, document: DocumentNode): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  const field = (name: string): FieldNode => ({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: name } });
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      SelectionSet(node, _key, parent) {
        if (parent && !Array.isArray(parent) && (parent as { kind?: string }).kind === Kind.OPERATION_DEFINITION) return undefined;
        const type = getNamedType(typeInfo.getType());
        const names = new Set(node.selections.map((selection) => (selection.kind === Kind.FIELD ? selection.name.value : '')));
        const extra = [field('__typename')];
        if (isObjectType(type) && type.getInterfaces().some((candidate) => candidate.name === 'Node') && !names.has('id')) extra.push(field('id'));
        return { ...node, selections: [...node.selections, ...extra] };
      },
    }),
  );
}

describe('operation cost', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildHubSchema();
  });

  it('prices every connection by its page and every other list of objects as 10 items', () => {
    const unpriced: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        const complexity = field.extensions.complexity;
        if (getNamedType(field.type).name.endsWith('Connection')) {
          if (complexity !== connectionCost) unpriced.push(`${type.name}.${field.name} (connection)`);
        } else if (isListOfObjects(field.type) && !(type.name.endsWith('Connection') && field.name === 'edges')) {
          // A connection's edges are priced by the connection field above them.
          if (complexity !== listCost) unpriced.push(`${type.name}.${field.name} (list)`);
        }
      }
    }
    expect(unpriced).toEqual([]);
  });

  it('prices the examples as counted by hand', () => {
    const example = (name: string) => costOf(schema, fs.readFileSync(path.join(EXAMPLES, `${name}.graphql`), 'utf8'));
    // pilotModels(first: 50): 1 + 50 × (totalCount 1 + pageInfo 3 + edges (1 + cursor 1 + node 105)),
    // node: 7 scalars + leadDepartment 3 + taskGroup 3 + metrics (1 + 10 × (6 scalars + latest 3)) + 1 = 105.
    expect(example('PilotModels')).toBe(1 + 50 * (1 + 3 + (1 + 1 + (1 + 7 + 3 + 3 + (1 + 10 * 9)))));
    expect(example('PilotModels')).toBe(5551);
    // administrativeUnits(first: 50): 1 + 50 × (totalCount 1 + edges (1 + node (1 + 3 scalars + children 2))); children only counts.
    expect(example('Units')).toBe(401);
    // metric: 1 + 5 scalars + pilotModel 3 + latest 3 + observations (1 + 100 × (totalCount 1 + edges (1 + node (1 + 2 + unit 4)))).
    expect(example('MetricObservations')).toBe(1 + 5 + 3 + 3 + (1 + 100 * (1 + (1 + (1 + 2 + 4)))));
    // program: 1 + 2 scalars + pilotModelCounts 5 + taskCounts 6 + taskGroups (1 + 10 × (2 scalars + tasks 2)).
    expect(example('ProgramOverview')).toBe(1 + 2 + 5 + 6 + (1 + 10 * 4));
  });

  it('costs an example the same whether sent by curl, Apollo Client (__typename everywhere) or Relay (id on every node)', () => {
    const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.graphql'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = fs.readFileSync(path.join(EXAMPLES, file), 'utf8');
      const asClients = print(addedByClients(schema, parse(text)));
      expect(asClients).toContain('__typename');
      expect({ file, cost: costOf(schema, asClients) }).toEqual({ file, cost: costOf(schema, text) });
    }
    // The introspection a client tool sends first costs nothing either.
    expect(costOf(schema, '{ __schema { types { name fields { name type { name ofType { name } } } } } }')).toBe(0);
  });

  it('reads page sizes from first, last and variables, defaults to 50 and stops at the maximum page size', () => {
    const query = 'query($first: Int, $last: Int) { metrics(first: $first, last: $last) { edges { node { code } } } }';
    expect(costOf(schema, query, { first: 10 })).toBe(1 + 10 * 3);
    expect(costOf(schema, query, { last: 7 })).toBe(1 + 7 * 3);
    expect(costOf(schema, query, {})).toBe(1 + 50 * 3);
    expect(costOf(schema, query, { first: 0 })).toBe(1 + 1 * 3);
    expect(costOf(schema, query, { first: 100_000 })).toBe(1 + 500 * 3);
    // Invalid variables are left to execution, which refuses them before any resolver.
    expect(costOf(schema, query, { first: 'ten' })).toBeUndefined();
    // Skipped fields cost nothing.
    expect(costOf(schema, '{ metrics(first: 500) @skip(if: true) { edges { node { code } } } program(code: "DA06") { code } }')).toBe(2);
  });
});
