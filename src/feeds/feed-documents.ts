/**
 * The documents the four simulated department systems answer with, one builder per endpoint. A document is
 * kept as head + rows + tail so the server can corrupt it (malformed) or blow it up (huge) without knowing the
 * format. Builders validate their query and throw FeedRequestError for a bad one.
 */
import { isValidDate } from '../common/period';
import {
  badValueFor,
  futureYear,
  negativeOf,
  TEXT_VALUE,
  UNKNOWN_UNIT_CODE,
  type FaultMode,
  type FeedName,
} from './feed-faults';
import { uniform } from './feed-hash';
import { DATA_START, KNOWN_UNIT_CODES, PROVINCE_CODE, unitsOn } from './feed-units';
import { biometricVisits, dateOfIndex, dayIndex, drivingTests, kioskNotarizations, unsecuredLoans } from './feed-values';

export interface FeedDocument {
  status: number;
  contentType: string;
  format: 'json' | 'csv';
  headers: Record<string, string>;
  head: string;
  rows: string[];
  separator: string;
  tail: string;
  /** A data answer (status 200): `malformed` and `huge` apply to it; error answers pass through unchanged. */
  data: boolean;
}

export interface FeedRequest {
  query: URLSearchParams;
  /** The content fault in force (malformed, badrows, renamed act on the document). */
  mode: FaultMode | null;
  /** Last day with data: yesterday (UTC). */
  lastDay: string;
  /** Absolute URL of this endpoint with the given query. */
  urlWith(query: URLSearchParams): string;
}

export interface FeedEndpoint {
  feed: FeedName;
  path: string;
  aliases: string[];
  usage: string;
  department: string;
  system: string;
  metrics: string[];
  format: string;
  granularity: string;
  limits: string;
  build(request: FeedRequest): FeedDocument;
}

export class FeedRequestError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = 'FeedRequestError';
  }
}

