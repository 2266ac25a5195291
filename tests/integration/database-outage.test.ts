/**
 * Database outage: the server database goes away under load and comes back, and one hub process rides it out
 * without a restart.
 *
 * How the outage is simulated: stopping the shared MariaDB/MySQL server is not possible in CI (other test
 * files and developers use it), so faults are injected at connection level. The hub process's DATABASE_URL
 * points at a TCP proxy (tests/helpers/tcp-proxy.ts) in front of the same database as TEST_DATABASE_URL.
 * `cut()` destroys every open connection (the pool's connections die mid-conversation, queries in flight lose
 * their connection) and then either
 *   - refuses new connections (the proxy's listener is closed): the server is down or restarting — the
 *     30 s outage the issue describes; or
 *   - accepts new connections and never answers them (`hang`): a frozen server or a network that drops
 *     packets, where only the hub's own timeouts end the wait — a shorter second outage;
 * `restore()` forwards again on the same port. The test itself reads the database directly, not through the
 * proxy.
 *
 * What must hold:
 *   - the hub process never exits;
 *   - during the outage `/readyz` answers 503 naming the `database` check, `/healthz` stays 200;
 *   - GraphQL requests during the outage answer promptly (no hang) with `extensions.code` SERVICE_UNAVAILABLE,
 *     no stack trace and no SQL or connection details;
 *   - after the restore, `/readyz` is 200 again within 15 s and queries succeed, same process;
 *   - a connector on an every-5-seconds schedule: a fire that could not start during the outage is retried
 *     and runs once the database is back, scheduled runs succeed again, and no run is left RUNNING (a run
 *     that was reading when the database went away records its failure once it is back).
 *
 * Server database only: in the SQLite project the suite is skipped, because SQLite is embedded in the hub
 * process (a file it opens itself) and cannot become unreachable over a network.
 *
 * PILOTHUB_OUTAGE_SECONDS changes the length of the first outage (default 30 s, as the issue asks),
 * PILOTHUB_HANG_SECONDS the second (default 20 s).
 */
