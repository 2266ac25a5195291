import path from 'node:path';
import { z } from 'zod';

/** Every environment variable the hub reads, parsed and validated once at start-up. */
const environmentSchema = z.object({
  /** `mysql://` (MySQL 8) or `mariadb://` (MariaDB) URL; unset → embedded SQLite file at SQLITE_PATH. */
  DATABASE_URL: z
    .string()
    .trim()
    .regex(/^(mysql|mariadb):\/\/.+/, 'must start with mysql:// or mariadb://')
    .optional(),
  /** File of the embedded database, used when DATABASE_URL is unset. */
  SQLITE_PATH: z.string().trim().min(1).default('./data/pilothub.sqlite'),
  /** Maximum connections in the MySQL/MariaDB pool. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** HTTP port of the GraphQL endpoint. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface the HTTP server binds to. */
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  /** Seed the catalogue at start-up: `auto` = only into an empty embedded database, `always`, `never`. */
  SEED_ON_START: z.enum(['auto', 'always', 'never']).default('auto'),
  /** Hard maximum of `first` / `last` on every connection. */
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(500),
  /** Most rows an aggregate (or points a series request) may produce; larger answers are refused. */
  MAX_AGGREGATE_ROWS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Page size used when a query gives neither `first` nor `last`. */
  DEFAULT_PAGE_SIZE: z.coerce.number().int().min(1).max(10_000).default(50),
  /** IANA time zone that defines "today" for deadlines (and, later, schedules). */
  TIME_ZONE: z
    .string()
    .trim()
    .default('Asia/Ho_Chi_Minh')
    .refine(isTimeZone, 'must be an IANA time zone such as Asia/Ho_Chi_Minh'),
  /** Longest a connector's HTTP request may take, body included. */
  CONNECTOR_TIMEOUT_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  /** Largest response a connector accepts. */
  CONNECTOR_MAX_RESPONSE_MB: z.coerce.number().min(0.01).max(1024).default(20),
  /** Attempts per connector run, the first included; only transient failures are retried. */
  CONNECTOR_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** How often a process refreshes the heartbeat of its running runs; runs silent for 4 periods are INTERRUPTED. */
  RUN_HEARTBEAT_SECONDS: z.coerce.number().min(0.2).max(600).default(15),
  /** How often each process re-reads the connectors table to pick up schedules changed elsewhere. */
  SCHEDULE_REFRESH_SECONDS: z.coerce.number().min(0.5).max(3600).default(30),
  /** Demo mode: start the feed simulator, register demo connectors and backfill them. Default: on without DATABASE_URL. */
  PILOTHUB_DEMO: z.enum(['true', 'false']).optional(),
  /** Port of the feed simulator demo mode starts (or finds already running); 0 = any free port. */
  DEMO_FEEDS_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object per line) or `pretty` (for people); default pretty in development, json in production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /** `production` hides internal error details; anything else is treated as development. */
  NODE_ENV: z.string().trim().default('development'),
});

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type DatabaseKind = 'sqlite' | 'mysql' | 'mariadb';

export interface DatabaseConfig {
  kind: DatabaseKind;
  /** Connection URL for MySQL/MariaDB; file path (or `:memory:`) for SQLite. */
  location: string;
  poolSize: number;
}

export interface HubConfig {
  database: DatabaseConfig;
  port: number;
  host: string;
  seedOnStart: 'auto' | 'always' | 'never';
  maxPageSize: number;
  maxAggregateRows: number;
  defaultPageSize: number;
  timeZone: string;
  demo: { enabled: boolean; feedsPort: number };
  connectors: { timeoutMs: number; maxResponseBytes: number; maxAttempts: number; scheduleRefreshMs: number; heartbeatMs: number };
  log: { level: string; pretty: boolean };
  production: boolean;
}

export class ConfigError extends Error {}

export function databaseConfigFromUrl(url: string | undefined, sqlitePath: string, poolSize = 10): DatabaseConfig {
  if (!url) {
    const location = sqlitePath === ':memory:' ? sqlitePath : path.resolve(sqlitePath);
    return { kind: 'sqlite', location, poolSize: 1 };
  }
  const kind: DatabaseKind = url.startsWith('mariadb://') ? 'mariadb' : 'mysql';
  return { kind, location: url, poolSize };
}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env): HubConfig {
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  if (env.DEFAULT_PAGE_SIZE > env.MAX_PAGE_SIZE) {
    throw new ConfigError('invalid configuration: DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE');
  }
  return {
    database: databaseConfigFromUrl(env.DATABASE_URL, env.SQLITE_PATH, env.DATABASE_POOL_SIZE),
    port: env.PORT,
    host: env.HOST,
    seedOnStart: env.SEED_ON_START,
    maxPageSize: env.MAX_PAGE_SIZE,
    maxAggregateRows: env.MAX_AGGREGATE_ROWS,
    defaultPageSize: env.DEFAULT_PAGE_SIZE,
    timeZone: env.TIME_ZONE,
    connectors: {
      timeoutMs: Math.round(env.CONNECTOR_TIMEOUT_SECONDS * 1000),
      maxResponseBytes: Math.round(env.CONNECTOR_MAX_RESPONSE_MB * 1024 * 1024),
      maxAttempts: env.CONNECTOR_MAX_ATTEMPTS,
      scheduleRefreshMs: Math.round(env.SCHEDULE_REFRESH_SECONDS * 1000),
      heartbeatMs: Math.round(env.RUN_HEARTBEAT_SECONDS * 1000),
    },
    demo: { enabled: env.PILOTHUB_DEMO ? env.PILOTHUB_DEMO === 'true' : !env.DATABASE_URL, feedsPort: env.DEMO_FEEDS_PORT },
    log: { level: env.LOG_LEVEL, pretty: (env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty')) === 'pretty' },
    production: env.NODE_ENV === 'production',
  };
}
