/**
 * Live updates in one hub process: GraphQL subscriptions over graphql-ws on /graphql (authentication at
 * connection init, department scope, limits, revoked keys), the events of pushes and pulled runs, and the
 * ETag/304 revalidation of GET answers. Across processes: tests/integration/live-updates-processes.test.ts.
 */
import { createHash } from 'node:crypto';
import { demoConnectors } from '../../src/demo/demo-connectors';
import { startFeedSimulator } from '../../src/feeds/simulator';
import { Role } from '../../src/security/principal';
import { createKey } from '../helpers/auth';
import { dataOf } from '../helpers/api';
import { liveClient, subscribed, waitFor, type LiveClient } from '../helpers/subscriptions';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const RUNS = `subscription($id: ID!) { connectorRunUpdated(connectorId: $id) { id status summary { fetched imported updated unchanged rejected } connector { id } } }`;
const OBSERVATIONS = `subscription($metrics: [String!], $units: [String!]) { observationsChanged(metrics: $metrics, units: $units) {
  committedAt metrics { metric department units periods truncated imported updated } } }`;
const FRESHNESS = `subscription { freshnessChanged { metric { code department { code } } freshness { status latestPeriod } } }`;
const PUSH = `mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) { run { id status } summary { imported updated } } }`;
const REGISTER = `mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }`;

interface RunEvent {
  connectorRunUpdated: { id: string; status: string; summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number }; connector: { id: string } };
}
interface ObservationsEvent {
  observationsChanged: { committedAt: string; metrics: Array<{ metric: string; department: string; units: string[]; periods: string[]; truncated: boolean; imported: number; updated: number }> };
}
interface FreshnessEvent {
  freshnessChanged: Array<{ metric: { code: string; department: { code: string } }; freshness: { status: string; latestPeriod: string | null } }>;
}

