/**
 * Global object identification (Relay server specification) over a real port: every entity type answers an
 * opaque `id` unique across types, `node(id:)` / `nodes(ids:)` read every type back and apply each type's scope
 * (catalogue to everyone; another department's connector, run, observation or revision as missing; administrative
 * types FORBIDDEN to other roles), id arguments refuse another type's id, cursors refuse another list's cursor, and
 * mutations answer the changed entity under the same id.
 */
import { Role } from '../../src/security/principal';
import { fromGlobalId, toGlobalId } from '../../src/graphql/node-id';
import { databaseIdOf, dataOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const HEALTH_METRIC = 'KCB_BIOMETRIC_VISITS'; // SO_YT

interface NodeAnswer {
  node: { __typename: string; id: string } | null;
}

describe('global object identification', () => {
  let hub: TestHub;
  /** One global id per node type, read from the ordinary fields of the API. */
  const ids: Record<string, string> = {};
  let justiceIt: Record<string, string>;
  let healthIt: Record<string, string>;
  let healthKeyId = '';
  let viewer: Record<string, string>;
  let analyst: Record<string, string>;

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    const push = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation { registerConnector(input: { name: "Health push", kind: "push", department: "SO_YT", config: {} }) { id } }');
    ids.Connector = push.registerConnector.id;
    const rows = (value: number) => [{ metric: HEALTH_METRIC, unit: '412', period: '2024-05-01', value }];
    const submit = 'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id } } }';
    await dataOf(hub, submit, { id: ids.Connector, rows: rows(5) });
    ids.ConnectorRun = (await dataOf<{ submitObservations: { run: { id: string } } }>(hub, submit, { id: ids.Connector, rows: rows(6) })).submitObservations.run.id;
    const read = await dataOf<{
      program: { id: string; taskGroups: Array<{ id: string; tasks: { edges: Array<{ node: { id: string } }> } }> };
      pilotModel: { id: string };
      department: { id: string };
      administrativeUnit: { id: string };
      metric: { id: string; observations: { edges: Array<{ node: { id: string; revisions: Array<{ id: string }> } }> } };
      auditEvents: { edges: Array<{ node: { id: string } }> };
    }>(
      hub,
      `{ program(code: "DA06") { id taskGroups { id tasks(first: 1) { edges { node { id } } } } }
         pilotModel(code: "M04") { id } department(code: "SO_YT") { id } administrativeUnit(code: "412") { id }
         metric(code: "${HEALTH_METRIC}") { id observations(filter: { unit: "412", from: "2024-05-01", to: "2024-05-01" }, first: 1) { edges { node { id revisions { id } } } } }
         auditEvents(first: 1) { edges { node { id } } } }`,
    );
    ids.Program = read.program.id;
    ids.TaskGroup = read.program.taskGroups[0].id;
    ids.Task = read.program.taskGroups[0].tasks.edges[0].node.id;
    ids.PilotModel = read.pilotModel.id;
    ids.Department = read.department.id;
    ids.AdministrativeUnit = read.administrativeUnit.id;
    ids.Metric = read.metric.id;
    ids.Observation = read.metric.observations.edges[0].node.id;
    ids.ObservationRevision = read.metric.observations.edges[0].node.revisions[0].id;
    ids.AuditEvent = read.auditEvents.edges[0].node.id;
    ids.OutboundHost = (await dataOf<{ addOutboundHost: { id: string } }>(hub, 'mutation { addOutboundHost(input: { pattern: "data.example.gov.vn" }) { id } }')).addOutboundHost.id;
    const healthKey = await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'], 'health IT');
    healthIt = healthKey.headers;
    healthKeyId = healthKey.id;
    ids.ApiKey = healthKey.id;
    justiceIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP'], 'justice IT')).headers;
    viewer = (await createKey(hub, Role.VIEWER, [], 'viewer')).headers;
    analyst = (await createKey(hub, Role.ANALYST, [], 'analyst')).headers;
  }, 60_000);
  afterAll(() => hub?.close());

  const TYPES = ['Program', 'TaskGroup', 'Task', 'PilotModel', 'Department', 'AdministrativeUnit', 'Metric', 'Observation', 'ObservationRevision', 'Connector', 'ConnectorRun', 'ApiKey', 'AuditEvent', 'OutboundHost'];

  it('gives every entity an opaque id naming its type, unique across types', () => {
    expect(Object.keys(ids).sort()).toEqual([...TYPES].sort());
    for (const type of TYPES) expect(fromGlobalId(ids[type])?.typeName).toBe(type);
    expect(new Set(Object.values(ids)).size).toBe(TYPES.length);
    // Database numbers repeat across tables; ids do not.
    expect(toGlobalId('Connector', 1)).not.toBe(toGlobalId('ConnectorRun', 1));
  });

  it('reads every type back with node(id:) and nodes(ids:), in order, null for an id that names nothing', async () => {
    for (const type of TYPES) {
      const answer = await dataOf<NodeAnswer>(hub, 'query($id: ID!) { node(id: $id) { __typename id } }', { id: ids[type] });
      expect(answer.node).toEqual({ __typename: type, id: ids[type] });
    }
    const missing = toGlobalId('PilotModel', 999_999);
    const many = await dataOf<{ nodes: Array<{ __typename: string; id: string } | null> }>(hub, 'query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }', {
      ids: [ids.Metric, missing, ids.Connector, ids.Metric],
    });
    expect(many.nodes).toEqual([{ __typename: 'Metric', id: ids.Metric }, null, { __typename: 'Connector', id: ids.Connector }, { __typename: 'Metric', id: ids.Metric }]);
  });

  it('answers the fields of each type through fragments', async () => {
    const answer = await dataOf<{ nodes: unknown[] }>(
      hub,
      `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on PilotModel { code } ... on Connector { name databaseId department { code } } ... on ConnectorRun { trigger databaseId } } }`,
      { ids: [ids.PilotModel, ids.Connector, ids.ConnectorRun] },
    );
    expect(answer.nodes).toEqual([
      { id: ids.PilotModel, code: 'M04' },
      { id: ids.Connector, name: 'Health push', databaseId: databaseIdOf(ids.Connector), department: { code: 'SO_YT' } },
      { id: ids.ConnectorRun, trigger: 'PUSH', databaseId: databaseIdOf(ids.ConnectorRun) },
    ]);
  });

  it('tells the 2024 and 2025 units sharing a code apart', async () => {
    const units = await dataOf<{ current: { id: string; validFrom: string }; former: { id: string; validFrom: string } }>(
      hub,
      '{ current: administrativeUnit(code: "16681") { id validFrom } former: administrativeUnit(code: "16681", asOf: "2024-06-01") { id validFrom } }',
    );
    expect(units.current.validFrom).not.toBe(units.former.validFrom);
    expect(units.current.id).not.toBe(units.former.id);
    const back = await dataOf<{ nodes: Array<{ validFrom: string }> }>(hub, 'query($ids: [ID!]!) { nodes(ids: $ids) { ... on AdministrativeUnit { validFrom } } }', {
      ids: [units.current.id, units.former.id],
    });
    expect(back.nodes.map((unit) => unit.validFrom)).toEqual([units.current.validFrom, units.former.validFrom]);
  });

  it('applies each type\'s scope: catalogue to all, another department\'s objects as missing, administrative types by role', async () => {
    const nodeOf = async (id: string, headers: Record<string, string>) => {
      const response = await hub.graphql<NodeAnswer>('query($id: ID!) { node(id: $id) { __typename id } }', { id }, headers);
      return { node: response.data?.node ?? null, codes: (response.errors ?? []).map((error) => error.extensions?.code) };
    };
    for (const type of ['Program', 'TaskGroup', 'Task', 'PilotModel', 'Department', 'AdministrativeUnit', 'Metric']) {
      for (const headers of [justiceIt, viewer]) expect(await nodeOf(ids[type], headers)).toEqual({ node: { __typename: type, id: ids[type] }, codes: [] });
    }
    // The health department's own objects: visible to its IT key; to the justice IT key exactly like an unknown id.
    for (const type of ['Connector', 'ConnectorRun', 'Observation', 'ObservationRevision']) {
      expect(await nodeOf(ids[type], healthIt)).toEqual({ node: { __typename: type, id: ids[type] }, codes: [] });
      expect(await nodeOf(ids[type], justiceIt)).toEqual({ node: null, codes: [] });
      expect(await nodeOf(toGlobalId(type, 999_999), justiceIt)).toEqual({ node: null, codes: [] });
    }
    // Operational data is not for viewers; observations are values every role reads.
    for (const type of ['Connector', 'ConnectorRun', 'ObservationRevision']) expect(await nodeOf(ids[type], viewer)).toEqual({ node: null, codes: ['FORBIDDEN'] });
    expect((await nodeOf(ids.Observation, viewer)).node).toEqual({ __typename: 'Observation', id: ids.Observation });
    // Administrative types: ADMIN only, except a caller's own key.
    for (const type of ['AuditEvent', 'OutboundHost', 'ApiKey']) expect(await nodeOf(ids[type], analyst)).toEqual({ node: null, codes: ['FORBIDDEN'] });
    expect(await nodeOf(healthKeyId, healthIt)).toEqual({ node: { __typename: 'ApiKey', id: healthKeyId }, codes: [] });
    // nodes(): each item on its own.
    const mixed = await hub.graphql<{ nodes: unknown[] }>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [ids.PilotModel, ids.AuditEvent, ids.Connector] }, justiceIt);
    expect(mixed.data!.nodes).toEqual([{ id: ids.PilotModel }, null, null]);
    expect(mixed.errors!.map((error) => [error.path, error.extensions?.code])).toEqual([[['nodes', 1], 'FORBIDDEN']]);
  });

  it('refuses text that is not an id, and more ids than one call takes', async () => {
    for (const id of ['not-an-id', toGlobalId('NoSuchType', 1), '']) {
      const response = await hub.graphql('query($id: ID!) { node(id: $id) { id } }', { id });
      expect(response.errors?.map((error) => error.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    }
    const tooMany = await hub.graphql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: Array.from({ length: 101 }, () => ids.Metric) });
    expect(tooMany.errors?.[0].message).toContain('at most 100');
  });

  it('takes global ids (and database numbers) in id arguments, and refuses another type\'s id naming both', async () => {
    const byGlobal = await dataOf<{ connector: { id: string } }>(hub, 'query($id: ID!) { connector(id: $id) { id } }', { id: ids.Connector });
    const byNumber = await dataOf<{ connector: { id: string } }>(hub, 'query($id: ID!) { connector(id: $id) { id } }', { id: String(databaseIdOf(ids.Connector)) });
    expect(byGlobal.connector.id).toBe(ids.Connector);
    expect(byNumber.connector.id).toBe(ids.Connector);
    const wrong = await hub.graphql('query($id: ID!) { connector(id: $id) { id } }', { id: ids.ConnectorRun });
    expect(wrong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(wrong.errors?.[0].message).toContain('is the id of a ConnectorRun, not of a connector');
    // The push URL takes either form too.
    for (const id of [ids.Connector, String(databaseIdOf(ids.Connector))]) {
      const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${id}`), {
        method: 'POST',
        headers: { ...hub.headers, 'content-type': 'application/json' },
        body: JSON.stringify([{ metric: HEALTH_METRIC, unit: '413', period: '2024-05-02', value: 1 }]),
      });
      expect(response.status).toBe(200);
    }
  });

  it('refuses a cursor of another list', async () => {
    const models = await dataOf<{ pilotModels: { pageInfo: { endCursor: string } } }>(hub, '{ pilotModels(first: 2) { pageInfo { endCursor } } }');
    const foreign = await hub.graphql('query($after: String) { tasks(first: 2, after: $after) { totalCount } }', { after: models.pilotModels.pageInfo.endCursor });
    expect(foreign.errors?.map((error) => [error.extensions?.code, error.message])).toEqual([['BAD_USER_INPUT', expect.stringContaining('cursor belongs to another list')]]);
    const own = await hub.graphql('query($after: String) { pilotModels(first: 2, after: $after) { totalCount } }', { after: models.pilotModels.pageInfo.endCursor });
    expect(own.errors).toBeUndefined();
  });

  it('answers a mutation with the changed entity under the id its lists give', async () => {
    const listed = await dataOf<{ pilotModels: { edges: Array<{ node: { id: string; code: string } }> } }>(hub, '{ pilotModels(first: 50) { edges { node { id code } } } }');
    const m05 = listed.pilotModels.edges.find((edge) => edge.node.code === 'M05')!.node;
    const updated = await dataOf<{ updatePilotModelStatus: { id: string; status: string } }>(hub, 'mutation { updatePilotModelStatus(code: "M05", status: COMPLETED, note: "done") { id status } }');
    expect(updated.updatePilotModelStatus).toEqual({ id: m05.id, status: 'COMPLETED' });
    const enabled = await dataOf<{ setConnectorEnabled: { id: string } }>(hub, 'mutation($id: ID!) { setConnectorEnabled(id: $id, enabled: false) { id } }', { id: ids.Connector });
    expect(enabled.setConnectorEnabled.id).toBe(ids.Connector);
  });
});
