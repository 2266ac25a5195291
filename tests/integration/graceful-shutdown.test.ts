/**
 * Graceful shutdown under load: the hub runs as its own process (`src/main.ts`, JSON logs), twenty clients
 * keep sending GraphQL queries over keep-alive connections, a connector run is reading a slow feed, and the
 * process gets SIGTERM. What must hold:
 *   - the process exits 0 within its shutdown deadline;
 *   - every request that got a response got a 200 with data and no GraphQL errors;
 *   - requests after the listener closed fail only at connection level (refused, or the socket closed before
 *     any response byte), and none of those was seen by the server (no log line for its request id): no
 *     request the server accepted failed;
 *   - the connector run in progress (started with runConnector(wait: false) on a slow feed) ends recorded as
 *     INTERRUPTED (or SUCCEEDED if it finished), never RUNNING; so does a scheduled run stuck on a feed that
 *     stopped sending, which the shutdown must not wait for.
 * Runs in both projects: on SQLite the hub's database file is shared with this test, which reads the ledger
 * after the process is gone; on MariaDB the hub uses TEST_DATABASE_URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { createDataSource } from '../../src/database/data-source';
import type { FeedSimulator } from '../../src/feeds/simulator';
import { describeRecords, startGraphQLLoad, type RequestRecord } from '../helpers/graphql-load';
import { postGraphQL, startHubProcessFixture, waitForUrl, type HubProcess, type HubProcessFixture } from '../helpers/hub-process';
import { allowServer } from '../helpers/outbound';
import { databaseIdOf } from '../helpers/api';

const ROOT = path.join(__dirname, '..', '..');
/** main.ts: SHUTDOWN_DEADLINE_MS. */
const SHUTDOWN_DEADLINE_MS = 20_000;
const CLIENTS = 20;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Polls `condition` every 50 ms until it holds; fails after 60 s. */
async function waitUntil(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; !(await condition()); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s`);
  }
}
/** A timer that does not keep the test process alive (for races against something that should win). */
const after = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

const PILOT_MODELS = fs.readFileSync(path.join(ROOT, 'schema', 'examples', 'PilotModels.graphql'), 'utf8');
const OBSERVATIONS = `query Observations {
  observations(first: 500) {
    totalCount
    edges { node { period value source unit { code name level } metric { code name } } }
  }
}`;
const OVERVIEW = fs.readFileSync(path.join(ROOT, 'schema', 'examples', 'ProgramOverview.graphql'), 'utf8');
const OPERATIONS = [
  { name: 'PilotModels', query: PILOT_MODELS },
  { name: 'PilotModels', query: PILOT_MODELS },
  { name: 'Observations', query: OBSERVATIONS },
  { name: 'PilotModels', query: PILOT_MODELS },
  { name: 'ProgramOverview', query: OVERVIEW },
];

interface LogLine {
  msg?: string;
  level?: number;
  requestId?: string;
  req?: { id?: string };
  res?: { statusCode?: number };
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

async function readDatabase<T>(config: DatabaseConfig, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    return (await dataSource.query(sql, parameters)) as T[];
  } finally {
    await dataSource.destroy();
  }
}

describe('graceful shutdown of a hub process under load', () => {
  let fixture: HubProcessFixture;
  let databaseConfig: DatabaseConfig;
  let feeds: FeedSimulator;
  let hub: HubProcess | undefined;

  beforeAll(async () => {
    fixture = await startHubProcessFixture({
      PILOTHUB_DEMO: 'false',
      RUN_HEARTBEAT_SECONDS: '1',
      // These clients do not watch /readyz: the time a balancer needs to notice is not what this test is about.
      SHUTDOWN_DELAY_SECONDS: '0.5',
    });
    ({ hub, feeds, databaseConfig } = fixture);
  }, 90_000);

  afterAll(() => fixture?.close());

  it('drains requests in flight, refuses new connections only, records the run in progress and exits 0', async () => {
    const url = await waitForUrl(hub!);

    await allowServer(url, feeds.url);
    // A connector run that is still reading when SIGTERM arrives: the feed trickles its body out over ~5 s.
    const registered = await postGraphQL<{ registerConnector: { id: string } }>(url, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: {
        name: 'Slow health feed',
        kind: 'http-json',
        department: 'SO_YT',
        schedule: '0 0 1 1 *',
        config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
        mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } },
      },
    });
    const connectorId = registered.registerConnector.id;
    await fetch(`${feeds.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed: 'health', mode: 'slow' }) });
    // And a scheduled run that is stuck on a feed that sends half a body and then nothing (for 60 s): the
    // shutdown must not wait for it to end on its own.
    const scheduled = await postGraphQL<{ registerConnector: { id: string } }>(url, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: {
        name: 'Hanging health feed',
        kind: 'http-json',
        department: 'SO_YT',
        schedule: '* * * * * *',
        lookbackDays: 1,
        config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}', fault: 'hang' }, recordsPath: 'data' },
        mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } },
      },
    });
    const scheduledId = scheduled.registerConnector.id;

    const load = startGraphQLLoad({ url, clients: CLIENTS, operations: OPERATIONS, timeoutMs: 30_000, requestIdPrefix: 'shutdown', stopAfterConnectFailures: 3 });
    // Load runs until every client has been answered twice and an Observations page came back (waiting for
    // answers, not for a time: on a busy machine two seconds may not be enough).
    const answeredSoFar = () => load.records.filter((record) => record.status !== undefined);
    const clientsAnswered = () => new Set(answeredSoFar().map((record) => record.client)).size;
    await waitUntil(
      () => answeredSoFar().length > 2 * CLIENTS && clientsAnswered() === CLIENTS && answeredSoFar().some((record) => record.operation === 'Observations' && record.status === 200),
      'answers to the load',
    );
    // Connections are taken while the hub is busy (one request per event-loop turn): the twenty clients, connecting
    // at once, each had a first answer among the first three answers per client. When a turn ran every ready request,
    // the last five connections waited in the accept queue for seconds while the first fifteen were answered again
    // and again.
    const firstAnswerPosition = new Map<number, number>();
    answeredSoFar()
      .sort((a, b) => a.endedAt - b.endedAt)
      .forEach((record, position) => firstAnswerPosition.has(record.client) || firstAnswerPosition.set(record.client, position));
    expect([...firstAnswerPosition].filter(([, position]) => position >= 3 * CLIENTS)).toEqual([]);
    const started = await postGraphQL<{ runConnector: { id: string; status: string } }>(
      url,
      `mutation { runConnector(id: "${connectorId}", from: "2024-08-01", to: "2024-08-05", wait: false) { id status } }`,
    );
    expect(started.runConnector.status).toBe('RUNNING');
    // The every-second schedule has started its (hanging) run.
    const scheduledRuns = async () =>
      (
        await postGraphQL<{ connector: { runs: { edges: Array<{ node: { status: string; trigger: string } }> } } }>(
          url,
          `{ connector(id: "${scheduledId}") { runs(first: 5) { edges { node { status trigger } } } } }`,
        )
      ).connector.runs.edges.map((edge) => edge.node);
    let scheduledSoFar: Array<{ status: string; trigger: string }> = [];
    await waitUntil(async () => (scheduledSoFar = await scheduledRuns()).length > 0, 'scheduled run');
    expect(scheduledSoFar).toEqual([{ status: 'RUNNING', trigger: 'SCHEDULE' }]);

    const sigtermAt = Date.now();
    hub!.child.kill('SIGTERM');
    const exitCode = await Promise.race([hub!.exited, after(SHUTDOWN_DEADLINE_MS + 5_000).then(() => 'still running' as const)]);
    const exitedAt = Date.now();
    // Clients stop on their own after three refused connections in a row; make sure none is left looping.
    const records = await Promise.race([load.done, after(5_000).then(() => load.stop())]);

    expect(exitCode).toBe(0);
    expect(exitedAt - sigtermAt).toBeLessThan(SHUTDOWN_DEADLINE_MS);
    const logs = logLines(hub!.stdout());
    expect(logs.some((line) => line.msg?.startsWith('SIGTERM received: not ready'))).toBe(true);
    expect(logs.some((line) => line.msg === 'stopped')).toBe(true);

    // Load really ran, and requests were in flight when the signal came.
    const answered = records.filter((record) => record.status !== undefined);
    expect(answered.filter((record) => record.endedAt < sigtermAt).length).toBeGreaterThan(CLIENTS);
    expect(records.filter((record) => record.operation === 'Observations' && record.status === 200).length).toBeGreaterThan(0);
    const inFlightAtSignal = answered.filter((record) => record.startedAt < sigtermAt && record.endedAt >= sigtermAt);
    expect(inFlightAtSignal.length).toBeGreaterThan(0);

    // Every response is a 200 with data and no errors.
    const badResponses = answered.filter((record) => record.status !== 200 || !record.body?.data || record.body.errors !== undefined || record.failure);
    expect(describeRecords(badResponses)).toBe('[]');

    // Failures only where the server never took the request: refused, or closed before any response byte.
    const failed = records.filter((record) => record.failure);
    const lateFailures = failed.filter((record) => record.failure!.phase !== 'connect' && record.failure!.phase !== 'before-response');
    expect(describeRecords(lateFailures)).toBe('[]');
    // Connection-level failures happen only once the shutdown has begun (a request sent just before the signal
    // may still be sitting unread on an idle keep-alive connection that the drain closes).
    expect(failed.filter((record) => record.startedAt < sigtermAt - 1_000)).toEqual([]);
    // After the process is gone every client ended on refused connections.
    expect(failed.some((record) => record.failure!.phase === 'connect')).toBe(true);

    // Cross-check with the server's own request log: each request it logged was answered to the client with a 200,
    // and no request that failed on the client side reached the server.
    const served = new Map<string, number | undefined>();
    for (const line of logs) if (line.req?.id?.startsWith('shutdown-')) served.set(line.req.id, line.res?.statusCode);
    const byId = new Map<string, RequestRecord>(records.map((record) => [record.requestId, record]));
    const servedButNotAnswered = [...served].filter(([id, status]) => status !== 200 || byId.get(id)?.status !== 200);
    expect(servedButNotAnswered).toEqual([]);
    expect(failed.filter((record) => served.has(record.requestId)).map((record) => record.requestId)).toEqual([]);
    expect(served.size).toBe(answered.length);

    // The run that was reading at SIGTERM recorded how it ended.
    const runs = await readDatabase<{ id: number | string; status: string; errorMessage: string | null; finishedAt: unknown }>(
      databaseConfig,
      'SELECT id, status, errorMessage, finishedAt FROM connector_run WHERE connectorId = ?',
      [databaseIdOf(connectorId)],
    );
    expect(runs).toHaveLength(1);
    expect(Number(runs[0].id)).toBe(databaseIdOf(started.runConnector.id));
    expect(['INTERRUPTED', 'SUCCEEDED']).toContain(runs[0].status);
    expect(runs[0].finishedAt).not.toBeNull();
    if (runs[0].status === 'INTERRUPTED') expect(runs[0].errorMessage).toMatch(/shutting down/);
    // Interrupted by the shutdown: not a failure (errorClass SHUTDOWN, not INTERNAL); another process runs it again.
    const stuck = await readDatabase<{ status: string; trigger: string; errorClass: string | null; errorMessage: string | null }>(
      databaseConfig,
      'SELECT status, `trigger`, errorClass, errorMessage FROM connector_run WHERE connectorId = ?',
      [databaseIdOf(scheduledId)],
    );
    expect(stuck).toEqual([{ status: 'INTERRUPTED', trigger: 'SCHEDULE', errorClass: 'SHUTDOWN', errorMessage: expect.stringMatching(/shutting down/) }]);
    const running = await readDatabase<{ n: number | string }>(databaseConfig, 'SELECT COUNT(*) AS n FROM connector_run WHERE status = ?', ['RUNNING']);
    expect(Number(running[0].n)).toBe(0);
  }, 120_000);
});
