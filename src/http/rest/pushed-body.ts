/**
 * Reading a pushed body (POST /ingest/<id>) as a stream: decompressed (gzip, deflate, br) and decoded as it
 * arrives, parsed chunk by chunk (csv-parse's stream API, @streamparser/json for JSON), with every limit applied
 * while it is read — the body's size (before and after decompression), the rows of the connector
 * (maxRowsPerPush) and, for CSV, the fields and length of a line (a header of millions of columns is refused
 * within its first few hundred bytes). A body that breaks a limit is refused as soon as it does, without
 * decompressing or parsing the rest; each chunk is a few milliseconds of work, so the process answers other
 * requests while a large body is read.
 */
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { JSONParser } from '@streamparser/json';
import { parse as csvParser, type CsvError } from 'csv-parse';
import type { Request } from 'express';
import iconv from 'iconv-lite';
import { invisibleCharacter, type ObservationRow } from '../../../connectors/sdk/mapping';
import { HubError } from '../../common/errors';

export const CSV_COLUMNS = ['metric', 'unit', 'period', 'value', 'numerator', 'denominator'];
/** Longest CSV line (the header included): a line of the six columns is well under 1 KiB. */
export const MAX_CSV_LINE_BYTES = 64 * 1024;
/**
 * Most fields in a CSV line (six are used). Counted before csv-parse sees the text: its time per line grows with
 * the square of the fields in it (64 KiB of a header of two million columns alone took it two seconds).
 */
export const MAX_CSV_FIELDS = 64;

/**
 * A pushed body refused: BAD_USER_INPUT (400, malformed), PAYLOAD_TOO_LARGE (413, a limit) or
 * UNSUPPORTED_MEDIA_TYPE (415, an unknown content type, encoding or charset); answered like any HubError.
 */
export class PushedBodyError extends HubError {
  constructor(code: 'BAD_USER_INPUT' | 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE', message: string, field = 'body') {
    super(code, message, field);
  }
}

export interface PushedBodyLimits {
  /** Largest body, after decompression. */
  maxBytes: number;
  /** Most rows (the connector's maxRowsPerPush). */
  maxRows: number;
}

interface RowSink {
  write(text: string): void;
  end(): void;
}

const tooManyRows = (maxRows: number) => new PushedBodyError('PAYLOAD_TOO_LARGE', `rows: at most ${maxRows} rows per push; the body has more`, 'rows');

function decompressor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  switch (encoding) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new PushedBodyError('UNSUPPORTED_MEDIA_TYPE', `body: unsupported content encoding "${encoding}" (gzip, deflate, br or none)`);
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);
const UTF16BE_BOM = Buffer.from([0xfe, 0xff]);
const isUtf8 = (charset: string) => charset === 'utf-8' || charset === 'utf8';

/**
 * A streaming decoder of the body: a byte-order mark at its very start is dropped and wins over the declared charset
 * (UTF-8 or UTF-16, as the CSV connector reads files); otherwise the charset (UTF-8 by default, refusing bytes
 * that are not).
 */
function decoder(charset: string): { write(chunk: Buffer): string; end(): string } {
  if (!isUtf8(charset) && !iconv.encodingExists(charset)) throw new PushedBodyError('UNSUPPORTED_MEDIA_TYPE', `body: unsupported charset "${charset}"`);
  let chosen: { write(chunk: Buffer): string; end(): string } | null = null;
  let head = Buffer.alloc(0);
  const choose = () => {
    const marks: Array<[Buffer, string]> = [[UTF8_BOM, 'utf-8'], [UTF16LE_BOM, 'utf-16le'], [UTF16BE_BOM, 'utf-16be']];
    const mark = marks.find(([bytes]) => head.subarray(0, bytes.length).equals(bytes));
    chosen = charsetDecoder(mark ? mark[1] : charset);
    const text = chosen.write(mark ? head.subarray(mark[0].length) : head);
    head = Buffer.alloc(0);
    return text;
  };
  return {
    write(chunk) {
      if (chosen) return chosen.write(chunk);
      // The first three bytes decide.
      head = Buffer.concat([head, chunk]);
      return head.length >= 3 ? choose() : '';
    },
    end() {
      const text = chosen ? '' : choose();
      return text + chosen!.end();
    },
  };
}

function charsetDecoder(charset: string): { write(chunk: Buffer): string; end(): string } {
  if (isUtf8(charset)) {
    // The byte-order mark, if any, is already gone: a mark after it is text (and refused where it stands).
    const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    const decode = (chunk?: Buffer) => {
      try {
        return chunk ? utf8.decode(chunk, { stream: true }) : utf8.decode();
      } catch {
        throw new PushedBodyError('BAD_USER_INPUT', 'body: not valid UTF-8');
      }
    };
    return { write: (chunk) => decode(chunk), end: () => decode() };
  }
  const other = iconv.getDecoder(charset, { stripBOM: false });
  return { write: (chunk) => other.write(chunk), end: () => other.end() ?? '' };
}

