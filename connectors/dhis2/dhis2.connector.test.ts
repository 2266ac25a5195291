/**
 * The `dhis2` kind against a small DHIS2 look-alike on a real HTTP server: it checks the credentials, serves
 * `/api/system/info` and filters the fixture data values of `/api/dataValueSets.json` the way DHIS2 does
 * (periods inside startDate..endDate, orgUnit with or without children, lastUpdated since).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePeriod } from '../../src/common/period';
import { ConnectorError } from '../sdk/contract';
import { applyMapping, dhis2PeriodToPeriod, mappingSchema } from '../sdk/mapping';
import { collect, startTestServer, testContext, type TestServer } from '../sdk/testing';
import { applyCombos, dhis2ConfigSchema, dhis2Connector, dhis2Mapping, yearlyChunks, type Dhis2Config } from './dhis2.connector';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const DATA_SET = 'Lp2QmW7sXk4';
const ROOT = 'PnA7dK2mQx1';
const VINH = 'XkM3pQ9vT2a';
const CUA_LO = 'Bq7YtR2nLs8';
const NGHI_LOC = 'Jd4WmN8cHz1';
const PARENT: Record<string, string> = { [VINH]: ROOT, [CUA_LO]: ROOT, [NGHI_LOC]: ROOT };
const LOANS_COUNT = 'hN6kTq2LmPa';
const LOANS_AMOUNT = 'rV9xWc4ZbQe';

const USERNAME = 'pilothub_sync';
const PASSWORD = 'Hub-Secret-2024!x';
const TOKEN = 'd2pat_5xVA12xyUbWNedQxy4ohH77WlxRGVvZZ1151814092';
const BASIC = `Basic ${Buffer.from(`${USERNAME}:${PASSWORD}`).toString('base64')}`;
const BASIC_CREDENTIALS = BASIC.slice('Basic '.length);

interface StoredValue {
  dataElement: string;
  period: string;
  orgUnit: string;
  lastUpdated: string;
  [field: string]: unknown;
}
const STORE = (JSON.parse(fixture('dataValueSets.json')) as { dataValues: StoredValue[] }).dataValues;

/** A DHIS2 period string's first and last day. */
function periodBounds(period: string): { start: string; end: string } {
  const parsed = parsePeriod(dhis2PeriodToPeriod(period));
  return { start: parsed.start, end: parsed.end };
}

/** What the fake server answers instead of the data, for one test. */
let override: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
let server: TestServer;

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
  res.end(body);
}

function dhis2Error(res: ServerResponse, status: number, message: string): void {
  const httpStatus = { 401: 'Unauthorized', 409: 'Conflict', 404: 'Not Found' }[status] ?? 'Error';
  sendJson(res, status, JSON.stringify({ httpStatus, httpStatusCode: status, status: 'ERROR', message }));
}

beforeAll(async () => {
  server = await startTestServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dhis2.test');
    const auth = req.headers.authorization;
    if (auth !== BASIC && auth !== `ApiToken ${TOKEN}`) return dhis2Error(res, 401, 'Unauthorized');
    if (override?.(req, res)) return;
    if (url.pathname === '/api/system/info') return sendJson(res, 200, fixture('system-info.json'));
    if (url.pathname !== '/api/dataValueSets.json') return dhis2Error(res, 404, `No handler for ${url.pathname}`);

    const q = url.searchParams;
    if (q.get('dataSet') !== DATA_SET) return dhis2Error(res, 409, `Data set not found or not accessible: \`${q.get('dataSet')}\``);
    const startDate = q.get('startDate') ?? '';
    const endDate = q.get('endDate') ?? '';
    const orgUnit = q.get('orgUnit');
    const children = q.get('children') === 'true';
    const lastUpdated = q.get('lastUpdated');
    const dataValues = STORE.filter((value) => {
      const { start, end } = periodBounds(value.period);
      if (start < startDate || end > endDate) return false;
      if (orgUnit && value.orgUnit !== orgUnit && !(children && PARENT[value.orgUnit] === orgUnit)) return false;
      return !lastUpdated || value.lastUpdated >= lastUpdated;
    });
    // DHIS2 answers an empty selection with {}.
    sendJson(res, 200, dataValues.length === 0 ? '{}' : JSON.stringify({ dataValues }));
  });
});

afterAll(() => server.close());

