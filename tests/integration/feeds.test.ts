import { parse as parseCsv } from 'csv-parse/sync';
import { addDays } from '../../src/common/period';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { adminUnits } from '../../src/seed/admin-units';

// Department feed simulator over real HTTP: shapes, determinism, real unit codes, windows, pagination, faults.

type HealthRow = { communeCode: string; date: string; visits: number };
type TransportItem = { unit: string; testDate: string; monitored: number; idMismatch: number };
type TransportPage = { items: TransportItem[]; page: number; pageSize: number; total: number; next: string | null };
type DataValue = { dataElement: string; period: string; orgUnit: string; value: string; lastUpdated: string };
type DataValueSet = { dataSet: string; dataValues: DataValue[] };
type CsvRow = { ma_don_vi: string; ngay: string; so_luot_cong_chung: string };

const COMMUNES_2024 = new Set(adminUnits.edition2024.districts.flatMap((district) => district.communes.map((commune) => commune.code)));
const DISTRICTS_2024 = new Set(adminUnits.edition2024.districts.map((district) => district.code));
const COMMUNES_2025 = new Set(adminUnits.edition2025.communes.map((commune) => commune.code));
const yesterday = (): string => new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('department feed simulator', () => {
  let simulator: FeedSimulator;
  beforeAll(async () => {
    simulator = await startFeedSimulator({ port: 0 });
  });
  afterAll(async () => {
    await simulator.close();
  });

  const get = (path: string, init?: RequestInit): Promise<Response> => fetch(`${simulator.url}${path}`, init);
  const bytes = async (path: string): Promise<Buffer> => Buffer.from(await (await get(path)).arrayBuffer());
  async function json<T>(path: string, status = 200): Promise<T> {
    const response = await get(path);
    expect(response.status).toBe(status);
    return (await response.json()) as T;
  }
  const health = async (from: string, to: string, extra = ''): Promise<HealthRow[]> =>
    (await json<{ data: HealthRow[] }>(`/health/biometric-visits?from=${from}&to=${to}${extra}`)).data;
  const justice = async (from: string, to: string, extra = ''): Promise<CsvRow[]> => {
    const response = await get(`/justice/kiosk-notarizations.csv?from=${from}&to=${to}${extra}`);
    expect(response.status).toBe(200);
    return parseCsv(await response.text(), { delimiter: ';', bom: true, columns: true }) as CsvRow[];
  };
  const loans = (query: string): Promise<DataValueSet> => json<DataValueSet>(`/nhcsxh/api/dataValueSets.json?dataSet=LOANS&${query}`);
  const setFault = (feed: string, mode: string | null): Promise<Response> =>
    get('/_faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ feed, mode }) });

  it('lists the feeds on / and answers /healthz', async () => {
    expect((await get('/healthz')).status).toBe(200);
    const listing = await json<{ dataFrom: string; dataTo: string; feeds: Array<{ feed: string; endpoint: string }>; faults: { modes: string[] } }>('/');
    expect(listing.dataFrom).toBe('2024-01-01');
    expect(listing.dataTo).toBe(yesterday());
    expect(listing.feeds.map((feed) => feed.endpoint)).toEqual([
      expect.stringContaining('GET /health/biometric-visits?'),
      expect.stringContaining('GET /justice/kiosk-notarizations.csv?'),
      expect.stringContaining('GET /transport/driving-tests?'),
      expect.stringContaining('GET /nhcsxh/api/dataValueSets.json?'),
      'GET /nhcsxh/api/system/info',
    ]);
    expect(listing.faults.modes).toEqual(['http500', 'slow', 'timeout', 'hang', 'malformed', 'badrows', 'renamed', 'huge']);
    expect((await get('/nope')).status).toBe(404);
  });

  describe('health: biometric visits (JSON, commune × day)', () => {
    it('answers every 2024 commune on 2024-03-15 with realistic counts, byte-identical on repeat', async () => {
      const path = '/health/biometric-visits?from=2024-03-15&to=2024-03-15';
      const first = await bytes(path);
      expect(first.equals(await bytes(path))).toBe(true);
      const rows = (JSON.parse(first.toString('utf8')) as { data: HealthRow[] }).data;
      expect(rows).toHaveLength(460);
      expect(sorted(rows.map((row) => row.communeCode))).toEqual(sorted(COMMUNES_2024));
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(['communeCode', 'date', 'visits']);
        expect(row.date).toBe('2024-03-15');
        expect(Number.isInteger(row.visits) && row.visits >= 0 && row.visits <= 120).toBe(true);
      }
      // Weekday/weekend pattern: Friday 15 March is busier than Sunday 17 March.
      const total = (data: HealthRow[]) => data.reduce((sum, row) => sum + row.visits, 0);
      expect(total(rows)).toBeGreaterThan(2 * total(await health('2024-03-17', '2024-03-17')));
    });

    it('switches to the 2025 communes on 2025-07-01', async () => {
      const rows = await health('2025-06-30', '2025-08-01');
      const codesOn = (date: string) => sorted(rows.filter((row) => row.date === date).map((row) => row.communeCode));
      expect(codesOn('2025-06-30')).toEqual(sorted(COMMUNES_2024));
      expect(codesOn('2025-07-01')).toEqual(sorted(COMMUNES_2025));
      expect(codesOn('2025-08-01')).toEqual(sorted(COMMUNES_2025));
      expect(rows).toHaveLength(460 + 32 * 130);
    });

    it('never answers dates before 2024-01-01 or after yesterday', async () => {
      const last = yesterday();
      const recent = await health(addDays(last, -20), addDays(last, 10));
      expect(recent.length).toBeGreaterThan(0);
      expect(recent.every((row) => row.date <= last)).toBe(true);
      expect(recent[recent.length - 1].date).toBe(last);
      expect(await health(addDays(last, 1), addDays(last, 30))).toEqual([]);
      const early = await health('2023-12-01', '2024-01-02');
      expect(sorted(new Set(early.map((row) => row.date)))).toEqual(['2024-01-01', '2024-01-02']);
    });

    it('limits a request to 93 days and rejects bad parameters with 400', async () => {
      expect((await get('/health/biometric-visits?from=2024-01-01&to=2024-04-02')).status).toBe(200);
      const tooLong = await get('/health/biometric-visits?from=2024-01-01&to=2024-04-03');
      expect(tooLong.status).toBe(400);
      expect(((await tooLong.json()) as { error: string }).error).toMatch(/94 days; at most 93/);
      for (const query of ['from=2024-03-15', 'from=2024-03-20&to=2024-03-15', 'from=2024-02-30&to=2024-03-01', 'from=15/03/2024&to=2024-03-20']) {
        expect((await get(`/health/biometric-visits?${query}`)).status).toBe(400);
      }
    });
  });

  describe('justice: kiosk notarizations (CSV)', () => {
    it('is UTF-8 with BOM, ";"-delimited, Vietnamese header, dd/mm/yyyy dates and 2024 district codes', async () => {
      const path = '/justice/kiosk-notarizations.csv?from=2024-03-15&to=2024-03-15';
      const response = await get(path);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
      const body = Buffer.from(await response.arrayBuffer());
      expect(body.equals(await bytes(path))).toBe(true);
      expect([...body.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = body.toString('utf8').slice(1);
      expect(text.split('\r\n')[0]).toBe('ma_don_vi;ngay;so_luot_cong_chung');
      const rows = parseCsv(text, { delimiter: ';', columns: true }) as CsvRow[];
      expect(sorted(rows.map((row) => row.ma_don_vi))).toEqual(sorted(DISTRICTS_2024));
      for (const row of rows) {
        expect(row.ngay).toBe('15/03/2024');
        expect(Number(row.so_luot_cong_chung)).toBeGreaterThanOrEqual(0);
        expect(Number(row.so_luot_cong_chung)).toBeLessThanOrEqual(40);
      }
      const plain = await bytes(`${path}&encoding=utf8`);
      expect(plain.equals(body.subarray(3))).toBe(true);
    });

    it('reports per 2025 commune after 2025-07-01', async () => {
      const rows = await justice('2025-08-01', '2025-08-01');
      expect(sorted(rows.map((row) => row.ma_don_vi))).toEqual(sorted(COMMUNES_2025));
      expect(rows.every((row) => row.ngay === '01/08/2025')).toBe(true);
    });
  });

  describe('transport: driving tests (paginated JSON)', () => {
    it('walks every page to the end, total matching, units switching on 2025-07-01', async () => {
      let url: string | null = `${simulator.url}/transport/driving-tests?from=2025-06-28&to=2025-07-02&pageSize=50`;
      const items: TransportItem[] = [];
      let pages = 0;
      let total = -1;
      while (url !== null) {
        const response: Response = await fetch(url);
        expect(response.status).toBe(200);
        const page = (await response.json()) as TransportPage;
        pages++;
        expect(page.page).toBe(pages);
        expect(page.pageSize).toBe(50);
        total = page.total;
        items.push(...page.items);
        url = page.next;
      }
      expect(total).toBe(3 * 21 + 2 * 130);
      expect(items).toHaveLength(total);
      expect(pages).toBe(Math.ceil(total / 50));
      expect(new Set(items.map((item) => `${item.testDate}/${item.unit}`)).size).toBe(total);
      for (const item of items) {
        expect(item.testDate < '2025-07-01' ? DISTRICTS_2024.has(item.unit) : COMMUNES_2025.has(item.unit)).toBe(true);
        expect(item.monitored).toBeGreaterThanOrEqual(0);
        expect(item.monitored).toBeLessThanOrEqual(60);
        expect(item.idMismatch).toBeLessThanOrEqual(item.monitored);
      }
      const path = '/transport/driving-tests?from=2025-06-28&to=2025-07-02&page=3&pageSize=50';
      expect((await bytes(path)).equals(await bytes(path))).toBe(true);
    });

    it('has about 1% ID mismatches over 2024, answers only 2024 districts then, and bounds pageSize', async () => {
      let monitored = 0;
      let mismatches = 0;
      const units = new Set<string>();
      for (let page = 1; ; page++) {
        const body = await json<TransportPage>(`/transport/driving-tests?from=2024-01-01&to=2024-12-31&page=${page}&pageSize=1000`);
        for (const item of body.items) {
          monitored += item.monitored;
          mismatches += item.idMismatch;
          units.add(item.unit);
        }
        if (body.next === null) {
          expect(body.total).toBe(21 * 366);
          break;
        }
      }
      expect(sorted(units)).toEqual(sorted(DISTRICTS_2024));
      expect(mismatches / monitored).toBeGreaterThan(0.005);
      expect(mismatches / monitored).toBeLessThan(0.02);
      expect((await get('/transport/driving-tests?from=2024-01-01&to=2024-01-31&pageSize=1001')).status).toBe(400);
      expect((await get('/transport/driving-tests?from=2024-01-01&to=2024-01-31&page=0')).status).toBe(400);
      const past = await json<TransportPage>('/transport/driving-tests?from=2024-01-01&to=2024-01-02&page=9');
      expect(past).toMatchObject({ items: [], total: 42, next: null });
    });
  });

  describe('nhcsxh: DHIS2 data value sets', () => {
    it('answers only months fully inside the window, values as strings, realistic loans', async () => {
      const path = '/nhcsxh/api/dataValueSets.json?dataSet=LOANS&startDate=2024-01-01&endDate=2024-03-20';
      expect((await bytes(path)).equals(await bytes(path))).toBe(true);
      const set = await json<DataValueSet>(path);
      expect(set.dataSet).toBe('LOANS');
      expect(sorted(new Set(set.dataValues.map((value) => value.period)))).toEqual(['202401', '202402']);
      expect(set.dataValues).toHaveLength(2 * 21 * 2);
      expect(sorted(new Set(set.dataValues.map((value) => value.orgUnit)))).toEqual(sorted(DISTRICTS_2024));
      expect(set.dataValues[0]).toMatchObject({ dataElement: 'LoanCount', period: '202401', orgUnit: '412', lastUpdated: expect.stringMatching(/^2024-02-01T08:\d\d:\d\d\.000$/) });
      for (const value of set.dataValues) expect(value.value).toMatch(/^\d+$/);
      const valueOf = (element: string, period: string, unit: string) =>
        Number(set.dataValues.find((value) => value.dataElement === element && value.period === period && value.orgUnit === unit)?.value);
      for (const unit of DISTRICTS_2024) {
        const count = valueOf('LoanCount', '202401', unit);
        expect(count).toBeGreaterThanOrEqual(50);
        expect(count).toBeLessThanOrEqual(400);
        const perLoan = valueOf('LoanAmountMVND', '202401', unit) / count;
        expect(perLoan).toBeGreaterThanOrEqual(30);
        expect(perLoan).toBeLessThanOrEqual(100);
      }
    });

    it('uses 2025 commune codes from 2025-07, filters by orgUnit and never reports an unfinished month', async () => {
      const set = await loans('startDate=2025-06-15&endDate=2025-08-31');
      expect(sorted(new Set(set.dataValues.map((value) => value.period)))).toEqual(['202507', '202508']);
      expect(sorted(new Set(set.dataValues.map((value) => value.orgUnit)))).toEqual(sorted(COMMUNES_2025));

      const filtered = await loans('startDate=2024-01-01&endDate=2024-06-30&orgUnit=412');
      expect(filtered.dataValues).toHaveLength(6 * 2);
      expect(filtered.dataValues.every((value) => value.orgUnit === '412')).toBe(true);

      const last = yesterday();
      const recent = await loans(`startDate=${addDays(last, -70)}&endDate=2030-12-31`);
      const lastEnded = addDays(`${addDays(last, 1).slice(0, 7)}-01`, -1).slice(0, 7).replace('-', '');
      expect(recent.dataValues.length).toBeGreaterThan(0);
      expect(recent.dataValues.every((value) => value.period <= lastEnded)).toBe(true);

      const error = await get('/nhcsxh/api/dataValueSets.json?dataSet=LOANS&startDate=2024-01-01&endDate=2024-02-29&orgUnit=12345');
      expect(error.status).toBe(409);
      expect(await error.json()).toMatchObject({ httpStatusCode: 409, status: 'ERROR' });
      expect(await json('/nhcsxh/api/system/info')).toMatchObject({ version: '2.40.0' });
    });
  });

  describe('fault modes', () => {
    const endpoints = [
      '/health/biometric-visits?from=2024-03-15&to=2024-03-15',
      '/justice/kiosk-notarizations.csv?from=2024-03-15&to=2024-03-15',
      '/transport/driving-tests?from=2024-03-15&to=2024-03-15',
      '/nhcsxh/api/dataValueSets.json?dataSet=LOANS&startDate=2024-01-01&endDate=2024-03-31',
    ];

    it('http500 answers 500 with a body on every feed', async () => {
      for (const path of [...endpoints, '/nhcsxh/api/system/info']) {
        const response = await get(`${path}${path.includes('?') ? '&' : '?'}fault=http500`);
        expect(response.status).toBe(500);
        expect((await response.text()).length).toBeGreaterThan(0);
      }
      expect((await get(`${endpoints[0]}&fault=bogus`)).status).toBe(400);
    });

    it('malformed bodies fail to parse', async () => {
      for (const path of [endpoints[0], endpoints[2], endpoints[3]]) {
        const text = await (await get(`${path}&fault=malformed`)).text();
        expect(() => JSON.parse(text)).toThrow();
      }
      const csv = await (await get(`/justice/kiosk-notarizations.csv?from=2024-03-01&to=2024-03-31&fault=malformed`)).text();
      expect(() => parseCsv(csv, { delimiter: ';', bom: true, columns: true })).toThrow();
    });

    it('badrows puts about 5% negative, "abc", unknown-unit and future-date values in every feed, deterministically', async () => {
      const last = yesterday();
      const path = '/health/biometric-visits?from=2024-03-01&to=2024-03-31&fault=badrows';
      expect((await bytes(path)).equals(await bytes(path))).toBe(true);
      const rows = (await json<{ data: Array<{ communeCode: string; date: string; visits: number | string }> }>(path)).data;
      const bad = rows.filter((row) => typeof row.visits !== 'number' || row.visits < 0 || row.communeCode === '99999' || row.date > last);
      expect(bad.length / rows.length).toBeGreaterThan(0.03);
      expect(bad.length / rows.length).toBeLessThan(0.07);
      expect(rows.some((row) => typeof row.visits === 'number' && row.visits < 0)).toBe(true);
      expect(rows.some((row) => row.visits === 'abc')).toBe(true);
      expect(rows.some((row) => row.communeCode === '99999')).toBe(true);
      expect(rows.some((row) => row.date > last)).toBe(true);

      const csv = await justice('2024-01-01', '2024-03-31', '&fault=badrows');
      const isoOf = (ngay: string) => ngay.split('/').reverse().join('-');
      expect(csv.some((row) => Number(row.so_luot_cong_chung) < 0)).toBe(true);
      expect(csv.some((row) => row.so_luot_cong_chung === 'abc')).toBe(true);
      expect(csv.some((row) => row.ma_don_vi === '99999')).toBe(true);
      expect(csv.some((row) => isoOf(row.ngay) > last)).toBe(true);

      const items = (await json<{ items: Array<{ unit: string; testDate: string; monitored: number | string }> }>(
        '/transport/driving-tests?from=2024-01-01&to=2024-03-31&pageSize=1000&fault=badrows',
      )).items;
      expect(items.some((item) => typeof item.monitored === 'number' && item.monitored < 0)).toBe(true);
      expect(items.some((item) => item.monitored === 'abc')).toBe(true);
      expect(items.some((item) => item.unit === '99999')).toBe(true);
      expect(items.some((item) => item.testDate > last)).toBe(true);

      const values = (await loans('startDate=2024-01-01&endDate=2024-12-31&fault=badrows')).dataValues;
      expect(values.some((value) => Number(value.value) < 0)).toBe(true);
      expect(values.some((value) => value.value === 'abc')).toBe(true);
      expect(values.some((value) => value.orgUnit === '99999')).toBe(true);
      expect(values.some((value) => value.period > last.slice(0, 7).replace('-', ''))).toBe(true);
    });

    it('renamed renames a field in every feed', async () => {
      const [healthRow] = (await json<{ data: Array<Record<string, unknown>> }>(`${endpoints[0]}&fault=renamed`)).data;
      expect(Object.keys(healthRow)).toEqual(['communeCode', 'date', 'visitCount']);
      const csv = await (await get(`${endpoints[1]}&fault=renamed`)).text();
      expect(csv.replace(/^\ufeff/, '').split('\r\n')[0]).toBe('ma_don_vi;ngay;so_luot');
      const [item] = (await json<{ items: Array<Record<string, unknown>> }>(`${endpoints[2]}&fault=renamed`)).items;
      expect(item).toHaveProperty('monitoredTests');
      expect(item).not.toHaveProperty('monitored');
      const [value] = (await json<{ dataValues: Array<Record<string, unknown>> }>(`${endpoints[3]}&fault=renamed`)).dataValues;
      expect(value).toHaveProperty('val');
      expect(value).not.toHaveProperty('value');
    });

    it('slow trickles the body out over about 5 s and completes', async () => {
      const started = Date.now();
      const response = await get(`${endpoints[1]}&fault=slow`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(text).toBe(await (await get(endpoints[1])).text());
    });

    it('timeout never sends headers: a client with a 1 s timeout is aborted', async () => {
      const started = Date.now();
      await expect(get(`${endpoints[0]}&fault=timeout`, { signal: AbortSignal.timeout(1000) })).rejects.toMatchObject({ name: 'TimeoutError' });
      expect(Date.now() - started).toBeLessThan(5000);
    });

    it('hang sends headers and part of the body, then stalls', async () => {
      const signal = AbortSignal.timeout(1000);
      const response = await get(`${endpoints[2]}&fault=hang`, { signal });
      expect(response.status).toBe(200);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      expect(first.value?.length).toBeGreaterThan(0);
      await expect(reader.read().then(() => reader.read())).rejects.toMatchObject({ name: 'TimeoutError' });
    });

    it('huge announces at least 50 MB; the client reads one chunk and aborts', async () => {
      const controller = new AbortController();
      const response = await get(`${endpoints[0]}&fault=huge`, { signal: controller.signal });
      expect(response.status).toBe(200);
      expect(Number(response.headers.get('content-length'))).toBeGreaterThanOrEqual(50 * 1024 * 1024);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      expect(Buffer.from(first.value as Uint8Array).toString('utf8')).toMatch(/^\{"data":\[\{"communeCode":"\d{5}"/);
      controller.abort();
      await reader.cancel().catch(() => undefined);
    });

    it('switches faults per feed through /_faults, overridable per request, and resets', async () => {
      expect((await setFault('health', 'http500')).status).toBe(200);
      expect((await get(endpoints[0])).status).toBe(500);
      expect((await get(endpoints[1])).status).toBe(200);
      expect((await get(`${endpoints[0]}&fault=none`)).status).toBe(200);

      expect((await setFault('*', 'renamed')).status).toBe(200);
      expect(await json('/_faults')).toMatchObject({ faults: { '*': 'renamed', health: 'http500', justice: null } });
      expect((await get(endpoints[0])).status).toBe(500); // the feed's own switch wins over '*'
      expect((await json<TransportPage>(endpoints[2])).items[0]).toHaveProperty('monitoredTests');

      expect((await setFault('health', null)).status).toBe(200);
      expect(Object.keys((await health('2024-03-15', '2024-03-15'))[0])).toContain('visitCount');

      expect((await get('/_faults', { method: 'DELETE' })).status).toBe(200);
      expect(await json('/_faults')).toMatchObject({ faults: { '*': null, health: null, justice: null, transport: null, nhcsxh: null } });
      expect((await json<TransportPage>(endpoints[2])).items[0]).toHaveProperty('monitored');

      expect((await setFault('police', 'http500')).status).toBe(400);
      expect((await setFault('health', 'explode')).status).toBe(400);
      expect((await get('/_faults', { method: 'POST', body: 'not json' })).status).toBe(400);
    });
  });
});
