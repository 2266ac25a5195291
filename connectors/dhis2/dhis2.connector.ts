/**
 * `dhis2`: pulls the data values of one data set from a DHIS2 (or DHIS2-compatible) server through
 * `GET {baseUrl}/api/dataValueSets.json`.
 *
 * Configuration (credentials are the connector's secrets, never part of the configuration):
 *
 *   { "baseUrl": "https://dhis2.nhcsxh.nghean.gov.vn", "dataSet": "Lp2QmW7sXk4", "orgUnit": "NgheAnProv1", "children": true }
 *
 *   - secrets `username` + `password` → `Authorization: Basic …`, or secret `token` (a DHIS2 personal access
 *     token, `d2pat_…`) → `Authorization: ApiToken …`. The token wins when both are set.
 *   - `orgUnit` is the root organisation unit; `children: true` adds its children (DHIS2 `children=true`).
 *     Most DHIS2 versions require an organisation unit, so leave it out only for servers that default to the
 *     user's own.
 *   - `timeoutMs` (optional) overrides the HTTP client's per-request timeout for large exports.
 *
 * Each data value becomes one record, as DHIS2 gives it (the value stays a string):
 *
 *   { dataElement: 'hN6kTq2LmPa', period: '202403', orgUnit: 'XkM3pQ9vT2a',
 *     categoryOptionCombo: 'HllvX50cXC0', attributeOptionCombo: 'HllvX50cXC0', value: '123',
 *     lastUpdated: '2024-04-03T09:12:44.512' }
 *
 * Recommended mapping (data element id → metric code, organisation unit id → unit code, DHIS2 period → the
 * hub's period, text → number):
 *
 *   {
 *     metric: { field: 'dataElement', lookup: { hN6kTq2LmPa: 'LOANS_UNSECURED_COUNT', rV9xWc4ZbQe: 'LOANS_UNSECURED_AMOUNT' } },
 *     unit:   { field: 'orgUnit', lookup: { XkM3pQ9vT2a: '412', Bq7YtR2nLs8: '413' } },  // lookup optional when DHIS2 ids are the unit codes
 *     period: { field: 'period', transform: 'dhis2Period' },
 *     value:  { field: 'value', transform: 'number' },
 *   }
 *
 * Category option combos (a data element disaggregated, e.g. by sex) follow `categoryOptionCombos`:
 *   - `"sum"` (default): the values of every combo of a data element, organisation unit, period and attribute
 *     option combo are added up into one record (`categoryOptionCombo: "total"`, the combos summed listed in
 *     `categoryOptionCombos`), so the mapping above gets the data element's total. Values that are not all
 *     numbers are not added up: each stays a record of its own, and validation names the one at fault.
 *   - `"separate"`: one record per combo, each with `dataElementCombo: "<dataElement>.<categoryOptionCombo>"`,
 *     for a mapping that sends each combo to its own metric: `metric: { field: 'dataElementCombo', lookup:
 *     { 'hN6kTq2LmPa.Mh7RcW2Lq1x': 'VISITS_MALE', 'hN6kTq2LmPa.Fk2QeV8Tn3a': 'VISITS_FEMALE' } }`. A combo
 *     the mapping leaves out is not dropped silently: it is rejected (UNKNOWN_METRIC or DUPLICATE_KEY).
 *
 * Windows: DHIS2 returns the values whose period lies entirely inside startDate..endDate, so a window must
 * span whole periods (e.g. a look-back of 62+ days for monthly data). A window longer than 366 days is read
 * one calendar year per request (one batch each); each request after the first starts 6 days before 1
 * January so ISO weeks that straddle the new year are read too, and values already read by the previous
 * request are dropped.
 *
 * Incremental state: `{ lastUpdated, from, to }` — the newest `lastUpdated` seen and the window that read
 * was complete for. A run whose window lies inside that window (the regular incremental run repeated over
 * the same days) asks DHIS2 only for values changed since (`lastUpdated=`). Any other window — a backfill,
 * or a look-back that moved to newly completed periods — is read in full: a `lastUpdated` filter there
 * would skip values entered before the last run in periods that run did not cover.
 */
import { z } from 'zod';
import { addDays, isValidDate, tryParsePeriod } from '../../src/common/period';
import {
  ConnectorError,
  type CheckResult,
  type ConnectorContext,
  type ConnectorKind,
  type DiscoveredStream,
  type RawRecord,
  type ReadBatch,
  type ReadWindow,
  urlEndpoint,
} from '../sdk/contract';
import type { HttpResponse } from '../sdk/http-client';
import { dhis2PeriodToPeriod, type Mapping } from '../sdk/mapping';

