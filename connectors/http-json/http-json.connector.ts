/**
 * `http-json`: reads records from a JSON API, declaratively. The configuration names the URL, headers (with
 * secrets), query parameters (with the window's dates), where the records are in the body and how to page.
 * One batch per page; the state is the last window read.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { addDays } from '../../src/common/period';
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
import { bilingual, type HttpRequest } from '../sdk/http-client';
import {
  DATE_FORMATS,
  fillHeaders,
  fillQuery,
  fillTemplate,
  HTTP_SECRET_NAMES,
  headersSchema,
  httpUrlSchema,
  placeholderProblem,
  querySchema,
  type TemplateValues,
} from '../sdk/placeholders';

export const secretNames = HTTP_SECRET_NAMES;

// ---------------------------------------------------------------------------
// Configuration

const paramName = z.string().min(1).max(100);
/** A dotted path into the body: `data.items`, `meta.next`, `results.0.rows`. */
const dottedPath = z
  .string()
  .max(200)
  .regex(/^[^.\s]+(\.[^.\s]+)*$/, 'a dotted path such as data.items (no empty segments)');
const maxPages = z.number().int().min(1).max(100_000).default(1000);

const paginationSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none') }).strict(),
    z
      .object({
        type: z.literal('page'),
        /** Query parameter carrying the page number. */
        pageParam: paramName,
        /** Query parameter carrying the page size (sent as `size`). */
        sizeParam: paramName.optional(),
        /** Records per full page: a shorter page is the last one. Without it, the last page is an empty one. */
        size: z.number().int().min(1).max(100_000).optional(),
        /** Number of the first page. */
        startAt: z.number().int().min(0).default(1),
        maxPages,
      })
      .strict(),
    z
      .object({
        type: z.literal('offset'),
        offsetParam: paramName,
        limitParam: paramName,
        /** Records asked per page (at most what the source serves: a shorter page is the last one). */
        limit: z.number().int().min(1).max(100_000),
        maxPages,
      })
      .strict(),
    z
      .object({
        type: z.literal('cursor'),
        /** Query parameter carrying the cursor of the next page. */
        cursorParam: paramName,
        /** Where the body gives the next cursor; null or absent on the last page. */
        cursorPath: dottedPath,
        maxPages,
      })
      .strict(),
    z
      .object({
        type: z.literal('nextLink'),
        /** Where the body gives the URL of the next page (absolute or relative); null or absent on the last page. */
        nextPath: dottedPath,
        maxPages,
      })
      .strict(),
  ])
  .default({ type: 'none' });

/** A JSON request body for POST; string values may hold {{from}} and {{to}}. */
const jsonBodySchema = z.record(z.unknown()).superRefine((body, ctx) => {
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === 'string') {
      const problem = placeholderProblem(value, null);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: problem });
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, [...path, index]));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) walk(item, [...path, key]);
    } else if (!['number', 'boolean'].includes(typeof value) && value !== null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: 'not a JSON value' });
    }
  };
  walk(body, []);
});

export const httpJsonConfigSchema = z
  .object({
    url: httpUrlSchema,
    method: z.enum(['GET', 'POST']).default('GET'),
    /** Header values may hold {{secret:token}}, {{secret:password}}, {{secret:apiKey}}, {{from}}, {{to}}. */
    headers: headersSchema(secretNames).optional(),
    /** Query parameters; string values may hold {{from}} and {{to}}. */
    query: querySchema.optional(),
    /** Format of {{from}} and {{to}}. */
    dateFormat: z.enum(DATE_FORMATS).default('YYYY-MM-DD'),
    /** JSON body sent with POST. */
    body: jsonBodySchema.optional(),
    /** Dotted path to the array of records in the body; '' when the body is the array. */
    recordsPath: z.union([z.literal(''), dottedPath]).default(''),
    pagination: paginationSchema,
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.body !== undefined && config.method !== 'POST') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['body'], message: 'a body is only sent with method POST' });
    }
    const pagination = config.pagination;
    if (pagination.type === 'page' && pagination.sizeParam && pagination.size === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['pagination', 'size'], message: 'set size when sizeParam is set' });
    }
    const params: [string, string | undefined][] =
      pagination.type === 'page'
        ? [['pageParam', pagination.pageParam], ['sizeParam', pagination.sizeParam]]
        : pagination.type === 'offset'
          ? [['offsetParam', pagination.offsetParam], ['limitParam', pagination.limitParam]]
          : pagination.type === 'cursor'
            ? [['cursorParam', pagination.cursorParam]]
            : [];
    for (const [field, name] of params) {
      if (name !== undefined && config.query && name in config.query) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['pagination', field],
          message: `"${name}" is also set in query; pagination sets it`,
        });
      }
    }
    if (pagination.type === 'offset' && pagination.offsetParam === pagination.limitParam) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['pagination', 'limitParam'], message: 'must differ from offsetParam' });
    }
  });

