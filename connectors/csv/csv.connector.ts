/**
 * `csv`: reads a CSV file, downloaded from a URL (with headers, secrets and dated query parameters like
 * http-json) or uploaded with the connector. Handles the exports of Vietnamese office software: `;` or tab
 * delimiters, a UTF-8 BOM, UTF-16LE, windows-1258 and latin1, title rows above the header.
 *
 * The file is checked whole before the first batch: a structural error (an unclosed quote, a row with the
 * wrong number of columns) fails the read with the line, and nothing of the file is yielded.
 */
import iconv from 'iconv-lite';
import { parse as parseCsv, type CsvError } from 'csv-parse/sync';
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
import { DEFAULT_MAX_BYTES } from '../sdk/http-client';
import {
  DATE_FORMATS,
  fillHeaders,
  fillQuery,
  HTTP_SECRET_NAMES,
  headersSchema,
  httpUrlSchema,
  querySchema,
  type DateFormat,
  type TemplateValues,
} from '../sdk/placeholders';

export const secretNames = HTTP_SECRET_NAMES;
export const BATCH_SIZE = 5_000;
export const DELIMITERS = [',', ';', '\t', '|'] as const;
export const ENCODINGS = ['utf-8', 'utf-16le', 'windows-1258', 'latin1'] as const;
export type CsvEncoding = (typeof ENCODINGS)[number];

// ---------------------------------------------------------------------------
// Configuration

/** A file downloaded at each read. */
export interface CsvUrlSource {
  url: string;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean>;
  /** Format of {{from}} and {{to}}. */
  dateFormat: DateFormat;
}

/** A file uploaded with the connector. */
export interface CsvBodySource {
  body: string;
  /** `base64` for the file's bytes (decoded with `encoding`), `text` for text already decoded. */
  bodyEncoding: 'base64' | 'text';
}

export type CsvSource = CsvUrlSource | CsvBodySource;

/** Largest uploaded body, in characters (20 MiB of bytes in base64). */
const MAX_BODY_CHARS = Math.ceil((DEFAULT_MAX_BYTES * 4) / 3) + 4;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const sourceSchema = z
  .object({
    url: httpUrlSchema.optional(),
    headers: headersSchema(secretNames).optional(),
    query: querySchema.optional(),
    dateFormat: z.enum(DATE_FORMATS).optional(),
    body: z.string().max(MAX_BODY_CHARS, 'the uploaded file is larger than 20 MiB').optional(),
    bodyEncoding: z.enum(['base64', 'text']).optional(),
  })
  .strict()
  .superRefine((source, ctx) => {
    const issue = (path: string[], message: string): void => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    };
    if ((source.url === undefined) === (source.body === undefined)) {
      issue([], 'give either url (a file to download) or body (an uploaded file)');
      return;
    }
    if (source.url !== undefined) {
      if (source.bodyEncoding !== undefined) issue(['bodyEncoding'], 'only with body');
    } else {
      for (const field of ['headers', 'query', 'dateFormat'] as const) {
        if (source[field] !== undefined) issue([field], 'only with url');
      }
      if (source.bodyEncoding === 'base64' && !BASE64.test((source.body ?? '').replace(/\s+/g, ''))) {
        issue(['body'], 'not valid base64 (set bodyEncoding to "text" for a text body)');
      }
    }
  })
  .transform((source): CsvSource => {
    if (source.url === undefined) return { body: source.body ?? '', bodyEncoding: source.bodyEncoding ?? 'text' };
    const result: CsvUrlSource = { url: source.url, dateFormat: source.dateFormat ?? 'YYYY-MM-DD' };
    if (source.headers) result.headers = source.headers;
    if (source.query) result.query = source.query;
    return result;
  });

const fieldName = z.string().trim().min(1, 'a field name cannot be empty').max(200);

export const csvConfigSchema = z
  .object({
    source: sourceSchema,
    delimiter: z.enum(DELIMITERS).default(','),
    /** Encoding of the bytes; a BOM (UTF-8 or UTF-16LE) overrides it. */
    encoding: z.enum(ENCODINGS).default('utf-8'),
    hasHeader: z.boolean().default(true),
    /** With a header: renames, header → field name. Without: the field names, in column order. */
    columns: z.union([z.record(z.string(), fieldName), z.array(fieldName).min(1)]).optional(),
    /** Lines above the header (or the first row) to ignore, e.g. a report title. */
    skipRows: z.number().int().min(0).max(10_000).default(0),
  })
  .strict()
  .superRefine((config, ctx) => {
    const issue = (path: (string | number)[], message: string): void => {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path, message });
    };
    const { columns, hasHeader } = config;
    if (!hasHeader && !Array.isArray(columns)) {
      issue(['columns'], 'without a header row, list the field names in column order');
    } else if (hasHeader && Array.isArray(columns)) {
      issue(['columns'], 'with a header row, columns renames header names: { "header": "field" }');
    }
    if (Array.isArray(columns)) {
      columns.forEach((name, index) => {
        if (columns.indexOf(name) !== index) issue(['columns', index], `"${name}" is listed twice`);
      });
    } else if (columns) {
      const seen = new Map<string, string>();
      for (const [header, name] of Object.entries(columns)) {
        const earlier = seen.get(name);
        if (earlier !== undefined) issue(['columns', header], `"${earlier}" is already renamed to "${name}"`);
        seen.set(name, header);
      }
    }
  });