beforeEach(() => {
  override = undefined;
  server.requests.length = 0;
});

function config(overrides: Partial<Record<keyof Dhis2Config, unknown>> = {}): unknown {
  return { baseUrl: `${server.url}/`, dataSet: DATA_SET, orgUnit: ROOT, children: true, ...overrides };
}

const basicContext = () => testContext({ secrets: { username: USERNAME, password: PASSWORD } });

/** The data value requests the server saw, as their query parameters. */
function dataValueRequests(): Array<Record<string, string>> {
  return server.requests
    .filter((request) => request.url.startsWith('/api/dataValueSets.json'))
    .map((request) => Object.fromEntries(new URL(request.url, 'http://x').searchParams));
}

async function failure(promise: Promise<unknown>): Promise<ConnectorError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ConnectorError);
  return error as ConnectorError;
}

function expectNoSecrets(text: string): void {
  for (const secret of [PASSWORD, TOKEN, BASIC_CREDENTIALS]) expect(text).not.toContain(secret);
}

describe('dhis2 configuration', () => {
  it('normalises the base URL and names the offending fields', () => {
    expect(dhis2ConfigSchema.parse(config())).toMatchObject({ baseUrl: server.url, dataSet: DATA_SET, orgUnit: ROOT, children: true });
    expect(dhis2Connector.secretNames).toEqual(['username', 'password', 'token']);

    const paths = (input: unknown): string[] => {
      const result = dhis2ConfigSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((issue) => issue.path.join('.'));
    };
    expect(paths({ dataSet: DATA_SET })).toEqual(['baseUrl']);
    expect(paths({ baseUrl: 'ftp://dhis2.example.org', dataSet: DATA_SET })).toEqual(['baseUrl']);
    expect(paths({ baseUrl: 'https://admin:district@dhis2.example.org', dataSet: DATA_SET })).toEqual(['baseUrl']);
    expect(paths({ baseUrl: 'https://dhis2.example.org', dataSet: 'bad id!' })).toEqual(['dataSet']);
    expect(paths({ baseUrl: 'https://dhis2.example.org', dataSet: DATA_SET, children: true })).toEqual(['children']);
    expect(paths({ baseUrl: 'https://dhis2.example.org', dataSet: DATA_SET, password: 'x' })).toEqual(['']);
  });
});

