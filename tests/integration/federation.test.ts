/**
 * The hub as an Apollo Federation 2 subgraph, over real ports: its SDL, fetched from a live hub with
 * `_service { sdl }`, composes with a small "national" subgraph (served by @apollo/subgraph on its own port) that
 * extends PilotModel, Department and AdministrativeUnit; @apollo/gateway, given the composed supergraph and
 * forwarding the caller's Authorization header, answers queries that join both subgraphs in both directions.
 * `_entities` applies each type's own scope, refuses malformed representations, and reads many representations
 * with one statement per type.
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { MAX_REPRESENTATIONS } from '../../src/graphql/federation';
import { Metric } from '../../src/modules/metrics/metric.entity';
import { AdministrativeUnit } from '../../src/modules/units/administrative-unit.entity';
import { Role } from '../../src/security/principal';
import { dataOf, MODEL_CODES } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type GraphQLResponse, type TestHub } from '../helpers/test-hub';

const JUSTICE_METRIC = 'KIOSK_NOTARIZATIONS'; // SO_TP

const NATIONAL_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])
  scalar Date
  type Query {
    nationalPilotModels: [PilotModel!]!
    nationalUnits: [AdministrativeUnit!]!
  }
  type PilotModel @key(fields: "code") { code: String! nationalRank: Int }
  type Department @key(fields: "code") { code: String! ministry: String }
  type AdministrativeUnit @key(fields: "code validFrom") { code: String! validFrom: Date! nationalStatus: String }
`;

const RANKS: Record<string, number> = { M03: 1, M04: 2 };

interface Server {
  url: string;
  stop(): Promise<void>;
}

/** The national subgraph: its own fields on the hub's entities, keyed by code (and a unit's edition). */
async function startNationalSubgraph(units: () => Array<{ code: string; validFrom: string }>, authorizations: string[]): Promise<Server> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(NATIONAL_SDL),
    resolvers: {
      Query: {
        nationalPilotModels: () => ['M04', 'M03'].map((code) => ({ code, nationalRank: RANKS[code] })),
        nationalUnits: () => units().map((unit) => ({ ...unit, nationalStatus: `${unit.code}@${unit.validFrom}` })),
      },
      PilotModel: { __resolveReference: (ref: { code: string }) => ({ code: ref.code, nationalRank: RANKS[ref.code] ?? null }) },
      Department: { __resolveReference: (ref: { code: string }) => ({ code: ref.code, ministry: ref.code === 'SO_YT' ? 'Bộ Y tế' : null }) },
      AdministrativeUnit: { __resolveReference: (ref: { code: string; validFrom: string }) => ({ ...ref, nationalStatus: `${ref.code}@${ref.validFrom}` }) },
    } as never,
  });
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => {
      authorizations.push(req.headers.authorization ?? '');
      return {};
    },
  });
  return { url, stop: () => server.stop() };
}

/** The gateway of a supergraph: forwards each caller's Authorization header to every subgraph. */
async function startGateway(supergraphSdl: string): Promise<Server> {
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<{ authorization?: string }>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
  return { url, stop: () => server.stop() };
}

async function post<T>(url: string, query: string, headers: Record<string, string>, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as GraphQLResponse<T>;
  return { status: response.status, data: body.data, errors: body.errors };
}

const ENTITIES = `query($representations: [_Any!]!) { _entities(representations: $representations) {
  __typename
  ... on PilotModel { code name } ... on Metric { code name } ... on Department { code name }
  ... on Task { code title } ... on AdministrativeUnit { code validFrom name }
} }`;

interface Entities {
  _entities: Array<Record<string, string> | null>;
}

