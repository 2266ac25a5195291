import fs from 'node:fs';
import path from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import type { QueryRunner } from 'typeorm';
import { Role } from '../../src/security/principal';
import { dataOf, databaseIdOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { onServerDatabase } from '../helpers/test-database';
import { QUIET_BACKGROUND, startTestHub, type GraphQLResponse, type TestHub } from '../helpers/test-hub';

const EXAMPLES = path.join(__dirname, '..', '..', 'schema', 'examples');

type LimitError = {
  message: string;
  extensions: {
    code: string;
    limit?: { setting: string; maximum: number; actual?: number };
    stacktrace?: unknown;
    estimate?: { rows: number; fields: Array<{ field: string; rows: number; source: string }> };
    narrow?: { field: string; arguments: string[]; hint: string };
  };
};

/** The catalogue's seven daily metrics. */
const DAILY_METRICS = ['KCB_BIOMETRIC_VISITS', 'KIOSK_NOTARIZATIONS', 'ACCOM_NOTICES', 'PATIENT_RECORDS_LINKED', 'DRIVE_TESTS_MONITORED', 'DRIVE_TEST_ID_MISMATCH', 'AUTH_TRANSACTIONS'];

/** `count` aliased aggregates of the daily metrics by commune over [from, to]. */
const dailyAggregates = (count: number, from: string, to: string) =>
  `{ ${aliased(count, `aggregate(metrics: ${JSON.stringify(DAILY_METRICS)}, groupBy: [UNIT], level: COMMUNE, from: "${from}", to: "${to}") { totalRows rows { unit { code } measures { value } } }`)} }`;

async function post(hub: TestHub, body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json: () => { errors?: LimitError[]; data?: unknown } }> {
  const response = await fetch(hub.hub.url, { method: 'POST', headers: { 'content-type': 'application/json', ...hub.headers, ...headers }, body });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as { errors?: LimitError[] } };
}

