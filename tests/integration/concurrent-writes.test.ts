/**
 * Concurrent writers over the real HTTP API: each race is run many times with Promise.all, on SQLite and on
 * MariaDB. Changes to different fields of one connector both survive; mapping versions stay contiguous and the
 * connector's mappingVersion is the newest stored one; a stale expectedVersion is refused CONFLICT; two pushes of
 * the same natural keys both succeed (one inserts, the other updates), never FAILED/INTERNAL.
 */
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const TRIES = 20;

const REGISTER = `mutation($input: ConnectorInput!) { registerConnector(input: $input) { id version } }`;
const UPDATE = `mutation($id: ID!, $input: ConnectorUpdateInput!) { updateConnector(id: $id, input: $input) { id version mappingVersion lookbackDays config } }`;
const READ = `query($id: ID!) { connector(id: $id) { version mappingVersion lookbackDays config mapping } }`;
const PUSH = `mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) {
  run { id status errorClass errorMessage } summary { fetched imported updated unchanged rejected } } }`;

interface ConnectorState {
  version: number;
  mappingVersion: number;
  lookbackDays: number;
  config: Record<string, unknown>;
  mapping: Record<string, unknown>;
}

/** A push mapping whose unit column is named `unitField`. */
const mappingWithUnit = (unitField: string) => ({
  metric: { field: 'metric' },
  unit: { field: unitField },
  period: { field: 'period' },
  value: { field: 'value' },
});

