/**
 * Connector acceptance suite: the same checks for every connector kind in the registry (CONNECTOR_KIND_NAMES), so
 * a new kind gets them by adding its fixture below (the suite fails for a kind without one):
 *   - an invalid configuration is refused at registration, naming the field;
 *   - testConnector against an unreachable source fails with a source error, and so does a run;
 *   - testConnector (check + discover) returns fields and samples;
 *   - two reads of an unchanged source give the same records and the same summary, the second writing nothing;
 *   - the incremental state survives being stored (JSON) and resumed: the next read accepts it and ends at it;
 *   - a read that fails partway and is retried counts the source once;
 *   - the secrets never appear in any output: answers, errors, the ledger, rejections, stored state, logs.
 * Sources: the hostile feed server (tests/helpers/hostile-feed.ts) for HTTP kinds, the machine's MariaDB for sql
 * (through a TCP proxy, tests/helpers/tcp-proxy.ts, for the read that fails partway).
 */
import { Writable } from 'node:stream';
import { createConnection, type Connection } from 'mysql2/promise';
import { CONNECTOR_KIND_NAMES, connectorKind } from '../../connectors/registry';
import { SQL_BATCH_SIZE } from '../../connectors/sql/sql.connector';
import { communes2024 } from '../../src/feeds/feed-units';
import type { ReadWindow } from '../../connectors/sdk/contract';
import { collect, testContext } from '../../connectors/sdk/testing';
import { ConnectorRun, RunRejection } from '../../src/modules/connectors/connector-run.entity';
import { Connector } from '../../src/modules/connectors/connector.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { errorOf, databaseIdOf } from '../helpers/api';
import { closedPort, dhis2Values, HEALTH_ROWS, healthRows, startHostileFeed, type HostileFeed } from '../helpers/hostile-feed';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const SECRET = `Acc-s3cret-${process.pid}-Vq7wZ`;
const MARCH: ReadWindow = { from: '2024-03-01', to: '2024-03-31' };
const SQL_SERVER = { host: '127.0.0.1', port: 3306 };
const SUFFIX = `${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
const SQL_DATABASE = `pilothub_accept_src_${SUFFIX}`;
const SQL_USER = `ph_accept_${SUFFIX}`;
/** Rows of the sql kind's flaky set: every 2024 commune on every day of MARCH, about three batches. */
const SQL_FLAKY_DAYS = Array.from({ length: 31 }, (_, index) => `2024-03-${String(index + 1).padStart(2, '0')}`);
const SQL_FLAKY_ROWS = communes2024.length * SQL_FLAKY_DAYS.length;
/**
 * Where the proxy cuts the first connection of the flaky sql read: past the first batch of rows and before the
 * last row. A row of the result is 21 bytes on the wire (binary protocol: 4 header, 1 flag, 1 null bitmap, 6 unit
 * code, 5 date, 4 int) and what precedes the rows is a few kilobytes, so the first batch ends near 108 KB and the
 * result near 300 KB; the test checks the proportions it measured.
 */
const SQL_CUT_AFTER_BYTES = 160_000;

const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id name kind config mappingVersion } }';
const TEST = 'mutation($id: ID!) { testConnector(id: $id) { ok message warnings streams { name fields sample } } }';
const RUN = `mutation($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to, wait: true) {
  status attempts errorClass errorMessage summary { fetched imported updated unchanged rejected }
  rejections(first: 50) { totalCount edges { node { rowIndex reason message raw } } } } }`;
const CONNECTOR = `query($id: ID!) { connector(id: $id) { id config mapping health { status lastError consecutiveFailures } } }`;

interface RunResult {
  status: string;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
  rejections: { totalCount: number };
}

/** What the suite needs of a kind: a working source and ways to break it. */
interface Fixture {
  department: string;
  mapping?: Record<string, unknown>;
  /** Whether the hub pulls from the source (push kinds only receive). */
  pulls: boolean;
  /** A configuration reaching a source that holds `rows` rows in MARCH; `set` keeps kinds' values apart. */
  config: (set: number) => Record<string, unknown>;
  secrets: Array<{ name: string; value: string }>;
  rows: number;
  /** A configuration the kind refuses, and the field the refusal names. */
  invalid: { config: Record<string, unknown>; field: string };
  /** A configuration whose source cannot be reached. */
  unreachable?: (port: number) => Record<string, unknown>;
  /**
   * A source whose read fails partway the first time (every try of the HTTP client), then succeeds: its
   * configuration, and the window and rows when they are not MARCH and `rows`; `arm` (when given) is called just
   * before the run, and `check` after it.
   */
  flaky?: (set: number) => { config: Record<string, unknown>; window?: ReadWindow; rows?: number; arm?: () => void; check?: () => void };
  /** Why the kind has no flaky source here. */
  noFlaky?: string;
}

function fixtures(feed: HostileFeed, sqlProxy: TcpProxy): Record<string, Fixture> {
  const auth = { Authorization: 'Bearer {{secret:token}}' };
  const token = [{ name: 'token', value: SECRET }];
  return {
    'http-json': {
      department: 'SO_YT',
      pulls: true,
      mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date', transform: 'dateToPeriod' }, value: { field: 'visits' } },
      config: (set) => ({ url: `${feed.url}/health`, headers: auth, query: { set: String(set) }, recordsPath: 'data', pagination: { type: 'page', pageParam: 'page', size: 4 } }),
      secrets: token,
      rows: HEALTH_ROWS,
      invalid: { config: { url: 'ftp://example.org/feed', recordsPath: 'data' }, field: 'input.config.url' },
      unreachable: (port) => ({ url: `http://127.0.0.1:${port}/health`, headers: auth, recordsPath: 'data' }),
      flaky: (set) => ({
        config: {
          url: `${feed.url}/health`,
          headers: auth,
          query: { set: String(set), key: `accept${set}`, failPage: '2', failTimes: '2' },
          recordsPath: 'data',
          pagination: { type: 'page', pageParam: 'page', size: 4 },
        },
      }),
    },
    csv: {
      department: 'SO_YT',
      pulls: true,
      mapping: {
        metric: { constant: 'KCB_BIOMETRIC_VISITS' },
        unit: { field: 'ma_don_vi' },
        period: { field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' },
        value: { field: 'so_luot', transform: 'number' },
      },
      config: (set) => ({ source: { url: `${feed.url}/csv`, headers: auth, query: { set: String(set) } }, delimiter: ';' }),
      secrets: token,
      rows: HEALTH_ROWS,
      invalid: { config: { source: { url: `${feed.url}/csv` }, delimiter: 'tab' }, field: 'input.config.delimiter' },
      unreachable: (port) => ({ source: { url: `http://127.0.0.1:${port}/data.csv`, headers: auth }, delimiter: ';' }),
      flaky: (set) => ({ config: { source: { url: `${feed.url}/csv`, headers: auth, query: { set: String(set), key: `accept${set}`, failTimes: '2' } }, delimiter: ';' } }),
    },
    dhis2: {
      department: 'NHCSXH',
      pulls: true,
      mapping: {
        metric: { field: 'dataElement', lookup: { LoanCount: 'LOANS_UNSECURED_COUNT' } },
        unit: { field: 'orgUnit' },
        period: { field: 'period', transform: 'dhis2Period' },
        value: { field: 'value', transform: 'number' },
      },
      // The hostile DHIS2 serves one value set; sets apart are not needed (one connector of the kind writes them).
      config: () => ({ baseUrl: `${feed.url}/dhis2`, dataSet: 'LOANS', orgUnit: 'root', children: true }),
      secrets: token,
      rows: dhis2Values().filter((value) => value.period === '202403').length,
      invalid: { config: { baseUrl: `${feed.url}/dhis2/api`, dataSet: 'LOANS' }, field: 'input.config.baseUrl' },
      unreachable: (port) => ({ baseUrl: `http://127.0.0.1:${port}`, dataSet: 'LOANS' }),
      // A window of two years is read one year per request (one batch each): the 2025 request fails.
      flaky: (set) => ({
        config: { baseUrl: `${feed.url}/fail-2025-accept${set}/dhis2`, dataSet: 'LOANS', orgUnit: 'root', children: true },
        window: { from: '2024-01-01', to: '2025-12-31' },
        rows: dhis2Values().length,
      }),
    },
    sql: {
      department: 'SO_YT',
      pulls: true,
      mapping: { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'unit_code' }, period: { field: 'day', transform: 'dateToPeriod' }, value: { field: 'visits' } },
      config: (set) => ({ ...SQL_SERVER, database: SQL_DATABASE, user: SQL_USER, query: `SELECT unit_code, day, visits FROM visits WHERE day BETWEEN :from AND :to AND set_no = ${set}` }),
      secrets: [{ name: 'password', value: SECRET }],
      rows: HEALTH_ROWS,
      invalid: { config: { ...SQL_SERVER, database: SQL_DATABASE, user: SQL_USER, query: 'DELETE FROM visits' }, field: 'input.config.query' },
      unreachable: (port) => ({ host: SQL_SERVER.host, port, database: SQL_DATABASE, user: SQL_USER, query: 'SELECT unit_code, day, visits FROM visits' }),
      // The server dies partway through the answer to the read's SELECT, after the first batch of rows has been handed
      // on (and written): the proxy in front of MariaDB cuts the read's connection after SQL_CUT_AFTER_BYTES bytes.
      // The retry reads the whole result again on a new connection.
      flaky: (set) => {
        let before = 0;
        return {
          config: { host: SQL_SERVER.host, port: sqlProxy.port, database: SQL_DATABASE, user: SQL_USER, query: `SELECT unit_code, day, visits FROM visits WHERE day BETWEEN :from AND :to AND set_no = ${set}` },
          rows: SQL_FLAKY_ROWS,
          arm: () => {
            before = sqlProxy.served.length;
            sqlProxy.cutNextAfter(SQL_CUT_AFTER_BYTES);
          },
          check: () => {
            const [cut, ...later] = sqlProxy.served.slice(before);
            expect(cut).toBe(SQL_CUT_AFTER_BYTES);
            // The retry read the whole answer; the first connection was cut after more than its first batch's share of
            // it and before its end.
            const whole = Math.max(...later);
            expect(whole).toBeGreaterThan(SQL_CUT_AFTER_BYTES);
            expect(SQL_CUT_AFTER_BYTES / whole).toBeGreaterThan(SQL_BATCH_SIZE / SQL_FLAKY_ROWS + 0.05);
          },
        };
      },
    },
    push: {
      department: 'SO_YT',
      pulls: false,
      config: () => ({}),
      secrets: [],
      rows: 0,
      invalid: { config: { maxRowsPerPush: 0 }, field: 'input.config.maxRowsPerPush' },
    },
  };
}

