import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ingestRows } from '../../src/ingestion/ingest';
import { rebuildRollups } from '../../src/modules/observations/rollups';
import { dataOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

/**
 * Hostile feeds: over-long values, values whose sums overflow, time stamps in other zones, text where numbers
 * belong, invisible characters. Every value is stored as the source meant it or refused with a named reason;
 * every stored rejection reads back; no answer fails after a commit.
 */

interface Rejection {
  rowIndex: number;
  reason: string;
  message: string;
  raw: Record<string, unknown>;
}
interface PushAnswer {
  run: { id: string; status: string };
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
  rejections: Rejection[];
}

const REJECTION_FIELDS = 'rowIndex reason message raw';

describe('data trust under hostile feeds', () => {
  let hub: TestHub;
  let feed: Server;
  let feedUrl: string;
  /** What the feed server answers (an http-json document with `records`), after `prefix`. */
  let records: unknown[] = [];
  let prefix = '';
  let pushId: string;
  const runIds: string[] = [];

  beforeAll(async () => {
    feed = createServer((_request, response) => {
      response.setHeader('content-type', 'application/json');
      response.end(prefix + JSON.stringify({ records }));
    });
    await new Promise<void>((resolve) => feed.listen(0, '127.0.0.1', resolve));
    feedUrl = `http://127.0.0.1:${(feed.address() as AddressInfo).port}`;
    hub = await startTestHub({ environment: QUIET_BACKGROUND, allowServers: [feedUrl], allowServersFor: ['SO_YT'] });
    const registered = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "hostile pushes", kind: "push", department: "SO_YT", config: {} }) { id } }',
    );
    pushId = registered.registerConnector.id;
  });
  afterAll(async () => {
    await hub?.close();
    await new Promise((resolve) => feed?.close(resolve));
  });

  async function pushHttp(rows: unknown[]): Promise<{ status: number; body: PushAnswer }> {
    const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${pushId}`), {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'application/json' },
      body: JSON.stringify(rows),
    });
    const body = (await response.json()) as PushAnswer;
    if (body.run) runIds.push(body.run.id);
    return { status: response.status, body };
  }

  async function pushGraphql(rows: unknown[]): Promise<PushAnswer> {
    const data = await dataOf<{ submitObservations: PushAnswer }>(
      hub,
      `mutation($id: ID!, $rows: [ObservationInput!]!) { submitObservations(connectorId: $id, rows: $rows) {
         run { id status } summary { fetched imported updated unchanged rejected } rejections { ${REJECTION_FIELDS} } } }`,
      { id: pushId, rows },
    );
    runIds.push(data.submitObservations.run.id);
    return data.submitObservations;
  }

  async function registerPull(name: string, mapping: Record<string, unknown>): Promise<string> {
    const data = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: { name, kind: 'http-json', department: 'SO_YT', schedule: '0 17 * * *', timeZone: 'Asia/Ho_Chi_Minh', config: { url: `${feedUrl}/feed`, recordsPath: 'records' }, mapping },
    });
    return data.registerConnector.id;
  }

  async function runPull(id: string): Promise<{ id: string; status: string; summary: PushAnswer['summary']; rejections: Rejection[] }> {
    const data = await dataOf<{ runConnector: { id: string; status: string; summary: PushAnswer['summary']; rejections: { edges: Array<{ node: Rejection }> } } }>(
      hub,
      `mutation($id: ID!) { runConnector(id: $id, from: "2025-03-01", to: "2025-04-30", wait: true) {
         id status summary { fetched imported updated unchanged rejected } rejections(first: 100) { edges { node { ${REJECTION_FIELDS} } } } } }`,
      { id },
    );
    runIds.push(data.runConnector.id);
    return { ...data.runConnector, rejections: data.runConnector.rejections.edges.map((edge) => edge.node) };
  }

  const storedValue = async (metric: string, unit: string, period: string): Promise<number | null> => {
    const rows = (await hub.dataSource.query(
      'SELECT o.value AS value FROM observation o JOIN metric m ON m.id = o.metricId JOIN administrative_unit u ON u.id = o.unitId WHERE m.code = ? AND u.code = ? AND o.period = ?',
      [metric, unit, period],
    )) as Array<{ value: number | string }>;
    return rows.length === 0 ? null : Number(rows[0].value);
  };

  it('answers a push of an over-long value with what it committed, on both push endpoints', async () => {
    const long = '7'.repeat(5_000);
    const rows = [
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2025-03-01', value: 5 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2025-03-01', value: long },
    ];
    const http = await pushHttp(rows);
    expect(http.status).toBe(200);
    expect(http.body.run.status).toBe('PARTIAL');
    expect(http.body.summary).toEqual({ fetched: 2, imported: 1, updated: 0, unchanged: 0, rejected: 1 });
    expect(http.body.rejections).toEqual([
      {
        rowIndex: 1,
        reason: 'NOT_A_NUMBER',
        message: expect.stringMatching(/^giá trị "7{60}…" không phải là số — value "7{60}…" is not a number$/),
        raw: { metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: '2025-03-01', value: { truncated: expect.stringMatching(/^7{199}…$/), length: 5_000 } },
      },
    ]);

    // The mutation takes numbers as Float: the over-long text is a unit code.
    const graphql = await pushGraphql([{ ...rows[0], value: 6 }, { ...rows[1], unit: 'U'.repeat(5_000), value: 1 }]);
    expect(graphql.run.status).toBe('PARTIAL');
    expect(graphql.summary).toEqual({ fetched: 2, imported: 0, updated: 1, unchanged: 0, rejected: 1 });
    expect(graphql.rejections).toEqual([
      {
        rowIndex: 1,
        reason: 'UNKNOWN_UNIT',
        message: expect.stringMatching(/^đơn vị "U{60}…" không phải là mã đơn vị hành chính đã biết — unit "U{60}…" is not a known administrative unit code$/),
        raw: { metric: 'KCB_BIOMETRIC_VISITS', unit: { truncated: expect.stringMatching(/^U{199}…$/), length: 5_000 }, period: '2025-03-01', value: 1 },
      },
    ]);
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '412', '2025-03-01')).toBe(6);
  });

  it('keeps values within the metric range: finite, whole for COUNT, at most 100 for RATE', async () => {
    const answer = await pushHttp([
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '414', period: '2025-03-02', value: 1e308 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '415', period: '2025-03-02', value: 1e308 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '416', period: '2025-03-02', value: '1e15' },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '417', period: '2025-03-02', value: 999_999_999_999_999 },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '418', period: '2025-03-02', value: '1.234' },
      { metric: 'KCB_FACILITIES_READY_RATE', unit: '412', period: '2025-03', numerator: 1e300, denominator: 1e301 },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.summary).toMatchObject({ fetched: 6, imported: 1, rejected: 5 });
    expect(answer.body.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
      [0, 'VALUE_OUT_OF_RANGE'],
      [1, 'VALUE_OUT_OF_RANGE'],
      [2, 'VALUE_OUT_OF_RANGE'],
      [4, 'NOT_AN_INTEGER'],
      [5, 'VALUE_OUT_OF_RANGE'],
    ]);
    const messages = answer.body.rejections.map((rejection) => rejection.message);
    expect(messages[0]).toBe(
      'giá trị 1e+308 nằm ngoài khoảng cho phép 0..<1000000000000000 của chỉ tiêu COUNT "KCB_BIOMETRIC_VISITS" — ' +
        'value 1e+308 is outside the range 0..<1000000000000000 allowed for COUNT metric "KCB_BIOMETRIC_VISITS"',
    );
    expect(messages[3]).toContain('value 1.234 is not a whole number');
    expect(messages[4]).toContain('numerator 1e+300 is out of range');
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '417', '2025-03-02')).toBe(999_999_999_999_999);
  });

  it('names a byte-order mark inside a value or a unit code', async () => {
    // In a CSV body (JSON bodies: see the next test).
    const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${pushId}`), {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'text/csv' },
      body: 'metric,unit,period,value\nKCB_BIOMETRIC_VISITS,\ufeff413,2025-03-03,3\nKCB_BIOMETRIC_VISITS,419,2025-03-03,\ufeff413\n',
    });
    const body = (await response.json()) as PushAnswer;
    runIds.push(body.run.id);
    expect(response.status).toBe(200);
    expect(body.rejections.map((rejection) => [rejection.reason, rejection.message])).toEqual([
      [
        'UNKNOWN_UNIT',
        'đơn vị "\ufeff413" không phải là mã đơn vị hành chính đã biết: mã chứa một dấu thứ tự byte (BOM) vô hình (U+FEFF) — ' +
          'unit "\ufeff413" is not a known administrative unit code: the code contains an invisible byte-order mark (U+FEFF)',
      ],
      ['NOT_A_NUMBER', 'giá trị "\ufeff413" chứa một dấu thứ tự byte (BOM) vô hình (U+FEFF) — value "\ufeff413" contains an invisible byte-order mark (U+FEFF)'],
    ]);
    expect(body.rejections[1].raw).toMatchObject({ unit: '419', value: '\ufeff413' });
  });

  it('keeps a dashboard standing when stored values add up to more than a number can hold', async () => {
    // Values stored before the bounds existed (written here past validation): their sum overflows.
    const metric = (await hub.dataSource.query("SELECT id FROM metric WHERE code = 'KIOSK_DEPLOYED'")) as Array<{ id: number }>;
    const units = (await hub.dataSource.query("SELECT id, code FROM administrative_unit WHERE code IN ('412', '413') AND validFrom = '2024-01-01'")) as Array<{ id: number }>;
    await hub.dataSource.query('DELETE FROM observation WHERE metricId = ?', [metric[0].id]);
    await hub.dataSource.query('DELETE FROM observation_rollup WHERE metricId = ?', [metric[0].id]);
    for (const unit of units) {
      await hub.dataSource.query(
        'INSERT INTO observation (metricId, unitId, period, periodStart, periodEnd, value, recordedAt, source, isDemo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [metric[0].id, unit.id, '2024-12', '2024-12-01', '2024-12-31', 1e308, '2025-01-01 00:00:00', 'legacy', 0],
      );
    }
    await rebuildRollups(hub.dataSource, [metric[0].id]);
    const response = await hub.graphql<{ metric: { code: string; latest: { value: number | null } | null; progress: { actual: number | null } | null }; aggregate: { rows: Array<{ measures: Array<{ value: number | null }> }> } }>(
      `{ metric(code: "KIOSK_DEPLOYED") { code latest { value } progress { actual } }
         aggregate(metrics: ["KIOSK_DEPLOYED"], groupBy: [PERIOD], granularity: MONTH, from: "2024-12", to: "2024-12") { rows { measures { value } } }
         series(metrics: ["KIOSK_DEPLOYED"], from: "2024-12", to: "2024-12", granularity: MONTH) { points { period value } }
         pilotModels(first: 5, filter: { leadDepartment: "SO_TP" }) { edges { node { code metrics { code latest { value } } } } } }`,
    );
    expect(response.data?.metric.code).toBe('KIOSK_DEPLOYED');
    // Every measure is a finite number, or null with an error at its path that says why; the rest of the answer
    // stands. (SQLite adds the two values up to Infinity; MariaDB's SUM of doubles would answer 0 on overflow, which
    // the guarded sums of src/database/sum-guard.ts turn into the same null with an error.)
    const errors = response.errors ?? [];
    for (const error of errors) {
      expect(error.message).toMatch(/^\w+\.(value|actual|ratio): .* — the computed value is not finite \(Infinity\)/);
      expect(error.path?.[error.path.length - 1]).toMatch(/^(value|actual|ratio)$/);
    }
    const errorAt = (...path: Array<string | number>) => errors.some((error) => JSON.stringify(error.path) === JSON.stringify(path));
    const latest = response.data?.metric.latest?.value;
    expect(latest === null ? errorAt('metric', 'latest', 'value') : Number.isFinite(latest)).toBe(true);
    const measure = response.data?.aggregate.rows[0].measures[0].value;
    expect(measure === null ? errorAt('aggregate', 'rows', 0, 'measures', 0, 'value') : Number.isFinite(measure)).toBe(true);
    expect(errors.length).toBeGreaterThanOrEqual(3);
    // Never a silent 0 (what MariaDB's unguarded SUM gave): the overflowing measures are null on both databases.
    expect([response.data?.metric.latest?.value, response.data?.metric.progress?.actual, measure]).toEqual([null, null, null]);
    const models = (response.data as unknown as { pilotModels: { edges: Array<{ node: { code: string } }> } }).pilotModels.edges;
    expect(models.length).toBeGreaterThan(0);
  });

  it('answers null with an error, never a silent 0, where a sum of stored values overflows (both databases)', async () => {
    // MariaDB's SUM of doubles answers 0 when the sum overflows: the rollups and the engine's SQL guard every SUM.
    const [metric] = (await hub.dataSource.query("SELECT id FROM metric WHERE code = 'KIOSK_NOTARIZATIONS'")) as Array<{ id: number }>;
    const units = (await hub.dataSource.query("SELECT id, code FROM administrative_unit WHERE code IN ('412', '413') AND validFrom = '2024-01-01' ORDER BY code")) as Array<{ id: number }>;
    await hub.dataSource.query('DELETE FROM observation WHERE metricId = ?', [metric.id]);
    await hub.dataSource.query('DELETE FROM observation_rollup WHERE metricId = ?', [metric.id]);
    // 412: two values in December (the month's rollup sum overflows); 413: one in November, one in December (each
    // month fits, their sum over the two months does not).
    const stored: Array<[number, string]> = [[units[0].id, '2024-12-01'], [units[0].id, '2024-12-02'], [units[1].id, '2024-11-05'], [units[1].id, '2024-12-05']];
    for (const [unitId, day] of stored) {
      await hub.dataSource.query(
        'INSERT INTO observation (metricId, unitId, period, periodStart, periodEnd, value, recordedAt, source, isDemo) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [metric.id, unitId, day, day, day, 1e308, '2025-01-01 00:00:00', 'legacy', 0],
      );
    }
    await rebuildRollups(hub.dataSource, [metric.id]);
    const rollups = (await hub.dataSource.query('SELECT unitId, `month`, valueSum FROM observation_rollup WHERE metricId = ? ORDER BY unitId, `month`', [metric.id])) as Array<{ valueSum: number | string }>;
    // The overflowing month holds the largest double (read back as an overflow), not 0.
    expect(rollups.map((row) => Number(row.valueSum))).toEqual([Number.MAX_VALUE, 1e308, 1e308]);
    // A valid value added later to the overflowed month keeps it overflowed (MariaDB's "+" would fail instead).
    const push = await ingestRows(hub.dataSource, [{ metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: '2024-12-03', value: 5 }], {
      runId: null, source: 'test', actor: 'tester', mappingVersion: null, today: '2025-01-01',
    });
    expect(push.rejections).toEqual([]);
    expect(Number(((await hub.dataSource.query('SELECT valueSum FROM observation_rollup WHERE metricId = ? AND unitId = ? AND `month` = ?', [metric.id, units[0].id, '2024-12'])) as Array<{ valueSum: number }>)[0].valueSum)).toBe(Number.MAX_VALUE);

    const response = await hub.graphql<{
      series: Array<{ points: Array<{ period: string; value: number | null }> }>;
      perUnit: { rows: Array<{ unit: { code: string }; measures: Array<{ value: number | null }> }> };
    }>(
      `{ series(metrics: ["KIOSK_NOTARIZATIONS"], from: "2024-11", to: "2024-12", granularity: MONTH) { points { period value } }
         perUnit: aggregate(metrics: ["KIOSK_NOTARIZATIONS"], groupBy: [UNIT], level: DISTRICT, from: "2024-11", to: "2024-12") { rows { unit { code } measures { value } } } }`,
    );
    const paths = (response.errors ?? []).map((error) => JSON.stringify(error.path)).sort();
    for (const error of response.errors ?? []) expect(error.message).toMatch(/^\w+\.value: .* — the computed value is not finite \(Infinity\)/);
    // November's one value stands; December is null with an error at its path.
    expect(response.data?.series[0].points).toEqual([{ period: '2024-11', value: 1e308 }, { period: '2024-12', value: null }]);
    // Summed over both months in SQL (one row per unit): both units' totals overflow.
    expect(response.data?.perUnit.rows.map((row) => [row.unit.code, row.measures[0].value])).toEqual([['412', null], ['413', null]]);
    expect(paths).toEqual([
      '["perUnit","rows",0,"measures",0,"value"]',
      '["perUnit","rows",1,"measures",0,"value"]',
      '["series",0,"points",1,"value"]',
    ]);
  });

  it('converts time stamps to the connector zone, names refusing transforms and keeps what the source sent', async () => {
    const id = await registerPull('hostile feed', {
      metric: { constant: 'KCB_BIOMETRIC_VISITS' },
      unit: { field: 'unit' },
      period: { field: 'at', transform: 'dateToPeriod' },
      value: { field: 'n', transform: 'number', locale: 'vi' },
    });
    records = [
      { unit: '412', at: '2025-03-31T17:00:00Z', n: '1.234' }, // 00:00 on 1 April in Việt Nam
      { unit: '413', at: '2025-03-31T23:30:00-05:00', n: '2' }, // 11:30 on 1 April in Việt Nam
      { unit: '414', at: '2025-03-31T16:59:59Z', n: '3' }, // 23:59:59 on 31 March
      { unit: '415', at: '2025-03-31T23:30:00', n: '4' }, // no offset: local time, as written
      { unit: '416', at: '2025-03-31', n: '5' }, // a date: as written
      { unit: '417', at: '2025-03-31garbage', n: '6' },
      { unit: '418', at: '2025-03-31', n: 'abc' },
      { unit: '419', at: '2025-03-31', n: '9'.repeat(100_000) },
      { unit: '420', at: '2025-03-31', n: '1.234,5' },
    ];
    const run = await runPull(id);
    expect(run.status).toBe('PARTIAL');
    expect(run.summary).toMatchObject({ fetched: 9, imported: 5, rejected: 4 });
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '412', '2025-04-01')).toBe(1234);
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '413', '2025-04-01')).toBe(2);
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '414', '2025-03-31')).toBe(3);
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '415', '2025-03-31')).toBe(4);
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '416', '2025-03-31')).toBe(5);
    expect(run.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
      [5, 'MALFORMED_PERIOD'],
      [6, 'NOT_A_NUMBER'],
      [7, 'NOT_A_NUMBER'],
      [8, 'NOT_AN_INTEGER'],
    ]);
    const [garbage, text, huge, fraction] = run.rejections;
    expect(garbage.message).toContain('period "2025-03-31garbage" refused by transform dateToPeriod: "2025-03-31garbage" does not match YYYY-MM-DD');
    expect(garbage.message.indexOf('kỳ "2025-03-31garbage" bị phép biến đổi dateToPeriod từ chối')).toBe(0);
    expect(garbage.raw).toMatchObject({ period: '2025-03-31garbage', value: '6' });
    expect(text.message).toContain('value "abc" refused by transform number: "abc" is not a number');
    expect(text.raw).toMatchObject({ unit: '418', period: '2025-03-31', value: 'abc' });
    expect(huge.message).toContain('refused by transform number');
    expect(huge.raw.value).toEqual({ truncated: expect.stringMatching(/^9{199}…$/), length: 100_000 });
    expect(fraction.message).toContain('value 1234.5 is not a whole number');
    expect(fraction.raw.value).toBe('1.234,5');
  });

  it('reads back every rejection of every run, also through the department connector overview', async () => {
    expect(runIds.length).toBeGreaterThanOrEqual(4);
    const stored = (await hub.dataSource.query('SELECT raw, message FROM run_rejection')) as Array<{ raw: string; message: string }>;
    expect(stored.length).toBeGreaterThan(0);
    for (const rejection of stored) {
      expect(() => JSON.parse(rejection.raw)).not.toThrow();
      expect(rejection.message.length).toBeLessThanOrEqual(500);
    }
    const overview = await hub.graphql<{ connectors: { edges: Array<{ node: { runs: { edges: Array<{ node: { rejections: { totalCount: number; edges: Array<{ node: Rejection }> } } }> } } }> } }>(
      `{ connectors(first: 5) { edges { node { id name runs(first: 5) { edges { node { id status
          rejections(first: 20) { totalCount edges { node { ${REJECTION_FIELDS} } } } } } } } } } }`,
    );
    expect(overview.errors).toBeUndefined();
    const read = overview.data!.connectors.edges.flatMap((connector) => connector.node.runs.edges.flatMap((run) => run.node.rejections.edges));
    expect(read.length).toBe(stored.length);

    // A rejection stored before values were bounded one by one (its raw JSON cut mid-text) reads back too.
    const runId = Number(runIds[0]);
    await hub.dataSource.query('INSERT INTO run_rejection (runId, rowIndex, reason, message, raw) VALUES (?, ?, ?, ?, ?)', [
      runId,
      99,
      'NOT_A_NUMBER',
      'value "9999…" is not a number',
      `{"metric":"KCB_BIOMETRIC_VISITS","value":"${'9'.repeat(3_990)}…`,
    ]);
    const legacy = await hub.graphql<{ connectors: { edges: Array<{ node: { runs: { edges: Array<{ node: { id: string; rejections: { edges: Array<{ node: Rejection }> } } }> } } }> } }>(
      `{ connectors(first: 5) { edges { node { runs(first: 5) { edges { node { id rejections(first: 20) { edges { node { ${REJECTION_FIELDS} } } } } } } } } } }`,
    );
    expect(legacy.errors).toBeUndefined();
    const cut = legacy.data!.connectors.edges
      .flatMap((connector) => connector.node.runs.edges)
      .flatMap((run) => run.node.rejections.edges)
      .find((edge) => edge.node.rowIndex === 99);
    expect(cut?.node.raw).toEqual({ unparsed: { truncated: expect.stringMatching(/^\{"metric":"KCB_BIOMETRIC_VISITS","value":"9+…$/), length: 4_033 } });
  });

  it('refuses a value or a period that starts with a byte-order mark, naming it, on every path', async () => {
    const rows = [
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '414', period: '2025-03-20', value: '\ufeff12' },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '415', period: '\ufeff2025-03-20', value: '4' },
      { metric: 'KCB_BIOMETRIC_VISITS', unit: '416', period: '2025-03-20', value: '5' },
    ];
    const refused = [
      [0, 'NOT_A_NUMBER', 'giá trị "\ufeff12" chứa một dấu thứ tự byte (BOM) vô hình (U+FEFF) — value "\ufeff12" contains an invisible byte-order mark (U+FEFF)'],
      [1, 'MALFORMED_PERIOD', 'kỳ "\ufeff2025-03-20" chứa một dấu thứ tự byte (BOM) vô hình (U+FEFF) — period "\ufeff2025-03-20" contains an invisible byte-order mark (U+FEFF)'],
    ];
    const shown = (rejections: Rejection[]) => rejections.map((rejection) => [rejection.rowIndex, rejection.reason, rejection.message]);
    const push = async (body: string, contentType: string) => {
      const response = await fetch(hub.hub.url.replace('/graphql', `/ingest/${pushId}`), { method: 'POST', headers: { ...hub.headers, 'content-type': contentType }, body });
      const answer = (await response.json()) as PushAnswer;
      runIds.push(answer.run.id);
      expect(response.status).toBe(200);
      return answer;
    };
    // Pushed JSON, the mark as a character and as an escape; pushed CSV.
    const json = JSON.stringify(rows);
    for (const body of [json, json.replace(/\ufeff/g, '\\ufeff')]) expect(shown((await push(body, 'application/json')).rejections)).toEqual(refused);
    const csv = ['metric,unit,period,value', ...rows.map((row) => [row.metric, row.unit, row.period, row.value].join(','))].join('\n');
    expect(shown((await push(csv, 'text/csv')).rejections)).toEqual(refused);
    // GraphQL (values are numbers there: the period).
    expect(shown((await pushGraphql([{ ...rows[1], value: 4 }])).rejections)).toEqual([[0, ...refused[1].slice(1)]]);
    // Pulled JSON, as sent and through the trim transform (which removes blanks, not the mark).
    records = rows;
    for (const transform of [undefined, 'trim']) {
      const field = (name: string) => ({ field: name, ...(transform ? { transform } : {}) });
      const pulled = await runPull(await registerPull(`BOM ${transform ?? 'as sent'}`, { metric: field('metric'), unit: field('unit'), period: field('period'), value: field('value') }));
      expect(shown(pulled.rejections)).toEqual(refused);
    }
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '414', '2025-03-20')).toBeNull();
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '416', '2025-03-20')).toBe(5);
  });

  it('reads a body that starts with a byte-order mark, pushed or pulled, whatever charset it declares; refuses a second one', async () => {
    const row = { metric: 'KCB_BIOMETRIC_VISITS', unit: '417', period: '2025-03-21', value: 7 };
    const push = (body: string | Buffer, contentType: string) =>
      fetch(hub.hub.url.replace('/graphql', `/ingest/${pushId}`), { method: 'POST', headers: { ...hub.headers, 'content-type': contentType }, body });
    const accepted = async (response: Response) => {
      const answer = (await response.json()) as PushAnswer;
      runIds.push(answer.run.id);
      expect(response.status).toBe(200);
      expect(answer.summary.rejected).toBe(0);
      expect(answer.summary.fetched).toBe(1);
    };
    await accepted(await push(`\ufeff${JSON.stringify([row])}`, 'application/json'));
    await accepted(await push(`\ufeffmetric,unit,period,value\n${Object.values(row).join(',')}\n`, 'text/csv'));
    // The mark names the encoding, as in the CSV files the hub pulls: UTF-8 bytes declared as windows-1258.
    await accepted(await push(Buffer.from(`\ufeff${JSON.stringify([{ ...row, value: 8 }])}`, 'utf8'), 'application/json; charset=windows-1258'));
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '417', '2025-03-21')).toBe(8);
    // A second mark is not the start of the document.
    const twice = await push(`\ufeff\ufeff${JSON.stringify([row])}`, 'application/json');
    expect(twice.status).toBe(400);
    const errorOf = async (response: Response) => ((await response.json()) as { errors: Array<{ message: string }> }).errors[0].message;
    expect(await errorOf(twice)).toBe('body: an invisible byte-order mark (U+FEFF) where the JSON should start; only one, as the very first bytes, is allowed');
    const csvTwice = await push(`\ufeff\ufeffmetric,unit,period,value\n${Object.values(row).join(',')}\n`, 'text/csv');
    expect(csvTwice.status).toBe(400);
    expect(await errorOf(csvTwice)).toContain('(a column name contains an invisible byte-order mark (U+FEFF))');
    // Pulled: a JSON document after a mark.
    records = [{ ...row, value: 9 }];
    prefix = '\ufeff';
    try {
      const pulled = await runPull(await registerPull('BOM document', { metric: { field: 'metric' }, unit: { field: 'unit' }, period: { field: 'period' }, value: { field: 'value' } }));
      expect(pulled.summary).toMatchObject({ fetched: 1, rejected: 0 });
    } finally {
      prefix = '';
    }
    expect(await storedValue('KCB_BIOMETRIC_VISITS', '417', '2025-03-21')).toBe(9);
  });
});