describe('dhis2 read', () => {
  it('reads the data values of the window with Basic auth, as DHIS2 gives them', async () => {
    const window = { from: '2024-01-01', to: '2024-03-31' };
    const result = await collect(dhis2Connector, config(), window, undefined, basicContext());

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.url).toBe(`/api/dataValueSets.json?dataSet=${DATA_SET}&startDate=2024-01-01&endDate=2024-03-31&orgUnit=${ROOT}&children=true`);
    expect(request.headers.authorization).toBe(BASIC);
    expect(request.headers.accept).toBe('application/json');

    expect(result.batchSizes).toEqual([18]);
    expect(result.records).toContainEqual({
      dataElement: LOANS_COUNT,
      period: '202403',
      orgUnit: VINH,
      categoryOptionCombo: 'HllvX50cXC0',
      attributeOptionCombo: 'HllvX50cXC0',
      value: '123',
      lastUpdated: '2024-04-09T15:02:47.006',
    });
    for (const record of result.records) expect(typeof record.value).toBe('string');
    expect(new Set(result.records.map((record) => record.orgUnit))).toEqual(new Set([VINH, CUA_LO, NGHI_LOC]));
    expect(result.state).toEqual({ lastUpdated: '2024-04-09T15:02:47.006', from: '2024-01-01', to: '2024-03-31' });
  });

  it('takes only a DHIS2 timestamp as the newest lastUpdated: whatever else a server puts there is no cursor', async () => {
    override = (req, res) => {
      if (!req.url?.startsWith('/api/dataValueSets.json')) return false;
      const values = [
        { dataElement: LOANS_COUNT, period: '202403', orgUnit: VINH, value: '1', lastUpdated: '2024-04-09T15:02:47.006' },
        { dataElement: LOANS_COUNT, period: '202403', orgUnit: CUA_LO, value: '2', lastUpdated: `zz ${PASSWORD}` },
      ];
      sendJson(res, 200, JSON.stringify({ dataValues: values }));
      return true;
    };
    const result = await collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, undefined, basicContext());
    expect(result.records).toHaveLength(2);
    expect(result.state).toEqual({ lastUpdated: '2024-04-09T15:02:47.006', from: '2024-01-01', to: '2024-03-31' });
  });

  it('sends orgUnit without children, and a personal access token as ApiToken', async () => {
    const result = await collect(dhis2Connector, config({ orgUnit: VINH, children: undefined }), { from: '2024-01-01', to: '2024-03-31' }, undefined, testContext({ secrets: { token: TOKEN } }));
    expect(server.requests[0].url).toBe(`/api/dataValueSets.json?dataSet=${DATA_SET}&startDate=2024-01-01&endDate=2024-03-31&orgUnit=${VINH}`);
    expect(server.requests[0].headers.authorization).toBe(`ApiToken ${TOKEN}`);
    expect(result.records).toHaveLength(6);
    expect(result.records.every((record) => record.orgUnit === VINH)).toBe(true);
  });

  it('treats an empty data set ({}) as no records', async () => {
    const result = await collect(dhis2Connector, config(), { from: '2019-01-01', to: '2019-12-31' }, undefined, basicContext());
    expect(result.records).toEqual([]);
    expect(result.batchSizes).toEqual([0]);
    expect(result.state).toBeUndefined();
  });

  it.each([
    ['dataValues that is not an array', 'dataValues-not-array.json', /dataValues to be an array/],
    ['a body that is not an object', 'not-an-object.json', /JSON object/],
    ['a truncated body', 'truncated.json', /malformed JSON/],
  ])('fails with BAD_PAYLOAD on %s', async (_name, file, message) => {
    override = (_req, res) => {
      sendJson(res, 200, fixture(file));
      return true;
    };
    const error = await failure(collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, undefined, basicContext()));
    expect(error.errorClass).toBe('BAD_PAYLOAD');
    expect(error.message).toMatch(message);
  });

  it('fails with SOURCE_UNAVAILABLE on HTTP 500, without the credentials in the message', async () => {
    override = (req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`java.lang.NullPointerException while serving request with Authorization: ${req.headers.authorization} (user ${USERNAME}, password ${PASSWORD})`);
      return true;
    };
    const error = await failure(collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, undefined, basicContext()));
    expect(error.errorClass).toBe('SOURCE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/HTTP 500/);
    expectNoSecrets(error.message);
    expect(server.requests.length).toBeGreaterThanOrEqual(1);
  });

  it('fails with CONFIG on wrong credentials or none, never showing them', async () => {
    const wrong = 'Not-the-password-77';
    const denied = await failure(
      collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, undefined, testContext({ secrets: { username: USERNAME, password: wrong } })),
    );
    expect(denied.errorClass).toBe('CONFIG');
    expect(denied.message).toMatch(/HTTP 401/);
    expect(denied.message).not.toContain(wrong);
    expect(denied.message).not.toContain(Buffer.from(`${USERNAME}:${wrong}`).toString('base64'));

    server.requests.length = 0;
    const missing = await failure(collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, undefined, testContext()));
    expect(missing.errorClass).toBe('CONFIG');
    expect(missing.message).toMatch(/credentials/);
    expect(server.requests).toHaveLength(0);
  });

  it('splits a window longer than 366 days into yearly requests, one batch each, without duplicates', async () => {
    const result = await collect(dhis2Connector, config({ orgUnit: CUA_LO, children: undefined }), { from: '2020-06-01', to: '2022-03-31' }, undefined, basicContext());
    expect(dataValueRequests().map(({ startDate, endDate }) => [startDate, endDate])).toEqual([
      ['2020-06-01', '2020-12-31'],
      // Later years start 6 days early so that ISO week 2020W53 (28 Dec – 3 Jan) is read.
      ['2020-12-26', '2021-12-31'],
      ['2021-12-26', '2022-03-31'],
    ]);
    for (const request of dataValueRequests()) expect(request).toMatchObject({ dataSet: DATA_SET, orgUnit: CUA_LO });
    expect(result.batchSizes).toEqual([2, 2, 2]);
    // 20201227 is served again by the second request (it starts on 26 December) and dropped there.
    expect(result.records.map((record) => record.period)).toEqual(['202007', '20201227', '2020W53', '202106', '202201', '2022Q1']);
    // Several requests are not one snapshot: no incremental state is recorded for them.
    expect(result.state).toBeUndefined();
  });

  it('reads a window of exactly 366 days in one request', async () => {
    expect(yearlyChunks({ from: '2023-01-01', to: '2024-01-01' })).toEqual([{ from: '2023-01-01', to: '2024-01-01' }]);
    expect(yearlyChunks({ from: '2023-01-01', to: '2024-01-02' })).toHaveLength(2);
    await collect(dhis2Connector, config(), { from: '2023-06-01', to: '2024-05-31' }, undefined, basicContext());
    expect(dataValueRequests()).toHaveLength(1);
  });

  it('asks only for values changed since the last run when the window is one that run covered', async () => {
    const state = { lastUpdated: '2024-04-09T15:02:47.006', from: '2024-01-01', to: '2024-04-30' };
    const result = await collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-04-30' }, state, basicContext());
    expect(dataValueRequests()).toEqual([
      { dataSet: DATA_SET, startDate: '2024-01-01', endDate: '2024-04-30', orgUnit: ROOT, children: 'true', lastUpdated: '2024-04-09T15:02:47.006' },
    ]);
    expect(result.records.map((record) => `${record.period}:${record.value}`).sort()).toEqual(['202403:123', '202404:131']);
    expect(result.state).toEqual({ lastUpdated: '2024-05-06T10:00:00.000', from: '2024-01-01', to: '2024-04-30' });

    // Nothing changed since (DHIS2's filter is inclusive: the newest value comes again), so the state is kept.
    server.requests.length = 0;
    const again = await collect(dhis2Connector, config(), { from: '2024-02-01', to: '2024-04-30' }, result.state, basicContext());
    expect(dataValueRequests()[0].lastUpdated).toBe('2024-05-06T10:00:00.000');
    expect(again.records.map((record) => record.period)).toEqual(['202404']);
    expect(again.state).toEqual(result.state);
  });

  it('reads backfills and windows beyond the last run in full: the window rules', async () => {
    const state = { lastUpdated: '2024-05-06T10:00:00.000', from: '2024-02-01', to: '2024-04-30' };
    const backfill = await collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-04-30' }, state, basicContext());
    const moved = await collect(dhis2Connector, config(), { from: '2024-02-01', to: '2024-05-31' }, state, basicContext());
    expect(dataValueRequests().map((request) => request.lastUpdated)).toEqual([undefined, undefined]);
    expect(backfill.records).toHaveLength(19);
    expect(moved.records).toHaveLength(13);
    // A state that is not this kind's is ignored.
    server.requests.length = 0;
    await collect(dhis2Connector, config(), { from: '2024-01-01', to: '2024-03-31' }, { lastUpdated: 42 }, basicContext());
    expect(dataValueRequests()[0].lastUpdated).toBeUndefined();
  });
});

