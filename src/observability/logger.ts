import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { standardOutput } from './log-output';
import { SENSITIVE_KEY } from '../security/sensitive';

/** What every log line written while serving a request (or running a connector for one) carries. */
export interface LogContext {
  requestId?: string;
  runId?: number;
  connectorId?: number;
}

export const logContext = new AsyncLocalStorage<LogContext>();

/** Runs `work` with extra fields on every log line it writes, on top of the current ones. */
export function withLogContext<T>(fields: LogContext, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, work);
}

/** Paths whose values never reach the logs: credentials in headers, configurations and errors. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'secrets',
  '*.secrets',
  '*.password',
  '*.token',
  '*.apiKey',
  'password',
  'token',
];

/** Longest string kept in a logged error (SQL text, messages, stacks). */
const MAX_ERROR_STRING = 2_048;
/** Longest log line written; a longer one (whatever produced it) is replaced by a short line saying so. */
export const MAX_LOG_LINE_BYTES = 16 * 1024;
const REDACTED = '[redacted]';

function shorten(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit)}… (${text.length - limit} more characters)` : text;
}

/**
 * A serialized error (pino's `err` serializer output) bounded in size: SQL parameters (TypeORM's
 * QueryFailedError `parameters`, which hold what callers sent, credentials among them) are replaced by their
 * count and mysql2's `sql` (the statement with those values written in) is dropped; strings (SQL text in `query` / `sql`, messages, stacks) are cut after 2 KB, nested objects (a driver
 * error, a cause) after a few levels, lists after 10 items.
 */
export function boundErrorFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return shorten(value, MAX_ERROR_STRING);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= 4) return '[…]';
  if (Array.isArray(value)) return [...value.slice(0, 10).map((item) => boundErrorFields(item, depth + 1)), ...(value.length > 10 ? [`… ${value.length - 10} more`] : [])];
  const bounded: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, 30)) {
    if (key === 'parameters' || key === 'values') bounded[key] = Array.isArray(item) ? `[${item.length} parameters omitted]` : '[omitted]';
    // mysql2's `sql` is the statement with its parameters written in: the values again.
    else if (key === 'sql') bounded[key] = '[omitted: the statement with its values; see query]';
    else if (SENSITIVE_KEY.test(key)) bounded[key] = REDACTED;
    else bounded[key] = boundErrorFields(item, depth + 1);
  }
  return bounded;
}

/** pino's `err` serializer, then {@link boundErrorFields}. */
export function serializeError(error: unknown): unknown {
  return boundErrorFields(error instanceof Error ? pino.stdSerializers.err(error) : error);
}

/** `url` with the values of credential-like query parameters (`access_token`, `api_key`, `password`, …) redacted. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?');
  if (mark < 0) return shorten(url, MAX_ERROR_STRING);
  const query = url.slice(mark + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // An undecodable name is judged as written.
    }
    return equals >= 0 && SENSITIVE_KEY.test(decoded) ? `${name}=${REDACTED}` : pair;
  });
  return shorten(`${url.slice(0, mark)}?${query.join('&')}`, MAX_ERROR_STRING);
}

/** The request as pino-http logs it, with credentials in the query string (url and parsed query) redacted. */
export function serializeRequest(request: { url?: string; query?: Record<string, unknown> } & Record<string, unknown>): unknown {
  const query = request.query && typeof request.query === 'object'
    ? Object.fromEntries(Object.entries(request.query).map(([name, value]) => [name, SENSITIVE_KEY.test(name) ? REDACTED : value]))
    : request.query;
  return { ...request, url: typeof request.url === 'string' ? redactUrl(request.url) : request.url, query };
}

/**
 * Last guard on every line: a line longer than {@link MAX_LOG_LINE_BYTES} is replaced by one holding its level,
 * time, message (shortened) and size, so no request can make the hub write megabytes of log.
 */
export function boundLine(line: string): string {
  if (line.length <= MAX_LOG_LINE_BYTES) return line;
  // pino writes level, time and the context first and the message last: look at both ends of the line.
  const ends = [line.slice(0, 64 * 1024), line.slice(-64 * 1024)];
  const field = (name: string) => {
    const pattern = new RegExp(`"${name}":("(?:[^"\\\\]|\\\\.){0,500}"|-?\\d+)[,}]`);
    for (const end of ends) {
      const found = pattern.exec(end)?.[1];
      if (found !== undefined) return found;
    }
    return undefined;
  };
  const parts = ['level', 'time', 'requestId', 'msg']
    .map((name) => [name, field(name)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `"${name}":${value}`);
  return `{${[...parts, `"service":"pilothub"`, `"truncated":true`, `"bytes":${Buffer.byteLength(line, 'utf8')}`].join(',')}}\n`;
}

export interface LoggerOptions {
  level: string;
  /** Human-readable lines (development) instead of JSON (production, log shippers). */
  pretty: boolean;
}

/** A pino logger; `destination` (tests) receives the JSON lines instead of stdout. */
export function createLogger(options: LoggerOptions, destination?: pino.DestinationStream): Logger {
  const settings = {
    level: options.level,
    base: { service: 'pilothub' },
    redact: { paths: REDACTED_PATHS, censor: REDACTED },
    serializers: { err: serializeError },
    hooks: { streamWrite: boundLine },
    mixin: () => ({ ...logContext.getStore() }),
  };
  if (destination) return pino(settings, destination);
  // Standard output, never blocking the process (see log-output.ts); a shutdown drains it with drainLogs().
  if (options.pretty) {
    const prettify = prettyFactory({ colorize: false, translateTime: 'SYS:HH:MM:ss.l' });
    const output = standardOutput((count) => `WARN: ${count} log line(s) dropped: standard output did not keep up\n`);
    return pino(settings, { write: (line: string) => output.write(prettify(line)) });
  }
  const output = standardOutput((count) => `${JSON.stringify({ level: 40, time: Date.now(), service: 'pilothub', dropped: count, msg: `${count} log line(s) dropped: standard output did not keep up` })}\n`);
  return pino(settings, output);
}
