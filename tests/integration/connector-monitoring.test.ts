/**
 * What an operator monitors per connector: /metrics series with bounded labels (health as a state set, last
 * success time in Unix seconds, consecutive failures, ledger runs by status), run durations in milliseconds (the
 * ledger's timestamps keep whole seconds on MariaDB), and the log lines of a long run that retries: progress lines
 * and a retry line naming the connector and the run with the rows so far. Real feeds (HTTP servers of the test);
 * both databases.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { dataOf, databaseIdOf } from '../helpers/api';
import { startTestHub, TEST_ADMIN_HEADERS, type TestHub } from '../helpers/test-hub';
import { parseMetrics } from '../helpers/prometheus-text';

const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

interface Feed {
  url: string;
  requests: number;
  close(): Promise<void>;
}

/**
 * A feed that answers two rows after `delayMs`; the first `failures` requests get a 503. With `?page=N`, pages 1
 * to 4 hold two rows each (of day N) and page 5 is empty.
 */
async function feed(delayMs: number, failures = 0): Promise<Feed> {
  const state = { requests: 0 };
  const server = http.createServer((request, response) => {
    state.requests += 1;
    const failing = state.requests <= failures;
    const page = new URL(request.url ?? '/', 'http://feed').searchParams.get('page');
    setTimeout(() => {
      if (failing) {
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}');
        return;
      }
      const day = `2024-05-0${page ?? 1}`;
      const rows =
        page !== null && Number(page) > 4
          ? []
          : [
              { communeCode: '412', date: day, visits: 5 },
              { communeCode: '413', date: day, visits: 7 },
            ];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: rows }));
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('monitoring connectors', () => {
  let hub: TestHub;
  let quick: Feed;
  let flaky: Feed;
  let closed: number;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    quick = await feed(350);
    flaky = await feed(400, 2);
    closed = await closedPort();
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    hub = await startTestHub({
      environment: { RUN_PROGRESS_LOG_SECONDS: '0.2', CONNECTOR_MAX_ATTEMPTS: '2' },
      allowServers: [quick.url, flaky.url, `http://127.0.0.1:${closed}`],
      logDestination,
    });
  });

  afterAll(async () => {
    await hub?.close();
    await quick?.close();
    await flaky?.close();
  });

  const register = async (name: string, url: string, extra: Record<string, unknown> = {}) =>
    (
      await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
        input: { name, kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *', config: { url, recordsPath: 'data', ...extra }, mapping: MAPPING },
      })
    ).registerConnector.id;
  const run = async (id: string) =>
    (
      await dataOf<{ runConnector: { id: string; status: string; attempts: number; durationMs: number } }>(
        hub,
        `mutation { runConnector(id: "${id}", wait: true) { id status attempts durationMs } }`,
      )
    ).runConnector;

  it('per-connector series: health, last success time, failures and runs by status, labels bounded by the connectors', async () => {
    const healthy = await register('Quick feed', `${quick.url}/visits`);
    const failing = await register('Closed feed', `http://127.0.0.1:${closed}/visits`);
    const before = Date.now();
    const succeeded = await run(healthy);
    const after = Date.now();
    expect(succeeded.status).toBe('SUCCEEDED');
    // Milliseconds, measured: the feed answers after 350 ms (whole seconds would say 0 or 1000).
    expect(succeeded.durationMs).toBeGreaterThanOrEqual(350);
    expect(succeeded.durationMs).toBeLessThan(after - before + 1);
    const [stored] = (await hub.dataSource.query('SELECT durationMs FROM connector_run WHERE id = ?', [databaseIdOf(succeeded.id)])) as Array<{ durationMs: number }>;
    expect(Number(stored.durationMs)).toBe(succeeded.durationMs);
    expect((await run(failing)).status).toBe('FAILED');

    const response = await fetch(`${hub.hub.url.replace(/\/graphql$/, '')}/metrics`, { headers: TEST_ADMIN_HEADERS });
    const samples = parseMetrics(await response.text());
    const of = (name: string, labels: Record<string, string>) =>
      samples.filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
    const quickLabels = { connector_id: String(databaseIdOf(healthy)), connector: 'Quick feed', department: 'SO_YT', kind: 'http-json' };
    const closedLabels = { connector_id: String(databaseIdOf(failing)), connector: 'Closed feed', department: 'SO_YT', kind: 'http-json' };
    expect(of('pilothub_connector_health', { ...quickLabels, status: 'HEALTHY' }).map((sample) => sample.value)).toEqual([1]);
    expect(of('pilothub_connector_health', { ...quickLabels, status: 'FAILING' }).map((sample) => sample.value)).toEqual([0]);
    expect(of('pilothub_connector_health', { ...closedLabels, status: 'FAILING' }).map((sample) => sample.value)).toEqual([1]);
    const [lastSuccess] = of('pilothub_connector_last_success_timestamp_seconds', quickLabels);
    // Whole seconds on MariaDB (the ledger's finishedAt).
    expect(lastSuccess.value).toBeGreaterThanOrEqual(Math.floor(before / 1000) - 1);
    expect(lastSuccess.value).toBeLessThanOrEqual(after / 1000 + 1);
    expect(of('pilothub_connector_last_success_timestamp_seconds', closedLabels)).toEqual([]);
    expect(of('pilothub_connector_consecutive_failures', closedLabels).map((sample) => sample.value)).toEqual([1]);
    expect(of('pilothub_connector_ledger_runs', { ...quickLabels, status: 'SUCCEEDED' }).map((sample) => sample.value)).toEqual([1]);
    expect(of('pilothub_connector_ledger_runs', { ...closedLabels, status: 'FAILED' }).map((sample) => sample.value)).toEqual([1]);
    // Readiness as a series (the "hub not ready" alert): this instance is ready, every check passes.
    expect(of('pilothub_ready', { check: 'all' }).map((sample) => sample.value)).toEqual([1]);
    expect(of('pilothub_ready', { check: 'database' }).map((sample) => sample.value)).toEqual([1]);
    // Bounded: five health states per connector; no label names a run.
    const connectors = samples.filter((sample) => sample.name.startsWith('pilothub_connector_'));
    expect(of('pilothub_connector_health', {})).toHaveLength(2 * 5);
    expect(connectors.filter((sample) => Object.keys(sample.labels).some((label) => /run/.test(label)))).toEqual([]);
  });

  it('the Grafana dashboard and the alert rules use only series the hub exports', async () => {
    const root = path.join(__dirname, '..', '..');
    const exported = await (await fetch(`${hub.hub.url.replace(/\/graphql$/, '')}/metrics`, { headers: TEST_ADMIN_HEADERS })).text();
    const names = new Set([...exported.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]));
    const dashboard = fs.readFileSync(path.join(root, 'ops', 'grafana', 'pilothub.json'), 'utf8');
    const alerts = fs.readFileSync(path.join(root, 'ops', 'prometheus', 'alerts.yml'), 'utf8');
    const used = new Set([...`${dashboard}\n${alerts}`.matchAll(/\bpilothub_[a-z_]+/g)].map((match) => match[0].replace(/_(bucket|count|sum)$/, '')));
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((name) => !names.has(name))).toEqual([]);
  });

  it('a run that retries logs progress lines and a retry line naming the connector and the run, with the rows so far', async () => {
    const id = await register('Flaky feed', `${flaky.url}/visits`);
    const done = await run(id);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    const ofRun = lines.filter((line) => line.runId === databaseIdOf(done.id));
    const retry = ofRun.filter((line) => line.msg === 'connector run attempt failed; retrying');
    expect(retry).toEqual([expect.objectContaining({ connectorId: databaseIdOf(id), connector: 'Flaky feed', attempt: 1, maxAttempts: 2, errorClass: 'SOURCE_UNAVAILABLE', fetched: 0 })]);
    const progress = ofRun.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('connector run progress'));
    expect(progress.length).toBeGreaterThan(0);
    for (const line of progress) expect(line).toEqual(expect.objectContaining({ connectorId: databaseIdOf(id), connector: 'Flaky feed', fetched: expect.any(Number), elapsedMs: expect.any(Number) }));
    const finished = ofRun.find((line) => line.msg === 'connector run finished');
    expect(finished).toEqual(expect.objectContaining({ connectorId: databaseIdOf(id), connector: 'Flaky feed', durationMs: done.durationMs, fetched: 2 }));
  });

  it('a run reading page after page logs its rows so far', async () => {
    const id = await register('Paged feed', `${quick.url}/visits`, { pagination: { type: 'page', pageParam: 'page' } });
    const done = await run(id);
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
    const progress = lines.filter((line) => line.runId === databaseIdOf(done.id) && line.msg === 'connector run progress');
    // Five pages of 350 ms, a line every 200 ms: some lines come after the first pages were stored.
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.some((line) => Number(line.fetched) > 0 && Number(line.batches) > 0)).toBe(true);
    expect(progress.every((line) => Number(line.fetched) <= 8 && line.connector === 'Paged feed')).toBe(true);
  });
});
