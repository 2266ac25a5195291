/**
 * Every connector kind against a hostile feed server (tests/helpers/hostile-feed.ts), through the hub's API: a
 * retried run counts the source once, loops and broken replies are named for what they are (a source error,
 * never INTERNAL), compressed and mixed-line-ending bodies are read as the source meant them, and DHIS2 category
 * option combos are summed or kept apart, none dropped.
 */
import { Observation } from '../../src/modules/observations/observation.entity';
import { dataOf, databaseIdOf } from '../helpers/api';
import { dhis2Values, FEMALE, HEALTH_ROWS, healthRows, MALE, startHostileFeed, type HostileFeed } from '../helpers/hostile-feed';
import { startTestHub, type TestHub } from '../helpers/test-hub';

interface Run {
  status: string;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
  rejections: { totalCount: number; edges: Array<{ node: { rowIndex: number; reason: string } }> };
}

const RUN = `mutation($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to, wait: true) {
  status attempts errorClass errorMessage summary { fetched imported updated unchanged rejected }
  rejections(first: 50) { totalCount edges { node { rowIndex reason } } } } }`;
const REGISTER = 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }';
const TEST = 'mutation($id: ID!) { testConnector(id: $id) { ok message } }';
const MARCH = { from: '2024-03-01', to: '2024-03-31' };
const HEALTH_MAPPING = {
  metric: { constant: 'KCB_BIOMETRIC_VISITS' },
  unit: { field: 'communeCode' },
  period: { field: 'date', transform: 'dateToPeriod' },
  value: { field: 'visits' },
};