export type CsvConfig = z.output<typeof csvConfigSchema>;

// ---------------------------------------------------------------------------
// Bytes to text

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);

/** Decodes a file: a BOM wins over the configured encoding; windows-1258 text is recomposed (NFC). */
export function decodeCsvBytes(bytes: Buffer, encoding: CsvEncoding): string {
  let effective: CsvEncoding = encoding;
  let content = bytes;
  if (bytes.subarray(0, 3).equals(UTF8_BOM)) {
    effective = 'utf-8';
    content = bytes.subarray(3);
  } else if (bytes.subarray(0, 2).equals(UTF16LE_BOM)) {
    effective = 'utf-16le';
    content = bytes.subarray(2);
  }
  switch (effective) {
    case 'utf-8':
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(content);
      } catch {
        throw new ConnectorError(
          'BAD_PAYLOAD',
          'the file is not valid UTF-8; set encoding to windows-1258, utf-16le or latin1 to match the file',
        );
      }
    case 'utf-16le':
      return iconv.decode(content, 'utf-16le', { stripBOM: true });
    case 'windows-1258':
      // Windows-1258 spells most tone marks as combining characters: recompose so 'ố' is one character.
      return iconv.decode(content, 'windows-1258').normalize('NFC');
    case 'latin1':
      return iconv.decode(content, 'latin1');
  }
}

// ---------------------------------------------------------------------------
// Parsing

interface ParsedCsv {
  fields: string[];
  /** Rows as cell lists, in `fields` order. */
  rows: string[][];
  /** Line of the first data row, for messages. */
  firstDataLine: number;
}

function lineOf(text: string, afterLine: number): number {
  // The first non-blank line after `afterLine` (1-based), where a broken record starts.
  const lines = text.split(/\r\n|\n|\r/);
  for (let index = afterLine; index < lines.length; index++) if (lines[index].trim() !== '') return index + 1;
  return Math.max(1, lines.length);
}

function csvFailure(error: unknown, text: string, lastGoodLine: number, firstLine: number): ConnectorError {
  const csvError = error as Partial<CsvError> & Error;
  if (typeof csvError.code !== 'string' || !csvError.code.startsWith('CSV_')) {
    return new ConnectorError('INTERNAL', `CSV parsing failed: ${csvError.message}`);
  }
  let line = typeof csvError.lines === 'number' ? csvError.lines : lastGoodLine + 1;
  let reason = csvError.message.replace(/\s*(,\s*)?(on|at) line \d+.*$/s, '');
  if (csvError.code === 'CSV_QUOTE_NOT_CLOSED') {
    line = lineOf(text, Math.max(lastGoodLine, firstLine - 1));
    reason = 'a quoted field opened on this line is never closed';
  } else if (csvError.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const counts = /expect (\d+), got (\d+)/.exec(csvError.message);
    if (counts) reason = `expected ${counts[1]} columns like the first row, found ${counts[2]}`;
  }
  return new ConnectorError('BAD_PAYLOAD', `malformed CSV at line ${line}: ${reason}`);
}

function headerNames(header: string[], config: CsvConfig, line: number): string[] {
  const names = header.map((cell, index) => cell.normalize('NFC').trim() || `column${index + 1}`);
  const renames = config.columns && !Array.isArray(config.columns) ? config.columns : {};
  const result = [...names];
  for (const [from, to] of Object.entries(renames)) {
    const index = names.indexOf(from.normalize('NFC').trim());
    if (index < 0) {
      throw new ConnectorError(
        'BAD_PAYLOAD',
        `columns renames "${from}" but the header at line ${line} has no such column (it has: ${names.join(', ')})`,
      );
    }
    result[index] = to;
  }
  result.forEach((name, index) => {
    const first = result.indexOf(name);
    if (first !== index) {
      throw new ConnectorError(
        'BAD_PAYLOAD',
        `the header at line ${line} names "${name}" twice (columns ${first + 1} and ${index + 1}); rename one with columns`,
      );
    }
  });
  return result;
}