describe('Apollo Federation 2 subgraph', () => {
  let hub: TestHub;
  let national: Server;
  let gateway: Server;
  let supergraphSdl = '';
  /** The two editions of a unit code that was reused (both rows share the code). */
  let editions: Array<{ code: string; validFrom: string; name: string }> = [];
  const nationalAuthorizations: string[] = [];

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    const [{ code }] = await hub.dataSource.getRepository(AdministrativeUnit).createQueryBuilder('unit').select('unit.code', 'code').groupBy('unit.code').having('COUNT(*) > 1').orderBy('unit.code').limit(1).getRawMany<{ code: string }>();
    const rows = await hub.dataSource.getRepository(AdministrativeUnit).find({ where: { code }, order: { validFrom: 'ASC' } });
    editions = rows.map((row) => ({ code: row.code, validFrom: String(row.validFrom), name: row.name }));
    national = await startNationalSubgraph(() => editions.map(({ code: unitCode, validFrom }) => ({ code: unitCode, validFrom })), nationalAuthorizations);
  });

  afterAll(async () => {
    await gateway?.stop();
    await national?.stop();
    await hub?.close();
  });

  it('serves its SDL with @key on the shared entities, as committed in schema/subgraph.graphql', async () => {
    const { _service } = await dataOf<{ _service: { sdl: string } }>(hub, '{ _service { sdl } }');
    expect(_service.sdl).toBe(fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'subgraph.graphql'), 'utf8'));
    expect(_service.sdl).toContain('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])');
    for (const [type, key] of [['PilotModel', 'code'], ['Metric', 'code'], ['Department', 'code'], ['Task', 'code'], ['AdministrativeUnit', 'code validFrom']]) {
      expect(_service.sdl).toMatch(new RegExp(`type ${type} implements Node @key\\(fields: "${key}"\\) \\{`));
    }
    expect(_service.sdl).not.toMatch(/_entities|_service|_Any|_Entity/);
    // Like every other read, only for an authenticated caller.
    expect((await hub.graphql('{ _service { sdl } }', undefined, { authorization: '' })).status).toBe(401);
  });

  it('composes with a national subgraph without errors, and a gateway joins both subgraphs in both directions', async () => {
    const { _service } = await dataOf<{ _service: { sdl: string } }>(hub, '{ _service { sdl } }');
    const composed = composeServices([
      { name: 'hub', typeDefs: parse(_service.sdl), url: hub.hub.url },
      { name: 'national', typeDefs: parse(NATIONAL_SDL), url: national.url },
    ]);
    expect(composed.errors?.map((error) => error.message)).toBeUndefined();
    supergraphSdl = composed.supergraphSdl!;
    gateway = await startGateway(supergraphSdl);
    const viewer = await keyHeaders(hub, Role.VIEWER);

    // Hub root, national fields joined on the model's and the department's codes.
    const forward = await post<{ pilotModel: { code: string; name: string; nationalRank: number; leadDepartment: { code: string; name: string; ministry: string | null } } }>(
      gateway.url,
      '{ pilotModel(code: "M03") { code name nationalRank leadDepartment { code name ministry } } }',
      viewer,
    );
    expect(forward.errors).toBeUndefined();
    const own = await dataOf<{ pilotModel: { name: string; leadDepartment: { code: string; name: string } } }>(hub, '{ pilotModel(code: "M03") { name leadDepartment { code name } } }');
    expect(forward.data!.pilotModel).toEqual({
      code: 'M03',
      name: own.pilotModel.name,
      nationalRank: 1,
      leadDepartment: { ...own.pilotModel.leadDepartment, ministry: own.pilotModel.leadDepartment.code === 'SO_YT' ? 'Bộ Y tế' : null },
    });

    // National root, the hub's fields joined through the hub's `_entities`; units by code and edition.
    const reverse = await post<{ nationalPilotModels: Array<{ code: string; name: string; nationalRank: number }>; nationalUnits: Array<{ code: string; validFrom: string; name: string; nationalStatus: string }> }>(
      gateway.url,
      '{ nationalPilotModels { code name nationalRank } nationalUnits { code validFrom name nationalStatus } }',
      viewer,
    );
    expect(reverse.errors).toBeUndefined();
    const names = await dataOf<{ m03: { name: string }; m04: { name: string } }>(hub, '{ m03: pilotModel(code: "M03") { name } m04: pilotModel(code: "M04") { name } }');
    expect(reverse.data!.nationalPilotModels).toEqual([
      { code: 'M04', name: names.m04.name, nationalRank: 2 },
      { code: 'M03', name: names.m03.name, nationalRank: 1 },
    ]);
    expect(editions).toHaveLength(2);
    expect(reverse.data!.nationalUnits).toEqual(editions.map((edition) => ({ ...edition, nationalStatus: `${edition.code}@${edition.validFrom}` })));
    expect(new Set(nationalAuthorizations)).toEqual(new Set([viewer.authorization]));

    // The caller's credentials reach the hub: without them the hub refuses its part.
    const anonymous = await post<{ nationalPilotModels: unknown }>(gateway.url, '{ nationalPilotModels { code name } }', {});
    expect(anonymous.errors?.length).toBeGreaterThan(0);
    expect(anonymous.data?.nationalPilotModels ?? null).toBeNull();
  });

  it('answers each representation in order: null for one that does not exist, BAD_USER_INPUT at the index of a malformed one', async () => {
    const representations = [
      { __typename: 'PilotModel', code: 'M03' },
      { __typename: 'PilotModel', code: 'M99' },
      { __typename: 'PilotModel', code: 'm03' },
      { __typename: 'AdministrativeUnit', code: editions[1].code, validFrom: editions[1].validFrom },
      { __typename: 'AdministrativeUnit', code: editions[0].code, validFrom: editions[0].validFrom },
      { __typename: 'Connector', id: '1' },
      { __typename: 'AdministrativeUnit', code: editions[0].code },
      { __typename: 'AdministrativeUnit', code: editions[0].code, validFrom: '2024-02-30' },
      { code: 'M03' },
      { __typename: 'Department', code: 'SO_YT' },
    ];
    const response = await hub.graphql<Entities>(ENTITIES, { representations });
    expect(response.status).toBe(200);
    const answer = response.data!._entities;
    expect(answer[0]).toMatchObject({ __typename: 'PilotModel', code: 'M03' });
    expect(answer[1]).toBeNull();
    expect(answer[2]).toBeNull(); // codes are exact
    expect(answer[3]).toEqual({ __typename: 'AdministrativeUnit', ...editions[1] });
    expect(answer[4]).toEqual({ __typename: 'AdministrativeUnit', ...editions[0] });
    expect(answer[9]).toMatchObject({ __typename: 'Department', code: 'SO_YT' });
    const errors = (response.errors ?? []).map((error) => ({ path: error.path, code: error.extensions?.code, message: error.message }));
    expect(errors.map(({ path: at, code }) => ({ at, code }))).toEqual([5, 6, 7, 8].map((index) => ({ at: ['_entities', index], code: 'BAD_USER_INPUT' })));
    expect(errors[0].message).toContain('"Connector" is not an entity of this subgraph');
    expect(errors[1].message).toContain('AdministrativeUnit is joined on "code validFrom"');
    expect(errors[2].message).toContain('2024-02-30');
    expect(errors[3].message).toContain('__typename');

    const tooMany = Array.from({ length: MAX_REPRESENTATIONS + 1 }, () => ({ __typename: 'PilotModel', code: 'M03' }));
    const refused = await hub.graphql<Entities>('query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', { r: tooMany });
    expect(refused.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
  });

  it('applies the scope of the type\'s own lookups: catalogue to every caller, another department\'s values FORBIDDEN', async () => {
    const healthIt = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    const justiceMetric = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: JUSTICE_METRIC });
    expect(justiceMetric.code).toBe(JUSTICE_METRIC);
    const viaEntities = await hub.graphql<{ _entities: Array<{ code: string; latest: unknown } | null> }>(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Metric { code latest { value } } ... on Department { code } } }',
      { r: [{ __typename: 'Metric', code: JUSTICE_METRIC }, { __typename: 'Department', code: 'SO_TP' }] },
      healthIt,
    );
    const viaLookup = await hub.graphql<{ metric: { code: string; latest: unknown } }>(`{ metric(code: "${JUSTICE_METRIC}") { code latest { value } } }`, undefined, healthIt);
    // The definition is catalogue data; its values are another department's.
    expect(viaLookup.data!.metric).toEqual({ code: JUSTICE_METRIC, latest: null });
    expect(viaLookup.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(viaEntities.data!._entities).toEqual([{ code: JUSTICE_METRIC, latest: null }, { code: 'SO_TP' }]);
    expect(viaEntities.errors?.map((error) => ({ code: error.extensions?.code, path: error.path }))).toEqual([{ code: 'FORBIDDEN', path: ['_entities', 0, 'latest'] }]);
    // The administrator sees the values.
    const admin = await hub.graphql<{ _entities: Array<{ latest: unknown }> }>('query($r: [_Any!]!) { _entities(representations: $r) { ... on Metric { latest { value } } } }', {
      r: [{ __typename: 'Metric', code: JUSTICE_METRIC }],
    });
    expect(admin.errors).toBeUndefined();
  });

  it('reads many representations with one statement per entity type, however many there are', async () => {
    const statementsFor = async (models: readonly string[]) => {
      const { data: units } = await hub.graphql<{ administrativeUnits: { edges: Array<{ node: { code: string; validFrom: string } }> } }>(
        `{ administrativeUnits(first: ${models.length}) { edges { node { code validFrom } } } }`,
      );
      const representations = [
        ...models.map((code) => ({ __typename: 'PilotModel', code })),
        ...units!.administrativeUnits.edges.map(({ node }) => ({ __typename: 'AdministrativeUnit', ...node })),
      ];
      hub.counter.reset();
      const response = await hub.graphql<Entities>(ENTITIES, { representations });
      expect(response.errors).toBeUndefined();
      expect(response.data!._entities.filter((entity) => entity === null)).toEqual([]);
      expect(response.data!._entities).toHaveLength(models.length * 2);
      return hub.counter.statements.length;
    };
    const few = await statementsFor(MODEL_CODES.slice(0, 2));
    const many = await statementsFor(MODEL_CODES);
    expect(MODEL_CODES.length).toBeGreaterThanOrEqual(38);
    expect(many).toBe(few);
    // One for the models, one for the units.
    expect(many).toBeLessThanOrEqual(2);
  });
});
