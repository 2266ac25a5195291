import { startFeedSimulator } from '../../src/feeds/simulator';
import { demoConnectors } from '../../src/demo/demo-connectors';
import { districts2024 } from '../../src/feeds/feed-units';
import { unsecuredLoans } from '../../src/feeds/feed-values';
import { Observation } from '../../src/modules/observations/observation.entity';
import { ObservationRevision } from '../../src/modules/observations/observation-revision.entity';
import { databaseIdOf, dataOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

interface Run {
  id: string;
  trigger: string;
  status: string;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
  mappingVersion: number;
  durationMs: number;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
  rejections: { totalCount: number; edges: Array<{ node: { reason: string } }> };
}

const RUN_FIELDS = 'id trigger status attempts errorClass errorMessage mappingVersion durationMs summary { fetched imported updated unchanged rejected } rejections(first: 50) { totalCount edges { node { reason } } }';
// A window whose units are the 2024 districts and communes.
const FROM = '2024-03-01';
const TO = '2024-03-07';

describe('pulled connector runs against the feed simulator', () => {
  let hub: TestHub;
  let feeds: Awaited<ReturnType<typeof startFeedSimulator>>;
  const ids: Record<string, string> = {};

  async function run(id: string, window = { from: FROM, to: TO }): Promise<Run> {
    const data = await dataOf<{ runConnector: Run }>(
      hub,
      `mutation($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to, wait: true) { ${RUN_FIELDS} } }`,
      { id, ...window },
    );
    return data.runConnector;
  }

  async function setFault(feed: string, mode: string | null): Promise<void> {
    const response = await fetch(`${feeds.url}/_faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed, mode }) });
    expect(response.status).toBe(200);
  }

  beforeAll(async () => {
    feeds = await startFeedSimulator({ port: 0 });
    hub = await startTestHub({ allowServers: [feeds.url] });
    for (const definition of demoConnectors(feeds.url)) {
      const data = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', { input: definition });
      ids[definition.department] = data.registerConnector.id;
    }
  });
  afterEach(async () => {
    await fetch(`${feeds.url}/_faults`, { method: 'DELETE' });
  });
  afterAll(async () => {
    await hub.close();
    await feeds.close();
  });

  it('testConnector reaches each source and lists what it offers', async () => {
    for (const id of Object.values(ids)) {
      const data = await dataOf<{ testConnector: { ok: boolean; message: string; streams: Array<{ fields: string[] }> } }>(
        hub,
        `mutation { testConnector(id: "${id}") { ok message streams { fields } } }`,
      );
      expect(data.testConnector.ok).toBe(true);
      expect(data.testConnector.streams.length).toBeGreaterThan(0);
    }
  });

  it('each kind ingests its feed; a second run of the unchanged source writes nothing', async () => {
    for (const [department, id] of Object.entries(ids)) {
      const first = await run(id, department === 'NHCSXH' ? { from: '2024-01-01', to: '2024-04-30' } : { from: FROM, to: TO });
      expect({ department, status: first.status }).toEqual({ department, status: 'SUCCEEDED' });
      expect(first.trigger).toBe('BACKFILL');
      expect(first.summary.fetched).toBeGreaterThan(0);
      if (department === 'NHCSXH') {
        // The seed took January–March 2024 from the same generator: those values are unchanged, April is new.
        expect(first.summary).toEqual({ fetched: 21 * 2 * 4, imported: 21 * 2, updated: 0, unchanged: 21 * 2 * 3, rejected: 0 });
      } else {
        // No seeded values at these units (health: communes) or for these metrics (models not started): all new.
        expect(first.summary.imported).toBe(first.summary.fetched);
      }
      expect(first.summary.rejected).toBe(0);
    }
    const health = await run(ids.SO_YT);
    const before = await hub.dataSource.getRepository(Observation).find({ order: { id: 'ASC' } });
    const again = await run(ids.SO_YT);
    expect(again.summary).toEqual({ fetched: health.summary.fetched, imported: 0, updated: 0, unchanged: health.summary.fetched, rejected: 0 });
    expect(await hub.dataSource.getRepository(Observation).find({ order: { id: 'ASC' } })).toEqual(before);
    // A seeded demo value the feed serves again is left as it was: same value, no revision.
    const seeded = await dataOf<{ observations: { edges: Array<{ node: { value: number; source: string; revisions: unknown[] } }> } }>(
      hub,
      '{ observations(filter: { metric: "LOANS_UNSECURED_COUNT", unit: "412", from: "2024-01", to: "2024-01" }, first: 1) { edges { node { value source revisions { value } } } } }',
    );
    const loans = seeded.observations.edges[0].node;
    expect(loans).toEqual({ value: unsecuredLoans(districts2024.find((unit) => unit.code === '412')!, '2024-01').count, source: 'demo-seed', revisions: [] });
    expect(await hub.dataSource.getRepository(ObservationRevision).count()).toBe(0);
    // 460 communes × 7 days in March 2024.
    expect(health.summary.fetched).toBe(460 * 7);
  });

  it('the transport feed yields two metrics per record; the DHIS2 feed maps data elements to metrics', async () => {
    const metrics = await hub.dataSource.query(
      `SELECT m.code AS code, COUNT(*) AS n FROM observation o JOIN metric m ON m.id = o.metricId WHERE o.source IN (?, ?) GROUP BY m.code`,
      [`connector:${databaseIdOf(ids.SO_GTVT)}`, `connector:${databaseIdOf(ids.NHCSXH)}`],
    );
    // Sorted here: the databases' collations order "_" differently.
    const counts = metrics.map((row: { code: string; n: number | string }) => [row.code, Number(row.n)]).sort();
    expect(counts).toEqual([
      ['DRIVE_TESTS_MONITORED', 21 * 7],
      ['DRIVE_TEST_ID_MISMATCH', 21 * 7],
      // April 2024 only: January–March were already stored (seeded from the same generator).
      ['LOANS_UNSECURED_AMOUNT', 21],
      ['LOANS_UNSECURED_COUNT', 21],
    ]);
  });

  it('metrics, pilot models and departments report freshness from the latest period stored', async () => {
    const data = await dataOf<{
      metric: { freshness: { status: string; latestPeriod: string; reportingLagDays: number } };
      kiosk: { freshness: { status: string; latestPeriod: string } };
      pilotModel: { freshness: { status: string; onTime: number; late: number; missing: number } };
      department: { freshness: { status: string; late: number; missing: number } };
    }>(
      hub,
      `{ metric(code: "KCB_BIOMETRIC_VISITS") { freshness { status latestPeriod reportingLagDays } }
         kiosk: metric(code: "KIOSK_NOTARIZATIONS") { freshness { status latestPeriod } }
         pilotModel(code: "M03") { freshness { status onTime late missing } }
         department(code: "SO_YT") { freshness { status late missing } } }`,
    );
    // The data stops in March 2024 (the seeded demo values run to the 31st), long before today.
    expect(data.metric.freshness).toEqual({ status: 'LATE', latestPeriod: '2024-03-31', reportingLagDays: 1 });
    expect(data.kiosk.freshness).toEqual({ status: 'LATE', latestPeriod: TO });
    expect(data.pilotModel.freshness).toEqual({ status: 'LATE', onTime: 0, late: 2, missing: 0 });
    // SO_YT also leads models not started yet, whose metrics have never reported.
    expect(data.department.freshness.status).toBe('MISSING');
    expect(data.department.freshness.missing).toBeGreaterThan(0);
  });

  it('a changed mapping is a new version, and values written under it record it', async () => {
    const mapping = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date', transform: 'dateToPeriod' }, value: { field: 'visits', transform: 'number' } };
    type Version = { version: number; mapping: Record<string, unknown>; createdAt: string; createdBy: string };
    const updated = await dataOf<{ updateConnector: { mappingVersion: number; mapping: Record<string, unknown>; mappingVersions: Version[] } }>(
      hub,
      `mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { mappingVersion mapping mappingVersions { version mapping createdAt createdBy } } }`,
      { id: ids.SO_YT, input: { mapping } },
    );
    expect(updated.updateConnector.mappingVersion).toBe(2);
    // Every version, newest (the current mapping) first, with when and by whom it was saved.
    const [current, first] = updated.updateConnector.mappingVersions;
    expect(updated.updateConnector.mappingVersions.map((version) => version.version)).toEqual([2, 1]);
    expect([current.mapping, updated.updateConnector.mapping]).toEqual([mapping, mapping]);
    expect(first.mapping).not.toEqual(mapping);
    expect(Date.parse(current.createdAt)).toBeGreaterThanOrEqual(Date.parse(first.createdAt));
    expect(current.createdBy).toBe('PILOTHUB_ADMIN_KEY');
    const next = await run(ids.SO_YT, { from: '2024-03-08', to: '2024-03-08' });
    expect(next.mappingVersion).toBe(2);
    const versions = await hub.dataSource.query('SELECT DISTINCT mappingVersion AS v FROM observation WHERE source = ? AND period = ?', [`connector:${databaseIdOf(ids.SO_YT)}`, '2024-03-08']);
    expect(versions.map((row: { v: number }) => Number(row.v))).toEqual([2]);
  });

  // Time limit of a run in these tests: 2 attempts × 2 requests (the client retries once) × 1.5 s, plus slack.
  const RUN_LIMIT_MS = 2 * 2 * 1_500 + 2_000;

  it.each([
    ['health', 'http500', 'SOURCE_UNAVAILABLE', 2],
    ['health', 'timeout', 'TIMEOUT', 2],
    ['health', 'slow', 'TIMEOUT', 2],
    ['health', 'malformed', 'BAD_PAYLOAD', 1],
    ['justice', 'malformed', 'BAD_PAYLOAD', 1],
    ['health', 'huge', 'BAD_PAYLOAD', 1],
  ])('%s feed fault %s fails the run as %s after %i attempt(s), in time, writing nothing', async (feed, mode, errorClass, attempts) => {
    const count = await hub.dataSource.getRepository(Observation).count();
    await setFault(feed, mode);
    const failed = await run(feed === 'health' ? ids.SO_YT : ids.SO_TP, { from: '2024-04-01', to: '2024-04-02' });
    expect(failed).toMatchObject({ status: 'FAILED', errorClass, attempts });
    expect(failed.durationMs).toBeLessThan(RUN_LIMIT_MS);
    expect(failed.errorMessage).toBeTruthy();
    expect(failed.summary.fetched).toBe(0);
    expect(await hub.dataSource.getRepository(Observation).count()).toBe(count);
    const health = await dataOf<{ connector: { health: { status: string; consecutiveFailures: number; lastError: string } } }>(
      hub,
      `{ connector(id: "${feed === 'health' ? ids.SO_YT : ids.SO_TP}") { health { status consecutiveFailures lastError } } }`,
    );
    expect(health.connector.health.status).toBe('FAILING');
    expect(health.connector.health.lastError).toBe(failed.errorMessage);
  });

  it('bad rows are rejected with reasons while the good rows of the same feed are kept', async () => {
    await setFault('justice', 'badrows');
    const partial = await run(ids.SO_TP, { from: '2024-04-01', to: '2024-04-30' });
    expect(partial.status).toBe('PARTIAL');
    expect(partial.summary.rejected).toBeGreaterThan(0);
    expect(partial.summary.imported).toBeGreaterThan(partial.summary.rejected);
    expect(partial.summary.fetched).toBe(partial.summary.imported + partial.summary.updated + partial.summary.unchanged + partial.summary.rejected);
    const reasons = new Set(partial.rejections.edges.map((edge) => edge.node.reason));
    expect([...reasons].every((reason) => ['NEGATIVE_VALUE', 'NOT_A_NUMBER', 'UNKNOWN_UNIT', 'FUTURE_PERIOD', 'MALFORMED_PERIOD'].includes(reason))).toBe(true);
    expect(reasons.size).toBeGreaterThan(1);
  });

  it('a renamed field rejects every row as missing its value and never writes zeros', async () => {
    await setFault('health', 'renamed');
    const zeros = await hub.dataSource.getRepository(Observation).count({ where: { value: 0 } });
    const renamed = await run(ids.SO_YT, { from: '2024-05-01', to: '2024-05-01' });
    expect(renamed.status).toBe('PARTIAL');
    expect(renamed.summary.imported).toBe(0);
    expect(renamed.summary.rejected).toBe(renamed.summary.fetched);
    expect(new Set(renamed.rejections.edges.map((edge) => edge.node.reason))).toEqual(new Set(['MISSING_VALUE']));
    expect(await hub.dataSource.getRepository(Observation).count({ where: { value: 0 } })).toBe(zeros);
  });

  it('a hanging feed does not hold up another connector', async () => {
    await setFault('health', 'hang');
    const started = Date.now();
    let hangingEnded = false;
    const hanging = run(ids.SO_YT, { from: '2024-06-01', to: '2024-06-01' }).finally(() => (hangingEnded = true));
    const other = await run(ids.SO_TP, { from: '2024-06-01', to: '2024-06-02' });
    expect(other.status).toBe('SUCCEEDED');
    // The other connector finished while the hanging one was still going through its timed-out attempts (1.5 s
    // each in tests): an order, not a time bound, so a loaded machine cannot turn it red.
    expect(hangingEnded).toBe(false);
    const failed = await hanging;
    const hangingMs = Date.now() - started;
    expect(failed).toMatchObject({ status: 'FAILED', errorClass: 'TIMEOUT' });
    expect(failed.durationMs).toBeLessThan(RUN_LIMIT_MS);
    expect(hangingMs).toBeGreaterThan(2 * 1500);
  });
});