describe('dhis2 check, discover and mapping', () => {
  it('check reports the DHIS2 version', async () => {
    const result = await dhis2Connector.check(dhis2ConfigSchema.parse(config()), basicContext());
    expect(result.ok).toBe(true);
    expect(result.message).toContain('DHIS2 2.40.3.1');
    expect(result.message).toContain('NHCSXH Nghệ An');
    expect(server.requests.map((request) => request.url)).toEqual(['/api/system/info']);
    expect(server.requests[0].headers.authorization).toBe(BASIC);
  });

  it('check reports wrong credentials and an unreachable server without throwing', async () => {
    const wrong = 'Wrong-pass-31337';
    const denied = await dhis2Connector.check(dhis2ConfigSchema.parse(config()), testContext({ secrets: { username: USERNAME, password: wrong } }));
    expect(denied.ok).toBe(false);
    expect(denied.message).toMatch(/401/);
    expect(denied.message).not.toContain(wrong);

    const gone = await startTestServer(() => undefined);
    const goneUrl = gone.url;
    await gone.close();
    const unreachable = await dhis2Connector.check(dhis2ConfigSchema.parse(config({ baseUrl: goneUrl })), basicContext());
    expect(unreachable.ok).toBe(false);
    expectNoSecrets(unreachable.message);
  });

  it('discover lists the data elements and organisation units of the last 3 months', async () => {
    override = (req, res) => {
      if (!req.url?.startsWith('/api/dataValueSets.json')) return false;
      sendJson(res, 200, JSON.stringify({ dataValues: STORE.filter((value) => value.period.startsWith('2024')) }));
      return true;
    };
    const streams = await dhis2Connector.discover(dhis2ConfigSchema.parse(config()), basicContext());
    const today = new Date().toISOString().slice(0, 10);
    const [request] = dataValueRequests();
    expect(request.endDate).toBe(today);
    expect(request.startDate).toMatch(/^\d{4}-\d{2}-01$/);
    const months = (Number(today.slice(0, 4)) - Number(request.startDate.slice(0, 4))) * 12 + Number(today.slice(5, 7)) - Number(request.startDate.slice(5, 7));
    expect(months).toBe(3);

    const byName = Object.fromEntries(streams.map((stream) => [stream.name, stream]));
    expect(byName.dataValues.sample).toHaveLength(3);
    expect(byName.dataElements.sample).toEqual([
      { dataElement: LOANS_COUNT, values: 10 },
      { dataElement: LOANS_AMOUNT, values: 9 },
    ]);
    expect(byName.orgUnits.sample.map((row) => row.orgUnit)).toEqual([CUA_LO, NGHI_LOC, VINH].sort());
  });

  it('the recommended mapping turns a record into an observation row', async () => {
    const result = await collect(dhis2Connector, config({ orgUnit: VINH, children: undefined }), { from: '2024-03-01', to: '2024-03-31' }, undefined, basicContext());
    const record = result.records.find((candidate) => candidate.dataElement === LOANS_COUNT);
    expect(record).toBeDefined();

    const mapping = mappingSchema.parse(
      dhis2Mapping({ [LOANS_COUNT]: 'LOANS_UNSECURED_COUNT', [LOANS_AMOUNT]: 'LOANS_UNSECURED_AMOUNT' }, { [VINH]: '412', [CUA_LO]: '413' }),
    );
    expect(mapping).toEqual({
      metric: { field: 'dataElement', lookup: { [LOANS_COUNT]: 'LOANS_UNSECURED_COUNT', [LOANS_AMOUNT]: 'LOANS_UNSECURED_AMOUNT' } },
      unit: { field: 'orgUnit', lookup: { [VINH]: '412', [CUA_LO]: '413' } },
      period: { field: 'period', transform: 'dhis2Period' },
      value: { field: 'value', transform: 'number' },
    });
    const row = applyMapping(record!, mapping, basicContext().metricFrequencies);
    expect(row).toMatchObject({ metric: 'LOANS_UNSECURED_COUNT', unit: '412', period: '2024-03', value: 123 });
  });
});