/** Longest window read in one request (days). */
export const DHIS2_MAX_DAYS_PER_REQUEST = 366;
/** How far each yearly request after the first reaches back into the previous year (ISO weeks). */
const YEAR_OVERLAP_DAYS = 6;
/** Months `discover` looks back. */
const DISCOVER_MONTHS = 3;
/** Distinct ids `discover` lists at most per kind. */
const DISCOVER_MAX_IDS = 1_000;

/** The fields of a DHIS2 data value kept in a record. */
export const DHIS2_RECORD_FIELDS = [
  'dataElement',
  'period',
  'orgUnit',
  'categoryOptionCombo',
  'attributeOptionCombo',
  'value',
  'lastUpdated',
] as const;

const idSchema = (field: string) =>
  z
    .string()
    .trim()
    .min(1, `${field} is required`)
    .max(64)
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, `${field} must be a DHIS2 id (letters and digits, e.g. Lp2QmW7sXk4)`);

const baseUrlSchema = z
  .string()
  .trim()
  .min(1, 'baseUrl is required')
  .max(2_000)
  .superRefine((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'baseUrl must be an absolute URL such as https://dhis2.example.org' });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'baseUrl must use http or https' });
    }
    if (url.username || url.password) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'baseUrl must not hold credentials: use the secrets username/password or token' });
    }
    if (url.search || url.hash) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'baseUrl must not have a query or fragment' });
    }
    if (/\/api\/?$/.test(url.pathname)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'baseUrl is the server root, without /api (e.g. https://dhis2.example.org/dhis)' });
    }
  })
  .transform((text) => text.replace(/\/+$/, ''));

export const dhis2ConfigSchema = z
  .object({
    /** Server root, e.g. `https://dhis2.example.org` or `https://example.org/dhis`; `/api/…` is appended. */
    baseUrl: baseUrlSchema,
    /** Id of the data set whose values are read. */
    dataSet: idSchema('dataSet'),
    /** Id of the root organisation unit. */
    orgUnit: idSchema('orgUnit').optional(),
    /** Include the children of `orgUnit` (`children=true`). */
    children: z.boolean().optional(),
    /** Per-request timeout (ms), overriding the HTTP client's. */
    timeoutMs: z.number().int().min(1_000).max(600_000).optional(),
    /** Category option combos: added up per data element (`sum`), or one record each for separate metrics. */
    categoryOptionCombos: z.enum(['sum', 'separate']).default('sum'),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.children && !config.orgUnit) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['children'], message: 'children needs orgUnit: the children of which organisation unit?' });
    }
  });
export type Dhis2Config = z.output<typeof dhis2ConfigSchema>;

/** What a run leaves for the next one. */
export interface Dhis2State {
  /** The newest `lastUpdated` among the values read. */
  lastUpdated: string;
  /** The window for which every value changed up to `lastUpdated` has been read. */
  from: string;
  to: string;
}

/**
 * The recommended mapping for this kind's records: data element id → metric code, organisation unit id →
 * unit code (omit the lookup when the DHIS2 ids already are the hub's unit codes), DHIS2 period → period.
 */
export function dhis2Mapping(metricByDataElement: Record<string, string>, unitByOrgUnit?: Record<string, string>): Mapping {
  return {
    metric: { field: 'dataElement', lookup: { ...metricByDataElement } },
    unit: unitByOrgUnit ? { field: 'orgUnit', lookup: { ...unitByOrgUnit } } : { field: 'orgUnit' },
    period: { field: 'period', transform: 'dhis2Period' },
    value: { field: 'value', transform: 'number' },
  };
}

// ---------------------------------------------------------------------------
// Requests

/** The Authorization header from the secrets; a missing credential is a CONFIG error. */
function authorization(secrets: Readonly<Record<string, string>>): string {
  if (secrets.token) return `ApiToken ${secrets.token}`;
  if (secrets.username) {
    if (secrets.password === undefined) throw new ConnectorError('CONFIG', 'the secret username is set but password is not', false);
    return `Basic ${Buffer.from(`${secrets.username}:${secrets.password}`, 'utf8').toString('base64')}`;
  }
  throw new ConnectorError('CONFIG', 'no credentials: set the secret token, or the secrets username and password', false);
}

/** Replaces every secret value (and the encoded Basic credentials) in a message. */
function redact(message: string, secrets: Readonly<Record<string, string>>): string {
  const values = [secrets.password, secrets.token].filter((value): value is string => typeof value === 'string' && value.length >= 3);
  if (secrets.username && secrets.password !== undefined) {
    values.push(Buffer.from(`${secrets.username}:${secrets.password}`, 'utf8').toString('base64'));
  }
  return values.sort((a, b) => b.length - a.length).reduce((text, value) => text.split(value).join('[redacted]'), message);
}