/**
 * @streamparser/json decodes each piece of a string with a TextDecoder that drops a byte-order mark starting the
 * piece: "\uFEFF12" would be read as "12" and stored, where a pulled JSON value keeps its mark and is refused with a
 * reason naming it. Its string accumulator gets a decoder that keeps the mark; an update of the library that changes
 * that accumulator fails here (every JSON push, in the tests) instead of dropping marks again.
 */
function keepByteOrderMarks(parser: JSONParser): JSONParser {
  const accumulator = (parser as unknown as { tokenizer?: { bufferedString?: { decoder?: unknown } } }).tokenizer?.bufferedString;
  if (!accumulator || !(accumulator.decoder instanceof TextDecoder)) {
    throw new Error('@streamparser/json changed: its string accumulator has no TextDecoder to replace (see keepByteOrderMarks)');
  }
  accumulator.decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  return parser;
}

function jsonRows(maxRows: number, rows: ObservationRow[]): RowSink {
  const parser = keepByteOrderMarks(new JSONParser({ paths: ['$.*', '$.rows.*'], keepStack: false }));
  let root: 'array' | 'object' | 'other' | null = null;
  let sawRows = false;
  let failure: unknown = null;
  const add = (value: unknown) => {
    if (rows.length >= maxRows) throw tooManyRows(maxRows);
    rows.push(value && typeof value === 'object' && !Array.isArray(value) ? (value as ObservationRow) : ({ metric: value } as unknown as ObservationRow));
  };
  // `stack` holds the containers above the value's parent: [root] for an element of the root, [root, rows] below "rows".
  parser.onValue = ({ value, key, parent, stack }) => {
    if (root === 'array' && stack.length === 1) add(value);
    else if (root === 'object' && stack.length === 1 && key === 'rows') sawRows = Array.isArray(value);
    else if (root === 'object' && stack.length === 2 && stack[1].key === 'rows' && Array.isArray(parent)) add(value);
  };
  parser.onError = (error) => {
    failure ??= error;
  };
  const shapeError = () => new PushedBodyError('BAD_USER_INPUT', 'rows: send a JSON array of rows, or { "rows": [...] }', 'rows');
  const rethrow = () => {
    if (failure === null) return;
    if (failure instanceof PushedBodyError) throw failure;
    throw new PushedBodyError('BAD_USER_INPUT', 'body: malformed JSON');
  };
  return {
    write(text) {
      if (root === null) {
        // JSON's blanks only: the one byte-order mark a body may start with is gone, a second one is refused.
        const first = /[^ \t\r\n]/.exec(text)?.[0];
        if (first === undefined) return;
        root = first === '[' ? 'array' : first === '{' ? 'object' : 'other';
        if (first === '\uFEFF') {
          throw new PushedBodyError('BAD_USER_INPUT', 'body: an invisible byte-order mark (U+FEFF) where the JSON should start; only one, as the very first bytes, is allowed');
        }
        if (root === 'other') throw shapeError();
      }
      // The parser ends with the root value: only blanks may follow it.
      if (parser.isEnded) {
        if (/\S/.test(text)) throw new PushedBodyError('BAD_USER_INPUT', 'body: malformed JSON');
        return;
      }
      try {
        parser.write(text);
      } catch (error) {
        failure ??= error;
      }
      rethrow();
    },
    end() {
      if (root === null) throw new PushedBodyError('BAD_USER_INPUT', 'body: malformed JSON');
      if (!parser.isEnded) {
        try {
          parser.end();
        } catch (error) {
          failure ??= error;
        }
      }
      rethrow();
      if (!parser.isEnded) throw new PushedBodyError('BAD_USER_INPUT', 'body: malformed JSON');
      if (root === 'object' && !sawRows) throw shapeError();
    },
  };
}

