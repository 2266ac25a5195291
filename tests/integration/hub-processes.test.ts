import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDataSource } from '../../src/database/data-source';
import { startFeedSimulator } from '../../src/feeds/simulator';
import { databaseEnvironment, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopProcess(hub: HubProcess): Promise<number | null> {
  if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGTERM');
  return hub.exited;
}

async function register(url: string, input: Record<string, unknown>): Promise<string> {
  const data = await postGraphQL<{ registerConnector: { id: string } }>(url, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input });
  return data.registerConnector.id;
}

/** Reads the ledger with a connection of the test's own (the hubs are other processes). */
async function query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
  const dataSource = createDataSource(currentConfig);
  await dataSource.initialize();
  try {
    return (await dataSource.query(sql, parameters)) as T[];
  } finally {
    await dataSource.destroy();
  }
}

let currentConfig = testDatabaseConfig();

describe('several hub processes on one database', () => {
  let folder: string;
  let environment: Record<string, string>;
  let feeds: Awaited<ReturnType<typeof startFeedSimulator>>;
  const processes: HubProcess[] = [];

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-processes-'));
    const sqliteFile = path.join(folder, 'hub.sqlite');
    currentConfig = testDatabaseConfig().kind === 'sqlite' ? { kind: 'sqlite', location: sqliteFile, poolSize: 1 } : testDatabaseConfig();
    if (currentConfig.kind !== 'sqlite') {
      const database = await openTestDatabase({ seed: false });
      await database.dataSource.dropDatabase();
      await database.dataSource.destroy();
    }
    feeds = await startFeedSimulator({ port: 0 });
    environment = {
      ...databaseEnvironment(sqliteFile),
      PORT: '0',
      HOST: '127.0.0.1',
      SEED_ON_START: 'always',
      SCHEDULE_REFRESH_SECONDS: '0.5',
      RUN_HEARTBEAT_SECONDS: '0.5',
      CONNECTOR_MAX_ATTEMPTS: '1',
    };
  });
  afterAll(async () => {
    await Promise.all(processes.map(stopProcess));
    await feeds.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('each scheduled fire runs exactly once across two processes, and one carries on when the other stops', async () => {
    const first = startHubProcess(environment);
    processes.push(first);
    const firstUrl = await waitForUrl(first);
    // The second starts once the first has migrated and seeded the database.
    const second = startHubProcess(environment);
    processes.push(second);
    await waitForUrl(second);

    const id = await register(firstUrl, {
      name: 'Every second',
      kind: 'http-json',
      department: 'SO_YT',
      schedule: '* * * * * *',
      lookbackDays: 0,
      config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
      mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } },
    });
    await sleep(9_000);
    expect(await stopProcess(first)).toBe(0);
    const stoppedAt = new Date();
    await sleep(5_000);
    await postGraphQL(await waitForUrl(second), `mutation { setConnectorEnabled(id: "${id}", enabled: false) { enabled } }`);
    await sleep(1_500);

    const runs = await query<{ scheduledFor: Date | string; owner: string; status: string }>(
      'SELECT scheduledFor, owner, status FROM connector_run WHERE connectorId = ? AND `trigger` = ? ORDER BY scheduledFor',
      [Number(id), 'SCHEDULE'],
    );
    const slots = runs.map((run) => new Date(run.scheduledFor).toISOString());
    expect(new Set(slots).size).toBe(slots.length);
    expect(slots.length).toBeGreaterThanOrEqual(10);
    expect(runs.every((run) => run.status === 'SUCCEEDED')).toBe(true);
    const afterStop = runs.filter((run) => new Date(run.scheduledFor) > new Date(stoppedAt.getTime() + 1_000));
    expect(afterStop.length).toBeGreaterThanOrEqual(3);
    expect(new Set(afterStop.map((run) => run.owner)).size).toBe(1);
    expect(await stopProcess(second)).toBe(0);
  }, 60_000);

  it('a run cut off by kill -9 is INTERRUPTED after a restart, leaves no partial batch, and the next run completes', async () => {
    const crashing = startHubProcess(environment);
    processes.push(crashing);
    const url = await waitForUrl(crashing);
    const id = await register(url, {
      name: 'Slow feed',
      kind: 'http-json',
      department: 'SO_YT',
      schedule: '0 0 1 1 *',
      config: { url: `${feeds.url}/health/biometric-visits`, query: { from: '{{from}}', to: '{{to}}' }, recordsPath: 'data' },
      mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } },
    });
    await fetch(`${feeds.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed: 'health', mode: 'slow' }) });
    const started = await postGraphQL<{ runConnector: { id: string; status: string } }>(url, `mutation { runConnector(id: "${id}", from: "2024-08-01", to: "2024-08-05") { id status } }`);
    expect(started.runConnector.status).toBe('RUNNING');
    await sleep(1_500);
    crashing.child.kill('SIGKILL');
    await crashing.exited;
    await fetch(`${feeds.url}/_faults`, { method: 'DELETE' });
    const before = await query<{ n: number | string }>('SELECT COUNT(*) AS n FROM observation WHERE source = ?', [`connector:${id}`]);
    expect(Number(before[0].n)).toBe(0);

    const restarted = startHubProcess(environment);
    processes.push(restarted);
    const restartedUrl = await waitForUrl(restarted);
    let status = 'RUNNING';
    for (let attempt = 0; attempt < 40 && status === 'RUNNING'; attempt += 1) {
      await sleep(250);
      status = (await postGraphQL<{ connectorRun: { status: string } }>(restartedUrl, `{ connectorRun(id: "${started.runConnector.id}") { status } }`)).connectorRun.status;
    }
    expect(status).toBe('INTERRUPTED');

    const next = await postGraphQL<{ runConnector: { status: string; summary: { imported: number } } }>(
      restartedUrl,
      `mutation { runConnector(id: "${id}", from: "2024-08-01", to: "2024-08-05", wait: true) { status summary { imported } } }`,
    );
    expect(next.runConnector).toEqual({ status: 'SUCCEEDED', summary: { imported: 460 * 5 } });
    const duplicates = await query('SELECT metricId, unitId, period FROM observation GROUP BY metricId, unitId, period HAVING COUNT(*) > 1');
    expect(duplicates).toEqual([]);
    expect(await stopProcess(restarted)).toBe(0);
  }, 60_000);
});