describe('dhis2 category option combos', () => {
  const value = (categoryOptionCombo: string, text: string, extra: Record<string, unknown> = {}) => ({
    dataElement: 'hN6kTq2LmPa', period: '202403', orgUnit: 'XkM3pQ9vT2a', categoryOptionCombo, attributeOptionCombo: 'HllvX50cXC0', value: text, lastUpdated: '2024-04-01T00:00:00.000', ...extra,
  });

  it('sums the combos of one observation exactly, keeping the newest lastUpdated and the combos summed', () => {
    const records = applyCombos([value('M', '0.1'), value('F', '0.2', { lastUpdated: '2024-04-05T00:00:00.000' }), value('M', '7', { orgUnit: 'Bq7YtR2nLs8' })], 'sum');
    expect(records).toEqual([
      { ...value('total', '0.3', { lastUpdated: '2024-04-05T00:00:00.000' }), categoryOptionCombos: ['M', 'F'] },
      value('M', '7', { orgUnit: 'Bq7YtR2nLs8' }),
    ]);
    expect(applyCombos([value('M', '-1.50'), value('F', '12')], 'sum')[0].value).toBe('10.5');
  });

  it('leaves values that are not all numbers as they are, for validation to name', () => {
    expect(applyCombos([value('M', '3'), value('F', 'n/a')], 'sum')).toEqual([value('M', '3'), value('F', 'n/a')]);
  });

  it('keeps every combo apart under "separate", each with its dataElementCombo', () => {
    expect(applyCombos([value('M', '3'), value('F', '4')], 'separate').map((record) => record.dataElementCombo)).toEqual(['hN6kTq2LmPa.M', 'hN6kTq2LmPa.F']);
  });
});