describe('concurrent writers', () => {
  let hub: TestHub;
  let departmentHeaders: Record<string, string>;

  beforeAll(async () => {
    hub = await startTestHub();
    departmentHeaders = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
  });
  afterAll(async () => {
    await hub.close();
  });

  async function register(name: string): Promise<string> {
    const data = await dataOf<{ registerConnector: { id: string; version: number } }>(hub, REGISTER, {
      input: { name, kind: 'push', department: 'SO_YT', config: {} },
    });
    expect(data.registerConnector.version).toBe(1);
    return data.registerConnector.id;
  }

  async function read(id: string): Promise<ConnectorState> {
    return (await dataOf<{ connector: ConnectorState }>(hub, READ, { id })).connector;
  }

  async function storedVersions(id: string): Promise<number[]> {
    const rows: Array<{ version: number | string }> = await hub.dataSource.query(
      'SELECT version FROM connector_mapping_version WHERE connectorId = ? ORDER BY version',
      [databaseIdOf(id)],
    );
    return rows.map((row) => Number(row.version));
  }

  it('keeps both of two concurrent changes to different fields (a department changes config, an admin lookbackDays)', async () => {
    const id = await register('Race: config and look-back');
    for (let attempt = 0; attempt < TRIES; attempt += 1) {
      const before = await read(id);
      const [department, admin] = await Promise.all([
        hub.graphql(UPDATE, { id, input: { config: { maxRowsPerPush: 1_000 + attempt } } }, departmentHeaders),
        hub.graphql(UPDATE, { id, input: { lookbackDays: 10 + attempt } }),
      ]);
      expect([department.errors, admin.errors]).toEqual([undefined, undefined]);
      const after = await read(id);
      expect({ attempt, config: after.config, lookbackDays: after.lookbackDays }).toEqual({ attempt, config: { maxRowsPerPush: 1_000 + attempt }, lookbackDays: 10 + attempt });
      // Each change is one new version.
      expect(after.version).toBe(before.version + 2);
    }
  });

  it('allocates mapping versions atomically: concurrent mapping changes each get their own version', async () => {
    const id = await register('Race: mappings');
    for (let attempt = 0; attempt < TRIES; attempt += 1) {
      const responses = await Promise.all([
        hub.graphql(UPDATE, { id, input: { mapping: mappingWithUnit(`unitA${attempt}`) } }),
        hub.graphql(UPDATE, { id, input: { mapping: mappingWithUnit(`unitB${attempt}`) } }, departmentHeaders),
      ]);
      expect(responses.map((response) => response.errors)).toEqual([undefined, undefined]);
      const versions = await storedVersions(id);
      expect(versions).toEqual(Array.from({ length: 3 + 2 * attempt }, (_, index) => index + 1));
      const state = await read(id);
      expect(state.mappingVersion).toBe(versions[versions.length - 1]);
      // The current mapping is the one stored under the current version.
      const [current] = await hub.dataSource.query('SELECT mapping FROM connector_mapping_version WHERE connectorId = ? AND version = ?', [databaseIdOf(id), state.mappingVersion]);
      expect(JSON.parse(current.mapping)).toEqual(state.mapping);
    }
  });

  it('repairs a connector whose mappingVersion fell behind its stored versions instead of failing every mapping change', async () => {
    const id = await register('Broken version counter');
    await dataOf(hub, UPDATE, { id, input: { mapping: mappingWithUnit('u2') } });
    await dataOf(hub, UPDATE, { id, input: { mapping: mappingWithUnit('u3') } });
    // The state an older version left behind after a lost race: versions 1-3 stored, the connector says 2.
    await hub.dataSource.query('UPDATE connector SET mappingVersion = 2 WHERE id = ?', [databaseIdOf(id)]);
    const data = await dataOf<{ updateConnector: { mappingVersion: number } }>(hub, UPDATE, { id, input: { mapping: mappingWithUnit('u4') } });
    expect(data.updateConnector.mappingVersion).toBe(4);
    expect(await storedVersions(id)).toEqual([1, 2, 3, 4]);
  });

  it('refuses a change made against a stale version with CONFLICT and changes nothing; the current version passes', async () => {
    const id = await register('Optimistic writer');
    const first = await read(id);
    await dataOf(hub, UPDATE, { id, input: { expectedVersion: first.version, lookbackDays: 30 } });
    const error = await errorOf(hub, UPDATE, { id, input: { expectedVersion: first.version, config: { maxRowsPerPush: 5 } } }, departmentHeaders);
    expect(error.extensions?.code).toBe('CONFLICT');
    expect(error.message).toMatch(/version/);
    const now = await read(id);
    expect(now).toMatchObject({ version: first.version + 1, lookbackDays: 30, config: {} });
    // Of two writers holding the same version, exactly one wins.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const { version } = await read(id);
      const responses = await Promise.all([
        hub.graphql(UPDATE, { id, input: { expectedVersion: version, lookbackDays: 40 + attempt } }),
        hub.graphql(UPDATE, { id, input: { expectedVersion: version, config: { maxRowsPerPush: 50 + attempt } } }, departmentHeaders),
      ]);
      const codes = responses.map((response) => response.errors?.[0]?.extensions?.code ?? 'OK').sort();
      expect(codes).toEqual(['CONFLICT', 'OK']);
      expect((await read(id)).version).toBe(version + 1);
    }
  });

  it('stores two concurrent pushes of the same keys (GraphQL and POST /ingest) without a failed run', async () => {
    const id = await register('Race: pushes');
    const units: Array<{ code: string }> = await hub.dataSource.query(
      "SELECT code FROM administrative_unit WHERE level = 'DISTRICT' AND validFrom <= '2024-05-01' ORDER BY code",
    );
    expect(units.length).toBeGreaterThan(10);
    const ingestUrl = hub.hub.url.replace('/graphql', `/ingest/${id}`);
    const rowsFor = (attempt: number, side: number) =>
      units.flatMap(({ code }, index) => [
        // New keys every attempt (both writers insert), and the same keys every attempt (both update).
        { metric: 'KCB_BIOMETRIC_VISITS', unit: code, period: `2024-05-${String(attempt + 1).padStart(2, '0')}`, value: 100 * side + index },
        { metric: 'KCB_BIOMETRIC_VISITS', unit: code, period: '2024-04-30', value: 1_000 * (attempt + 1) + 10 * side + index },
      ]);
    for (let attempt = 0; attempt < TRIES; attempt += 1) {
      const [graphql, rest] = await Promise.all([
        hub.graphql<{ submitObservations: { run: { status: string; errorClass: string | null; errorMessage: string | null }; summary: Record<string, number> } }>(
          PUSH,
          { id, rows: rowsFor(attempt, 1) },
          departmentHeaders,
        ),
        fetch(ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...hub.headers }, body: JSON.stringify(rowsFor(attempt, 2)) }).then(
          async (response) => ({ status: response.status, body: (await response.json()) as { run?: { status: string }; summary?: Record<string, number>; errors?: unknown } }),
        ),
      ]);
      expect({ attempt, errors: graphql.errors, status: rest.status, restErrors: rest.body.errors }).toEqual({ attempt, errors: undefined, status: 200, restErrors: undefined });
      expect([graphql.data!.submitObservations.run.status, rest.body.run!.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
      const summaries = [graphql.data!.submitObservations.summary, rest.body.summary!];
      // Every new key was inserted by exactly one of the two; the other writer found it and replaced its value.
      expect(summaries[0].imported + summaries[1].imported).toBe(attempt === 0 ? 2 * units.length : units.length);
      for (const summary of summaries) expect(summary.rejected).toBe(0);
    }
    const failed: Array<{ n: number | string }> = await hub.dataSource.query("SELECT COUNT(*) AS n FROM connector_run WHERE connectorId = ? AND status <> 'SUCCEEDED'", [databaseIdOf(id)]);
    expect(Number(failed[0].n)).toBe(0);
    const stored: Array<{ n: number | string }> = await hub.dataSource.query('SELECT COUNT(*) AS n FROM observation WHERE source = ?', [`connector:${databaseIdOf(id)}`]);
    expect(Number(stored[0].n)).toBe(units.length * (TRIES + 1));
    // Each value that was replaced is kept as a revision: the history of a key has no gap.
    const [key] = await hub.dataSource.query("SELECT id, value FROM observation WHERE source = ? AND period = '2024-04-30' ORDER BY id LIMIT 1", [`connector:${databaseIdOf(id)}`]);
    const revisions: Array<{ value: number | string }> = await hub.dataSource.query('SELECT value FROM observation_revision WHERE observationId = ? ORDER BY id', [key.id]);
    const history = [...revisions.map((revision) => Number(revision.value)), Number(key.value)];
    expect(history).toHaveLength(2 * TRIES);
    expect(new Set(history).size).toBe(2 * TRIES);
  });
});