export type HttpJsonConfig = z.output<typeof httpJsonConfigSchema>;
export type HttpJsonPagination = HttpJsonConfig['pagination'];

// ---------------------------------------------------------------------------
// Reading

/** The value at a dotted path ('' is the value itself); array elements by index. */
export function valueAt(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function extractRecords(body: unknown, recordsPath: string): RawRecord[] {
  const where = recordsPath === '' ? 'the top level of the body' : `recordsPath "${recordsPath}"`;
  const found = valueAt(body, recordsPath);
  if (!Array.isArray(found)) {
    throw new ConnectorError('BAD_PAYLOAD', `expected an array of records at ${where}, found ${describeJson(found)}`);
  }
  found.forEach((record, index) => {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new ConnectorError('BAD_PAYLOAD', `record ${index} at ${where} is ${describeJson(record)}, not an object`);
    }
  });
  return found as RawRecord[];
}

/** A cursor or next link from the body: a non-empty string or number, or null when there is none. */
function continuation(body: unknown, path: string, what: string): string | null {
  const value = valueAt(body, path);
  if (value === undefined || value === null || value === '') return null;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  throw new ConnectorError('BAD_PAYLOAD', `${what} at "${path}" is ${describeJson(value)}, not a string`);
}

interface Page {
  records: RawRecord[];
  /** Position of the page, 1 for the first one. */
  number: number;
  last: boolean;
}

/** Walks the pages of a window; stops after the first page when `firstOnly`. */
async function* pages(config: HttpJsonConfig, window: ReadWindow, context: ConnectorContext, firstOnly = false): AsyncGenerator<Page> {
  const values: TemplateValues = { window, dateFormat: config.dateFormat, secrets: context.secrets };
  const headers: Record<string, string> = { accept: 'application/json', ...fillHeaders(config.headers, values) };
  let body: string | undefined;
  if (config.body !== undefined) {
    body = JSON.stringify(config.body, (_key, value: unknown) => (typeof value === 'string' ? fillTemplate(value, values) : value));
    if (!Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  }
  const baseQuery = fillQuery(config.query, values);
  const pagination = config.pagination;
  const configuredOrigin = new URL(config.url).origin;

  let pageNumber = pagination.type === 'page' ? pagination.startAt : 0;
  let offset = 0;
  let cursor: string | null = null;
  let nextUrl: string | null = null;
  // Loops are found whenever something repeats, not only on consecutive pages: the cursors and links already
  // followed (with the page that gave them), and a fingerprint of each page's records.
  const seenCursors = new Map<string, number>();
  const seenLinks = new Map<string, number>([[new URL(config.url).toString(), 1]]);
  const seenPages = new Map<string, number>();

  for (let count = 1; ; count++) {
    const request: HttpRequest = { url: config.url, method: config.method, headers, body, query: { ...baseQuery } };
    const query = request.query as Record<string, string | number | boolean>;
    switch (pagination.type) {
      case 'page':
        query[pagination.pageParam] = pageNumber;
        if (pagination.sizeParam && pagination.size !== undefined) query[pagination.sizeParam] = pagination.size;
        break;
      case 'offset':
        query[pagination.offsetParam] = offset;
        query[pagination.limitParam] = pagination.limit;
        break;
      case 'cursor':
        if (cursor !== null) query[pagination.cursorParam] = cursor;
        break;
      case 'nextLink':
        if (nextUrl !== null) {
          // The link carries its own query.
          request.url = nextUrl;
          request.query = undefined;
        }
        break;
    }

    const response = await context.http.request(request, context.signal);
    const payload = response.json();
    const records = extractRecords(payload, config.recordsPath);
    if (pagination.type !== 'none' && records.length > 0) {
      const fingerprint = createHash('sha256').update(JSON.stringify(records)).digest('hex');
      const earlier = seenPages.get(fingerprint);
      if (earlier !== undefined) throw repeated('page', `${earlier}`, count, `page ${count} holds the same records as page ${earlier}`);
      seenPages.set(fingerprint, count);
    }

    let more: boolean;
    switch (pagination.type) {
      case 'none':
        more = false;
        break;
      case 'page':
        more = records.length > 0 && (pagination.size === undefined || records.length >= pagination.size);
        pageNumber++;
        break;
      case 'offset':
        more = records.length >= pagination.limit;
        offset += records.length;
        break;
      case 'cursor': {
        const next = continuation(payload, pagination.cursorPath, 'the cursor');
        if (next !== null) {
          const earlier = next === cursor ? count : seenCursors.get(next);
          if (earlier !== undefined) throw repeated('cursor', next, count, `page ${count} gives the cursor page ${earlier} gave`);
          seenCursors.set(next, count);
        }
        more = next !== null;
        cursor = next;
        break;
      }
      case 'nextLink': {
        const link = continuation(payload, pagination.nextPath, 'the next link');
        more = link !== null;
        if (link !== null) {
          let next: URL;
          try {
            next = new URL(link, response.url);
          } catch {
            throw new ConnectorError('BAD_PAYLOAD', `the next link at "${pagination.nextPath}" is not a URL`);
          }
          // Headers may carry secrets: never send them where the body points unless it is the configured origin.
          if (next.origin !== configuredOrigin) {
            throw new ConnectorError('BAD_PAYLOAD', `the next link at "${pagination.nextPath}" leaves ${configuredOrigin} (to ${next.origin})`);
          }
          const earlier = next.toString() === (nextUrl ?? response.url) ? count : seenLinks.get(next.toString());
          if (earlier !== undefined) {
            throw repeated('page', displayLink(next), count, `the next link at "${pagination.nextPath}" of page ${count} points back to page ${earlier}`);
          }
          nextUrl = next.toString();
          seenLinks.set(nextUrl, count + 1);
        }
        break;
      }
    }

    yield { records, number: count, last: !more || firstOnly };
    if (!more || firstOnly) return;
    if (pagination.type !== 'none' && count >= pagination.maxPages) {
      throw new ConnectorError(
        'CONFIG',
        `stopped after pagination.maxPages = ${pagination.maxPages} pages while the source still offered more; raise it or read a shorter window`,
      );
    }
  }
}

/** A source that walks in a circle: named with what repeated, so nobody raises maxPages to "fix" it. */
function repeated(what: 'page' | 'cursor', value: string, page: number, detail: string): ConnectorError {
  const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return new ConnectorError(
    'BAD_PAYLOAD',
    bilingual(
      `Nguồn dữ liệu lặp lại ${what === 'page' ? 'trang' : 'con trỏ (cursor)'} ${shown} ở trang ${page}: phân trang của nguồn bị vòng lặp, cần sửa ở phía nguồn`,
      `the source repeated ${what} ${shown} (${detail}): its pagination loops; this is for the source to fix, not maxPages`,
    ),
    false,
  );
}

/** A next link as shown in messages: origin, path and the names of its query parameters (values may be keys). */
function displayLink(url: URL): string {
  const names = [...new Set(url.searchParams.keys())];
  return `${url.origin}${url.pathname}${names.length ? `?${names.map((name) => `${name}=…`).join('&')}` : ''}`;
}

async function firstPage(config: HttpJsonConfig, context: ConnectorContext): Promise<RawRecord[]> {
  for await (const page of pages(config, probeWindow(), context, true)) return page.records;
  return [];
}

/** The window check and discover use for {{from}}/{{to}}: the last seven days (UTC). */
function probeWindow(): ReadWindow {
  const today = new Date().toISOString().slice(0, 10);
  return { from: addDays(today, -6), to: today };
}

/** Dotted paths of the leaves of a record (arrays and empty objects count as leaves). */
export function flattenFields(record: RawRecord, prefix = '', into: string[] = []): string[] {
  for (const [key, value] of Object.entries(record)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
      flattenFields(value as RawRecord, path, into);
    } else if (!into.includes(path)) {
      into.push(path);
    }
  }
  return into;
}

