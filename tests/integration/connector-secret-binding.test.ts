/**
 * Connector secrets stay bound to their destination, and nothing a source says gives them back.
 *
 * A department owning a connector whose secret an administrator set must not be able to read the secret:
 * not by pointing the connector at another allowlisted host that echoes headers, not through a source that
 * echoes the credentials into records (test samples, rejected rows) or into a body that ends up, cut, in an
 * error message (the run ledger, connector health, the logs). Real HTTP servers stand in for the sources.
 */
import { Writable } from 'node:stream';
import { startTestServer, type TestServer } from '../../connectors/sdk/testing';
import { Connector, ConnectorSecret } from '../../src/modules/connectors/connector.entity';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const TOKEN = 'adm1n-T0ken-8c41f2e9d7b6a5';
const DEPARTMENT_TOKEN = 'dept-own-token-5521';
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id } }';
const TEST = 'mutation($id: ID!) { testConnector(id: $id) { ok message warnings streams { name fields sample } } }';
const RUN = `mutation($id: ID!) { runConnector(id: $id, from: "2024-08-01", to: "2024-08-01", wait: true) {
  id status errorClass errorMessage rejections(first: 50) { edges { node { message raw } } } } }`;
const HEALTH = 'query($id: ID!) { connector(id: $id) { health { status lastError } } }';

/** Forms of the token a source may echo: as is, URL-encoded, base64 (as in Basic credentials). */
const FORMS = [TOKEN, encodeURIComponent(`${TOKEN}/x`).slice(0, -5), Buffer.from(TOKEN).toString('base64').slice(0, -2)];

/** The first run of 6 characters of the token (or one of its forms) found in `text`, or null. */
function leak(text: string): string | null {
  for (const form of FORMS) {
    for (let start = 0; start + 6 <= form.length; start += 1) if (text.includes(form.slice(start, start + 6))) return form.slice(start, start + 6);
  }
  return null;
}

const headersConfig = (url: string) => ({ url, headers: { authorization: 'Bearer {{secret:token}}' }, recordsPath: 'data' });