function csvRows(maxRows: number, rows: ObservationRow[]): RowSink {
  let failure: unknown = null;
  const parser = csvParser({
    // The decoder has dropped the byte-order mark a body may start with; a second one is text.
    bom: false,
    skip_empty_lines: true,
    trim: true,
    delimiter: [',', ';', '\t'],
    max_record_size: MAX_CSV_LINE_BYTES,
    columns: (header: string[]) => {
      const unknown = header.filter((column) => !CSV_COLUMNS.includes(column));
      if (unknown.length > 0) {
        const shown = unknown.length > 10 ? `${unknown.slice(0, 10).join(', ')} and ${unknown.length - 10} more` : unknown.join(', ');
        const invisible = unknown.map(invisibleCharacter).find((problem) => problem !== null);
        const hidden = invisible ? ` (a column name contains ${invisible.en})` : '';
        throw new PushedBodyError('BAD_USER_INPUT', `body: unknown CSV columns ${shown}${hidden}; expected ${CSV_COLUMNS.join(', ')}`);
      }
      return header;
    },
  });
  parser.on('data', (record: Record<string, string>) => {
    if (failure !== null) return;
    if (rows.length >= maxRows) {
      failure = tooManyRows(maxRows);
      return;
    }
    // Empty cells are absent values, not empty strings.
    rows.push(Object.fromEntries(Object.entries(record).filter(([, value]) => value !== '')) as unknown as ObservationRow);
  });
  parser.on('error', (error: CsvError | PushedBodyError) => {
    failure ??= error;
  });
  const rethrow = () => {
    if (failure === null) return;
    if (failure instanceof PushedBodyError) throw failure;
    const error = failure as CsvError;
    if (error.code === 'CSV_MAX_RECORD_SIZE') throw new PushedBodyError('PAYLOAD_TOO_LARGE', `body: a CSV line is longer than ${MAX_CSV_LINE_BYTES} bytes`);
    // csv-parse reports an error thrown by the columns function as its own cause.
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof PushedBodyError) throw cause;
    throw new PushedBodyError('BAD_USER_INPUT', `body: malformed CSV: ${error.message}`);
  };
  // Fields of the current line so far (separators outside quotes), carried from one chunk to the next.
  let fields = 1;
  let quoted = false;
  const countFields = (text: string) => {
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code === 0x22) quoted = !quoted;
      else if (code === 0x0a && !quoted) fields = 1;
      else if ((code === 0x2c || code === 0x3b || code === 0x09) && !quoted && ++fields > MAX_CSV_FIELDS) {
        throw new PushedBodyError('PAYLOAD_TOO_LARGE', `body: a CSV line has more than ${MAX_CSV_FIELDS} fields`);
      }
    }
  };
  return {
    write(text) {
      countFields(text);
      parser.write(text);
      rethrow();
    },
    end() {
      parser.end();
      rethrow();
    },
  };
}

/** The charset parameter of a content type, lower-cased; utf-8 when absent. */
function charsetOf(contentType: string): string {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1].toLowerCase() : 'utf-8';
}

/**
 * The rows of a pushed body: a JSON array (or `{ "rows": [...] }`) for a JSON content type, else CSV. Throws a
 * PushedBodyError (PAYLOAD_TOO_LARGE for a limit, UNSUPPORTED_MEDIA_TYPE for an unknown content type, encoding or
 * charset, BAD_USER_INPUT for a malformed body) as soon as the body breaks a rule; the rest of the request is then
 * read and discarded without being decompressed or parsed.
 */
export async function readPushedRows(request: Request, limits: PushedBodyLimits): Promise<ObservationRow[]> {
  const contentType = String(request.headers['content-type'] ?? '').toLowerCase();
  const json = contentType.includes('json');
  if (!json && !/^(text\/csv|text\/plain|application\/csv)\b/.test(contentType)) {
    throw new PushedBodyError('UNSUPPORTED_MEDIA_TYPE', 'body: send application/json or text/csv');
  }
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) throw new PushedBodyError('PAYLOAD_TOO_LARGE', `body: larger than ${limits.maxBytes} bytes`);
  const inflate = decompressor(String(request.headers['content-encoding'] ?? '').trim().toLowerCase());
  const text = decoder(charsetOf(contentType));
  const rows: ObservationRow[] = [];
  const sink = json ? jsonRows(limits.maxRows, rows) : csvRows(limits.maxRows, rows);
  const source: Readable = inflate ? request.pipe(inflate) : request;
  let received = 0;
  let compressed = 0;
  const countCompressed = (chunk: Buffer) => (compressed += chunk.length);
  // pipe() does not pass on a client that goes away: the decompressor is ended with an error then.
  const aborted = () => {
    if (!request.complete) inflate?.destroy(Object.assign(new Error('request aborted'), { code: 'ECONNRESET' }));
  };
  if (inflate) {
    request.on('data', countCompressed);
    request.once('close', aborted);
  }
  try {
    // Leaving the loop early must not destroy the request: the refusal is still to be answered on its connection.
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > limits.maxBytes || compressed > limits.maxBytes) {
        throw new PushedBodyError('PAYLOAD_TOO_LARGE', `body: larger than ${limits.maxBytes} bytes${inflate ? ' once decompressed' : ''}`);
      }
      sink.write(text.write(chunk));
    }
    sink.write(text.end());
    sink.end();
  } catch (error) {
    if (inflate) {
      request.unpipe(inflate);
      inflate.destroy();
    }
    // The rest of the body is read and discarded (not parsed, not decompressed), so the client can read the answer
    // and send its next request on the connection. On the next turn: until then the iterator's 'readable' listener
    // counts, and resume() would leave the request paused.
    setImmediate(() => request.resume());
    if (error instanceof PushedBodyError) throw error;
    const code = (error as { code?: string }).code ?? '';
    if (code.startsWith('Z_') || code.startsWith('ERR__')) throw new PushedBodyError('BAD_USER_INPUT', 'body: not valid compressed data');
    if (code === 'ECONNRESET' || code === 'ECONNABORTED' || !request.complete) throw new PushedBodyError('BAD_USER_INPUT', 'body: the request was aborted');
    throw error;
  } finally {
    request.off('data', countCompressed);
    request.off('close', aborted);
  }
  return rows;
}