describe('connector acceptance', () => {
  let hub: TestHub;
  let feed: HostileFeed;
  let admin: Connection;
  let all: Record<string, Fixture>;
  let sqlProxy: TcpProxy;
  let unreachablePort: number;
  let counter = 0;
  /** Every answer and log line, scanned for the secret at the end. */
  const outputs: string[] = [];
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      outputs.push(chunk.toString('utf8'));
      done();
    },
  });

  async function call<T>(query: string, variables: Record<string, unknown>): Promise<T> {
    const response = await hub.graphql<T>(query, variables);
    outputs.push(JSON.stringify(response));
    expect(response.errors).toBeUndefined();
    return response.data as T;
  }
  async function register(kind: string, fixture: Fixture, config: Record<string, unknown>): Promise<string> {
    const input = {
      name: `Acceptance ${kind} ${++counter}`,
      kind,
      department: fixture.department,
      ...(fixture.pulls ? { schedule: '0 0 1 1 *' } : {}),
      lookbackDays: 3,
      config,
      ...(fixture.mapping ? { mapping: fixture.mapping } : {}),
      secrets: fixture.secrets,
    };
    return (await call<{ registerConnector: { id: string } }>(REGISTER, { input })).registerConnector.id;
  }
  const run = async (id: string, window: ReadWindow = MARCH) => (await call<{ runConnector: RunResult }>(RUN, { id, ...window })).runConnector;
  const fixtureOf = (kind: string): Fixture => {
    const fixture = all[kind];
    if (!fixture) throw new Error(`no acceptance fixture for connector kind "${kind}": add one to tests/integration/connector-acceptance.test.ts`);
    return fixture;
  };
  const setOf = (kind: string) => 10 + CONNECTOR_KIND_NAMES.indexOf(kind) * 3;

  beforeAll(async () => {
    feed = await startHostileFeed();
    unreachablePort = await closedPort();
    admin = await createConnection({ ...SQL_SERVER, user: 'root', password: '', connectTimeout: 5_000 });
    await admin.query(`DROP DATABASE IF EXISTS \`${SQL_DATABASE}\``);
    await admin.query(`CREATE DATABASE \`${SQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await admin.query(`CREATE TABLE \`${SQL_DATABASE}\`.visits (set_no int NOT NULL, unit_code varchar(10) NOT NULL, day date NOT NULL, visits int NOT NULL, PRIMARY KEY (set_no, unit_code, day))`);
    const rows = [0, 2].flatMap((offset) => healthRows(setOf('sql') + offset).map((row) => [setOf('sql') + offset, row.communeCode, row.date, row.visits]));
    // The flaky set: large enough for several batches.
    rows.push(...SQL_FLAKY_DAYS.flatMap((day, dayIndex) => communes2024.map((commune, index) => [setOf('sql') + 1, commune.code, day, 1 + ((index + dayIndex) % 90)])));
    // And yesterday's, for discover (it samples recent days); outside every window the runs here read.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    rows.push(...[0, 1, 2].map((offset) => [setOf('sql') + offset, healthRows(setOf('sql') + offset)[0].communeCode, yesterday, 1]));
    await admin.query(`INSERT INTO \`${SQL_DATABASE}\`.visits VALUES ?`, [rows]);
    await admin.query(`DROP USER IF EXISTS '${SQL_USER}'@'%'`);
    await admin.query(`CREATE USER '${SQL_USER}'@'%' IDENTIFIED BY '${SECRET}'`);
    await admin.query(`GRANT SELECT ON \`${SQL_DATABASE}\`.* TO '${SQL_USER}'@'%'`);
    sqlProxy = await startTcpProxy(SQL_SERVER.host, SQL_SERVER.port);
    all = fixtures(feed, sqlProxy);
    hub = await startTestHub({
      allowServers: [feed.url, `http://127.0.0.1:${unreachablePort}`, `http://${SQL_SERVER.host}:${SQL_SERVER.port}`, `http://${SQL_SERVER.host}:${sqlProxy.port}`],
      allowServersFor: ['SO_YT', 'NHCSXH'],
      logDestination: logs,
    });
  });
  afterAll(async () => {
    await hub?.close();
    await feed?.close();
    await sqlProxy?.close();
    if (admin) {
      await admin.query(`DROP USER IF EXISTS '${SQL_USER}'@'%'`);
      await admin.query(`DROP DATABASE IF EXISTS \`${SQL_DATABASE}\``);
      await admin.end();
    }
  });

  describe.each(CONNECTOR_KIND_NAMES.map((kind) => [kind]))('%s', (kind) => {
    it('has a fixture here', () => {
      expect(all[kind]).toBeDefined();
    });

    it('refuses an invalid configuration at registration, naming the field', async () => {
      const fixture = fixtureOf(kind);
      const error = await errorOf(hub, REGISTER, {
        input: { name: `Invalid ${kind}`, kind, department: fixture.department, ...(fixture.pulls ? { schedule: '0 0 1 1 *' } : {}), config: fixture.invalid.config, ...(fixture.mapping ? { mapping: fixture.mapping } : {}) },
      });
      outputs.push(JSON.stringify(error));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: fixture.invalid.field });
      expect(error.message.startsWith(`${fixture.invalid.field}:`)).toBe(true);
    });

    it('fails test and run against an unreachable source with a source error', async () => {
      const fixture = fixtureOf(kind);
      if (!fixture.unreachable) return expect(fixture.pulls).toBe(false);
      const id = await register(kind, fixture, fixture.unreachable(unreachablePort));
      const test = await call<{ testConnector: { ok: boolean; message: string } }>(TEST, { id });
      expect(test.testConnector.ok).toBe(false);
      expect(test.testConnector.message).not.toMatch(/INTERNAL/);
      const result = await run(id);
      expect(result).toMatchObject({ status: 'FAILED', errorClass: 'SOURCE_UNAVAILABLE' });
      expect(result.summary.fetched).toBe(0);
    });

    it('discovers fields and samples, reads the same twice, and counts a retried read once', async () => {
      const fixture = fixtureOf(kind);
      if (!fixture.pulls) return;
      const id = await register(kind, fixture, fixture.config(setOf(kind)));
      const test = await call<{ testConnector: { ok: boolean; message: string; streams: Array<{ fields: string[]; sample: unknown[] }> } }>(TEST, { id });
      expect(test.testConnector.ok).toBe(true);
      expect(test.testConnector.streams.length).toBeGreaterThan(0);
      expect(test.testConnector.streams[0].fields.length).toBeGreaterThan(0);
      expect(test.testConnector.streams[0].sample.length).toBeGreaterThan(0);

      const first = await run(id);
      expect(first).toMatchObject({ status: 'SUCCEEDED', attempts: 1, errorClass: null });
      expect(first.summary.fetched).toBe(fixture.rows);
      expect(first.summary.imported + first.summary.updated).toBe(fixture.rows);
      const before = await hub.dataSource.getRepository(Observation).find({ where: { source: `connector:${databaseIdOf(id)}` }, order: { id: 'ASC' } });
      expect(before).toHaveLength(fixture.rows);
      const second = await run(id);
      expect(second.summary).toEqual({ fetched: fixture.rows, imported: 0, updated: 0, unchanged: fixture.rows, rejected: 0 });
      expect(await hub.dataSource.getRepository(Observation).find({ where: { source: `connector:${databaseIdOf(id)}` }, order: { id: 'ASC' } })).toEqual(before);

      if (!fixture.flaky) return expect(fixture.noFlaky).toBeTruthy();
      const flaky = fixture.flaky(setOf(kind) + 1);
      const rows = flaky.rows ?? fixture.rows;
      const flakyId = await register(kind, fixture, flaky.config);
      flaky.arm?.();
      const retried = await run(flakyId, flaky.window);
      flaky.check?.();
      expect(retried.attempts).toBe(2);
      expect(retried.summary.fetched).toBe(rows);
      expect(retried.summary.imported + retried.summary.updated + retried.summary.unchanged + retried.summary.rejected).toBe(rows);
      // Each row at most once among the rejections (none is listed twice).
      expect(retried.rejections.totalCount).toBe(retried.summary.rejected);
    });

    it('resumes from the incremental state it stored', async () => {
      const fixture = fixtureOf(kind);
      if (!fixture.pulls) return;
      const connectorKindOf = connectorKind(kind)!;
      const config = connectorKindOf.configSchema.parse(fixture.config(setOf(kind) + 2));
      const context = testContext({
        secrets: Object.fromEntries(fixture.secrets.map((secret) => [secret.name, secret.value])),
        connectAddress: async (host) => host,
      });
      const first = await collect(connectorKindOf, config, MARCH, undefined, context);
      expect(first.records.length).toBeGreaterThan(0);
      // Stored as the ledger stores it (JSON), and handed back.
      const stored = first.state === undefined ? undefined : (JSON.parse(JSON.stringify(first.state)) as unknown);
      const second = await collect(connectorKindOf, config, MARCH, stored, context);
      expect(JSON.stringify(second.state ?? stored)).toBe(JSON.stringify(stored));
      const firstRecords = new Set(first.records.map((record) => JSON.stringify(record)));
      for (const record of second.records) expect(firstRecords.has(JSON.stringify(record))).toBe(true);
    });

    it('never shows its secrets: answers, ledger, rejections, state and logs', async () => {
      const fixture = fixtureOf(kind);
      const ids = (await hub.dataSource.getRepository(Connector).find({ where: { kind } })).map((connector) => connector.id);
      for (const id of ids) outputs.push(JSON.stringify(await call(CONNECTOR, { id: String(id) })));
      const runs = ids.length ? await hub.dataSource.getRepository(ConnectorRun).find({ where: ids.map((connectorId) => ({ connectorId })) }) : [];
      const rejections = runs.length ? await hub.dataSource.getRepository(RunRejection).find({ where: runs.map((entry) => ({ runId: entry.id })) }) : [];
      const stored = JSON.stringify([await hub.dataSource.getRepository(Connector).find({ where: { kind } }), runs, rejections]);
      const encoded = Buffer.from(SECRET).toString('base64');
      for (const text of [...outputs, stored]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(encoded);
      }
      if (fixture.secrets.length > 0 && fixture.pulls) expect(ids.length).toBeGreaterThan(0);
    });
  });

  it('an HTTP source that echoes the request headers in its error does not get the secret shown', async () => {
    const fixture = fixtureOf('http-json');
    const id = await register('http-json', fixture, { url: `${feed.url}/health/echo`, headers: { Authorization: 'Bearer {{secret:token}}' }, recordsPath: 'data' });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'FAILED', errorClass: 'SOURCE_UNAVAILABLE' });
    expect(result.errorMessage).toContain('[redacted]');
    const test = await call<{ testConnector: { message: string } }>(TEST, { id });
    for (const text of [JSON.stringify(result), test.testConnector.message, ...outputs]) expect(text).not.toContain(SECRET);
  });
});