/** Parses and checks the whole file. */
export function parseCsvText(text: string, config: CsvConfig): ParsedCsv {
  const firstLine = config.skipRows + 1;
  let lastGoodLine = 0;
  let rows: string[][];
  try {
    rows = parseCsv(text.replace(/^\uFEFF/, ''), {
      delimiter: config.delimiter,
      // Exports pieced together from several systems mix line endings: every one ends a record (inside quotes
      // they stay part of the value).
      record_delimiter: ['\r\n', '\n', '\r'],
      from_line: firstLine,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_quotes: true,
      relax_column_count: false,
      on_record: (record: string[], context: { lines: number }) => {
        lastGoodLine = context.lines;
        return record;
      },
    }) as string[][];
  } catch (error) {
    throw csvFailure(error, text, lastGoodLine, firstLine);
  }

  if (config.hasHeader) {
    const header = rows.shift();
    if (!header) throw new ConnectorError('BAD_PAYLOAD', `the file has no header row${config.skipRows ? ` after skipRows = ${config.skipRows}` : ''}`);
    return { fields: headerNames(header, config, lineOf(text, config.skipRows)), rows, firstDataLine: firstLine + 1 };
  }
  const fields = config.columns as string[];
  if (rows.length > 0 && rows[0].length !== fields.length) {
    throw new ConnectorError(
      'BAD_PAYLOAD',
      `malformed CSV at line ${lineOf(text, config.skipRows)}: the rows have ${rows[0].length} columns but columns lists ${fields.length} names`,
    );
  }
  return { fields, rows, firstDataLine: firstLine };
}

function toRecord(fields: string[], row: string[]): RawRecord {
  return Object.fromEntries(fields.map((field, index) => [field, row[index]]));
}

// ---------------------------------------------------------------------------
// Reading

function isUrlSource(source: CsvSource): source is CsvUrlSource {
  return 'url' in source;
}

function describeSource(source: CsvSource): string {
  if (!isUrlSource(source)) return 'the uploaded file';
  const url = new URL(source.url);
  return `GET ${url.origin}${url.pathname}`;
}

async function loadText(config: CsvConfig, window: ReadWindow, context: ConnectorContext): Promise<string> {
  const source = config.source;
  if (!isUrlSource(source)) {
    if (source.bodyEncoding === 'text') return source.body.replace(/^\uFEFF/, '');
    return decodeCsvBytes(Buffer.from(source.body, 'base64'), config.encoding);
  }
  const values: TemplateValues = { window, dateFormat: source.dateFormat, secrets: context.secrets };
  const response = await context.http.request(
    {
      url: source.url,
      headers: { accept: 'text/csv, text/plain;q=0.9, */*;q=0.5', ...fillHeaders(source.headers, values) },
      query: fillQuery(source.query, values),
    },
    context.signal,
  );
  return decodeCsvBytes(response.body, config.encoding);
}

async function load(config: CsvConfig, window: ReadWindow, context: ConnectorContext): Promise<ParsedCsv> {
  const text = await loadText(config, window, context);
  context.signal.throwIfAborted();
  return parseCsvText(text, config);
}

/** The window check and discover use for {{from}}/{{to}}: the last seven days (UTC). */
function probeWindow(): ReadWindow {
  const today = new Date().toISOString().slice(0, 10);
  return { from: addDays(today, -6), to: today };
}

export const csvConnector: ConnectorKind<CsvConfig> = {
  kind: 'csv',
  pulled: true,
  description: 'Reads a CSV file from a URL or an upload: delimiter, encoding (UTF-8, UTF-16LE, windows-1258, latin1), header and renames.',
  // The schema fills defaults, so its input type is looser than CsvConfig; the contract names the output.
  configSchema: csvConfigSchema,
  secretNames,

  endpoints(config) {
    return isUrlSource(config.source) ? [urlEndpoint('source.url', config.source.url)] : [];
  },

  async check(config, context): Promise<CheckResult> {
    const where = describeSource(config.source);
    try {
      const { fields, rows } = await load(config, probeWindow(), context);
      return {
        ok: true,
        message: `${where}: ${rows.length} row${rows.length === 1 ? '' : 's'} with ${fields.length} columns (${fields.join(', ')})`,
      };
    } catch (error) {
      if (context.signal.aborted) throw error;
      const detail = error instanceof ConnectorError ? `${error.errorClass}: ${error.message}` : `INTERNAL: ${String(error)}`;
      return { ok: false, message: `${where} failed: ${detail}` };
    }
  },

  async discover(config, context): Promise<DiscoveredStream[]> {
    const { fields, rows } = await load(config, probeWindow(), context);
    return [{ name: 'rows', fields, sample: rows.slice(0, 3).map((row) => toRecord(fields, row)) }];
  },

  async *read(config, window, _state, context): AsyncIterable<ReadBatch> {
    const { fields, rows } = await load(config, window, context);
    const state = { lastWindowTo: window.to };
    if (rows.length === 0) {
      yield { records: [], state };
      return;
    }
    for (let start = 0; start < rows.length; start += BATCH_SIZE) {
      context.signal.throwIfAborted();
      const records = rows.slice(start, start + BATCH_SIZE).map((row) => toRecord(fields, row));
      yield start + BATCH_SIZE >= rows.length ? { records, state } : { records };
    }
  },
};
