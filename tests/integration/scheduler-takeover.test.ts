/**
 * Scheduling across hub processes and restarts, with real hub processes (src/main.ts, JSON logs) on one database
 * (a shared SQLite file, or TEST_DATABASE_URL):
 *   - at most one run of a connector at a time across processes: an every-second schedule on a feed that takes
 *     ~5 s never has two runs at once; the fires that fell meanwhile are recorded as OVERLAP skipped fires
 *     (through GraphQL), once per slot; a manual run meanwhile is refused with CONFLICT naming the running run;
 *   - every scheduler log line names the connector, node-cron's "blocked by overlap prevention" notice included;
 *   - SIGTERM of the process running a run: the run ends INTERRUPTED with errorClass SHUTDOWN, the surviving
 *     process runs it again (rerunOf), and the connector's health never turns FAILING;
 *   - fires missed while no process ran are coalesced into one run at the next start (a DOWNTIME skipped fire).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { createDataSource } from '../../src/database/data-source';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { emptyDatabase, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { allowServer } from '../helpers/outbound';
import { TEST_ADMIN_HEADERS } from '../helpers/test-hub';
import { databaseIdOf } from '../helpers/api';
import { compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';

jest.setTimeout(240_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

/** Polls `check` every 250 ms until it returns a value; fails with `what` (and the last value seen) after 90 s. */
async function poll<T>(check: () => Promise<T | undefined | null | false>, what: string, describe?: () => Promise<unknown>): Promise<T> {
  for (const deadline = Date.now() + 90_000; ; await sleep(250)) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within 90 s${describe ? `: ${JSON.stringify(await describe())}` : ''}`);
  }
}

interface LogLine {
  msg?: string;
  component?: string;
  connectorId?: number;
  connector?: string;
}

function logLines(hub: HubProcess): LogLine[] {
  return hub
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

interface RunRow {
  id: number | string;
  status: string;
  trigger: string;
  errorClass: string | null;
  startedAt: Date | string;
  finishedAt: Date | string | null;
  owner: string;
  rerunOf: number | string | null;
  scheduledFor: Date | string | null;
}

describe('scheduling across processes and restarts', () => {
  let folder: string;
  let databaseConfig: DatabaseConfig;
  let environment: Record<string, string>;
  let feeds: FeedSimulator;
  const processes: HubProcess[] = [];

  /** Reads the database with a connection of the test's own (the hubs are other processes). */
  async function query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    const dataSource = createDataSource(databaseConfig);
    await dataSource.initialize();
    try {
      return (await dataSource.query(sql, parameters)) as T[];
    } finally {
      await dataSource.destroy();
    }
  }
  const runsOf = (id: string) =>
    query<RunRow>('SELECT id, status, `trigger`, errorClass, startedAt, finishedAt, owner, rerunOf, scheduledFor FROM connector_run WHERE connectorId = ? ORDER BY id', [databaseIdOf(id)]);

  const start = async () => {
    const hub = startHubProcess(environment, { compiled: compiledHub(build) });
    processes.push(hub);
    return { hub, url: await waitForUrl(hub) };
  };
  const stop = async (hub: HubProcess) => {
    hub.child.kill('SIGTERM');
    return hub.exited;
  };
  const setFault = async (feed: string, mode: string | null) => {
    const response = await fetch(`${feeds.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed, mode }) });
    expect(response.status).toBe(200);
  };
  const register = async (url: string, name: string, schedule: string, fault?: string) => {
    const data = await postGraphQL<{ registerConnector: { id: string } }>(url, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: {
        name,
        kind: 'http-json',
        department: 'SO_YT',
        schedule,
        lookbackDays: 0,
        config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}', ...(fault ? { fault } : {}) }, recordsPath: 'data' },
        mapping: MAPPING,
      },
    });
    return data.registerConnector.id;
  };

  let build: CompiledBuild;
  beforeAll(async () => {
    // The compiled build, as the image runs it.
    build = compiledBuild();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-takeover-'));
    const empty = await emptyDatabase(folder);
    databaseConfig = empty.config;
    feeds = await startFeedSimulator({ port: 0 });
    environment = {
      ...empty.environment,
      PORT: '0',
      HOST: '127.0.0.1',
      SEED_ON_START: 'always',
      LOG_FORMAT: 'json',
      SCHEDULE_REFRESH_SECONDS: '0.5',
      RUN_HEARTBEAT_SECONDS: '0.5',
      RUN_PROGRESS_LOG_SECONDS: '1',
      CONNECTOR_MAX_ATTEMPTS: '1',
      SHUTDOWN_DELAY_SECONDS: '0.5',
    };
  });

  afterAll(async () => {
    for (const hub of processes) {
      if (hub.child.exitCode === null && hub.child.signalCode === null) {
        hub.child.kill('SIGKILL');
        await hub.exited;
      }
    }
    await feeds?.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('one run of a connector at a time across processes; skipped fires recorded; a shutdown-interrupted run is run again; missed fires coalesced', async () => {
    const a = await start();
    const b = await start();
    await allowServer(a.url, feeds.url);

    // 1. Overlap: a run lasts ~5 s, the schedule fires every second, two processes compete for the fires.
    const busy = await register(a.url, 'Slow every second', '* * * * * *', 'slow');
    // A schedule that fires every 3 s on a fast feed: runs through the whole test (for the downtime part).
    const steady = await register(a.url, 'Steady every three seconds', '*/3 * * * * *', 'none');
    type Fires = { connector: { skippedFires: { totalCount: number; edges: Array<{ node: { reason: string; slot: string; missed: number; runId: string | null } }> } } };
    const skippedFires = async (url: string, id: string, reason: string) =>
      (await postGraphQL<Fires>(url, `{ connector(id: "${id}") { skippedFires(first: 100, reason: ${reason}) { totalCount edges { node { reason slot missed runId } } } } }`)).connector.skippedFires;
    await poll(
      async () => (await runsOf(busy)).filter((run) => run.status === 'SUCCEEDED').length >= 2 && (await skippedFires(b.url, busy, 'OVERLAP')).totalCount >= 3,
      'two runs and three skipped fires',
      () => runsOf(busy),
    );
    // A manual run while a run is going is refused, naming that run (retried until one meets a running run).
    const conflict = await poll(async () => {
      const response = await fetch(b.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...TEST_ADMIN_HEADERS },
        body: JSON.stringify({ query: `mutation { runConnector(id: "${busy}", wait: false) { id } }` }),
      });
      const body = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
      return body.errors?.[0]?.extensions?.code === 'CONFLICT' ? body.errors[0] : undefined;
    }, 'CONFLICT for a manual run');
    expect(conflict.message).toMatch(new RegExp(`connector ${databaseIdOf(busy)} is already running: run \\d+`));
    await postGraphQL(a.url, `mutation { setConnectorEnabled(id: "${busy}", enabled: false) { enabled } }`);
    await poll(async () => (await runsOf(busy)).every((run) => run.status !== 'RUNNING'), 'end of the last run');

    const busyRuns = await runsOf(busy);
    // Never two at once: each run started when the one before had ended (timestamps in whole seconds on MariaDB).
    for (let index = 1; index < busyRuns.length; index += 1) {
      expect(new Date(busyRuns[index].startedAt).getTime()).toBeGreaterThanOrEqual(new Date(busyRuns[index - 1].finishedAt!).getTime());
    }
    expect(new Set(busyRuns.map((run) => run.owner)).size).toBeGreaterThanOrEqual(1);
    const overlaps = await skippedFires(a.url, busy, 'OVERLAP');
    const slots = overlaps.edges.map((edge) => edge.node.slot);
    expect(new Set(slots).size).toBe(slots.length);
    expect(overlaps.edges.every((edge) => edge.node.missed === 1)).toBe(true);
    const runIds = new Set(busyRuns.map((run) => String(run.id)));
    expect(overlaps.edges.filter((edge) => edge.node.runId !== null && runIds.has(edge.node.runId)).length).toBeGreaterThan(0);
    // No slot both ran and was skipped.
    const ranSlots = new Set(busyRuns.map((run) => new Date(run.scheduledFor!).toISOString()));
    expect(slots.filter((slot) => ranSlots.has(new Date(slot).toISOString()))).toEqual([]);

    // Every scheduler line names the connector; node-cron's overlap notice is among them.
    const schedulerLines = [...logLines(a.hub), ...logLines(b.hub)].filter((line) => line.component === 'scheduler' || line.component === 'node-cron');
    expect(schedulerLines.filter((line) => typeof line.connectorId !== 'number' || typeof line.connector !== 'string')).toEqual([]);
    expect(schedulerLines.some((line) => /overlap prevention/.test(line.msg ?? '') && line.connectorId === databaseIdOf(busy) && line.connector === 'Slow every second')).toBe(true);

    // 2. SIGTERM of the process running a run: INTERRUPTED (SHUTDOWN), run again by the other, health not FAILING.
    // The run reads a feed that hangs (the health feed's fault switch; the other connectors override it); the
    // switch is off again before the run is interrupted, so the run done again succeeds.
    const rare = await register(a.url, 'Hanging yearly', '0 0 1 1 *');
    await setFault('health', 'hang');
    const manual = await postGraphQL<{ runConnector: { id: string } }>(a.url, `mutation { runConnector(id: "${rare}", wait: false) { id } }`);
    await poll(async () => (await runsOf(rare)).some((run) => run.status === 'RUNNING'), 'the run started');
    await poll(async () => logLines(a.hub).some((line) => line.msg === 'connector run progress' && line.connectorId === databaseIdOf(rare)), 'a progress line of the hanging run');
    await setFault('health', null);
    expect(await stop(a.hub)).toBe(0);
    const healths: string[] = [];
    const health = async () => {
      const data = await postGraphQL<{ connector: { health: { status: string; consecutiveFailures: number } } }>(b.url, `{ connector(id: "${rare}") { health { status consecutiveFailures } } }`);
      healths.push(data.connector.health.status);
      return data.connector.health;
    };
    const rerun = await poll(
      async () => {
        await health();
        return (await runsOf(rare)).find((run) => Number(run.rerunOf) === databaseIdOf(manual.runConnector.id) && run.status === 'SUCCEEDED');
      },
      'the interrupted run run again',
      () => runsOf(rare),
    );
    const rareRuns = await runsOf(rare);
    expect(rareRuns.map((run) => ({ id: String(run.id), status: run.status, errorClass: run.errorClass, trigger: run.trigger, rerunOf: run.rerunOf === null ? null : String(run.rerunOf) }))).toEqual([
      { id: String(databaseIdOf(manual.runConnector.id)), status: 'INTERRUPTED', errorClass: 'SHUTDOWN', trigger: 'MANUAL', rerunOf: null },
      { id: String(rerun.id), status: 'SUCCEEDED', errorClass: null, trigger: 'MANUAL', rerunOf: String(databaseIdOf(manual.runConnector.id)) },
    ]);
    expect(rareRuns[0].owner).not.toBe(rerun.owner);
    expect(healths).not.toContain('FAILING');
    expect(await health()).toEqual({ status: 'HEALTHY', consecutiveFailures: 0 });
    const shutdownLines = logLines(b.hub).filter((line) => line.msg === 'running again a run interrupted by a shutdown');
    expect(shutdownLines).toEqual([expect.objectContaining({ connectorId: databaseIdOf(rare), connector: 'Hanging yearly' })]);

    // 3. Downtime: no process runs over at least two slots of the steady schedule; the next start runs it once now.
    const steadyBefore = (await runsOf(steady)).length;
    expect(steadyBefore).toBeGreaterThan(0);
    expect(await stop(b.hub)).toBe(0);
    const stoppedAt = Date.now();
    // Two slots of a three-second schedule have passed (and the start-up grace of 5 s on top).
    await poll(async () => Date.now() > stoppedAt + 12_000, 'time to pass');
    const c = await start();
    const downtime = await poll(
      async () => (await skippedFires(c.url, steady, 'DOWNTIME')).edges[0]?.node,
      'a DOWNTIME record',
      () => runsOf(steady),
    );
    expect(downtime.missed).toBeGreaterThanOrEqual(2);
    expect(downtime.runId).not.toBeNull();
    const catchUp = (await runsOf(steady)).find((run) => String(run.id) === downtime.runId)!;
    expect(catchUp.trigger).toBe('SCHEDULE');
    expect(new Date(catchUp.startedAt).getTime()).toBeGreaterThanOrEqual(Math.floor(stoppedAt / 1000) * 1000);
    // The run started for the missed slots serves the last of them (or, when a fire of the new process came first,
    // that fire's run); when the shutdown of B had interrupted a run of the connector, the run done again at
    // start-up serves them instead.
    if (catchUp.rerunOf === null) expect(new Date(catchUp.scheduledFor!).getTime()).toBeGreaterThanOrEqual(new Date(downtime.slot).getTime());
    expect(new Date(downtime.slot).getTime()).toBeGreaterThan(stoppedAt);
    expect(logLines(c.hub).some((line) => line.msg?.startsWith('schedule fires missed while no hub process ran') && line.connectorId === databaseIdOf(steady))).toBe(true);
    expect(await stop(c.hub)).toBe(0);
  });
});
