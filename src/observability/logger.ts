import { AsyncLocalStorage } from 'node:async_hooks';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

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
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: () => ({ ...logContext.getStore() }),
  };
  if (destination) return pino(settings, destination);
  // A synchronous pretty stream so lines written just before exit are not lost.
  return options.pretty ? pino(settings, pretty({ sync: true, colorize: false, translateTime: 'SYS:HH:MM:ss.l' })) : pino(settings);
}
