/**
 * Subscription latency (`npm run bench -- subscriptions`): how long from a commit in one hub process to the event
 * reaching a graphql-ws subscriber connected to another process, through the database change feed (polled every
 * LIVE_UPDATES_POLL_MS, default 250 ms) and through Redis pub/sub (REDIS_URL, default redis://127.0.0.1:6379,
 * BENCH_REDIS_URL to change). A subscriber on the committing process itself is the baseline.
 *
 * Two hub processes share a scratch MariaDB/MySQL database (BENCH_DATABASE_URL); BENCH_SUBSCRIPTION_PUSHES pushes
 * (default 60, one row each) go to process A one after another; latency = when the subscriber received the
 * observationsChanged event − its `committedAt` (stamped by process A right after the commit; both processes and
 * the subscriber share the machine's clock).
 */
import type { BenchReport } from './run';
import { startHub, type HubChild } from './hub';
import { BENCH_HEADERS, createScratchDatabase, graphql } from './support';
import { liveClient, subscribed, type LiveClient } from '../tests/helpers/subscriptions';

const PUSHES = Number(process.env.BENCH_SUBSCRIPTION_PUSHES ?? 60);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POLL_MS = 250;
const SUBSCRIPTION = 'subscription { observationsChanged(metrics: ["KCB_BIOMETRIC_VISITS"]) { committedAt metrics { periods } } }';

interface Event {
  observationsChanged: { committedAt: string; metrics: Array<{ periods: string[] }> };
}

interface Figures {
  p50: number;
  p95: number;
  max: number;
}

function figures(latencies: number[]): Figures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (share: number) => sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] };
}

/** Pushes PUSHES single rows to A and measures, for each subscriber, receipt − committedAt. */
async function measure(a: HubChild, subscribers: Array<{ name: string; client: LiveClient; url: string }>): Promise<Map<string, number[]>> {
  const connector = await graphql<{ registerConnector: { id: string } }>(a.graphqlUrl, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
    input: { name: `Latency ${Date.now()}`, kind: 'push', department: 'SO_YT', config: {} },
  });
  const latencies = new Map<string, number[]>();
  const pending = new Map<string, Map<string, (at: number) => void>>();
  for (const { name, client, url } of subscribers) {
    latencies.set(name, []);
    pending.set(name, new Map());
    client.client.subscribe<Event>(
      { query: SUBSCRIPTION },
      {
        next: (result) => {
          const received = Date.now();
          const event = result.data?.observationsChanged;
          if (!event) {
            console.error(`${name}: an event without data:`, JSON.stringify(result));
            return;
          }
          latencies.get(name)!.push(received - Date.parse(event.committedAt));
          for (const period of event.metrics.flatMap((metric) => metric.periods)) pending.get(name)!.get(period)?.(received);
        },
        error: (error: unknown) => console.error(`${name}: the subscription failed:`, JSON.stringify(error)),
        complete: () => undefined,
      },
    );
    await subscribed(url, 'observationsChanged', 1, BENCH_HEADERS);
  }
  // Days unit 412 exists on (its edition in force in 2024).
  const start = Date.parse('2024-05-01T00:00:00Z');
  for (let index = 0; index < PUSHES; index += 1) {
    const period = new Date(start + index * 86_400_000).toISOString().slice(0, 10);
    const arrived = subscribers.map(({ name }) => new Promise<void>((resolve) => pending.get(name)!.set(period, () => resolve())));
    const pushed = await graphql<{ submitObservations: { summary: { imported: number; updated: number; rejected: number } } }>(
      a.graphqlUrl,
      'mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { summary { imported updated rejected } } }',
      { id: connector.registerConnector.id, rows: [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period, value: index + 1 }] },
    );
    const { imported, updated } = pushed.submitObservations.summary;
    if (imported + updated === 0) throw new Error(`push ${index + 1} changed nothing: ${JSON.stringify(pushed.submitObservations.summary)}`);
    await Promise.race([Promise.all(arrived), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    for (const { name } of subscribers) pending.get(name)!.delete(period);
  }
  return latencies;
}

export async function run(): Promise<BenchReport> {
  const rows: string[] = [];
  const goals: BenchReport['goals'] = [];
  const feeds = (process.env.BENCH_SUBSCRIPTION_FEEDS ?? 'database,redis').split(',') as Array<'database' | 'redis'>;
  for (const feed of feeds) {
    const database = await createScratchDatabase(`pilothub_bench_live_${feed}`);
    const environment = { DATABASE_URL: database.url, LIVE_UPDATES_POLL_MS: String(POLL_MS), ...(feed === 'redis' ? { REDIS_URL, RATE_LIMIT_STORE: 'database' } : { LIVE_UPDATES_FEED: 'database' }) };
    const hubs: HubChild[] = [];
    const clients: LiveClient[] = [];
    try {
      const a = await startHub(environment);
      hubs.push(a);
      const b = await startHub({ ...environment, SEED_ON_START: 'never' });
      hubs.push(b);
      console.log(`${feed} feed: hubs started (${a.startupSeconds.toFixed(1)} s, ${b.startupSeconds.toFixed(1)} s)`);
      const local = liveClient(a.graphqlUrl, BENCH_HEADERS.authorization);
      const remote = liveClient(b.graphqlUrl, BENCH_HEADERS.authorization);
      clients.push(local, remote);
      const latencies = await measure(a, [
        { name: 'same process', client: local, url: a.graphqlUrl },
        { name: 'other process', client: remote, url: b.graphqlUrl },
      ]);
      for (const [name, values] of latencies) {
        const { p50, p95, max } = figures(values);
        rows.push(`| ${feed} | ${name} | ${values.length} | ${p50} | ${p95} | ${max} |`);
        if (name === 'other process') {
          const bound = feed === 'database' ? POLL_MS + 150 : 50;
          goals.push({ label: `${feed} feed: p95 commit → event across processes ≤ ${bound} ms (measured ${p95} ms)`, met: p95 <= bound && values.length === PUSHES });
        }
      }
    } finally {
      await Promise.all(clients.map((client) => client.dispose()));
      await Promise.all(hubs.map((hub) => hub.stop()));
      await database.drop();
    }
  }
  const markdown = [
    `Commit → observationsChanged event (ms), ${PUSHES} pushes to process A, subscribers on A and on B; database feed polled every ${POLL_MS} ms.`,
    '',
    '| feed | subscriber | events | p50 | p95 | max |',
    '|---|---|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
  return { markdown, goals };
}