describe('connectors against a hostile feed server', () => {
  let hub: TestHub;
  let feed: HostileFeed;
  let counter = 0;

  async function register(kind: string, config: Record<string, unknown>, mapping: Record<string, unknown> = HEALTH_MAPPING, department = 'SO_YT'): Promise<string> {
    const data = await dataOf<{ registerConnector: { id: string } }>(hub, REGISTER, {
      input: { name: `Hostile ${++counter}`, kind, department, schedule: '0 0 1 1 *', lookbackDays: 3, config, mapping, secrets: kind === 'dhis2' ? [{ name: 'token', value: 'd2pat-hostile' }] : [] },
    });
    return data.registerConnector.id;
  }
  const run = async (id: string, window = MARCH): Promise<Run> => (await dataOf<{ runConnector: Run }>(hub, RUN, { id, ...window })).runConnector;
  const json = (path: string, extra: Record<string, unknown> = {}) => register('http-json', { url: `${feed.url}${path}`, recordsPath: 'data', ...extra });
  const requestsTo = (path: string) => feed.requests.filter((line) => line.split(' ')[1].split('?')[0] === path).length;

  beforeAll(async () => {
    feed = await startHostileFeed();
    hub = await startTestHub({ allowServers: [feed.url] });
  });
  afterAll(async () => {
    await hub?.close();
    await feed?.close();
  });

  it('a run retried after its second page failed counts the source once and lists each rejected row once', async () => {
    // The client tries each request twice; the run's first attempt fails on page 2 after storing page 1.
    const id = await json('/health', { query: { key: 'retry', set: '1', failPage: '2', failTimes: '2', bad: '1' }, pagination: { type: 'page', pageParam: 'page', size: 4 } });
    const result = await run(id);
    expect(result.attempts).toBe(2);
    expect(result.status).toBe('PARTIAL');
    // Seven rows at the source, one of them with an unknown unit; page 1's values were written by the first attempt.
    expect(result.summary).toEqual({ fetched: HEALTH_ROWS, imported: HEALTH_ROWS - 1, updated: 0, unchanged: 0, rejected: 1 });
    expect(result.rejections.totalCount).toBe(1);
    expect(result.rejections.edges.map((edge) => [edge.node.rowIndex, edge.node.reason])).toEqual([[2, 'UNKNOWN_UNIT']]);
    const stored = await hub.dataSource.getRepository(Observation).count({ where: { source: `connector:${databaseIdOf(id)}` } });
    expect(stored).toBe(HEALTH_ROWS - 1);
  });

  it('a cursor loop A → B → A is named as such after three pages, not blamed on maxPages', async () => {
    const id = await json('/health/cursor-loop', { query: { set: '2' }, pagination: { type: 'cursor', cursorParam: 'cursor', cursorPath: 'next' } });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'FAILED', errorClass: 'BAD_PAYLOAD', attempts: 1 });
    expect(result.errorMessage).toContain('the source repeated cursor A');
    expect(result.errorMessage).toContain('Nguồn dữ liệu lặp lại con trỏ');
    expect(result.errorMessage).not.toMatch(/raise it|maxPages =/);
    expect(requestsTo('/health/cursor-loop')).toBe(3);
  });

  it('a source that serves pages 1, 2, 1 … is stopped at the first repeated page', async () => {
    const id = await json('/health/page-loop', { query: { set: '3' }, pagination: { type: 'page', pageParam: 'page', size: 3, maxPages: 50 } });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'FAILED', errorClass: 'BAD_PAYLOAD' });
    expect(result.errorMessage).toContain('the source repeated page 1 (page 3 holds the same records as page 1)');
    expect(requestsTo('/health/page-loop')).toBe(3);
  });

  it.each([
    ['/banner', 'http', 'BAD_PAYLOAD', 'did not answer in HTTP'],
    ['/header-overflow', 'http', 'BAD_PAYLOAD', 'response headers larger'],
    ['/reset', 'http', 'SOURCE_UNAVAILABLE', 'closed the connection'],
    ['/health', 'https', 'SOURCE_UNAVAILABLE', 'may not speak https on this port'],
    ['/health/gzip-unlabelled', 'http', 'BAD_PAYLOAD', 'is gzip-compressed but it has no Content-Encoding header'],
  ])('%s over %s is a source error (%s), never INTERNAL', async (path, scheme, errorClass, message) => {
    const base = scheme === 'https' ? feed.url.replace('http:', 'https:') : feed.url;
    const id = await register('http-json', { url: `${base}${path}`, recordsPath: 'data' });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'FAILED', errorClass });
    expect(result.errorMessage).toContain(message);
    // Vietnamese first, English beside it.
    expect(result.errorMessage).toMatch(/^[^—]*[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ][^—]* — /u);
    const test = await dataOf<{ testConnector: { ok: boolean; message: string } }>(hub, TEST, { id });
    expect(test.testConnector.ok).toBe(false);
    expect(test.testConnector.message).toContain(errorClass);
  });

  it('a gzip body with Content-Encoding: gzip is read as the source meant it', async () => {
    const id = await json('/health/gzip', { query: { set: '4' } });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'SUCCEEDED', summary: { fetched: HEALTH_ROWS, imported: HEALTH_ROWS, rejected: 0 } });
  });

  it('a CSV file with mixed line endings (CRLF, LF, CR) is read row by row', async () => {
    const id = await register('csv', { source: { url: `${feed.url}/csv`, query: { set: '5', eol: 'mixed' } }, delimiter: ';' }, {
      metric: { constant: 'KCB_BIOMETRIC_VISITS' },
      unit: { field: 'ma_don_vi' },
      period: { field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' },
      value: { field: 'so_luot', transform: 'number' },
    });
    const result = await run(id);
    expect(result).toMatchObject({ status: 'SUCCEEDED', errorMessage: null, summary: { fetched: HEALTH_ROWS, imported: HEALTH_ROWS, rejected: 0 } });
    const values = await hub.dataSource.query(`SELECT o.value AS value FROM observation o WHERE o.source = ? ORDER BY o.value`, [`connector:${databaseIdOf(id)}`]);
    expect(values.map((row: { value: number | string }) => Number(row.value))).toEqual(healthRows(5).map((row) => row.visits));
  });

  describe('DHIS2 category option combos', () => {
    const loans = (mapping: Record<string, unknown>) => ({
      unit: { field: 'orgUnit' },
      period: { field: 'period', transform: 'dhis2Period' },
      value: { field: 'value', transform: 'number' },
      ...mapping,
    });

    it('are summed per data element by default: every combo counts', async () => {
      const id = await register('dhis2', { baseUrl: `${feed.url}/dhis2`, dataSet: 'LOANS', orgUnit: 'root', children: true }, loans({ metric: { field: 'dataElement', lookup: { LoanCount: 'LOANS_UNSECURED_COUNT' } } }), 'NHCSXH');
      const result = await run(id);
      expect(result).toMatchObject({ status: 'SUCCEEDED', summary: { fetched: 3, rejected: 0 } });
      const rows = await hub.dataSource.query(
        `SELECT u.code AS unit, o.value AS value FROM observation o JOIN administrative_unit u ON u.id = o.unitId WHERE o.source = ? ORDER BY u.code`,
        [`connector:${databaseIdOf(id)}`],
      );
      const expected = dhis2Values(0).filter((value) => value.period === '202403').map((value) => ({ unit: value.orgUnit, value: value.male + value.female }));
      expect(rows.map((row: { unit: string; value: number | string }) => ({ unit: row.unit, value: Number(row.value) }))).toEqual(expected.sort((a, b) => a.unit.localeCompare(b.unit)));
    });

    it('are kept apart when the mapping sends each combo to its own metric', async () => {
      const id = await register(
        'dhis2',
        { baseUrl: `${feed.url}/dhis2`, dataSet: 'LOANS', orgUnit: 'root', categoryOptionCombos: 'separate', timeoutMs: 5_000 },
        loans({ metric: { field: 'dataElementCombo', lookup: { [`LoanCount.${MALE}`]: 'LOANS_UNSECURED_COUNT', [`LoanCount.${FEMALE}`]: 'LOANS_UNSECURED_AMOUNT' } } }),
        'NHCSXH',
      );
      const result = await run(id, { from: '2024-03-01', to: '2024-03-31' });
      expect(result).toMatchObject({ status: 'SUCCEEDED', summary: { fetched: 6, rejected: 0 } });
      const rows = await hub.dataSource.query(
        `SELECT m.code AS metric, SUM(o.value) AS total FROM observation o JOIN metric m ON m.id = o.metricId WHERE o.source = ? GROUP BY m.code ORDER BY m.code`,
        [`connector:${databaseIdOf(id)}`],
      );
      const march = dhis2Values(0).filter((value) => value.period === '202403');
      expect(rows.map((row: { metric: string; total: number | string }) => [row.metric, Number(row.total)])).toEqual([
        ['LOANS_UNSECURED_AMOUNT', march.reduce((sum, value) => sum + value.female, 0)],
        ['LOANS_UNSECURED_COUNT', march.reduce((sum, value) => sum + value.male, 0)],
      ]);
    });

    it('a combo the mapping does not name under "separate" is rejected, never silently dropped', async () => {
      const id = await register('dhis2', { baseUrl: `${feed.url}/dhis2`, dataSet: 'LOANS', categoryOptionCombos: 'separate' }, loans({ metric: { field: 'dataElement', lookup: { LoanCount: 'LOANS_UNSECURED_COUNT' } } }), 'NHCSXH');
      const result = await run(id);
      expect(result.status).toBe('PARTIAL');
      expect(result.summary).toMatchObject({ fetched: 6, rejected: 3 });
      expect(new Set(result.rejections.edges.map((edge) => edge.node.reason))).toEqual(new Set(['DUPLICATE_KEY']));
    });
  });
});
