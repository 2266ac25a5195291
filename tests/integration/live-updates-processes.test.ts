/**
 * Live updates across hub processes: a push committed by process A reaches a subscriber connected to process B,
 * exactly once, through the change feed table (both databases: two processes share a SQLite file as they share a
 * server database) and through Redis pub/sub (REDIS_URL).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyDatabase, postGraphQL, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { liveClient, subscribed, type LiveClient } from '../helpers/subscriptions';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface RunEvent {
  connectorRunUpdated: { id: string; status: string; summary: { imported: number } };
}
interface ObservationsEvent {
  observationsChanged: { metrics: Array<{ metric: string; periods: string[] }> };
}

async function stopProcess(hub: HubProcess): Promise<void> {
  if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGTERM');
  await hub.exited;
}

describe('live updates across two hub processes', () => {
  let folder: string;
  let environment: Record<string, string>;
  const processes: HubProcess[] = [];
  const clients: LiveClient[] = [];

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-live-'));
    const empty = await emptyDatabase(folder);
    environment = { ...empty.environment, PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'always', LIVE_UPDATES_POLL_MS: '100' };
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await Promise.all(processes.splice(0).map(stopProcess));
  });
  afterAll(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  async function twoProcesses(extra: Record<string, string>): Promise<[string, string]> {
    const first = startHubProcess({ ...environment, ...extra });
    processes.push(first);
    const firstUrl = await waitForUrl(first);
    // The second starts once the first has migrated and seeded the database.
    const second = startHubProcess({ ...environment, ...extra, SEED_ON_START: 'never' });
    processes.push(second);
    return [firstUrl, await waitForUrl(second)];
  }

  async function pushedOnAReachesB(extra: Record<string, string>, period: string): Promise<void> {
    const [a, b] = await twoProcesses(extra);
    const connector = await postGraphQL<{ registerConnector: { id: string } }>(a, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: { name: `Across processes ${period}`, kind: 'push', department: 'SO_YT', config: {} },
    });
    const id = connector.registerConnector.id;
    const client = liveClient(b);
    clients.push(client);
    const runs = client.subscribe<RunEvent>('subscription($id: ID!) { connectorRunUpdated(connectorId: $id) { id status summary { imported } } }', { id });
    const observations = client.subscribe<ObservationsEvent>('subscription { observationsChanged { metrics { metric periods } } }');
    await subscribed(b, 'connectorRunUpdated');
    await subscribed(b, 'observationsChanged');

    const pushed = await postGraphQL<{ submitObservations: { run: { id: string } } }>(
      a,
      'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id } } }',
      { id, rows: [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period, value: 42 }] },
    );
    const runId = pushed.submitObservations.run.id;
    const ended = await runs.next((event) => event.connectorRunUpdated.id === runId && event.connectorRunUpdated.status === 'SUCCEEDED');
    expect(ended.connectorRunUpdated.summary.imported).toBe(1);
    await observations.next((event) => event.observationsChanged.metrics.some((metric) => metric.periods.includes(period)));

    // Exactly once each: a later push (its events come after) shows nothing of the first was delivered twice.
    const later = await postGraphQL<{ submitObservations: { run: { id: string } } }>(
      a,
      'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id } } }',
      { id, rows: [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period, value: 43 }] },
    );
    await runs.next((event) => event.connectorRunUpdated.id === later.submitObservations.run.id && event.connectorRunUpdated.status === 'SUCCEEDED');
    const firstRun = runs.results.map((result) => result.data!.connectorRunUpdated).filter((event) => event.id === runId);
    expect(firstRun.map((event) => event.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    await observations.next((event) => event.observationsChanged.metrics.length > 0 && observations.results.length >= 2);
    expect(observations.results.filter((result) => result.data!.observationsChanged.metrics.some((metric) => metric.periods.includes(period)))).toHaveLength(2);
  }

  it('through the change feed table', async () => {
    await pushedOnAReachesB({ LIVE_UPDATES_FEED: 'database' }, '2024-05-10');
  });

  it('through Redis pub/sub (REDIS_URL)', async () => {
    await pushedOnAReachesB({ REDIS_URL, RATE_LIMIT_STORE: 'memory' }, '2024-05-11');
  });
});