/** Sends an operation that must be refused before any SQL statement of the query runs, and returns its single error. */
async function refused(hub: TestHub, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<LimitError> {
  hub.counter.reset();
  const response = await post(hub, JSON.stringify({ query, variables }), headers);
  expect(response.status).toBe(400);
  const body = response.json();
  expect(body.data).toBeUndefined();
  expect(body.errors).toHaveLength(1);
  // Nothing of the operation ran; a refused mutation leaves only its audit record.
  expect(hub.counter.statements.filter((statement) => !/^INSERT INTO ["`]audit_event["`]/.test(statement))).toEqual([]);
  return body.errors![0];
}

/** The connector overview of the README (section Connectors). */
const CONNECTOR_OVERVIEW = `{ connectors(first: 20) { edges { node {
    id name kind department { code }
    health { status lastError consecutiveFailures lastRunAt lastSuccessAt nextRunAt }
    runs(first: 5) { edges { node { trigger status attempts errorClass errorMessage durationMs
      summary { fetched imported updated unchanged rejected }
      rejections(first: 10) { totalCount edges { node { rowIndex reason message raw } } } } } }
} } } }`;

/** Ten aliases of one field, e.g. `a0: __typename a1: __typename …` (aliases of __typename are free). */
const aliased = (count: number, field: string) => Array.from({ length: count }, (_, index) => `a${index}: ${field}`).join(' ');

describe('query limits with small settings', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({
      environment: {
        ...QUIET_BACKGROUND,
        GRAPHQL_MAX_DEPTH: '8',
        GRAPHQL_MAX_ALIASES: '3',
        GRAPHQL_MAX_DIRECTIVES: '2',
        GRAPHQL_MAX_TOKENS: '200',
        GRAPHQL_MAX_COST: '1000',
        GRAPHQL_INTROSPECTION: 'false',
        GRAPHQL_FIELD_SUGGESTIONS: 'false',
        GRAPHQL_MAX_BATCH: '2',
        GRAPHQL_MAX_BODY_KB: '16',
        GRAPHQL_TIMEOUT_SECONDS: '0.3',
        SCHEDULE_REFRESH_SECONDS: '3600',
        RUN_HEARTBEAT_SECONDS: '600',
      },
    });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('refuses a query nested 9 deep when the maximum is 8, fragments included', async () => {
    const error = await refused(hub, '{ administrativeUnits { edges { node { children { edges { node { parent { parent { code } } } } } } } } }');
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_DEEP', limit: { setting: 'GRAPHQL_MAX_DEPTH', maximum: 8, actual: 9 } });
    expect(error.message).toBe('query depth: 9, more than the maximum of 8 (GRAPHQL_MAX_DEPTH)');
    const inFragment = await refused(hub, '{ administrativeUnits { edges { node { ...Unit } } } } fragment Unit on AdministrativeUnit { children { edges { node { parent { parent { code } } } } } }');
    expect(inFragment.extensions.limit).toEqual({ setting: 'GRAPHQL_MAX_DEPTH', maximum: 8, actual: 9 });
    // Depth 8 passes.
    await dataOf(hub, '{ administrativeUnits(first: 1) { edges { node { children(first: 1) { edges { node { parent { code } } } } } } } }');
  });

  it('refuses 4 aliases when the maximum is 3, and counts aliases inside fragments', async () => {
    const error = await refused(hub, `{ ${aliased(4, 'program(code: "DA06") { code }')} }`);
    expect(error.extensions).toEqual({ code: 'TOO_MANY_ALIASES', limit: { setting: 'GRAPHQL_MAX_ALIASES', maximum: 3, actual: 4 } });
    expect(error.message).toBe('aliases: 4, more than the maximum of 3 (GRAPHQL_MAX_ALIASES)');
    const inFragment = await refused(hub, `{ ...F } fragment F on Query { ${aliased(4, 'program(code: "DA06") { code }')} }`);
    expect(inFragment.extensions.code).toBe('TOO_MANY_ALIASES');
    const data = await dataOf<Record<string, { code: string }>>(hub, `{ ${aliased(3, 'program(code: "DA06") { code }')} }`);
    expect(Object.keys(data)).toEqual(['a0', 'a1', 'a2']);
  });

  it('refuses 3 directives when the maximum is 2', async () => {
    const error = await refused(hub, '{ program(code: "DA06") { code @include(if: true) name @include(if: true) taskCounts @skip(if: false) { total } } }');
    expect(error.extensions).toEqual({ code: 'TOO_MANY_DIRECTIVES', limit: { setting: 'GRAPHQL_MAX_DIRECTIVES', maximum: 2, actual: 3 } });
  });

  it('stops parsing at 200 tokens', async () => {
    // `{` + 250 × `__typename` + `}` = 252 tokens.
    const error = await refused(hub, `{ ${Array(250).fill('__typename').join(' ')} }`);
    expect(error.extensions).toEqual({ code: 'TOO_MANY_TOKENS', limit: { setting: 'GRAPHQL_MAX_TOKENS', maximum: 200 } });
    expect(error.message).toBe('tokens: more than the maximum of 200 (GRAPHQL_MAX_TOKENS)');
  });

  it('prices connections by their page size, taken from variables too', async () => {
    const query = 'query Metrics($size: Int) { metrics(first: $size) { edges { node { code } } } }';
    // 1 + 500 × (edges 1 + node 1 + code 1) = 1501 > 1000.
    const error = await refused(hub, query, { size: 500 });
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: { setting: 'GRAPHQL_MAX_COST', maximum: 1000, actual: 1501 } });
    expect(error.message).toBe('estimated cost: 1501, more than the maximum of 1000 (GRAPHQL_MAX_COST)');
    // 1 + 300 × 3 = 901 passes; the 52 metrics fit in the page.
    const page = await dataOf<{ metrics: { edges: unknown[] } }>(hub, query, { size: 300 });
    expect(page.metrics.edges).toHaveLength(52);
    // Costs are remembered per document and variables: the same operation is priced by the variables it is sent with, each time.
    for (const size of [500, 300, 500]) {
      if (size === 500) expect((await refused(hub, query, { size })).extensions.limit).toEqual({ setting: 'GRAPHQL_MAX_COST', maximum: 1000, actual: 1501 });
      else expect((await dataOf<{ metrics: { edges: unknown[] } }>(hub, query, { size })).metrics.edges).toHaveLength(52);
    }
    // Without first/last the default page size (50) counts: a nested 50 × 50 page costs 1 + 50 × (3 + 1 + 50 × 3) > 1000.
    const nested = await refused(hub, '{ metrics { edges { node { code observations { edges { node { value } } } } } } }');
    expect(nested.extensions.limit).toEqual({ setting: 'GRAPHQL_MAX_COST', maximum: 1000, actual: 1 + 50 * (1 + 1 + 1 + 1 + 50 * 3) });
    // A connection asked only for totalCount reads no rows and is priced once.
    await dataOf(hub, '{ metrics(first: 500) { totalCount } }');
  });

  it('refuses the PilotModels example (cost 5551) when the maximum is 1000', async () => {
    const error = await refused(hub, fs.readFileSync(path.join(EXAMPLES, 'PilotModels.graphql'), 'utf8'));
    expect(error.extensions.limit).toEqual({ setting: 'GRAPHQL_MAX_COST', maximum: 1000, actual: 5551 });
  });

  it('refuses introspection when GRAPHQL_INTROSPECTION=false but still answers __typename', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Metric") { name } }']) {
      const error = await refused(hub, query);
      expect(error.extensions.code).toBe('INTROSPECTION_DISABLED');
      expect(error.message).toMatch(/^introspection \(__(schema|type)\) is disabled on this server \(GRAPHQL_INTROSPECTION=false\)$/);
    }
    expect(await dataOf(hub, '{ __typename }')).toEqual({ __typename: 'Query' });
  });

  it('refuses the federation SDL (`_service`) with introspection, but still joins entities', async () => {
    const error = await refused(hub, '{ _service { sdl } }');
    expect(error.extensions.code).toBe('INTROSPECTION_DISABLED');
    expect(error.message).toBe('introspection (_service) is disabled on this server (GRAPHQL_INTROSPECTION=false)');
    expect(await dataOf(hub, '{ _entities(representations: [{ __typename: "PilotModel", code: "M03" }]) { ... on PilotModel { code } } }')).toEqual({ _entities: [{ code: 'M03' }] });
  });

  it('does not suggest field names when GRAPHQL_FIELD_SUGGESTIONS=false', async () => {
    const error = await refused(hub, '{ progrm(code: "DA06") { code } }');
    expect(error.message).toBe('Cannot query field "progrm" on type "Query".');
    // Variables are checked at execution: their messages lose the suggestions too.
    const variable = await refused(hub, 'query($f: AccountableItemFilter) { tasks(filter: $f) { totalCount } }', { f: { stauts: 'COMPLETED' } });
    expect(variable.message).toBe('Variable "$f" got invalid value { stauts: "COMPLETED" }; Field "stauts" is not defined by type "AccountableItemFilter".');
    const enumValue = await refused(hub, 'query($s: ProgressStatus!) { tasks(filter: { status: $s }) { totalCount } }', { s: 'COMPLETE' });
    expect(enumValue.message).toBe('Variable "$s" got invalid value "COMPLETE"; Value "COMPLETE" does not exist in "ProgressStatus" enum.');
  });

  it('answers batches of up to 2 operations and refuses 3', async () => {
    const operation = { query: '{ program(code: "DA06") { code } }' };
    const two = await post(hub, JSON.stringify([operation, operation]));
    expect(two.status).toBe(200);
    expect(JSON.parse(two.text)).toEqual([{ data: { program: { code: 'DA06' } } }, { data: { program: { code: 'DA06' } } }]);
    hub.counter.reset();
    const three = await post(hub, JSON.stringify([operation, operation, operation]));
    expect(three.status).toBe(400);
    expect(three.json().errors).toEqual([
      {
        message: 'operations in the batch: 3, more than the maximum of 2 (GRAPHQL_MAX_BATCH)',
        extensions: { code: 'BATCH_TOO_LARGE', limit: { setting: 'GRAPHQL_MAX_BATCH', maximum: 2, actual: 3 } },
      },
    ]);
    expect(hub.counter.statements).toEqual([]);
  });

  it('refuses a body over 16 KiB with 413 and a JSON error', async () => {
    const response = await post(hub, JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(17 * 1024) } }));
    expect(response.status).toBe(413);
    expect(response.json().errors).toEqual([{ message: 'request entity too large', extensions: { code: 'PAYLOAD_TOO_LARGE' } }]);
  });

  it('answers TIMEOUT at the deadline and starts no resolver after it', async () => {
    // The database answers the observation page 1 s late (a slow statement). The delay wraps the runners the
    // driver hands out, outside the hub's own wrappers: SQLite's single query runner is created (and given its own
    // `query`) when the hub starts, so a patch of the runner prototype would no longer reach it.
    const driver = hub.dataSource.driver;
    const createQueryRunner = driver.createQueryRunner;
    const slowed: Array<[QueryRunner, QueryRunner['query']]> = [];
    driver.createQueryRunner = function slowObservationRunner(this: typeof driver, mode) {
      const runner = createQueryRunner.call(this, mode);
      if (slowed.some(([known]) => known === runner)) return runner;
      const query = runner.query;
      slowed.push([runner, query]);
      runner.query = (async (...args: Parameters<QueryRunner['query']>) => {
        const result: unknown = await query.apply(runner, args);
        if (/observation/.test(String(args[0])) && !/administrative_unit/.test(String(args[0]))) await new Promise((resolve) => setTimeout(resolve, 1000));
        return result;
      }) as QueryRunner['query'];
      return runner;
    };
    try {
      hub.counter.reset();
      const started = performance.now();
      const response = await post(hub, JSON.stringify({
        query: '{ metrics(first: 2) { edges { node { code observations(first: 2) { edges { node { value unit { name } } } } } } } }',
      }));
      const elapsed = performance.now() - started;
      expect(response.status).toBe(504);
      const body = response.json() as GraphQLResponse & { errors: LimitError[] };
      expect(body.errors.length).toBeGreaterThan(0);
      for (const error of body.errors) {
        expect(error.extensions).toEqual({ code: 'TIMEOUT', limit: { setting: 'GRAPHQL_TIMEOUT_SECONDS', maximum: 0.3 } });
        expect(error.message).toBe('the operation ran longer than 0.3 s (GRAPHQL_TIMEOUT_SECONDS) and was stopped');
      }
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(900);
      // Once the late statement has answered, the units of those observations are still never loaded.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(hub.counter.statements.some((statement) => /observation/.test(statement))).toBe(true);
      expect(hub.counter.statements.filter((statement) => /administrative_unit/.test(statement))).toEqual([]);
    } finally {
      driver.createQueryRunner = createQueryRunner;
      for (const [runner, query] of slowed) runner.query = query;
    }
    // The next request is served normally.
    expect(await dataOf(hub, '{ program(code: "DA06") { code } }')).toEqual({ program: { code: 'DA06' } });
  });

  it('bounds the statements of a query by what is left of its deadline on MariaDB/MySQL', async () => {
    hub.counter.reset();
    await dataOf(hub, '{ metrics(first: 1) { totalCount edges { node { code } } } }');
    expect(hub.counter.statements.length).toBeGreaterThan(0);
    for (const statement of hub.counter.statements) {
      // SQLite runs statements synchronously in the process: nothing to bound there.
      expect(statement).toMatch(onServerDatabase() ? /^SET STATEMENT max_statement_time=0\.[0-3]\d\d FOR SELECT / : /^SELECT /);
    }
    // Mutations are not bounded.
    hub.counter.reset();
    await dataOf(hub, 'mutation { setMetricTarget(code: "KCB_BIOMETRIC_VISITS", targetValue: 1000) { code } }');
    expect(hub.counter.statements.filter((statement) => statement.startsWith('SET STATEMENT'))).toEqual([]);
    if (!onServerDatabase()) return;

    // A statement stuck behind a table lock is stopped by the database at the deadline.
    const locker = hub.dataSource.createQueryRunner();
    await locker.connect();
    await locker.query('LOCK TABLES metric WRITE');
    try {
      const started = performance.now();
      const response = await post(hub, JSON.stringify({ query: '{ metrics(first: 1) { totalCount } }' }));
      expect(response.status).toBe(504);
      expect(response.json().errors!.map((error) => error.extensions.code)).toEqual(['TIMEOUT']);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const waiting = (await locker.query(
        "SELECT COUNT(*) AS waiting FROM information_schema.PROCESSLIST WHERE INFO LIKE '%FROM `metric`%' AND INFO NOT LIKE '%PROCESSLIST%'",
      )) as Array<{ waiting: number | string }>;
      expect(Number(waiting[0].waiting)).toBe(0);
      expect(performance.now() - started).toBeLessThan(1500);
    } finally {
      await locker.query('UNLOCK TABLES');
      await locker.release();
    }
  });
});

describe('query limits with the default settings', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('accepts every example operation and the full introspection query', async () => {
    for (const file of fs.readdirSync(EXAMPLES).filter((name) => name.endsWith('.graphql'))) {
      const response = await hub.graphql(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'));
      expect({ file, errors: response.errors }).toEqual({ file, errors: undefined });
    }
    const introspection = await hub.graphql<{ __schema: { types: unknown[] } }>(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }));
    expect(introspection.errors).toBeUndefined();
    expect(introspection.data!.__schema.types.length).toBeGreaterThan(50);
  });

  it('refuses, before any SQL, 15 aliased aggregates of the 7 daily metrics by commune from 2024 to today (MAX_QUERY_ROWS)', async () => {
    const viewer = await keyHeaders(hub, Role.VIEWER);
    const today = new Date().toISOString().slice(0, 10);
    const error = await refused(hub, dailyAggregates(15, '2024-01-01', today), undefined, viewer);
    expect(error.extensions.code).toBe('QUERY_TOO_LARGE');
    expect(error.extensions.limit).toMatchObject({ setting: 'MAX_QUERY_ROWS', maximum: 500_000 });
    // 7 daily metrics × the units in force × every day since 2024-01-01, for each of the 15 fields: raw observations.
    const { estimate, narrow } = error.extensions;
    expect(estimate!.fields).toHaveLength(15);
    expect(estimate!.fields.every((field) => field.source === 'raw' && field.rows === estimate!.fields[0].rows)).toBe(true);
    expect(estimate!.rows).toBe(15 * estimate!.fields[0].rows);
    expect(estimate!.fields[0].rows).toBeGreaterThan(7 * 590 * 700);
    expect(error.extensions.limit!.actual).toBe(estimate!.rows);
    expect(narrow).toMatchObject({ field: 'a0', arguments: ['from', 'to', 'metrics'] });
    expect(error.message).toMatch(/^estimated rows read: \d+, more than the maximum of 500000 \(MAX_QUERY_ROWS\); a0 reads about \d+ observations: narrow from, to, metrics/);
  });

  it('sums the volume over aliases and fragments, reads whole months from the rollups, and lets the dashboards through', async () => {
    // Half a year of the daily metrics by commune over whole months (rollups: one row per unit and month) passes ...
    const months = await hub.graphql<Record<string, { totalRows: number }>>(dailyAggregates(1, '2024-01', '2024-06'));
    expect(months.errors).toBeUndefined();
    // ... nearly the same days as a day range read the raw observations: 7 × units × 181 days, refused.
    const raw = await refused(hub, dailyAggregates(1, '2024-01-02', '2024-06-30'));
    expect(raw.extensions.estimate!.fields[0]).toMatchObject({ field: 'a0', source: 'raw' });
    expect(raw.extensions.narrow!.hint).toMatch(/whole months/);
    // A year of whole months fits once; many aliases of it do not, nor do they in a fragment.
    const year = await refused(hub, dailyAggregates(15, '2024-01', '2024-12'));
    expect(year.extensions.estimate!.fields[0].source).toBe('rollups');
    const perField = year.extensions.estimate!.fields[0].rows;
    expect(year.extensions.estimate!.rows).toBe(15 * perField);
    const aliases = Math.floor(500_000 / perField);
    expect(aliases).toBeGreaterThanOrEqual(1);
    expect((await hub.graphql(dailyAggregates(aliases, '2024-01', '2024-12'))).errors).toBeUndefined();
    const inFragment = dailyAggregates(aliases + 1, '2024-01', '2024-12').replace(/^\{ (.*) \}$/, '{ ...F } fragment F on Query { $1 }');
    expect((await refused(hub, inFragment)).extensions.code).toBe('QUERY_TOO_LARGE');
    // Skipped fields read nothing.
    const skipped = dailyAggregates(15, '2024-01', '2024-12').replace(/\) \{ totalRows/g, ') @skip(if: $skip) { totalRows').replace(/^\{/, 'query($skip: Boolean!) {');
    expect((await hub.graphql(skipped, { skip: true })).errors).toBeUndefined();
    // The series and aggregate examples of the README are far below the limit.
    for (const file of ['DashboardSeries.graphql', 'DistrictRanking.graphql']) {
      expect((await hub.graphql(fs.readFileSync(path.join(EXAMPLES, file), 'utf8'))).errors).toBeUndefined();
    }
  });

  it('accepts the connector overview of the README (depth 10, cost 8,781: its ids are free), and refuses it three times over', async () => {
    const response = await hub.graphql(CONNECTOR_OVERVIEW);
    expect(response.errors).toBeUndefined();
    // connectors(first: 20): 1 + 20 × (edges 1 + node (1 + id 0 + name 1 + kind 1 + department 2 + health 7 + runs)),
    // runs(first: 5): 1 + 5 × (edges 1 + node (1 + 6 scalars + summary 6 + rejections (1 + 10 × (totalCount 1 + edges 6)))).
    const cost = 1 + 20 * (1 + (1 + 0 + 1 + 1 + 2 + 7 + (1 + 5 * (1 + (1 + 6 + 6 + (1 + 10 * (1 + 6)))))));
    expect(cost).toBe(8781);
    // The hub's own count: three overviews in one operation cost 3 × 8,781, over the default maximum of 25,000.
    const selection = CONNECTOR_OVERVIEW.replace(/^\{ connectors/, 'connectors').replace(/\}$/, '');
    const thrice = `{ a: ${selection} b: ${selection} c: ${selection} }`;
    expect((await refused(hub, thrice)).extensions.limit).toEqual({ setting: 'GRAPHQL_MAX_COST', maximum: 25000, actual: 3 * cost });
  });

  it('refuses a fragment spread a million times as too complex', async () => {
    const spreads = (name: string) => Array(10).fill(`...${name}`).join(' ');
    const fragments = ['B', 'C', 'D', 'E', 'F'].map((name, index) => `fragment ${'ABCDE'[index]} on Query { ${spreads(name)} }`);
    const error = await refused(hub, `{ ...A } ${fragments.join(' ')} fragment F on Query { program(code: "DA06") { code } }`);
    expect(error.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: { setting: 'GRAPHQL_MAX_COST', maximum: 25000 } });
  });

  it('suggests field names outside production', async () => {
    const error = await refused(hub, '{ progrm(code: "DA06") { code } }');
    expect(error.message).toBe('Cannot query field "progrm" on type "Query". Did you mean "program", "programs", or "progress"?');
  });

  it('refuses batched requests', async () => {
    const operation = { query: '{ program(code: "DA06") { code } }' };
    const response = await post(hub, JSON.stringify([operation, operation]));
    expect(response.status).toBe(400);
    expect(response.json().errors).toEqual([{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }]);
  });

  it('refuses requests a browser could send cross-site without a preflight (CSRF)', async () => {
    const query = encodeURIComponent('{ program(code: "DA06") { code } }');
    hub.counter.reset();
    const attempts = [
      fetch(`${hub.hub.url}?query=${query}`, { headers: hub.headers }),
      fetch(hub.hub.url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ program(code: "DA06") { code } }' }) }),
      fetch(hub.hub.url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: `query=${query}` }),
      fetch(hub.hub.url, { method: 'POST', headers: { ...hub.headers, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(400);
      const body = (await response.json()) as { errors: LimitError[] };
      expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
      expect(body.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    }
    expect(hub.counter.statements).toEqual([]);
    // A GET with the preflight header is a normal query.
    const allowed = await fetch(`${hub.hub.url}?query=${query}`, { headers: { ...hub.headers, 'apollo-require-preflight': 'true' } });
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ data: { program: { code: 'DA06' } } });
  });

  it('answers unreadable bodies with a JSON error and no stack trace', async () => {
    const cases: Array<[string | Buffer, number, string, string]> = [
      ['{"query": ', 400, 'BAD_REQUEST', 'Unexpected end of JSON input'],
      ['"just a string"', 400, 'BAD_REQUEST', 'not valid JSON'],
      [Buffer.concat([Buffer.from('{"query":"{ program(code: \\"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('\\") { code } }"}')]), 400, 'BAD_REQUEST', 'the request body is not valid UTF-8'],
    ];
    for (const [body, status, code, message] of cases) {
      const response = await post(hub, body);
      expect(response.status).toBe(status);
      expect(response.text).not.toMatch(/\bat .*\.js:\d+|node_modules|<html/i);
      const [error] = response.json().errors!;
      expect(error.extensions).toEqual({ code });
      expect(error.message).toContain(message);
    }
    const charset = await post(hub, '{}', { 'content-type': 'application/json; charset=koi8-zz' });
    expect(charset.status).toBe(415);
    expect(charset.json().errors![0].extensions).toEqual({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('refuses control characters and broken UTF-16 in string arguments and variables', async () => {
    const literal = await refused(hub, '{ program(code: "DA\\u0000") { code } }');
    expect(literal).toMatchObject({ message: 'code: contains U+0000; only text (with tabs and line breaks) is accepted', extensions: { code: 'BAD_USER_INPUT', field: 'code' } });
    const variable = await refused(
      hub,
      'mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.01", input: $input) { code } }',
      { input: { note: 'lone \ud800 half' } },
    );
    expect(variable).toMatchObject({ message: 'input.note: contains U+D800; only text (with tabs and line breaks) is accepted', extensions: { code: 'BAD_USER_INPUT', field: 'input.note' } });
    const deep = await refused(
      hub,
      'mutation($c: JSONObject!) { registerConnector(input: { name: "n", kind: "push", department: "SO_YT", config: $c }) { id } }',
      { c: JSON.parse(`${'{"a":'.repeat(65)}1${'}'.repeat(65)}`) as unknown },
    );
    expect(deep).toMatchObject({ message: `c${'.a'.repeat(64)}: is nested more than 64 levels deep`, extensions: { code: 'BAD_USER_INPUT' } });
    // Vietnamese text, tabs and line breaks are text.
    const task = await dataOf<{ updateTask: { responsiblePerson: string } }>(
      hub,
      'mutation($input: AccountabilityUpdate!) { updateTask(code: "T01.01", input: $input) { responsiblePerson } }',
      { input: { responsiblePerson: 'Giám đốc Sở Y tế', note: 'dòng 1\n\tdòng 2\r\n' } },
    );
    expect(task.updateTask.responsiblePerson).toBe('Giám đốc Sở Y tế');
  });
});

describe('error responses without NODE_ENV', () => {
  let hub: TestHub;
  const nodeEnv = process.env.NODE_ENV;
  beforeAll(async () => {
    // Apollo decides on stack traces from NODE_ENV when it is not told: the hub must not depend on it.
    delete process.env.NODE_ENV;
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    process.env.NODE_ENV = nodeEnv;
    await expect(hub.close()).rejects.toThrow(/^unexpected server errors: SyntaxError: [^;]*JSON[^;]*$/);
  });

  it('sends no stack trace for an internal error', async () => {
    const registered = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "push test", kind: "push", department: "SO_YT", config: {} }) { id } }',
    );
    // A stored configuration that is not JSON makes the config resolver fail unexpectedly.
    const id = databaseIdOf(registered.registerConnector.id);
    await hub.dataSource.query(`UPDATE connector SET config = '{broken' WHERE id = ${id}`);
    const query = `{ connector(id: "${id}") { name config } }`;
    const response = await post(hub, JSON.stringify({ query }));
    expect(response.status).toBe(200);
    expect(response.text).not.toMatch(/stacktrace|SyntaxError|\.ts:\d+/);
    expect(response.json().errors).toEqual([
      { message: 'internal error', locations: [{ line: 1, column: query.indexOf('config') + 1 }], path: ['connector', 'config'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
  });
});