describe('live updates (graphql-ws on /graphql)', () => {
  let hub: TestHub;
  let feeds: Awaited<ReturnType<typeof startFeedSimulator>>;
  const clients: LiveClient[] = [];
  let health: string;
  let justice: string;
  let healthKey: string;
  let justiceKey: string;

  const open = (authorization?: string | null) => {
    const client = liveClient(hub.hub.url, authorization);
    clients.push(client);
    return client;
  };
  const push = (id: string, rows: Array<Record<string, unknown>>, headers?: Record<string, string>) =>
    dataOf<{ submitObservations: { run: { id: string; status: string } } }>(hub, PUSH, { id, rows }, headers);

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
    hub = await startTestHub({ allowServers: [feeds.url], environment: { LIVE_UPDATES_AUTH_RECHECK_SECONDS: '0.3', LIVE_UPDATES_POLL_MS: '100', PUBLIC_BASE_PATH: '/pilothub' } });
    health = (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input: { name: 'Live health push', kind: 'push', department: 'SO_YT', config: {} } })).registerConnector.id;
    justice = (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input: { name: 'Live justice push', kind: 'push', department: 'SO_TP', config: {} } })).registerConnector.id;
    healthKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers.authorization;
    justiceKey = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_TP'])).headers.authorization;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await waitFor('subscriptions to close', async () => {
      const response = await fetch(hub.hub.url.replace(/\/graphql$/, '/metrics'), { headers: hub.headers });
      return !/pilothub_graphql_subscription_connections [1-9]/.test(await response.text());
    });
  });
  afterAll(async () => {
    await hub.close();
    await feeds.close();
  });

  it('refuses a connection without credentials or with a wrong key (4403), and serves one with a valid key', async () => {
    expect((await open(null).waitClosed()).code).toBe(4403);
    expect((await open('Bearer ph_not-a-key-0123456789abcdefghijklmnopqrstuvwxyz').waitClosed()).code).toBe(4403);
    expect((await open('Basic abc').waitClosed()).code).toBe(4403);
    const admin = open();
    const runs = admin.subscribe<RunEvent>(RUNS, { id: health });
    await subscribed(hub.hub.url, 'connectorRunUpdated');
    expect(admin.closed()).toBeNull();
    expect(runs.results).toEqual([]);
  });

  it('serves the socket behind a proxy that keeps PUBLIC_BASE_PATH (the console opens it next to its page), and no other path', async () => {
    const prefixed = liveClient(hub.hub.url.replace(/\/graphql$/, '/pilothub/graphql'));
    clients.push(prefixed);
    prefixed.subscribe<RunEvent>(RUNS, { id: health });
    await subscribed(hub.hub.url, 'connectorRunUpdated');
    expect(prefixed.closed()).toBeNull();
    const elsewhere = liveClient(hub.hub.url.replace(/\/graphql$/, '/other/graphql'));
    clients.push(elsewhere);
    elsewhere.subscribe<RunEvent>(RUNS, { id: health });
    expect((await elsewhere.waitClosed()).code).not.toBe(1000);
  });

  it('a push is told as it happens: the run (RUNNING, then SUCCEEDED with its counts) and the observations it changed', async () => {
    const client = open();
    const runs = client.subscribe<RunEvent>(RUNS, { id: health });
    const observations = client.subscribe<ObservationsEvent>(OBSERVATIONS);
    await subscribed(hub.hub.url, 'connectorRunUpdated');
    await subscribed(hub.hub.url, 'observationsChanged');
    const pushed = await push(health, [
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-01', value: 120 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-02', value: 130 },
    ]);
    const runId = pushed.submitObservations.run.id;
    const started = await runs.next((event) => event.connectorRunUpdated.id === runId);
    expect(started.connectorRunUpdated).toMatchObject({ status: 'RUNNING', connector: { id: health } });
    const ended = await runs.next((event) => event.connectorRunUpdated.id === runId && event.connectorRunUpdated.status !== 'RUNNING');
    expect(ended.connectorRunUpdated).toMatchObject({ status: 'SUCCEEDED', summary: { fetched: 2, imported: 2, updated: 0, unchanged: 0, rejected: 0 } });
    const changed = await observations.next((event) => event.observationsChanged.metrics.some((metric) => metric.metric === 'KCB_BIOMETRIC_VISITS'));
    expect(changed.observationsChanged.metrics).toEqual([
      { metric: 'KCB_BIOMETRIC_VISITS', department: 'SO_YT', units: ['412'], periods: ['2024-05-01', '2024-05-02'], truncated: false, imported: 2, updated: 0 },
    ]);

    // A value changed is an update; an unchanged one is not told at all.
    await push(health, [
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-01', value: 121 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-02', value: 130 },
    ]);
    const revised = await observations.next((event) => event.observationsChanged.metrics.some((metric) => metric.updated > 0));
    expect(revised.observationsChanged.metrics).toEqual([
      { metric: 'KCB_BIOMETRIC_VISITS', department: 'SO_YT', units: ['412'], periods: ['2024-05-01'], truncated: false, imported: 0, updated: 1 },
    ]);
  });

  it('department scope: another department’s connector is NOT_FOUND as the query answers, and only readable metrics are told', async () => {
    const query = await hub.graphql(`query($id: ID!) { connector(id: $id) { id } }`, { id: health }, { authorization: justiceKey });
    const justiceClient = open(justiceKey);
    const refused = justiceClient.subscribe<RunEvent>(RUNS, { id: health });
    await waitFor('the refusal', () => refused.results.length > 0 || refused.ended);
    const code = refused.results[0]?.errors?.[0]?.extensions?.code;
    expect(code).toBe(query.errors?.[0]?.extensions?.code);
    expect(code).toBe('NOT_FOUND');

    // Naming another department's metric is FORBIDDEN, as `observations(filter: { metric })` answers.
    const forbidden = justiceClient.subscribe<ObservationsEvent>(OBSERVATIONS, { metrics: ['KCB_BIOMETRIC_VISITS'] });
    await waitFor('the refusal', () => forbidden.results.length > 0 || forbidden.ended);
    expect(forbidden.results[0]?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const justiceObservations = justiceClient.subscribe<ObservationsEvent>(OBSERVATIONS);
    const healthClient = open(healthKey);
    const healthObservations = healthClient.subscribe<ObservationsEvent>(OBSERVATIONS);
    const healthRuns = healthClient.subscribe<RunEvent>(RUNS, { id: health });
    await subscribed(hub.hub.url, 'observationsChanged', 2);
    await subscribed(hub.hub.url, 'connectorRunUpdated');
    // Health first, then justice: the justice subscriber's first event must be its own department's.
    await push(health, [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-03', value: 140 }]);
    await healthObservations.next((event) => event.observationsChanged.metrics.some((metric) => metric.periods.includes('2024-05-03')));
    await push(justice, [{ metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: '2024-05-03', value: 4 }], { authorization: justiceKey });
    const first = await justiceObservations.next();
    expect(first.observationsChanged.metrics.map((metric) => metric.department)).toEqual(['SO_TP']);
    expect(justiceObservations.results.flatMap((result) => result.data?.observationsChanged.metrics ?? []).filter((metric) => metric.department !== 'SO_TP')).toEqual([]);
    await healthRuns.next((event) => event.connectorRunUpdated.status === 'SUCCEEDED');
  });

  it('filters by metric and unit', async () => {
    const client = open();
    const filtered = client.subscribe<ObservationsEvent>(OBSERVATIONS, { metrics: ['KCB_BIOMETRIC_VISITS'], units: ['413'] });
    const all = client.subscribe<ObservationsEvent>(OBSERVATIONS);
    await subscribed(hub.hub.url, 'observationsChanged', 2);
    await push(health, [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-04', value: 1 }]);
    await push(health, [
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-05-05', value: 2 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2024-05-05', value: 3 },
    ]);
    await all.next((event) => event.observationsChanged.metrics.some((metric) => metric.periods.includes('2024-05-05')));
    const event = await filtered.next();
    expect(event.observationsChanged.metrics).toEqual([expect.objectContaining({ metric: 'KCB_BIOMETRIC_VISITS', units: ['413'], periods: ['2024-05-05'] })]);
    expect(filtered.results).toHaveLength(1);
  });

  it('freshnessChanged tells when new values move a metric’s latest period', async () => {
    const client = open();
    const freshness = client.subscribe<FreshnessEvent>(FRESHNESS);
    await subscribed(hub.hub.url, 'freshnessChanged');
    const { metric } = await dataOf<{ metric: { freshness: { latestPeriod: string | null } } }>(hub, `{ metric(code: "KIOSK_DEPLOYED") { freshness { latestPeriod } } }`);
    const next = metric.freshness.latestPeriod ? nextMonth(metric.freshness.latestPeriod) : '2024-01';
    await push(justice, [{ metric: 'KIOSK_DEPLOYED', unit: '412', period: next, value: 5 }]);
    const event = await freshness.next((data) => data.freshnessChanged.some((entry) => entry.metric.code === 'KIOSK_DEPLOYED'));
    expect(event.freshnessChanged.find((entry) => entry.metric.code === 'KIOSK_DEPLOYED')).toMatchObject({ metric: { department: { code: 'SO_TP' } }, freshness: { latestPeriod: next } });
  });

  it('a pulled run is told batch by batch, with its final status', async () => {
    const definition = demoConnectors(feeds.url).find((candidate) => candidate.department === 'SO_YT')!;
    const id = (await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, { input: { ...definition, name: 'Live pulled run' } })).registerConnector.id;
    const client = open();
    const runs = client.subscribe<RunEvent>(RUNS, { id });
    await subscribed(hub.hub.url, 'connectorRunUpdated');
    const started = await dataOf<{ runConnector: { id: string } }>(hub, `mutation($id: ID!) { runConnector(id: $id, from: "2024-03-01", to: "2024-03-07") { id } }`, { id });
    const runId = started.runConnector.id;
    const ended = await runs.next((event) => event.connectorRunUpdated.id === runId && event.connectorRunUpdated.status !== 'RUNNING', 60_000);
    expect(ended.connectorRunUpdated.status).toBe('SUCCEEDED');
    const events = runs.results.map((result) => result.data!.connectorRunUpdated).filter((event) => event.id === runId);
    expect(events[0].status).toBe('RUNNING');
    // After each committed batch: counts so far, growing, up to the final ones.
    const progress = events.filter((event) => event.status === 'RUNNING' && event.summary.fetched > 0);
    expect(progress.length).toBeGreaterThan(0);
    const fetched = events.map((event) => event.summary.fetched);
    expect([...fetched].sort((a, b) => a - b)).toEqual(fetched);
    expect(progress[progress.length - 1].summary.fetched).toBe(ended.connectorRunUpdated.summary.fetched);
  });

  it('limits apply to subscription documents; queries and mutations are refused on the socket', async () => {
    const client = open();
    const query = client.subscribe<unknown>('{ viewer { name } }');
    await waitFor('the refusal', () => query.results.length > 0 || query.ended);
    expect(JSON.stringify(query.ended ?? query.results)).toMatch(/only subscriptions are served on the WebSocket/);
    const levels = 'metric { pilotModel { taskGroup { program { taskGroups { edges { node { tasks { edges { node { taskGroup { program { name'.split(' { ');
    const deep = `subscription { freshnessChanged { ${levels.join(' { ')}${' }'.repeat(levels.length - 1)} } }`;
    const tooDeep = client.subscribe<unknown>(deep);
    await waitFor('the refusal', () => tooDeep.results.length > 0 || tooDeep.ended);
    expect(JSON.stringify(tooDeep.ended ?? tooDeep.results)).toMatch(/QUERY_TOO_DEEP/);
  });

  it('a key revoked while connected ends its connection (4403)', async () => {
    const key = await createKey(hub, Role.ANALYST, [], 'live revoked');
    const client = open(key.headers.authorization);
    client.subscribe<ObservationsEvent>(OBSERVATIONS);
    await subscribed(hub.hub.url, 'observationsChanged');
    await dataOf(hub, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.id });
    const closed = await client.waitClosed();
    expect(closed.code).toBe(4403);
  });

  it('GET answers carry a strong ETag and answer 304 when nothing changed (persisted queries too)', async () => {
    const query = '{ metric(code: "KCB_BIOMETRIC_VISITS") { code latest { period value } } }';
    const hash = createHash('sha256').update(query).digest('hex');
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
    const get = (search: string, headers: Record<string, string> = {}) =>
      fetch(`${hub.hub.url}?${search}`, { headers: { ...hub.headers, 'apollo-require-preflight': 'true', ...headers } });
    // Registered by sending the query with its hash once; then the hash alone is enough.
    const registered = await get(`query=${encodeURIComponent(query)}&extensions=${encodeURIComponent(extensions)}`);
    expect(registered.status).toBe(200);
    const first = await get(`extensions=${encodeURIComponent(extensions)}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(first.headers.get('vary')).toMatch(/Authorization/);
    expect(registered.headers.get('etag')).toBe(etag);

    const unchanged = await get(`extensions=${encodeURIComponent(extensions)}`, { 'if-none-match': etag });
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');

    // Another key (same answer) gets its own validation; a changed value gives another tag.
    await push(health, [{ metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-06-01', value: 777 }]);
    const changed = await get(`extensions=${encodeURIComponent(extensions)}`, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);

    // Errors get no ETag.
    const failed = await get(`query=${encodeURIComponent('{ metric(code: "NO_SUCH") { code } }')}`);
    expect(failed.headers.get('etag')).toBeNull();
    // POST answers stay no-store without a tag.
    const posted = await fetch(hub.hub.url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect(posted.headers.get('etag')).toBeNull();
    expect(posted.headers.get('cache-control')).toBe('no-store');
  });
});

function nextMonth(period: string): string {
  const [year, month] = period.slice(0, 7).split('-').map(Number);
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}
