import { ConnectorSecret } from '../../src/modules/connectors/connector.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const REGISTER = `mutation($input: ConnectorInput!) { registerConnector(input: $input) { id name kind schedule timeZone enabled mappingVersion secretNames department { code } } }`;

interface Registered {
  registerConnector: { id: string; name: string; kind: string; schedule: string | null; timeZone: string; enabled: boolean; mappingVersion: number; secretNames: string[]; department: { code: string } };
}

const pushInput = (name: string, department = 'SO_YT') => ({ name, kind: 'push', department, config: {} });

describe('connector registry and push ingestion', () => {
  let hub: TestHub;
  let pushId: string;
  beforeAll(async () => {
    hub = await startTestHub();
    const data = await dataOf<Registered>(hub, REGISTER, { input: pushInput('Health push') });
    pushId = data.registerConnector.id;
    expect(data.registerConnector).toMatchObject({ kind: 'push', schedule: null, timeZone: 'Asia/Ho_Chi_Minh', enabled: true, mappingVersion: 1, department: { code: 'SO_YT' } });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('lists the kinds: which ones the hub pulls, and the JSON Schema of each configuration', async () => {
    type Kind = { kind: string; pulled: boolean; configSchema: { type: string; properties: Record<string, unknown>; required?: string[]; additionalProperties: boolean } };
    const { connectorKinds } = await dataOf<{ connectorKinds: Kind[] }>(hub, '{ connectorKinds { kind pulled configSchema } }');
    expect(connectorKinds.map((kind) => [kind.kind, kind.pulled])).toEqual([
      ['http-json', true],
      ['csv', true],
      ['sql', true],
      ['dhis2', true],
      ['push', false],
    ]);
    const byKind = Object.fromEntries(connectorKinds.map((kind) => [kind.kind, kind.configSchema]));
    expect(byKind.push).toMatchObject({ type: 'object', properties: { maxRowsPerPush: { type: 'integer', minimum: 1, maximum: 200_000, default: 50_000 } }, additionalProperties: false });
    expect(byKind['http-json']).toMatchObject({ required: ['url'], properties: { method: { enum: ['GET', 'POST'], default: 'GET' } } });
    expect(byKind.sql.required).toEqual(['host', 'database', 'user', 'query']);
  });

  it.each([
    [{ ...pushInput('x1'), name: 'x' }, 'input.name'],
    [{ ...pushInput('Unknown kind'), kind: 'ftp' }, 'input.kind'],
    [{ ...pushInput('Unknown department'), department: 'SO_NONE' }, null],
    [{ ...pushInput('Push with schedule'), schedule: '0 17 * * *' }, 'input.schedule'],
    [{ ...pushInput('Bad zone'), timeZone: 'Mars/Base' }, 'input.timeZone'],
    [{ ...pushInput('Bad config'), config: { maxRowsPerPush: -1 } }, 'input.config.maxRowsPerPush'],
    [{ ...pushInput('Bad mapping'), mapping: { metric: { constant: 'NO_SUCH_METRIC' }, unit: { field: 'u' }, period: { field: 'p' }, value: { field: 'v' } } }, 'input.mapping.metric'],
    [{ ...pushInput('Foreign metric'), mapping: { metric: { constant: 'KIOSK_NOTARIZATIONS' }, unit: { field: 'u' }, period: { field: 'p' }, value: { field: 'v' } } }, 'input.mapping.metric'],
    [{ ...pushInput('Mapping shape'), mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' } } }, 'input.mapping.unit'],
    [{ ...pushInput('Secret not allowed'), secrets: [{ name: 'token', value: 'abc' }] }, 'input.secrets.0.name'],
  ])('refuses invalid definition #%# (%j) with an error naming the field', async (input, field) => {
    const error = await errorOf(hub, REGISTER, { input });
    if (field === null) {
      expect(error.extensions?.code).toBe('NOT_FOUND');
    } else {
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.message.startsWith(`${field}:`)).toBe(true);
    }
    const count = await hub.dataSource.query('SELECT COUNT(*) AS n FROM connector');
    expect(Number(count[0].n)).toBe(1);
  });

  it('refuses a second connector with the same name as CONFLICT', async () => {
    const error = await errorOf(hub, REGISTER, { input: pushInput('Health push') });
    expect(error.extensions?.code).toBe('CONFLICT');
  });

  it('submitObservations keeps good rows, rejects bad ones with reasons, and records a PUSH run', async () => {
    const data = await dataOf<{ submitObservations: {
      run: { id: string; trigger: string; status: string; summary: Record<string, number>; rejections: { totalCount: number; edges: Array<{ node: { rowIndex: number; reason: string; raw: Record<string, unknown> } }> } };
      summary: Record<string, number>;
      rejections: Array<{ rowIndex: number; reason: string; message: string }>;
    } }>(
      hub,
      `mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) {
        run { id trigger status summary { fetched imported updated unchanged rejected } rejections(first: 10) { totalCount edges { node { rowIndex reason raw } } } }
        summary { fetched imported updated unchanged rejected }
        rejections { rowIndex reason message }
      } }`,
      {
        id: pushId,
        rows: [
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-01', value: 120 },
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-02', value: -3 },
          { metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: '2024-05-01', value: 4 },
          { metric: 'KCB_BIOMETRIC_VISITS', unit: '99999', period: '2024-05-01', value: 5 },
        ],
      },
    );
    const result = data.submitObservations;
    expect(result.summary).toEqual({ fetched: 4, imported: 1, updated: 0, unchanged: 0, rejected: 3 });
    expect(result.run).toMatchObject({ trigger: 'PUSH', status: 'PARTIAL', summary: result.summary });
    expect(result.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
      [1, 'NEGATIVE_VALUE'],
      [2, 'METRIC_NOT_ALLOWED'],
      [3, 'UNKNOWN_UNIT'],
    ]);
    expect(result.run.rejections.totalCount).toBe(3);
    expect(result.run.rejections.edges[0].node.raw).toMatchObject({ unit: '412', value: -3 });
    const stored = await hub.dataSource.getRepository(Observation).findBy({ source: `connector:${databaseIdOf(pushId)}` });
    expect(stored.map((row) => [row.period, row.value, row.runId])).toEqual([['2024-05-01', 120, databaseIdOf(result.run.id)]]);
  });

  it('POST /ingest/<id> takes JSON and CSV bodies and answers with the same summary', async () => {
    const url = hub.hub.url.replace('/graphql', `/ingest/${pushId}`);
    const json = await fetch(url, {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ rows: [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2024-05-01', value: 7 }] }),
    });
    expect(json.status).toBe(200);
    expect(((await json.json()) as { summary: unknown }).summary).toEqual({ fetched: 1, imported: 1, updated: 0, unchanged: 0, rejected: 0 });

    const csv = await fetch(url, {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'text/csv' },
      body: '\ufeffmetric,unit,period,value\nKCB_BIOMETRIC_VISITS,413,2024-05-01,8\nKCB_BIOMETRIC_VISITS,413,2024-05-02,abc\n',
    });
    const body = (await csv.json()) as { summary: unknown; rejections: Array<{ rowIndex: number; reason: string }> };
    expect(csv.status).toBe(200);
    expect(body.summary).toEqual({ fetched: 2, imported: 0, updated: 1, unchanged: 0, rejected: 1 });
    expect(body.rejections).toMatchObject([{ rowIndex: 1, reason: 'NOT_A_NUMBER' }]);

    const bad = await fetch(url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/json' }, body: '{"rows": [' });
    expect(bad.status).toBe(400);
    const unknown = await fetch(url.replace(`/ingest/${pushId}`, '/ingest/999999'), {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'application/json' },
      body: '[]',
    });
    expect(unknown.status).toBe(404);
  });

  it('lists connectors with health and runs; disabling and deleting keep the ledger', async () => {
    const listed = await dataOf<{ connectors: { totalCount: number; edges: Array<{ node: { id: string; health: { status: string; consecutiveFailures: number; lastSuccessAt: string | null; nextRunAt: string | null }; runs: { totalCount: number } } }> } }>(
      hub,
      '{ connectors(first: 10, filter: { department: "SO_YT" }) { totalCount edges { node { id health { status consecutiveFailures lastSuccessAt nextRunAt } runs(first: 5) { totalCount } } } } }',
    );
    const node = listed.connectors.edges.find((edge) => edge.node.id === pushId)!.node;
    // The last push (the CSV one) had a rejected row.
    expect(node.health.status).toBe('DEGRADED');
    expect(node.health.lastSuccessAt).not.toBeNull();
    expect(node.health.nextRunAt).toBeNull();
    expect(node.runs.totalCount).toBe(3);

    const disabled = await dataOf<{ setConnectorEnabled: { enabled: boolean } }>(hub, `mutation { setConnectorEnabled(id: "${pushId}", enabled: false) { enabled } }`);
    expect(disabled.setConnectorEnabled.enabled).toBe(false);
    const refused = await errorOf(hub, `mutation { submitObservations(connectorId: "${pushId}", rows: [{ metric: "KCB_BIOMETRIC_VISITS", unit: "412", period: "2024-05-03", value: 1 }]) { summary { fetched } } }`);
    expect(refused.extensions?.code).toBe('CONFLICT');

    expect((await dataOf<{ deleteConnector: boolean }>(hub, `mutation { deleteConnector(id: "${pushId}") }`)).deleteConnector).toBe(true);
    expect((await errorOf(hub, `{ connector(id: "${pushId}") { id } }`)).extensions?.code).toBe('NOT_FOUND');
    const runs = await hub.dataSource.query('SELECT COUNT(*) AS n FROM connector_run WHERE connectorId = ?', [databaseIdOf(pushId)]);
    expect(Number(runs[0].n)).toBe(3);
    expect(await hub.dataSource.getRepository(Observation).countBy({ source: `connector:${databaseIdOf(pushId)}` })).toBe(2);
  });

  it('holds secrets apart and never returns them', async () => {
    await hub.allowServer('http://127.0.0.1:9');
    const registered = await dataOf<Registered>(hub, REGISTER, {
      input: {
        name: 'DHIS2 with secret',
        kind: 'dhis2',
        department: 'NHCSXH',
        schedule: '0 2 * * *',
        config: { baseUrl: 'http://127.0.0.1:9/nhcsxh', dataSet: 'LOANS' },
        mapping: { metric: { constant: 'LOANS_UNSECURED_COUNT' }, unit: { field: 'orgUnit' }, period: { field: 'period', transform: 'dhis2Period' }, value: { field: 'value' } },
        secrets: [{ name: 'token', value: 'very-secret-token-value' }],
      },
    });
    expect(registered.registerConnector.secretNames).toEqual(['token']);
    const response = await hub.graphql(`{ connector(id: "${registered.registerConnector.id}") { config mapping secretNames } }`);
    expect(JSON.stringify(response)).not.toContain('very-secret-token-value');
    expect(await hub.dataSource.getRepository(ConnectorSecret).countBy({ connectorId: databaseIdOf(registered.registerConnector.id) })).toBe(1);
  });
});