import { DataSource } from 'typeorm';
import { createDataSource } from '../../src/database/data-source';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { describeRecords, startGraphQLLoad, type RequestRecord } from '../helpers/graphql-load';
import { postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { onServerDatabase, openTestDatabase, testDatabaseConfig } from '../helpers/test-database';
import { allowServer } from '../helpers/outbound';
import { databaseIdOf } from '../helpers/api';

const OUTAGE_MS = Number(process.env.PILOTHUB_OUTAGE_SECONDS ?? 30) * 1000;
// Long enough that each of the four clients has several requests answered inside it, even when every request
// waits out the 3 s connect timeout twice (key check, then the operation) on a busy machine.
const HANG_MS = Number(process.env.PILOTHUB_HANG_SECONDS ?? 20) * 1000;
/** How soon after the database is back the hub must be ready again. */
const RECOVERY_MS = 15_000;
/** "Promptly" while the database refuses connections: the longest a request may take. */
const PROMPT_MS = 5_000;
/**
 * While connections hang, a request waits for the pool's connect timeout (3 s, src/database/data-source.ts),
 * and at most once more behind another request's attempt: a few seconds, never an open-ended wait.
 */
const PROMPT_WHEN_HANGING_MS = 8_000;
/** Samples taken this soon after the cut may still see the database up (a request already answered). */
const SETTLE_MS = 1_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const PILOT_MODELS = `query PilotModels {
  pilotModels(filter: { status: IN_PROGRESS }, first: 50) {
    totalCount
    edges { node { code name status leadDepartment { code name } metrics { code latest { period value } } } }
  }
}`;
const METRIC = `query Metric { metric(code: "KCB_BIOMETRIC_VISITS") { code name latest { period value } freshness { status } } }`;
const CONNECTOR_RUNS = `query ConnectorRuns($id: ID!) { connector(id: $id) { health { status } runs(first: 3) { edges { node { status trigger } } } } }`;
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const HEALTH_MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

interface ProbeSample {
  path: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  body?: { status?: string; checks?: Record<string, { ok: boolean; detail?: string }> };
  error?: string;
}

/** Polls /readyz and /healthz every 500 ms until stopped. */
function startProbes(baseUrl: string) {
  const samples: ProbeSample[] = [];
  let stopping = false;
  const probe = async (path: string) => {
    while (!stopping) {
      const startedAt = Date.now();
      try {
        const response = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
        samples.push({ path, startedAt, endedAt: Date.now(), status: response.status, body: (await response.json()) as ProbeSample['body'] });
      } catch (error) {
        samples.push({ path, startedAt, endedAt: Date.now(), error: String(error) });
      }
      await sleep(500);
    }
  };
  const done = Promise.all([probe('/readyz'), probe('/healthz')]);
  return {
    async stop() {
      stopping = true;
      await done;
      return samples;
    },
  };
}

interface RunRow {
  id: number;
  status: string;
  trigger: string;
  scheduledFor: Date | string | null;
  startedAt: Date | string;
}

interface Outage {
  cutAt: number;
  restoreAt: number;
  readyAt: number | undefined;
  records: RequestRecord[];
  samples: ProbeSample[];
}

const describeOnServer = onServerDatabase() ? describe : describe.skip;
const title = onServerDatabase()
  ? 'a hub process through database outages'
  : 'a hub process through database outages — skipped on SQLite: the embedded database is a file inside the hub process and cannot become unreachable (runs in the mariadb project)';

describeOnServer(title, () => {
  let proxy: TcpProxy;
  let feeds: FeedSimulator;
  let hub: HubProcess;
  let url: string;
  let baseUrl: string;
  let direct: DataSource;
  let exitedEarly: number | null | undefined;
  let scheduledId: string;

  const runsOf = async (connectorId: string): Promise<RunRow[]> =>
    (await direct.query('SELECT id, status, `trigger`, scheduledFor, startedAt FROM connector_run WHERE connectorId = ? ORDER BY id', [databaseIdOf(connectorId)])) as RunRow[];
  const time = (value: Date | string) => new Date(value).getTime();
  const duringOutage = (outage: Outage) => (record: { startedAt: number; endedAt: number }) =>
    record.startedAt >= outage.cutAt + SETTLE_MS && record.endedAt <= outage.restoreAt;

  /**
   * Waits for a moment when the five-second schedule has nothing in flight: the run of the last slot has ended and the
   * next slot is at least `marginMs` away. A run caught by a cut holds its connector's later slots (no overlap: they are
   * recorded as OVERLAP skips) until it has recorded its failure after the restore, so none of the outage's slots
   * would be retried; how often that happened depended on how busy the machine was.
   */
  async function untilScheduleIdle(marginMs: number, maxWaitMs = 30_000): Promise<void> {
    for (const deadline = Date.now() + maxWaitMs; Date.now() < deadline; await sleep(100)) {
      const now = Date.now();
      const lastSlot = now - (now % 5_000);
      const runs = (await runsOf(scheduledId)).filter((run) => run.trigger === 'SCHEDULE');
      const lastDone = runs.some((run) => time(run.scheduledFor!) === lastSlot && run.status !== 'RUNNING');
      if (lastDone && runs.every((run) => run.status !== 'RUNNING') && lastSlot + 5_000 - Date.now() > marginMs) return;
    }
    throw new Error(`the five-second schedule had a run in flight at every moment for ${maxWaitMs / 1000} s: no moment to cut the database`);
  }

  /** Load and probes, a cut of `durationMs`, the restore, and a wait for /readyz to be 200 again. */
  async function outage(mode: 'refuse' | 'hang', durationMs: number, beforeCut: () => Promise<void> = async () => undefined): Promise<Outage> {
    const load = startGraphQLLoad({
      url,
      clients: 4,
      operations: [
        { name: 'PilotModels', query: PILOT_MODELS },
        { name: 'Metric', query: METRIC },
        { name: 'ConnectorRuns', query: CONNECTOR_RUNS, variables: { id: scheduledId } },
      ],
      timeoutMs: 15_000,
      pauseMs: 100,
      requestIdPrefix: `outage-${mode}`,
    });
    const probes = startProbes(baseUrl);
    await sleep(2_000);
    await beforeCut();

    const cutAt = Date.now();
    await proxy.cut(mode);
    await sleep(durationMs);
    expect(exitedEarly).toBeUndefined();
    const restoreAt = Date.now();
    await proxy.restore();

    let readyAt: number | undefined;
    for (const deadline = restoreAt + RECOVERY_MS + 5_000; Date.now() < deadline; await sleep(250)) {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
      if (response?.status === 200) {
        readyAt = Date.now();
        break;
      }
    }
    // Queries after recovery.
    await sleep(2_000);
    const records = await load.stop();
    const samples = await probes.stop();
    return { cutAt, restoreAt, readyAt, records, samples };
  }

  /** The checks both kinds of outage share. */
  function expectRiddenOut(result: Outage, promptMs: number) {
    const { cutAt, restoreAt, readyAt, records, samples } = result;
    const inOutage = duringOutage(result);
    expect(exitedEarly).toBeUndefined();
    expect(hub.child.exitCode).toBeNull();

    // /healthz is 200 throughout; /readyz is 503 naming the database while it is gone, answered promptly.
    expect(samples.filter((sample) => sample.error)).toEqual([]);
    expect(samples.filter((sample) => sample.path === '/healthz' && sample.status !== 200)).toEqual([]);
    const readyDuringOutage = samples.filter((sample) => sample.path === '/readyz' && inOutage(sample));
    expect(readyDuringOutage.length).toBeGreaterThanOrEqual(3);
    const notReady = readyDuringOutage.filter(
      (sample) => sample.status !== 503 || sample.body?.status !== 'not ready' || sample.body.checks?.database?.ok !== false || !sample.body.checks.database.detail,
    );
    expect(notReady).toEqual([]);
    expect(readyDuringOutage.filter((sample) => sample.endedAt - sample.startedAt > 3_000)).toEqual([]);

    // Before the cut every request succeeded.
    const before = records.filter((record) => record.endedAt < cutAt);
    expect(before.length).toBeGreaterThan(5);
    expect(describeRecords(before.filter((record) => record.status !== 200 || record.body?.errors))).toBe('[]');

    // During the outage: prompt answers, each one SERVICE_UNAVAILABLE without internals. (Requests sent early
    // enough that a prompt answer falls inside the outage; a slow one is reported here, not silently left out.)
    const sentDuring = records.filter((record) => record.startedAt >= cutAt + SETTLE_MS && record.startedAt <= restoreAt - promptMs);
    expect(describeRecords(sentDuring.filter((record) => record.endedAt - record.startedAt > promptMs))).toBe('[]');
    const during = records.filter(inOutage);
    expect(during.length).toBeGreaterThan(4);
    const notUnavailable = during.filter((record) => !record.body?.errors?.length || record.body.errors.some((error) => error.extensions?.code !== 'SERVICE_UNAVAILABLE'));
    expect(describeRecords(notUnavailable)).toBe('[]');
    for (const record of during) {
      for (const error of record.body!.errors!) {
        expect(error.extensions?.stacktrace).toBeUndefined();
        expect(error.extensions?.exception).toBeUndefined();
        expect(error.message).not.toMatch(/SELECT|INSERT|UPDATE|FROM|ECONN|ETIMEDOUT|127\.0\.0\.1|\.ts:\d+|\n\s+at /);
      }
    }

    // No request failed at connection level or went unanswered at any time, and no error was anything but
    // SERVICE_UNAVAILABLE (requests in flight at the cut or the restore may have either outcome). A request whose
    // credentials could not be checked is answered 503, with the same GraphQL-shaped SERVICE_UNAVAILABLE error.
    const unanswerable = (record: RequestRecord) => record.status === 503 && record.body?.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE';
    expect(describeRecords(records.filter((record) => record.failure || (record.status !== 200 && !unanswerable(record))))).toBe('[]');
    const otherCodes = records.filter((record) => record.body?.errors?.some((error) => error.extensions?.code !== 'SERVICE_UNAVAILABLE'));
    expect(describeRecords(otherCodes)).toBe('[]');

    // Back within 15 s of the restore, on the same process, and queries succeed again.
    expect(readyAt).toBeDefined();
    expect(readyAt! - restoreAt).toBeLessThanOrEqual(RECOVERY_MS);
    const after = records.filter((record) => record.startedAt >= readyAt!);
    expect(after.length).toBeGreaterThan(5);
    expect(describeRecords(after.filter((record) => record.status !== 200 || record.body?.errors || !record.body?.data))).toBe('[]');
    expect(samples.filter((sample) => sample.path === '/readyz' && sample.startedAt >= readyAt! && sample.status !== 200)).toEqual([]);
  }

  beforeAll(async () => {
    // An empty database: the hub process migrates and seeds it through the proxy.
    const database = await openTestDatabase({ seed: false });
    await database.dataSource.dropDatabase();
    await database.dataSource.destroy();
    const target = new URL(testDatabaseConfig().location);
    proxy = await startTcpProxy(target.hostname, Number(target.port || 3306));
    const proxied = new URL(target.href);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    feeds = await startFeedSimulator({ port: 0 });
    hub = startHubProcess({
      DATABASE_URL: proxied.href,
      PORT: '0',
      HOST: '127.0.0.1',
      SEED_ON_START: 'always',
      PILOTHUB_DEMO: 'false',
      LOG_FORMAT: 'json',
      DATABASE_POOL_SIZE: '5',
    });
    void hub.exited.then((code) => {
      exitedEarly = code;
    });
    url = await waitForUrl(hub);
    baseUrl = url.replace(/\/graphql$/, '');
    direct = createDataSource(testDatabaseConfig());
    await direct.initialize();

    await allowServer(url, feeds.url);
    const registered = await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, {
      input: {
        name: 'Every five seconds',
        kind: 'http-json',
        department: 'SO_YT',
        schedule: '*/5 * * * * *',
        lookbackDays: 1,
        config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
        mapping: HEALTH_MAPPING,
      },
    });
    scheduledId = registered.registerConnector.id;
    // The schedule runs before any outage.
    for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(250)) {
      if ((await runsOf(scheduledId)).some((run) => run.trigger === 'SCHEDULE' && run.status === 'SUCCEEDED')) break;
    }
  }, 90_000);

  afterAll(async () => {
    if (hub && hub.child.exitCode === null && hub.child.signalCode === null) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    if (direct?.isInitialized) await direct.destroy();
    await proxy?.close();
    await feeds?.close();
  });

  it('database down (connections refused) for 30 s: SERVICE_UNAVAILABLE promptly, recovers by itself, schedules catch up', async () => {
    expect((await runsOf(scheduledId)).some((run) => run.trigger === 'SCHEDULE' && run.status === 'SUCCEEDED')).toBe(true);
    // A run that is reading a slow feed (~5 s) when the database goes away, and wants to store its rows during the outage.
    const slowConnector = await postGraphQL<{ registerConnector: { id: string } }>(url, REGISTER, {
      input: {
        name: 'Slow feed',
        kind: 'http-json',
        department: 'SO_YT',
        schedule: '0 0 1 1 *',
        config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}', fault: 'slow' }, recordsPath: 'data' },
        mapping: HEALTH_MAPPING,
      },
    });
    const slowId = slowConnector.registerConnector.id;
    let slowRunId = '';

    const result = await outage('refuse', OUTAGE_MS, async () => {
      // The cut comes about 1.2 s after this returns (the slow run started, then a second of its reading).
      await untilScheduleIdle(3_000);
      const started = await postGraphQL<{ runConnector: { id: string; status: string } }>(
        url,
        `mutation { runConnector(id: "${slowId}", from: "2024-08-01", to: "2024-08-03", wait: false) { id status } }`,
      );
      expect(started.runConnector.status).toBe('RUNNING');
      slowRunId = started.runConnector.id;
      await sleep(1_000);
      // On a loaded machine the steps above can outlast the margin: a slot may have fired meanwhile. Its run in
      // flight at the cut would hold the outage's slots as overlaps, so the cut waits for it (the slow run reads ~5 s).
      await untilScheduleIdle(300, 2_500);
    });
    expectRiddenOut(result, PROMPT_MS);
    const { cutAt, restoreAt } = result;

    // Schedules: a fire whose slot fell in the outage was retried and ran once the database was back, and
    // scheduled runs go on succeeding after the restore; each slot ran once.
    for (const deadline = restoreAt + RECOVERY_MS; Date.now() < deadline; await sleep(250)) {
      if ((await runsOf(scheduledId)).some((run) => run.trigger === 'SCHEDULE' && run.status === 'SUCCEEDED' && time(run.startedAt) > restoreAt)) break;
    }
    const scheduled = (await runsOf(scheduledId)).filter((run) => run.trigger === 'SCHEDULE');
    // Any slot after the cut: its claim is made with the database already gone (SETTLE_MS is for requests in
    // flight at the cut; the first slot may fall within it, and later ones wait for it: no overlap).
    const retried = scheduled.filter((run) => time(run.scheduledFor!) > cutAt && time(run.scheduledFor!) < restoreAt && time(run.startedAt) >= restoreAt);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(retried.every((run) => run.status === 'SUCCEEDED')).toBe(true);
    expect(scheduled.some((run) => run.status === 'SUCCEEDED' && time(run.startedAt) > restoreAt)).toBe(true);
    expect(new Set(scheduled.map((run) => time(run.scheduledFor!))).size).toBe(scheduled.length);
    // Nothing left RUNNING (the schedule keeps firing: runs of the last few seconds may still be going).
    const settledBefore = Date.now() - 4_000;
    expect(scheduled.filter((run) => run.status === 'RUNNING' && time(run.startedAt) < settledBefore)).toEqual([]);

    // The run that was reading when the database went away recorded its failure once the database was back.
    for (const deadline = restoreAt + RECOVERY_MS; Date.now() < deadline && (await runsOf(slowId))[0].status === 'RUNNING'; ) await sleep(250);
    const slowRuns = await runsOf(slowId);
    expect(slowRuns.map((run) => [String(run.id), run.status])).toEqual([[String(databaseIdOf(slowRunId)), 'FAILED']]);

    // The scheduler's reports about the outage are its own: they carry no request id (the schedule was planned
    // by the request that registered the connector, whose log context must not stick to every later fire).
    const logLines = hub
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg?: string; requestId?: string; err?: { message?: string } });
    const claimReports = logLines.filter((line) => /could not be claimed/.test(line.err?.message ?? ''));
    expect(claimReports.length).toBeGreaterThanOrEqual(1);
    expect(claimReports.filter((line) => line.requestId !== undefined)).toEqual([]);
  }, 90_000);

  it('database unresponsive (connections accepted, never answered): answers within a few seconds, then recovers and shuts down cleanly', async () => {
    const result = await outage('hang', HANG_MS);
    expectRiddenOut(result, PROMPT_WHEN_HANGING_MS);
    const { restoreAt } = result;
    for (const deadline = restoreAt + RECOVERY_MS; Date.now() < deadline; await sleep(250)) {
      if ((await runsOf(scheduledId)).some((run) => run.trigger === 'SCHEDULE' && run.status === 'SUCCEEDED' && time(run.startedAt) > restoreAt)) break;
    }
    expect((await runsOf(scheduledId)).some((run) => run.trigger === 'SCHEDULE' && run.status === 'SUCCEEDED' && time(run.startedAt) > restoreAt)).toBe(true);

    // And the process still shuts down cleanly, leaving no run RUNNING.
    hub.child.kill('SIGTERM');
    expect(await hub.exited).toBe(0);
    expect(await direct.query('SELECT id, status FROM connector_run WHERE status = ?', ['RUNNING'])).toEqual([]);
  }, 60_000);
});
