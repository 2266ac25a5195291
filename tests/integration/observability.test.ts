/**
 * Observability: the Prometheus series on /metrics (with the counts the traffic implies), /readyz, and the
 * JSON logs — request ids carried by every line written for a request (including the connector run it
 * started) and credentials (an Authorization header, connector secrets) never written anywhere.
 * Runs in both projects; the metrics and readiness checks use an in-process hub, the log checks a hub process
 * with LOG_FORMAT=json whose stdout is captured.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { databaseEnvironment, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';
import { startTestHub, TEST_ADMIN_HEADERS, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';
import { allowServer } from '../helpers/outbound';
import { parseMetrics, type Sample } from '../helpers/prometheus-text';

const ROOT = path.join(__dirname, '..', '..');
const PILOT_MODELS = fs.readFileSync(path.join(ROOT, 'schema', 'examples', 'PilotModels.graphql'), 'utf8');
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const HEALTH_MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
/** Communes of the 2024 edition: the health feed sends one row per commune and day. */
const COMMUNES_2024 = 460;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

/** The one sample with these labels (fails when there is none or several). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = find(samples, name, labels);
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples`);
  return found[0].value;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('observability', () => {
  let feeds: FeedSimulator;

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
  });
  afterAll(async () => {
    await feeds.close();
  });

  describe('metrics and readiness (in-process hub)', () => {
    let hub: TestHub;
    let baseUrl: string;

    beforeAll(async () => {
      hub = await startTestHub({ allowServers: [feeds.url] });
      baseUrl = hub.hub.url.replace(/\/graphql$/, '');
    }, 60_000);
    afterAll(async () => {
      await hub?.close();
    });

    const scrape = async () => {
      const response = await fetch(`${baseUrl}/metrics`, { headers: TEST_ADMIN_HEADERS });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      return parseMetrics(await response.text());
    };

    it('exports request, operation, error, run, ingestion, freshness, pool and event-loop series with the right counts', async () => {
      const before = await scrape();
      const graphqlRequests = () => find(before, 'pilothub_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' })[0]?.value ?? 0;
      const requestsBefore = graphqlRequests();

      let sent = 0;
      for (let index = 0; index < 3; index += 1) {
        const data = await dataOf<{ pilotModels: { totalCount: number } }>(hub, PILOT_MODELS);
        expect(data.pilotModels.totalCount).toBeGreaterThan(0);
        sent += 1;
      }
      const missing = await errorOf(hub, 'query ModelLookup { pilotModel(code: "M99") { code } }');
      sent += 1;
      expect(missing.extensions?.code).toBe('NOT_FOUND');

      // One pulled run (2 days × 460 communes) and one push (2 rows).
      const pulled = await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
        input: {
          name: 'Health visits',
          kind: 'http-json',
          department: 'SO_YT',
          schedule: '0 0 1 1 *',
          config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
          mapping: HEALTH_MAPPING,
        },
      });
      const run = await dataOf<{ runConnector: { status: string; trigger: string; summary: { imported: number } } }>(
        hub,
        `mutation { runConnector(id: "${pulled.registerConnector.id}", from: "2024-08-01", to: "2024-08-02", wait: true) { status trigger summary { imported } } }`,
      );
      expect(run.runConnector).toEqual({ status: 'SUCCEEDED', trigger: 'BACKFILL', summary: { imported: 2 * COMMUNES_2024 } });
      const pushed = await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input: { name: 'Health push', kind: 'push', department: 'SO_YT', config: {} } });
      sent += 3;
      const push = await fetch(`${baseUrl}/ingest/${pushed.registerConnector.id}`, {
        method: 'POST',
        headers: { ...hub.headers, 'content-type': 'text/csv' },
        body: 'metric,unit,period,value\nKCB_BIOMETRIC_VISITS,412,2024-05-03,57\nKCB_BIOMETRIC_VISITS,413,2024-05-03,41\n',
      });
      expect(push.status).toBe(200);

      const samples = await scrape();
      // HTTP: one histogram sample per request, by method, route and status.
      expect(valueOf(samples, 'pilothub_http_request_duration_seconds_count', { method: 'POST', route: '/graphql', status: '200' }) - requestsBefore).toBe(sent);
      // Routes are the templates, not the paths (bounded label values).
      expect(valueOf(samples, 'pilothub_http_request_duration_seconds_count', { method: 'POST', route: '/ingest/:connectorId', status: '200' })).toBe(1);
      expect(samples.filter((sample) => sample.name.startsWith('pilothub_http_request_duration_seconds') && /\d/.test(sample.labels.route ?? ''))).toEqual([]);
      expect(find(samples, 'pilothub_http_request_duration_seconds_bucket', { method: 'POST', route: '/graphql', status: '200', le: '+Inf' })).toHaveLength(1);
      expect(find(samples, 'pilothub_http_request_duration_seconds_sum').length).toBeGreaterThan(0);
      // GraphQL: per operation name and type.
      expect(valueOf(samples, 'pilothub_graphql_operation_duration_seconds_count', { operation: 'PilotModels', type: 'query' })).toBe(3);
      expect(valueOf(samples, 'pilothub_graphql_operation_duration_seconds_count', { operation: 'ModelLookup', type: 'query' })).toBe(1);
      expect(find(samples, 'pilothub_graphql_operation_duration_seconds_count', { type: 'mutation' }).reduce((sum, sample) => sum + sample.value, 0)).toBe(3);
      expect(valueOf(samples, 'pilothub_graphql_errors_total', { code: 'NOT_FOUND' })).toBe(1);
      // Runs, their durations and the rows they brought.
      expect(valueOf(samples, 'pilothub_connector_runs_total', { kind: 'http-json', trigger: 'BACKFILL', status: 'SUCCEEDED' })).toBe(1);
      expect(valueOf(samples, 'pilothub_connector_runs_total', { kind: 'push', trigger: 'PUSH', status: 'SUCCEEDED' })).toBe(1);
      expect(find(samples, 'pilothub_connector_runs_total').reduce((sum, sample) => sum + sample.value, 0)).toBe(2);
      expect(valueOf(samples, 'pilothub_ingested_rows_total', { outcome: 'imported' })).toBe(2 * COMMUNES_2024 + 2);
      expect(find(samples, 'pilothub_ingested_rows_total', { outcome: 'rejected' })).toEqual([]);
      expect(valueOf(samples, 'pilothub_connector_run_duration_seconds_count', { kind: 'http-json', status: 'SUCCEEDED' })).toBe(1);
      expect(valueOf(samples, 'pilothub_connector_run_duration_seconds_count', { kind: 'push', status: 'SUCCEEDED' })).toBe(1);
      expect(valueOf(samples, 'pilothub_connector_run_duration_seconds_sum', { kind: 'http-json', status: 'SUCCEEDED' })).toBeGreaterThan(0);
      // Freshness: one series per metric of the catalogue (52), 0 on time, 1 late, 2 missing.
      const freshness = find(samples, 'pilothub_metric_freshness');
      expect(freshness).toHaveLength(52);
      expect(freshness.every((sample) => [0, 1, 2].includes(sample.value) && sample.labels.metric && sample.labels.department)).toBe(true);
      expect(valueOf(samples, 'pilothub_metric_freshness', { metric: 'KCB_BIOMETRIC_VISITS', department: 'SO_YT' })).toBeGreaterThanOrEqual(0);
      // Pool and process.
      const open = valueOf(samples, 'pilothub_database_pool_connections', { state: 'open' });
      expect(open).toBeGreaterThanOrEqual(1);
      expect(valueOf(samples, 'pilothub_database_pool_connections', { state: 'in_use' })).toBeLessThanOrEqual(open);
      expect(valueOf(samples, 'pilothub_database_pool_connections', { state: 'waiting_requests' })).toBe(0);
      expect(find(samples, 'pilothub_nodejs_eventloop_lag_seconds')).toHaveLength(1);
      expect(valueOf(samples, 'pilothub_nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    });

    it('/readyz is 200 with every check ok, and 503 naming the scheduler once the schedules are stopped', async () => {
      const ready = await fetch(`${baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, scheduler: { ok: true }, secrets: { ok: true } } });

      await hub.services.schedules.stop();
      const stopped = await fetch(`${baseUrl}/readyz`);
      expect(stopped.status).toBe(503);
      expect(await stopped.json()).toEqual({
        status: 'not ready',
        checks: { database: { ok: true }, migrations: { ok: true }, scheduler: { ok: false, detail: 'schedules are stopped' }, secrets: { ok: true } },
      });
      const health = await fetch(`${baseUrl}/healthz`);
      expect(health.status).toBe(200);
    });
  });

  describe('logs (hub process, LOG_FORMAT=json)', () => {
    let folder: string;
    let hub: HubProcess;
    let url: string;

    interface LogLine {
      msg?: string;
      requestId?: string;
      runId?: number;
      connectorId?: number;
      req?: { id?: string; headers?: Record<string, string> };
      [field: string]: unknown;
    }
    const lines = (): LogLine[] =>
      hub
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as LogLine);
    const runStatus = async (id: string) =>
      (await postGraphQL<{ connectorRun: { status: string; errorMessage: string | null } }>(url, `{ connectorRun(id: "${id}") { status errorMessage } }`)).connectorRun;
    const waitForRun = async (id: string) => {
      for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
        const run = await runStatus(id);
        if (run.status !== 'RUNNING') return run;
      }
      throw new Error(`run ${id} did not finish`);
    };
    /** Lines reach this process through a pipe: wait (up to 30 s) until those a test expects are there. */
    const waitForLines = async (arrived: (all: LogLine[]) => boolean) => {
      for (const deadline = Date.now() + 30_000; !arrived(lines()) && Date.now() < deadline; ) await sleep(50);
    };

    beforeAll(async () => {
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-logs-'));
      if (testDatabaseConfig().kind !== 'sqlite') {
        const database = await openTestDatabase({ seed: false });
        await database.dataSource.dropDatabase();
        await database.dataSource.destroy();
      }
      hub = startHubProcess({
        ...databaseEnvironment(path.join(folder, 'hub.sqlite')),
        PORT: '0',
        HOST: '127.0.0.1',
        SEED_ON_START: 'always',
        PILOTHUB_DEMO: 'false',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'debug',
        CONNECTOR_MAX_ATTEMPTS: '2',
        CONNECTOR_TIMEOUT_SECONDS: '2',
      });
      url = await waitForUrl(hub);
    }, 90_000);
    afterAll(async () => {
      if (hub && hub.child.exitCode === null && hub.child.signalCode === null) {
        hub.child.kill('SIGTERM');
        await hub.exited;
      }
      fs.rmSync(folder, { recursive: true, force: true });
    });

    it('every line written for a request, the connector run it started included, carries its x-request-id', async () => {
      await allowServer(url, feeds.url);
      const { registerConnector } = await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, {
        input: {
          name: 'Health visits',
          kind: 'http-json',
          department: 'SO_YT',
          schedule: '0 0 1 1 *',
          config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
          mapping: HEALTH_MAPPING,
        },
      });
      const response = await fetch(url, {
        method: 'POST',
        headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json', 'x-request-id': 'test-req-1' },
        body: JSON.stringify({ query: `mutation { runConnector(id: "${registerConnector.id}", from: "2024-08-01", to: "2024-08-01", wait: false) { id status } }` }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toBe('test-req-1');
      const body = (await response.json()) as { data: { runConnector: { id: string; status: string } } };
      const runId = databaseIdOf(body.data.runConnector.id);
      expect((await waitForRun(body.data.runConnector.id)).status).toBe('SUCCEEDED');
      await waitForLines((all) => all.some((line) => line.req?.id === 'test-req-1') && all.some((line) => line.runId === runId && line.msg === 'connector run finished'));

      const all = lines();
      const httpLine = all.filter((line) => line.req?.id === 'test-req-1');
      expect(httpLine).toHaveLength(1);
      expect(httpLine[0].requestId).toBe('test-req-1');
      const runLines = all.filter((line) => line.runId === runId);
      expect(runLines.map((line) => line.msg)).toEqual(expect.arrayContaining(['connector run started', 'connector run finished']));
      expect(runLines.filter((line) => line.requestId !== 'test-req-1')).toEqual([]);
      // Nothing else claims to be that request.
      const tagged = all.filter((line) => line.requestId === 'test-req-1');
      expect(tagged).toHaveLength(httpLine.length + runLines.length);
      // A caller's id that is not sane is replaced by a generated one.
      const odd = await fetch(url, { method: 'POST', headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json', 'x-request-id': 'bad id with spaces' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('never writes an Authorization header or connector secrets, not even when the run fails', async () => {
      const authorized = await fetch(url, {
        method: 'POST',
        headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json', 'x-request-id': 'test-auth-1' },
        body: JSON.stringify({ query: 'query Authorized { pilotModels(first: 1) { totalCount } }' }),
      });
      expect(authorized.status).toBe(200);

      const port = await closedPort();
      await allowServer(url, `http://127.0.0.1:${port}`);
      const dhis2 = await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, {
        input: {
          name: 'NHCSXH DHIS2 (unreachable)',
          kind: 'dhis2',
          department: 'NHCSXH',
          schedule: '0 2 * * *',
          config: { baseUrl: `http://127.0.0.1:${port}/nhcsxh`, dataSet: 'LOANS' },
          mapping: { metric: { constant: 'LOANS_UNSECURED_COUNT' }, unit: { field: 'orgUnit' }, period: { field: 'period', transform: 'dhis2Period' }, value: { field: 'value' } },
          secrets: [{ name: 'token', value: 'very-secret-token' }],
        },
      });
      // The same secret in a header of an http-json connector (secrets may only be used in headers).
      const keyed = await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, {
        input: {
          name: 'Health API with a key in the query (unreachable)',
          kind: 'http-json',
          department: 'SO_YT',
          schedule: '0 0 1 1 *',
          config: { url: `http://127.0.0.1:${port}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, headers: { authorization: 'Bearer {{secret:token}}', 'x-api-key': '{{secret:token}}' }, recordsPath: 'data' },
          mapping: HEALTH_MAPPING,
          secrets: [{ name: 'token', value: 'very-secret-token' }],
        },
      });
      const failures: Array<{ id: string; status: string; errorClass: string; errorMessage: string }> = [];
      for (const id of [dhis2.registerConnector.id, keyed.registerConnector.id]) {
        const tested = await fetch(url, {
          method: 'POST',
          headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json' },
          body: JSON.stringify({ query: `mutation { testConnector(id: "${id}") { ok message } }` }),
        });
        expect(await tested.text()).not.toContain('very-secret-token');
        const run = await postGraphQL<{ runConnector: { id: string; status: string; errorClass: string; errorMessage: string } }>(
          url,
          `mutation { runConnector(id: "${id}", from: "2024-08-01", to: "2024-08-31", wait: true) { id status errorClass errorMessage } }`,
        );
        failures.push(run.runConnector);
        const health = await fetch(url, {
          method: 'POST',
          headers: { ...TEST_ADMIN_HEADERS, 'content-type': 'application/json' },
          body: JSON.stringify({ query: `{ connector(id: "${id}") { config health { lastError } runs(first: 5) { edges { node { errorMessage } } } } }` }),
        });
        const text = await health.text();
        expect(text).toContain('lastError');
        expect(text).not.toContain('very-secret-token');
      }
      expect(failures.map((failure) => [failure.status, failure.errorClass])).toEqual([
        ['FAILED', 'SOURCE_UNAVAILABLE'],
        ['FAILED', 'SOURCE_UNAVAILABLE'],
      ]);
      for (const failure of failures) expect(failure.errorMessage).not.toContain('very-secret-token');
      await waitForLines(
        (all) =>
          all.some((line) => line.req?.id === 'test-auth-1') &&
          failures.every((failure) => all.some((line) => line.runId === databaseIdOf(failure.id) && line.msg === 'connector run failed')),
      );

      const output = hub.stdout() + hub.stderr();
      // The request was logged, its Authorization header redacted.
      const authLine = lines().find((line) => line.req?.id === 'test-auth-1');
      expect(authLine?.req?.headers?.authorization).toBe('[redacted]');
      expect(output).not.toContain(TEST_ADMIN_KEY);
      // The failed runs were logged, without the secret.
      for (const failure of failures) expect(lines().some((line) => line.runId === databaseIdOf(failure.id) && line.msg === 'connector run failed')).toBe(true);
      expect(output).not.toContain('very-secret-token');
    });
  });
});