function describeTarget(config: HttpJsonConfig): string {
  const url = new URL(config.url);
  return `${config.method} ${url.origin}${url.pathname}`;
}

export const httpJsonConnector: ConnectorKind<HttpJsonConfig> = {
  kind: 'http-json',
  pulled: true,
  description: 'Reads records from a JSON API: URL, headers with secrets, dated query parameters, records path and pagination.',
  // The schema fills defaults, so its input type is looser than HttpJsonConfig; the contract names the output.
  configSchema: httpJsonConfigSchema,
  secretNames,

  endpoints(config) {
    return [urlEndpoint('url', config.url)];
  },

  async check(config, context): Promise<CheckResult> {
    try {
      const records = await firstPage(config, context);
      return {
        ok: true,
        message: `${describeTarget(config)} answered with ${records.length} record${records.length === 1 ? '' : 's'} on the first page`,
      };
    } catch (error) {
      if (context.signal.aborted) throw error;
      const detail = error instanceof ConnectorError ? `${error.errorClass}: ${error.message}` : `INTERNAL: ${String(error)}`;
      return { ok: false, message: `${describeTarget(config)} failed: ${detail}` };
    }
  },

  async discover(config, context): Promise<DiscoveredStream[]> {
    const records = await firstPage(config, context);
    const fields: string[] = [];
    for (const record of records) flattenFields(record, '', fields);
    return [{ name: config.recordsPath || 'records', fields, sample: records.slice(0, 3) }];
  },

  async *read(config, window, _state, context): AsyncIterable<ReadBatch> {
    for await (const page of pages(config, window, context)) {
      yield page.last ? { records: page.records, state: { lastWindowTo: window.to } } : { records: page.records };
    }
  },
};