/** Keeps a ConnectorError's class, with any secret removed from its message. */
function redacted(error: unknown, secrets: Readonly<Record<string, string>>): unknown {
  if (!(error instanceof ConnectorError)) return error;
  const message = redact(error.message, secrets);
  return message === error.message ? error : new ConnectorError(error.errorClass, message, error.retryable);
}

async function getJson(
  config: Dhis2Config,
  context: ConnectorContext,
  path: string,
  query: Record<string, string | boolean>,
): Promise<unknown> {
  let response: HttpResponse;
  try {
    response = await context.http.request(
      {
        url: `${config.baseUrl}${path}`,
        query,
        headers: { accept: 'application/json', authorization: authorization(context.secrets) },
        timeoutMs: config.timeoutMs,
      },
      context.signal,
    );
  } catch (error) {
    throw redacted(error, context.secrets);
  }
  if (/html/i.test(response.headers['content-type'] ?? '')) {
    // Older DHIS2 versions answer a request they cannot authenticate with the login page.
    throw new ConnectorError('CONFIG', `${config.baseUrl}${path} answered with an HTML page instead of JSON (the login page?): check baseUrl and the credentials`, false);
  }
  try {
    return response.json();
  } catch (error) {
    throw redacted(error, context.secrets);
  }
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The data values of a dataValueSets body: `{}` (what DHIS2 answers when there are none) is no values. */
export function dataValuesOf(body: unknown): RawRecord[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ConnectorError('BAD_PAYLOAD', `expected a dataValueSets JSON object, found ${describeJson(body)}`);
  }
  const dataValues = (body as Record<string, unknown>).dataValues;
  if (dataValues === undefined) return [];
  if (!Array.isArray(dataValues)) {
    throw new ConnectorError('BAD_PAYLOAD', `expected dataValues to be an array, found ${describeJson(dataValues)}`);
  }
  return dataValues.map((value, index) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ConnectorError('BAD_PAYLOAD', `dataValues[${index}] is ${describeJson(value)}, not a data value object`);
    }
    const source = value as Record<string, unknown>;
    const record: RawRecord = {};
    for (const field of DHIS2_RECORD_FIELDS) if (source[field] !== undefined) record[field] = source[field];
    return record;
  });
}

function dataValueQuery(config: Dhis2Config, window: ReadWindow, lastUpdated?: string): Record<string, string | boolean> {
  const query: Record<string, string | boolean> = { dataSet: config.dataSet, startDate: window.from, endDate: window.to };
  if (config.orgUnit) query.orgUnit = config.orgUnit;
  if (config.orgUnit && config.children) query.children = true;
  if (lastUpdated) query.lastUpdated = lastUpdated;
  return query;
}

async function fetchDataValues(config: Dhis2Config, context: ConnectorContext, window: ReadWindow, lastUpdated?: string): Promise<RawRecord[]> {
  const body = await getJson(config, context, '/api/dataValueSets.json', dataValueQuery(config, window, lastUpdated));
  return dataValuesOf(body);
}

// ---------------------------------------------------------------------------
// Category option combos

/** The id of DHIS2's default category option combo (the same on every DHIS2 server). */
export const DHIS2_DEFAULT_COMBO = 'HllvX50cXC0';

/** The observation a data value feeds, whatever its category option combo. */
function comboGroupKey(record: RawRecord): string {
  return JSON.stringify([record.dataElement, record.orgUnit, record.period, record.attributeOptionCombo ?? null]);
}

/** A DHIS2 value as an exact decimal: digits and the number of them after the point; null when not a number. */
function decimalOf(value: unknown): { digits: bigint; scale: number } | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const match = /^([+-]?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const fraction = match[3] ?? '';
  const digits = BigInt(`${match[2]}${fraction}`);
  return { digits: match[1] === '-' ? -digits : digits, scale: fraction.length };
}