describe('connector secrets bound to their destination', () => {
  let hub: TestHub;
  /** The source the administrator registered. */
  let source: TestServer;
  /** Another allowlisted server, which echoes whatever headers it receives. */
  let echo: TestServer;
  let department: Record<string, string>;
  const logs: string[] = [];

  const echoRecords = (authorization: string | undefined) => ({
    data: [
      { communeCode: (authorization ?? '').slice(7, 18), date: '2024-08-01', visits: 4 },
      { communeCode: authorization ?? 'none', date: '2024-08-01', visits: 1 },
      { communeCode: Buffer.from(`admin:${authorization?.slice(7) ?? ''}`).toString('base64'), date: '2024-08-01', visits: 2 },
      { communeCode: encodeURIComponent(authorization ?? ''), date: '2024-08-01', visits: 3 },
    ],
  });

  const register = async (name: string, url: string) => {
    const data = await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
      input: { name, kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *', config: headersConfig(url), mapping: MAPPING, secrets: [{ name: 'token', value: TOKEN }] },
    });
    return data.registerConnector.id;
  };

  beforeAll(async () => {
    source = await startTestServer((req, res) => {
      if (req.url?.startsWith('/cut')) {
        // A 200 body that is not JSON, with the token just where the excerpt of the body is cut.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${' '.repeat(2_037)}${req.headers.authorization?.slice(7)} and more`);
        return;
      }
      if (req.url?.startsWith('/dhis/api/dataValueSets')) {
        // A DHIS2 server that puts the token it received where the newest lastUpdated is read from.
        const token = String(req.headers.authorization ?? '').replace(/^ApiToken /, '');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ dataValues: [
          { dataElement: 'deX', period: '20240801', orgUnit: 'ouX', value: '1', lastUpdated: '2024-08-02T10:00:00.000' },
          { dataElement: 'deX', period: '20240801', orgUnit: 'ouY', value: '1', lastUpdated: `x${token}` },
        ] }));
        return;
      }
      if (req.url?.startsWith('/shout')) {
        // The token upper-cased, and the request's credentials as a hex dump.
        const authorization = req.headers.authorization ?? '';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: [
          { communeCode: authorization.toUpperCase(), date: '2024-08-01', visits: 1 },
          { communeCode: Buffer.from(authorization).toString('hex'), date: '2024-08-01', visits: 2 },
        ] }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.startsWith('/echo') ? echoRecords(req.headers.authorization) : { data: [] }));
    });
    echo = await startTestServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(echoRecords(req.headers.authorization)));
    });
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        logs.push(chunk.toString());
        callback();
      },
    });
    // SO_YT's staff move these connectors themselves: the servers are granted to SO_YT.
    hub = await startTestHub({ allowServers: [source.url, echo.url], allowServersFor: ['SO_YT'], logDestination });
    department = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
  });
  afterAll(async () => {
    await hub?.close();
    await source?.close();
    await echo?.close();
  });

  it('refuses an update that moves the connector to another host or port without its secrets, naming input.secrets', async () => {
    const id = await register('Bound feed', `${source.url}/records`);
    const error = await errorOf(hub, UPDATE, { id, input: { config: headersConfig(`${echo.url}/anything`) } }, department);
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error.extensions?.field).toBe('input.secrets');
    expect(error.message).toContain('token');
    expect(echo.requests).toHaveLength(0);
    const stored = await hub.dataSource.getRepository(Connector).findOneByOrFail({ id: databaseIdOf(id) });
    expect(JSON.parse(stored.config).url).toBe(`${source.url}/records`);

    // Another path on the same host and port is no move.
    await dataOf(hub, UPDATE, { id, input: { config: headersConfig(`${source.url}/other-records`) } }, department);
    const tested = await dataOf<{ testConnector: { ok: boolean } }>(hub, TEST, { id }, department);
    expect(tested.testConnector.ok).toBe(true);
    expect(source.requests[source.requests.length - 1].headers.authorization).toBe(`Bearer ${TOKEN}`);

    // With its own secret given in the same call, the department may move it: only that secret travels.
    await dataOf(hub, UPDATE, { id, input: { config: headersConfig(`${echo.url}/anything`), secrets: [{ name: 'token', value: DEPARTMENT_TOKEN }] } }, department);
    await dataOf(hub, TEST, { id }, department);
    expect(echo.requests.length).toBeGreaterThan(0);
    expect(new Set(echo.requests.map((request) => request.headers.authorization))).toEqual(new Set([`Bearer ${DEPARTMENT_TOKEN}`]));
  });

  it('never sends a secret to a destination it was not set for, even when the configuration changed another way', async () => {
    const id = await register('Moved feed', `${source.url}/records`);
    // E.g. a configuration restored from an older backup: the stored secret stays bound to where it was set.
    await hub.dataSource.getRepository(Connector).update(databaseIdOf(id), { config: JSON.stringify(headersConfig(`${echo.url}/moved`)) });
    const before = echo.requests.length;
    const run = await dataOf<{ runConnector: { status: string; errorClass: string; errorMessage: string } }>(hub, RUN, { id }, department);
    expect(run.runConnector).toMatchObject({ status: 'FAILED', errorClass: 'CONFIG' });
    expect(run.runConnector.errorMessage).toContain(`was set for ${new URL(source.url).host}`);
    const tested = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, TEST, { id }, department);
    expect(tested.testConnector.ok).toBe(false);
    expect(tested.testConnector.message).toContain('is never sent to');
    expect(echo.requests.length).toBe(before);
  });

  it('binds a secret stored before destinations were recorded to where the connector pointed when it was first used', async () => {
    const id = await register('Older feed', `${source.url}/records`);
    const secrets = hub.dataSource.getRepository(ConnectorSecret);
    await secrets.update({ connectorId: databaseIdOf(id) }, { destination: null });
    expect(await dataOf<{ runConnector: { status: string } }>(hub, RUN, { id }, department)).toMatchObject({ runConnector: { status: 'SUCCEEDED' } });
    expect((await secrets.findOneByOrFail({ connectorId: databaseIdOf(id), name: 'token' })).destination).toBe(new URL(source.url).host);
    await hub.dataSource.getRepository(Connector).update(databaseIdOf(id), { config: JSON.stringify(headersConfig(`${echo.url}/moved`)) });
    const before = echo.requests.length;
    expect(await dataOf<{ runConnector: { status: string; errorClass: string } }>(hub, RUN, { id }, department)).toMatchObject({
      runConnector: { status: 'FAILED', errorClass: 'CONFIG' },
    });
    expect(echo.requests.length).toBe(before);
  });

  it('redacts the secret, its fragments and its encoded forms from test samples and rejected rows', async () => {
    const id = await register('Echoing records', `${source.url}/echo`);
    const tested = await dataOf<{ testConnector: { ok: boolean; streams: Array<{ sample: unknown[] }> } }>(hub, TEST, { id }, department);
    expect(tested.testConnector.ok).toBe(true);
    expect(tested.testConnector.streams[0].sample).toHaveLength(3);
    expect(JSON.stringify(tested)).toContain('***');
    expect(leak(JSON.stringify(tested))).toBeNull();

    const run = await dataOf<{ runConnector: { id: string; status: string; rejections: { edges: Array<{ node: { message: string; raw: unknown } }> } } }>(hub, RUN, { id }, department);
    expect(run.runConnector.status).toBe('PARTIAL');
    expect(run.runConnector.rejections.edges).toHaveLength(4);
    expect(leak(JSON.stringify(run))).toBeNull();
    const stored = await hub.dataSource.query(`SELECT message, raw FROM run_rejection WHERE runId = ${databaseIdOf(run.runConnector.id)}`);
    expect(stored).toHaveLength(4);
    expect(JSON.stringify(stored)).toContain('***');
    expect(leak(JSON.stringify(stored))).toBeNull();
  });

  it('redacts the secret echoed upper-cased or hex-encoded from test samples and rejected rows', async () => {
    const id = await register('Shouting records', `${source.url}/shout`);
    const hex = Buffer.from(TOKEN).toString('hex');
    const leaks = (text: string) => {
      const lower = text.toLowerCase();
      for (let start = 0; start + 6 <= TOKEN.length; start += 1) if (lower.includes(TOKEN.slice(start, start + 6).toLowerCase())) return true;
      for (let start = 0; start + 12 <= hex.length; start += 1) if (lower.includes(hex.slice(start, start + 12))) return true;
      return false;
    };
    const tested = await dataOf<{ testConnector: { ok: boolean; streams: Array<{ sample: unknown[] }> } }>(hub, TEST, { id }, department);
    expect(tested.testConnector.streams[0].sample).toHaveLength(2);
    expect(leaks(JSON.stringify(tested))).toBe(false);
    const run = await dataOf<{ runConnector: { id: string; status: string; rejections: { edges: unknown[] } } }>(hub, RUN, { id }, department);
    expect(run.runConnector.rejections.edges).toHaveLength(2);
    expect(leaks(JSON.stringify(run))).toBe(false);
    const stored = await hub.dataSource.query(`SELECT message, raw FROM run_rejection WHERE runId = ${databaseIdOf(run.runConnector.id)}`);
    expect(stored).toHaveLength(2);
    expect(leaks(JSON.stringify(stored))).toBe(false);
  });

  it('keeps a token cut inside a 200 body out of the run error, connector health and the logs', async () => {
    const id = await register('Cut body', `${source.url}/cut`);
    const run = await dataOf<{ runConnector: { status: string; errorMessage: string } }>(hub, RUN, { id }, department);
    expect(run.runConnector.status).toBe('FAILED');
    // The body's excerpt ended inside the token: what was left of it is gone.
    expect(run.runConnector.errorMessage).toContain('***');
    const health = await dataOf<{ connector: { health: { status: string; lastError: string } } }>(hub, HEALTH, { id }, department);
    expect(health.connector.health).toMatchObject({ status: 'FAILING' });
    expect(health.connector.health.lastError).toBe(run.runConnector.errorMessage);
    const tested = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, TEST, { id }, department);
    expect(tested.testConnector.ok).toBe(false);
    expect(logs.join('')).toContain('connector run failed');
    for (const text of [run.runConnector.errorMessage, health.connector.health.lastError, tested.testConnector.message, logs.join('')]) {
      expect(leak(text)).toBeNull();
    }
  });

  it('keeps a secret the source echoes into its incremental state out of the stored run state', async () => {
    const data = await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
      input: {
        name: 'Echoing DHIS2', kind: 'dhis2', department: 'SO_YT', schedule: '0 0 1 1 *',
        config: { baseUrl: `${source.url}/dhis`, dataSet: 'dsAbc123456' },
        mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'orgUnit' }, period: { field: 'period', transform: 'dhis2Period' }, value: { field: 'value' } },
        secrets: [{ name: 'token', value: TOKEN }],
      },
    });
    // A routine run (not a backfill): its state is what the next run resumes from.
    const routine = 'mutation($id: ID!) { runConnector(id: $id, wait: true) { id status } }';
    const run = await dataOf<{ runConnector: { id: string; status: string } }>(hub, routine, { id: data.registerConnector.id }, department);
    expect(run.runConnector.status).toBe('PARTIAL');
    const [row] = await hub.dataSource.query(`SELECT state FROM connector_run WHERE id = ${databaseIdOf(run.runConnector.id)}`);
    expect(JSON.parse(row.state as string)).toMatchObject({ lastUpdated: '2024-08-02T10:00:00.000' });
    expect(leak(row.state as string)).toBeNull();
  });

  it('leaves no trace of the secret in any table (audit log, ledger, rejections) nor in the logs', async () => {
    const tables = [...new Set(hub.dataSource.entityMetadatas.map((metadata) => metadata.tableName))];
    const quote = (table: string) => (hub.dataSource.options.type === 'better-sqlite3' ? `"${table}"` : `\`${table}\``);
    const dump: string[] = [];
    for (const table of tables) dump.push(JSON.stringify(await hub.dataSource.query(`SELECT * FROM ${quote(table)}`)));
    expect(dump.join('\n')).toContain('testConnector');
    expect(leak(dump.join('\n'))).toBeNull();
    expect(leak(logs.join(''))).toBeNull();
  });
});