export function renderDocument(document: FeedDocument): string {
  return document.head + document.rows.join(document.separator) + document.tail;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const CSV_TYPE = 'text/csv; charset=utf-8';
const CRLF = '\r\n';
const BOM = '\ufeff';

function jsonDocument(head: string, rows: string[], tail: string): FeedDocument {
  return { status: 200, contentType: JSON_TYPE, format: 'json', headers: {}, head, rows, separator: ',', tail, data: true };
}

/** A JSON error answer in the style of the feed's system. */
export function errorDocument(feed: FeedName, status: number, message: string, path: string): FeedDocument {
  const reason = STATUS_TEXT[status] ?? 'Error';
  let body: unknown;
  switch (feed) {
    case 'nhcsxh': // DHIS2 web message
      body = { httpStatus: reason, httpStatusCode: status, status: 'ERROR', message };
      break;
    case 'transport': // Spring Boot error attributes (the police system)
      body = { status, error: reason, message, path };
      break;
    default:
      body = { error: message };
  }
  const text = JSON.stringify(body);
  return { status, contentType: JSON_TYPE, format: 'json', headers: {}, head: text, rows: [], separator: '', tail: '', data: false };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  500: 'Internal Server Error',
};

// ---------------------------------------------------------------------------------------------------------
// Query parameters

function dateParameter(query: URLSearchParams, name: string, status: number): string {
  const value = query.get(name);
  if (value === null || value === '') throw new FeedRequestError(`Missing query parameter "${name}" (YYYY-MM-DD)`, status);
  if (!isValidDate(value)) throw new FeedRequestError(`Query parameter "${name}" must be a calendar date YYYY-MM-DD, got "${value}"`, status);
  return value;
}

interface Window {
  from: string;
  to: string;
}

function dateWindow(query: URLSearchParams, names: [string, string], maxDays: number | null, status = 400): Window {
  const from = dateParameter(query, names[0], status);
  const to = dateParameter(query, names[1], status);
  if (from > to) throw new FeedRequestError(`"${names[0]}" (${from}) is after "${names[1]}" (${to})`, status);
  const days = dayIndex(to) - dayIndex(from) + 1;
  if (maxDays !== null && days > maxDays) {
    throw new FeedRequestError(`The range ${from}..${to} spans ${days} days; at most ${maxDays} days per request`, status);
  }
  return { from, to };
}

/** Days of the window that have data: from 2024-01-01 up to and including yesterday. */
function availableDates(window: Window, lastDay: string): string[] {
  const first = window.from > DATA_START ? window.from : DATA_START;
  const last = window.to < lastDay ? window.to : lastDay;
  const dates: string[] = [];
  for (let day = dayIndex(first); day <= dayIndex(last); day++) dates.push(dateOfIndex(day));
  return dates;
}

function integerParameter(query: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new FeedRequestError(`Query parameter "${name}" must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

// ---------------------------------------------------------------------------------------------------------
// 1. Health: JSON by commune and day.

export const HEALTH_MAX_DAYS = 93;

function healthDocument(request: FeedRequest): FeedDocument {
  const window = dateWindow(request.query, ['from', 'to'], HEALTH_MAX_DAYS);
  const valueField = request.mode === 'renamed' ? 'visitCount' : 'visits';
  const rows: string[] = [];
  for (const date of availableDates(window, request.lastDay)) {
    for (const unit of unitsOn(date, 'commune')) {
      const visits = biometricVisits(unit, date);
      const bad = badValueFor(request.mode, 'health', unit.code, date);
      rows.push(
        JSON.stringify({
          communeCode: bad === 'unknownUnit' ? UNKNOWN_UNIT_CODE : unit.code,
          date: bad === 'futureDate' ? futureYear(date.slice(0, 4)) + date.slice(4) : date,
          [valueField]: bad === 'negative' ? negativeOf(visits) : bad === 'text' ? TEXT_VALUE : visits,
        }),
      );
    }
  }
  return jsonDocument('{"data":[', rows, ']}');
}

// ---------------------------------------------------------------------------------------------------------
// 2. Justice: CSV (UTF-8 with BOM, ';', dd/mm/yyyy) by district (2025: commune) and day.

export const JUSTICE_MAX_DAYS = 366;

function justiceDocument(request: FeedRequest): FeedDocument {
  const window = dateWindow(request.query, ['from', 'to'], JUSTICE_MAX_DAYS);
  const encoding = (request.query.get('encoding') ?? 'utf8bom').toLowerCase();
  if (!['utf8bom', 'utf-8-bom', 'utf8', 'utf-8'].includes(encoding)) {
    throw new FeedRequestError(`Query parameter "encoding" must be utf8bom (default) or utf8, got "${encoding}"`);
  }
  const withBom = encoding === 'utf8bom' || encoding === 'utf-8-bom';
  const header = ['ma_don_vi', 'ngay', request.mode === 'renamed' ? 'so_luot' : 'so_luot_cong_chung'].join(';');
  const rows: string[] = [];
  for (const date of availableDates(window, request.lastDay)) {
    const [year, month, day] = date.split('-');
    for (const unit of unitsOn(date, 'district')) {
      const count = kioskNotarizations(unit, date);
      const bad = badValueFor(request.mode, 'justice', unit.code, date);
      const code = bad === 'unknownUnit' ? UNKNOWN_UNIT_CODE : unit.code;
      const shownDate = `${day}/${month}/${bad === 'futureDate' ? futureYear(year) : year}`;
      const value = bad === 'negative' ? negativeOf(count) : bad === 'text' ? TEXT_VALUE : count;
      rows.push(`${code};${shownDate};${value}`);
    }
  }
  return {
    status: 200,
    contentType: CSV_TYPE,
    format: 'csv',
    headers: { 'content-disposition': `attachment; filename="kiosk-notarizations_${window.from}_${window.to}.csv"` },
    head: (withBom ? BOM : '') + header + CRLF,
    rows,
    separator: CRLF,
    tail: rows.length > 0 ? CRLF : '',
    data: true,
  };
}

// ---------------------------------------------------------------------------------------------------------
// 3. Transport / police: paginated JSON by district (2025: commune) and day.

export const TRANSPORT_DEFAULT_PAGE_SIZE = 500;
export const TRANSPORT_MAX_PAGE_SIZE = 1000;

function transportDocument(request: FeedRequest): FeedDocument {
  const window = dateWindow(request.query, ['from', 'to'], null);
  const page = integerParameter(request.query, 'page', 1, 1, 100_000_000);
  const pageSize = integerParameter(request.query, 'pageSize', TRANSPORT_DEFAULT_PAGE_SIZE, 1, TRANSPORT_MAX_PAGE_SIZE);
  const dates = availableDates(window, request.lastDay);
  const total = dates.reduce((sum, date) => sum + unitsOn(date, 'district').length, 0);
  const offset = (page - 1) * pageSize;
  const monitoredField = request.mode === 'renamed' ? 'monitoredTests' : 'monitored';

  // Items run by date, then unit code; skip whole days up to the page's first item.
  const rows: string[] = [];
  let skipped = 0;
  for (const date of dates) {
    if (rows.length >= pageSize) break;
    const units = unitsOn(date, 'district');
    if (skipped + units.length <= offset) {
      skipped += units.length;
      continue;
    }
    for (let i = Math.max(0, offset - skipped); i < units.length && rows.length < pageSize; i++) {
      const unit = units[i];
      const tests = drivingTests(unit, date);
      const bad = badValueFor(request.mode, 'transport', unit.code, date);
      rows.push(
        JSON.stringify({
          unit: bad === 'unknownUnit' ? UNKNOWN_UNIT_CODE : unit.code,
          testDate: bad === 'futureDate' ? futureYear(date.slice(0, 4)) + date.slice(4) : date,
          [monitoredField]: bad === 'negative' ? negativeOf(tests.monitored) : bad === 'text' ? TEXT_VALUE : tests.monitored,
          idMismatch: tests.idMismatch,
        }),
      );
    }
    skipped += units.length;
  }

  let next: string | null = null;
  if (offset + pageSize < total) {
    const query = new URLSearchParams(request.query);
    query.set('page', String(page + 1));
    query.set('pageSize', String(pageSize));
    next = request.urlWith(query);
  }
  const tail = `],${JSON.stringify({ page, pageSize, total, next }).slice(1)}`;
  return jsonDocument('{"items":[', rows, tail);
}

// ---------------------------------------------------------------------------------------------------------
// 4. Social policy bank: DHIS2 dataValueSets by district (2025: commune) and month.

export const DHIS2_VERSION = '2.40.0';
/** DHIS2's default category option combo, on every data value of a data set without disaggregation. */
const DEFAULT_COMBO = 'HllvX50cXC0';

function monthsOf(request: FeedRequest): string[] {
  const query = request.query;
  const periods = query.getAll('period').filter((period) => period !== '');
  let candidates: string[];
  if (periods.length > 0 && !query.has('startDate') && !query.has('endDate')) {
    for (const period of periods) {
      if (!/^\d{4}(0[1-9]|1[0-2])$/.test(period)) throw new FeedRequestError(`Invalid monthly period: ${period} (YYYYMM)`, 409);
    }
    candidates = [...new Set(periods)].sort().map((period) => `${period.slice(0, 4)}-${period.slice(4)}`);
  } else {
    const window = dateWindow(query, ['startDate', 'endDate'], null, 409);
    candidates = [];
    for (let month = window.from.slice(0, 7); month <= window.to.slice(0, 7); month = nextMonth(month)) {
      // Only months fully inside the window.
      if (`${month}-01` >= window.from && lastDayOf(month) <= window.to) candidates.push(month);
    }
  }
  // Only months that have ended (their last day is yesterday or earlier) and that have data.
  return candidates.filter((month) => `${month}-01` >= DATA_START && lastDayOf(month) <= request.lastDay);
}

const pad = (value: number): string => String(value).padStart(2, '0');

function nextMonth(month: string): string {
  const year = Number(month.slice(0, 4));
  const index = Number(month.slice(5, 7));
  return index === 12 ? `${year + 1}-01` : `${year}-${pad(index + 1)}`;
}

function lastDayOf(month: string): string {
  return dateOfIndex(dayIndex(`${nextMonth(month)}-01`) - 1);
}

function dataValueSetsDocument(request: FeedRequest): FeedDocument {
  const query = request.query;
  const dataSets = query.getAll('dataSet').filter((dataSet) => dataSet !== '');
  if (dataSets.length === 0) throw new FeedRequestError('At least one valid data set must be specified', 409);
  const unknownSet = dataSets.find((dataSet) => dataSet !== 'LOANS');
  if (unknownSet !== undefined) throw new FeedRequestError(`Data set does not exist: ${unknownSet}`, 409);

  const orgUnits = query.getAll('orgUnit').filter((orgUnit) => orgUnit !== '');
  const unknownUnit = orgUnits.find((orgUnit) => !KNOWN_UNIT_CODES.has(orgUnit));
  if (unknownUnit !== undefined) throw new FeedRequestError(`Organisation unit does not exist: ${unknownUnit}`, 409);
  // The province is the root: naming it selects every unit below.
  const filter = orgUnits.length === 0 || orgUnits.includes(PROVINCE_CODE) ? null : new Set(orgUnits);
  const valueField = request.mode === 'renamed' ? 'val' : 'value';

  const rows: string[] = [];
  for (const month of monthsOf(request)) {
    const period = month.replace('-', '');
    const stamp = `${nextMonth(month)}-01T08:`;
    for (const unit of unitsOn(`${month}-01`, 'district')) {
      if (filter !== null && !filter.has(unit.code)) continue;
      const loans = unsecuredLoans(unit, month);
      // Entered the morning after the month closes; minutes and seconds vary by unit.
      const seconds = Math.floor(uniform('nhcsxh-entry', unit.code, period) * 3600);
      const lastUpdated = `${stamp}${pad(Math.floor(seconds / 60))}:${pad(seconds % 60)}.000`;
      for (const [dataElement, amount] of [
        ['LoanCount', loans.count],
        ['LoanAmountMVND', loans.amount],
      ] as const) {
        const bad = badValueFor(request.mode, 'nhcsxh', unit.code, `${period}:${dataElement}`);
        const value = bad === 'negative' ? negativeOf(amount) : bad === 'text' ? TEXT_VALUE : amount;
        rows.push(
          JSON.stringify({
            dataElement,
            period: bad === 'futureDate' ? futureYear(period.slice(0, 4)) + period.slice(4) : period,
            orgUnit: bad === 'unknownUnit' ? UNKNOWN_UNIT_CODE : unit.code,
            categoryOptionCombo: DEFAULT_COMBO,
            attributeOptionCombo: DEFAULT_COMBO,
            [valueField]: String(value),
            storedBy: 'nhcsxh_nghean',
            created: lastUpdated,
            lastUpdated,
            followup: false,
          }),
        );
      }
    }
  }
  return jsonDocument('{"dataSet":"LOANS","dataValues":[', rows, ']}');
}

function systemInfoDocument(): FeedDocument {
  const info = {
    version: DHIS2_VERSION,
    revision: 'a6bfd5e',
    buildTime: '2023-10-12T09:12:00.000',
    serverTimeZoneId: 'Asia/Ho_Chi_Minh',
    systemName: 'NHCSXH Nghe An (simulated)',
    contextPath: '/nhcsxh',
  };
  const text = JSON.stringify(info);
  // Rows stay empty: `huge` pads the object with whitespace before its closing brace.
  return { ...jsonDocument(text.slice(0, -1), [], '}'), separator: '' };
}

// ---------------------------------------------------------------------------------------------------------
// The endpoint table: routing, GET / and the CLI read it.

export const FEED_ENDPOINTS: readonly FeedEndpoint[] = [
  {
    feed: 'health',
    path: '/health/biometric-visits',
    aliases: [],
    usage: '/health/biometric-visits?from=YYYY-MM-DD&to=YYYY-MM-DD',
    department: 'SO_YT',
    system: 'Department of Health: biometric (chip-ID) medical examination',
    metrics: ['KCB_BIOMETRIC_VISITS'],
    format: 'JSON { data: [{ communeCode, date, visits }] }',
    granularity: 'commune × day',
    limits: `at most ${HEALTH_MAX_DAYS} days per request (400 otherwise)`,
    build: healthDocument,
  },
  {
    feed: 'justice',
    path: '/justice/kiosk-notarizations.csv',
    aliases: [],
    usage: '/justice/kiosk-notarizations.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&encoding=utf8]',
    department: 'SO_TP',
    system: 'Department of Justice: self-service notarization kiosks',
    metrics: ['KIOSK_NOTARIZATIONS'],
    format: 'CSV, UTF-8 with BOM (encoding=utf8: without), ";" delimiter, CRLF: ma_don_vi;ngay;so_luot_cong_chung (ngay dd/mm/yyyy)',
    granularity: 'district × day (2025 commune × day from 2025-07-01)',
    limits: `at most ${JUSTICE_MAX_DAYS} days per request (400 otherwise)`,
    build: justiceDocument,
  },
  {
    feed: 'transport',
    path: '/transport/driving-tests',
    aliases: [],
    usage: '/transport/driving-tests?from=YYYY-MM-DD&to=YYYY-MM-DD[&page=1][&pageSize=500]',
    department: 'SO_GTVT',
    system: 'Department of Transport / Provincial Police: driving-licence test monitoring',
    metrics: ['DRIVE_TESTS_MONITORED', 'DRIVE_TEST_ID_MISMATCH'],
    format: 'JSON { items: [{ unit, testDate, monitored, idMismatch }], page, pageSize, total, next }',
    granularity: 'district × day (2025 commune × day from 2025-07-01)',
    limits: `pageSize 1–${TRANSPORT_MAX_PAGE_SIZE} (default ${TRANSPORT_DEFAULT_PAGE_SIZE}); next is an absolute URL or null`,
    build: transportDocument,
  },
  {
    feed: 'nhcsxh',
    path: '/nhcsxh/api/dataValueSets.json',
    aliases: ['/nhcsxh/api/dataValueSets'],
    usage: '/nhcsxh/api/dataValueSets.json?dataSet=LOANS&startDate=YYYY-MM-DD&endDate=YYYY-MM-DD[&orgUnit=CODE]',
    department: 'NHCSXH',
    system: 'Vietnam Bank for Social Policies, Nghệ An: DHIS2-style data value sets',
    metrics: ['LOANS_UNSECURED_COUNT', 'LOANS_UNSECURED_AMOUNT'],
    format: 'DHIS2 JSON { dataSet, dataValues: [{ dataElement: LoanCount | LoanAmountMVND, period: YYYYMM, orgUnit, value (string), lastUpdated }] }',
    granularity: 'district × month (2025 commune × month from 2025-07)',
    limits: 'only months fully inside the window and already ended; orgUnit optional (repeatable, 40 = all); errors are DHIS2 409 messages',
    build: dataValueSetsDocument,
  },
  {
    feed: 'nhcsxh',
    path: '/nhcsxh/api/system/info',
    aliases: ['/nhcsxh/api/system/info.json'],
    usage: '/nhcsxh/api/system/info',
    department: 'NHCSXH',
    system: 'DHIS2 system info, for connection checks',
    metrics: [],
    format: `JSON { version: "${DHIS2_VERSION}", … }`,
    granularity: '-',
    limits: '-',
    build: systemInfoDocument,
  },
];