/** Exact sum of decimals, as DHIS2 writes numbers (no exponent, no trailing zeros after the point). */
function sumDecimals(values: { digits: bigint; scale: number }[]): string {
  const scale = Math.max(0, ...values.map((value) => value.scale));
  const total = values.reduce((sum, value) => sum + value.digits * 10n ** BigInt(scale - value.scale), 0n);
  const negative = total < 0n;
  const text = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const whole = text.slice(0, text.length - scale);
  const fraction = text.slice(text.length - scale).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * The records of a request under the configuration's `categoryOptionCombos`: every combo kept with its
 * `dataElementCombo` (separate), or the combos of one observation added up into one record (sum).
 */
export function applyCombos(records: RawRecord[], mode: Dhis2Config['categoryOptionCombos']): RawRecord[] {
  if (mode === 'separate') {
    return records.map((record) => ({ ...record, dataElementCombo: `${String(record.dataElement)}.${String(record.categoryOptionCombo ?? '')}` }));
  }
  const groups = new Map<string, RawRecord[]>();
  for (const record of records) {
    const key = comboGroupKey(record);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  const result: RawRecord[] = [];
  for (const group of groups.values()) {
    const combos = new Set(group.map((record) => record.categoryOptionCombo));
    const decimals = group.map((record) => decimalOf(record.value));
    // One value, the same combo listed twice (a duplicate DHIS2 sent), or values that are not numbers: as read.
    if (group.length === 1 || combos.size !== group.length || decimals.some((value) => value === null)) {
      result.push(...group);
      continue;
    }
    const lastUpdated = group.map((record) => record.lastUpdated).filter((value): value is string => typeof value === 'string').sort().pop();
    const total: RawRecord = { ...group[0], categoryOptionCombo: 'total', categoryOptionCombos: group.map((record) => String(record.categoryOptionCombo)), value: sumDecimals(decimals as { digits: bigint; scale: number }[]) };
    if (lastUpdated !== undefined) total.lastUpdated = lastUpdated;
    result.push(total);
  }
  return result;
}

/**
 * The records of one request: with `since` (an incremental read), DHIS2 sends only the combos changed since,
 * so under `sum` the observations they belong to are read again in full, or a total would be replaced by the
 * sum of its changed combos alone.
 */
async function readChunk(config: Dhis2Config, context: ConnectorContext, chunk: ReadWindow, since: string | undefined): Promise<RawRecord[]> {
  const changed = await fetchDataValues(config, context, chunk, since);
  // Data elements without disaggregation have only DHIS2's default combo: nothing to add up, nothing to read again.
  const disaggregated = changed.some((record) => record.categoryOptionCombo !== undefined && record.categoryOptionCombo !== DHIS2_DEFAULT_COMBO);
  if (since === undefined || config.categoryOptionCombos !== 'sum' || !disaggregated) return applyCombos(changed, config.categoryOptionCombos);
  const touched = new Set(changed.map(comboGroupKey));
  const full = (await fetchDataValues(config, context, chunk)).filter((record) => touched.has(comboGroupKey(record)));
  return applyCombos(full, 'sum');
}

// ---------------------------------------------------------------------------
// Windows and state

function daysIn(window: ReadWindow): number {
  return Math.round((Date.parse(`${window.to}T00:00:00Z`) - Date.parse(`${window.from}T00:00:00Z`)) / 86_400_000) + 1;
}

/**
 * The requests a window is read in: itself when it spans at most 366 days, otherwise one per calendar year,
 * each after the first starting {@link YEAR_OVERLAP_DAYS} days before 1 January.
 */
export function yearlyChunks(window: ReadWindow): ReadWindow[] {
  if (daysIn(window) <= DHIS2_MAX_DAYS_PER_REQUEST) return [window];
  const chunks: ReadWindow[] = [];
  const firstYear = Number(window.from.slice(0, 4));
  const lastYear = Number(window.to.slice(0, 4));
  for (let year = firstYear; year <= lastYear; year++) {
    const from = year === firstYear ? window.from : addDays(`${year}-01-01`, -YEAR_OVERLAP_DAYS);
    const yearEnd = `${year}-12-31`;
    chunks.push({ from: from < window.from ? window.from : from, to: yearEnd < window.to ? yearEnd : window.to });
  }
  return chunks;
}

/** Last day of a DHIS2 period, when the hub understands the period type. */
function periodEnd(period: unknown): string | undefined {
  if (typeof period !== 'string') return undefined;
  return tryParsePeriod(dhis2PeriodToPeriod(period.trim()))?.end;
}

export function parseState(state: unknown): Dhis2State | undefined {
  if (state === null || typeof state !== 'object') return undefined;
  const { lastUpdated, from, to } = state as Record<string, unknown>;
  if (typeof lastUpdated !== 'string' || lastUpdated === '' || typeof from !== 'string' || typeof to !== 'string') return undefined;
  if (!isValidDate(from) || !isValidDate(to) || from > to) return undefined;
  return { lastUpdated, from, to };
}

const DHIS2_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

function newestLastUpdated(records: readonly RawRecord[], since: string | undefined): string | undefined {
  let newest = since;
  for (const record of records) {
    const value = record.lastUpdated;
    // Only a DHIS2 timestamp (2024-04-03T09:12:44.512) may become the cursor: it is sent back as lastUpdated=.
    if (typeof value === 'string' && DHIS2_TIMESTAMP.test(value) && (newest === undefined || value > newest)) newest = value;
  }
  return newest;
}

function checkWindow(window: ReadWindow): void {
  if (!isValidDate(window.from) || !isValidDate(window.to) || window.from > window.to) {
    throw new ConnectorError('CONFIG', `invalid window ${window.from}..${window.to}`, false);
  }
}

function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------
// The kind

export const dhis2Connector: ConnectorKind<Dhis2Config> = {
  kind: 'dhis2',
  pulled: true,
  description: 'Pulls the data values of a DHIS2 data set (dataValueSets API), with Basic or personal-access-token authentication.',
  configSchema: dhis2ConfigSchema,
  secretNames: ['username', 'password', 'token'],

  endpoints(config) {
    return [urlEndpoint('baseUrl', config.baseUrl)];
  },

  async check(config: Dhis2Config, context: ConnectorContext): Promise<CheckResult> {
    try {
      const info = await getJson(config, context, '/api/system/info', {});
      const { version, revision, systemName } = (info ?? {}) as Record<string, unknown>;
      if (typeof version !== 'string' || version === '') {
        return { ok: false, message: `${config.baseUrl}/api/system/info answered without a DHIS2 version: is baseUrl a DHIS2 server?` };
      }
      const name = typeof systemName === 'string' && systemName ? ` "${systemName}"` : '';
      const build = typeof revision === 'string' && revision ? ` (revision ${revision})` : '';
      return { ok: true, message: `DHIS2 ${version}${build}${name} at ${config.baseUrl}; credentials accepted` };
    } catch (error) {
      if (context.signal.aborted) throw context.signal.reason;
      const message = (error as { message?: unknown } | null)?.message;
      return { ok: false, message: redact(typeof message === 'string' ? message : String(error), context.secrets) };
    }
  },

  async discover(config: Dhis2Config, context: ConnectorContext): Promise<DiscoveredStream[]> {
    const today = utcToday();
    const monthStart = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)) - 1 - DISCOVER_MONTHS, 1));
    const window = { from: monthStart.toISOString().slice(0, 10), to: today };
    const records = applyCombos(await fetchDataValues(config, context, window), config.categoryOptionCombos);
    const count = (field: 'dataElement' | 'orgUnit'): RawRecord[] => {
      const counts = new Map<string, number>();
      for (const record of records) {
        const id = record[field];
        if (typeof id === 'string') counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return [...counts]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .slice(0, DISCOVER_MAX_IDS)
        .map(([id, values]) => ({ [field]: id, values }));
    };
    return [
      {
        name: 'dataValues',
        fields: [...DHIS2_RECORD_FIELDS, ...(config.categoryOptionCombos === 'separate' ? ['dataElementCombo'] : ['categoryOptionCombos'])],
        sample: records.slice(0, 3),
      },
      { name: 'dataElements', fields: ['dataElement', 'values'], sample: count('dataElement') },
      { name: 'orgUnits', fields: ['orgUnit', 'values'], sample: count('orgUnit') },
    ];
  },

  async *read(config: Dhis2Config, window: ReadWindow, state: unknown, context: ConnectorContext): AsyncIterable<ReadBatch> {
    checkWindow(window);
    const previous = parseState(state);
    const chunks = yearlyChunks(window);
    // Only a window the previous read fully covered may be narrowed to what changed since.
    const since = previous && previous.from <= window.from && window.to <= previous.to ? previous.lastUpdated : undefined;

    let nextState: Dhis2State | undefined = previous;
    let newest = since;
    let previousChunkEnd: string | undefined;
    for (const chunk of chunks) {
      let records = await readChunk(config, context, chunk, since);
      if (previousChunkEnd !== undefined) {
        // Values of periods that fit in the previous request were read there.
        const before = previousChunkEnd;
        records = records.filter((record) => {
          const end = periodEnd(record.period);
          return end === undefined || end > before;
        });
      }
      previousChunkEnd = chunk.to;
      newest = newestLastUpdated(records, newest);
      // A state is recorded for a single-request window only: across several requests, a value changed
      // between two of them could be newer than the first request yet older than the newest value seen.
      if (chunks.length === 1 && newest !== undefined && newest !== since) {
        nextState = { lastUpdated: newest, from: window.from, to: window.to };
      }
      yield { records, state: nextState };
    }
  },
};
