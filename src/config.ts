import path from 'node:path';
import { z } from 'zod';
import { parseCorsOrigins, type OriginRule } from './http/cors';
import { parseHostPatterns, type HostPattern } from './security/outbound-policy';
import { parseSecretKeys, type SecretKey } from './security/secret-box';
import type { EvaluationWeights } from './modules/progress/evaluation';
import { checkDatabaseUrl, isTimeZone, parseBasePath, parsedWith, parseTrustProxy, type TrustProxy } from './config-values';

export { checkDatabaseUrl, parseBasePath, parseTrustProxy, type TrustProxy } from './config-values';

const NODE_ENVIRONMENTS = ['development', 'test', 'production'] as const;

const environmentSchema = z.object({
  /** `mysql://` (MySQL 8) or `mariadb://` (MariaDB) URL; unset → embedded SQLite file at SQLITE_PATH. */
  DATABASE_URL: z.string().trim().transform(parsedWith(checkDatabaseUrl)).optional(),
  /** File of the embedded database, used when DATABASE_URL is unset. */
  SQLITE_PATH: z.string().trim().min(1).default('./data/pilothub.sqlite'),
  /** Maximum connections in the MySQL/MariaDB pool. */
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  /** HTTP port of the GraphQL endpoint. */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface the HTTP server binds to. */
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  /**
   * After SIGTERM, /readyz answers 503 while the hub keeps accepting and serving this long, so a load balancer
   * stops sending before the listener closes; then requests in flight are drained.
   */
  SHUTDOWN_DELAY_SECONDS: z.coerce.number().min(0).max(300).default(5),
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
  /** How often a run in progress (or waiting to retry) logs a progress line: connector, run, rows so far. */
  RUN_PROGRESS_LOG_SECONDS: z.coerce.number().min(0.2).max(3600).default(60),
  /** How often each process re-reads the connectors table to pick up schedules changed elsewhere. */
  SCHEDULE_REFRESH_SECONDS: z.coerce.number().min(0.5).max(3600).default(30),
  /**
   * Shortest time between two fires of a schedule a DEPARTMENT_IT caller sets (administrators are exempt); a
   * schedule that fires sooner, even once a day, is refused.
   */
  MIN_SCHEDULE_MINUTES: z.coerce.number().int().min(1).max(1440).default(5),
  /** Year-end evaluation (docs/analytics.md): weight of the tasks component (completed on time / late / not done). */
  EVALUATION_WEIGHT_TASKS: z.coerce.number().finite().min(0).default(0.4),
  /** Year-end evaluation: weight of the pilot models component (share completed). */
  EVALUATION_WEIGHT_MODELS: z.coerce.number().finite().min(0).default(0.2),
  /** Year-end evaluation: weight of the data freshness component (share of metrics reported on time). */
  EVALUATION_WEIGHT_FRESHNESS: z.coerce.number().finite().min(0).default(0.2),
  /** Year-end evaluation: weight of the data quality component (runs not failed, rows not rejected). */
  EVALUATION_WEIGHT_QUALITY: z.coerce.number().finite().min(0).default(0.2),
  /** Year-end evaluation: credit of a task completed late (or on a date not recorded), 0…1, against 1 on time. */
  EVALUATION_LATE_CREDIT: z.coerce.number().finite().min(0).max(1).default(0.5),
  /**
   * Demo mode: start the feed simulator, register demo connectors and backfill them, seed demo data. Default: on
   * without DATABASE_URL, except in production, which refuses it unless PILOTHUB_DEMO_IN_PRODUCTION=true.
   */
  PILOTHUB_DEMO: z.enum(['true', 'false']).optional(),
  /** Lets NODE_ENV=production run demo mode (PILOTHUB_DEMO=true) or `seed --demo`: a deliberate demonstration. */
  PILOTHUB_DEMO_IN_PRODUCTION: z.enum(['true', 'false']).default('false'),
  /** Port of the feed simulator demo mode starts (or finds already running); 0 = any free port. */
  DEMO_FEEDS_PORT: z.coerce.number().int().min(0).max(65535).default(4100),
  /** Requests each caller (API key, token, or client address) may make per minute; 0 = no per-minute limit. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(600),
  /** Requests each caller may make within one second, capping bursts inside the minute; 0 = no burst limit. */
  RATE_LIMIT_BURST: z.coerce.number().int().min(0).max(1_000_000).default(100),
  /** Failed authentications (401) each client address may cause per window before it is answered 429; 0 = no limit. */
  RATE_LIMIT_AUTH_FAILURES: z.coerce.number().int().min(0).max(1_000_000).default(20),
  /** Window of RATE_LIMIT_AUTH_FAILURES, and how long an address over it is refused. */
  RATE_LIMIT_AUTH_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** Where rate-limit counters live: `memory` (this process), `database` (shared by the processes on it), `redis`. */
  RATE_LIMIT_STORE: z.enum(['memory', 'database', 'redis']).optional(),
  /** Redis server for shared rate-limit counters: `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  REDIS_URL: z.string().trim().regex(/^rediss?:\/\/.+/, 'must start with redis:// or rediss://').optional(),
  /**
   * How hub processes tell each other of changes for GraphQL subscriptions: `database` (a change feed table each
   * process polls while it has subscribers) or `redis` (pub/sub on REDIS_URL). Default: redis with REDIS_URL, else database.
   */
  LIVE_UPDATES_FEED: z.enum(['database', 'redis']).optional(),
  /** How often a process with subscribers reads the change feed table (LIVE_UPDATES_FEED=database), in milliseconds. */
  LIVE_UPDATES_POLL_MS: z.coerce.number().int().min(20).max(10_000).default(250),
  /** How long change feed rows are kept before they are deleted (a process reads them within a poll or two). */
  LIVE_UPDATES_RETENTION_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  /** How often the credentials of an open subscription connection are checked again: a revoked or expired key ends it. */
  LIVE_UPDATES_AUTH_RECHECK_SECONDS: z.coerce.number().min(0.2).max(3600).default(30),
  /** Most subscriptions open at once on one WebSocket connection; 0 = no subscriptions (the WebSocket endpoint is off). */
  LIVE_UPDATES_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(0).max(1000).default(25),
  /**
   * Which forwarded client address to believe (express's `trust proxy`): `false` (the TCP peer), `true` (the
   * left-most X-Forwarded-For address), a hop count, or a comma-separated list of proxy addresses / CIDR ranges
   * (`loopback`, `linklocal`, `uniquelocal` too).
   */
  TRUST_PROXY: z.string().trim().transform(parsedWith(parseTrustProxy)).default('false'),
  /**
   * Origins whose browser pages may call the hub (CORS): comma-separated exact origins (`https://dash.example`),
   * `https://*.domain` patterns, or `*`; empty = none.
   */
  CORS_ORIGINS: z.string().transform(parsedWith(parseCorsOrigins)).default(''),
  /**
   * The path prefix under which a reverse proxy publishes the hub (e.g. `/pilothub`): the web console's links and
   * the download links the hub hands out carry it. Empty: the hub is published at the root.
   */
  PUBLIC_BASE_PATH: z.string().trim().transform(parsedWith(parseBasePath)).default(''),
  /** Longest a client may take to send a request's headers; the connection is closed after it. */
  HTTP_HEADERS_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(10),
  /** Longest a client may take to send a whole request (headers and body). */
  HTTP_REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(120),
  /**
   * How long an idle keep-alive connection stays open. Longer than the idle timeout of the usual load balancers
   * (60 s) and of HTTP clients' own pools, so a client never sends on a connection the hub is closing.
   */
  HTTP_KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(65),
  /** Most connections open at once from one client address (trusted proxies excepted); 0 = no cap. */
  HTTP_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(256),
  /** pino level: fatal, error, warn, info, debug, trace or silent. */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `json` (one object per line) or `pretty` (for people); default pretty in development, json in production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
  /**
   * Keys that encrypt connector secrets: `id:base64(32 bytes)` separated by commas. New values use
   * SECRETS_ACTIVE_KEY_ID, or the first key; the others only decrypt until `npm run secrets:rotate`.
   */
  SECRETS_KEYS: z.string().transform(parsedWith(parseSecretKeys)).optional(),
  SECRETS_ACTIVE_KEY_ID: z.string().trim().optional(),
  /** Development only: where the generated key is kept when SECRETS_KEYS is unset (default next to the SQLite file). */
  SECRETS_KEY_FILE: z.string().trim().min(1).optional(),
  /** Hosts connectors may always reach, besides the allowlist in the database: `host[:port]`, `*.domain[:port]`. */
  CONNECTOR_ALLOWED_HOSTS: z.string().transform(parsedWith(parseHostPatterns)).optional(),
  /** Whether allowlisted hosts may resolve to private-network addresses (on-premise department servers). */
  CONNECTOR_ALLOW_PRIVATE_NETWORKS: z.enum(['true', 'false']).default('false'),
  /**
   * `production`: JSON logs, internal error details hidden, SECRETS_KEYS required; `development` (the default) and
   * `test`: pretty logs, a generated development secrets key. Anything else is refused (`prod`, `Production`).
   */
  NODE_ENV: z
    .enum(NODE_ENVIRONMENTS, { errorMap: (_issue, context) => ({ message: `must be development, test or production, not ${JSON.stringify(context.data)}` }) })
    .default('development'),
  /**
   * Whether the hub stays ready (/readyz) on a database migrated by a newer version (a rollback of the code after
   * expand-only migrations); otherwise /readyz answers 503 naming the migrations it does not know.
   */
  ALLOW_NEWER_SCHEMA: z.enum(['true', 'false']).default('false'),
  /** An ADMIN API key ensured at start-up (bootstrap, automation); at least 32 characters. */
  PILOTHUB_ADMIN_KEY: z.string().trim().min(32, 'must be at least 32 characters').max(512).optional(),
  /** Requests without credentials act as a read-only anonymous viewer (public dashboards). */
  ANONYMOUS_READ: z.enum(['true', 'false']).default('false'),
  /** Whether GET /metrics answers without credentials (Prometheus scrapers inside the network). */
  METRICS_PUBLIC: z.enum(['true', 'false']).default('false'),
  /** A bearer credential that may read GET /metrics and nothing else (a Prometheus scrape job); at least 32 characters. */
  METRICS_SCRAPE_KEY: z.string().trim().min(32, 'must be at least 32 characters').max(512).optional(),
  /** Single sign-on: bearer JWTs from this issuer for this audience are accepted besides API keys. */
  JWT_ISSUER: z.string().trim().min(1).optional(),
  JWT_AUDIENCE: z.string().trim().min(1).optional(),
  /** Where the issuer publishes its signing keys (RS256, ES256, …). */
  JWT_JWKS_URL: z.string().trim().url('must be a URL').optional(),
  /** Shared HS256 secret, for issuers without a JWKS; at least 32 characters. */
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Claim holding the caller's role (ADMIN, DEPARTMENT_IT, ANALYST or VIEWER). */
  JWT_ROLE_CLAIM: z.string().trim().min(1).default('pilothub_role'),
  /** Claim holding the department codes of a DEPARTMENT_IT caller (an array, or a comma-separated string). */
  JWT_DEPARTMENTS_CLAIM: z.string().trim().min(1).default('pilothub_departments'),
  /** Clock difference tolerated on exp/nbf/iat. */
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
  /** Longest lifetime a token may claim (exp − iat, or exp − now without iat); longer-lived tokens are refused. */
  JWT_MAX_LIFETIME_SECONDS: z.coerce.number().int().min(60).max(2_592_000).default(86_400),
  // Limits of the GraphQL endpoint, all checked before any resolver (or SQL) runs; see src/graphql/limits.ts.
  /** Deepest nesting of selections an operation may have. */
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(1).max(100).default(12),
  /** Most aliased fields in one operation (`__typename` aliases do not count). */
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(0).max(1000).default(15),
  /** Most directives in one operation. */
  GRAPHQL_MAX_DIRECTIVES: z.coerce.number().int().min(0).max(1000).default(20),
  /** Most lexical tokens in one document; parsing stops there. */
  GRAPHQL_MAX_TOKENS: z.coerce.number().int().min(50).max(1_000_000).default(2000),
  /** Largest estimated cost of one operation: each field 1, list fields multiplied by their page size. */
  GRAPHQL_MAX_COST: z.coerce.number().int().min(1).max(100_000_000).default(25_000),
  /**
   * Most rows (raw observations, or month rollup rows where those serve) the analytics fields of one operation may
   * read, estimated from their arguments and summed over every aliased field; see src/analytics/volume.ts.
   */
  MAX_QUERY_ROWS: z.coerce.number().int().min(1_000).max(1_000_000_000).default(500_000),
  /** Longest an operation may execute; after it no further resolver starts and the request answers TIMEOUT. */
  GRAPHQL_TIMEOUT_SECONDS: z.coerce.number().min(0.05).max(3600).default(30),
  /** Whether `__schema` / `__type` introspection is answered. */
  GRAPHQL_INTROSPECTION: z.enum(['true', 'false']).default('true'),
  /** Whether validation errors suggest field names ("Did you mean …?"); default on in development, off in production. */
  GRAPHQL_FIELD_SUGGESTIONS: z.enum(['true', 'false']).optional(),
  /** Most operations in one batched HTTP request (a JSON array); 0 refuses batches. */
  GRAPHQL_MAX_BATCH: z.coerce.number().int().min(0).max(100).default(0),
  /** Largest GraphQL request body, in KiB. */
  GRAPHQL_MAX_BODY_KB: z.coerce.number().int().min(1).max(100 * 1024).default(1024),
});

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
  /** SHUTDOWN_DELAY_SECONDS in ms: how long a stopping hub stays not-ready but serving before it closes its listener. */
  shutdownDelayMs: number;
  seedOnStart: 'auto' | 'always' | 'never';
  maxPageSize: number;
  maxAggregateRows: number;
  defaultPageSize: number;
  timeZone: string;
  /** allowInProduction: PILOTHUB_DEMO_IN_PRODUCTION (see demoRefusal). */
  demo: { enabled: boolean; feedsPort: number; allowInProduction: boolean };
  connectors: {
    timeoutMs: number;
    maxResponseBytes: number;
    maxAttempts: number;
    scheduleRefreshMs: number;
    heartbeatMs: number;
    progressLogMs: number;
    /** MIN_SCHEDULE_MINUTES, in ms: the most frequent schedule a DEPARTMENT_IT caller may set. */
    minScheduleIntervalMs: number;
  };
  log: { level: string; pretty: boolean };
  /** Requests per caller; 0 turns a limit off (see src/security/rate-limit.ts). */
  rateLimit: RateLimitConfig;
  http: HttpConfig;
  production: boolean;
  /** ALLOW_NEWER_SCHEMA: migrations unknown to this build keep /readyz at 200 (reported in its detail). */
  allowNewerSchema: boolean;
  secrets: {
    /** SECRETS_KEYS; empty when unset. */
    keys: SecretKey[];
    /** Key for new values (SECRETS_ACTIVE_KEY_ID, else the first key); null without keys. */
    activeKeyId: string | null;
    /** Development without SECRETS_KEYS: file holding the generated key; null for an in-memory database. */
    keyFile: string | null;
  };
  outbound: { allowedHosts: HostPattern[]; allowPrivateNetworks: boolean };
  auth: AuthConfig;
  graphql: GraphQLLimits;
  /** Default weights of the year-end evaluation score (EVALUATION_WEIGHT_*, EVALUATION_LATE_CREDIT). */
  evaluation: EvaluationWeights;
  live: LiveUpdatesConfig;
}

export interface LiveUpdatesConfig {
  /** Where processes tell each other of changes: the database's change feed table, or Redis pub/sub. */
  feed: 'database' | 'redis';
  redisUrl: string | null;
  pollMs: number;
  retentionMs: number;
  authRecheckMs: number;
  /** Per WebSocket connection; 0 turns the WebSocket endpoint off. */
  maxSubscriptions: number;
}

export type RateLimitStore = 'memory' | 'database' | 'redis';

export interface RateLimitConfig {
  perMinute: number;
  burst: number;
  /** Failed authentications per address per window before 429; 0 = no limit. */
  authFailures: number;
  authWindowSeconds: number;
  /** Where the counters live (default: redis with REDIS_URL, else the database when it is a server, else memory). */
  store: RateLimitStore;
  redisUrl: string | null;
}

export interface HttpConfig {
  trustProxy: TrustProxy;
  /** Origins allowed cross-origin access (CORS_ORIGINS); empty: none. */
  corsOrigins: OriginRule[];
  /** PUBLIC_BASE_PATH: '' or a prefix such as `/pilothub` (leading slash, no trailing slash). */
  publicBasePath: string;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0: no cap. */
  maxConnectionsPerAddress: number;
}

export interface JwtConfig {
  issuer: string;
  audience: string;
  /** Exactly one of jwksUrl and secret is set. */
  jwksUrl: string | null;
  secret: string | null;
  roleClaim: string;
  departmentsClaim: string;
  clockToleranceSeconds: number;
  /** Tokens whose `exp` lies further than this after their `iat` (or after now) are refused. */
  maxLifetimeSeconds: number;
}

export interface AuthConfig {
  adminKey: string | null;
  anonymousRead: boolean;
  metricsPublic: boolean;
  /** METRICS_SCRAPE_KEY: reads /metrics only; null when unset. */
  metricsScrapeKey: string | null;
  jwt: JwtConfig | null;
}

/** Limits and switches of the GraphQL endpoint (GRAPHQL_* settings). */
export interface GraphQLLimits {
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  maxCost: number;
  /** MAX_QUERY_ROWS: estimated rows the analytics fields of one operation may read. */
  maxQueryRows: number;
  timeoutMs: number;
  introspection: boolean;
  fieldSuggestions: boolean;
  /** 0: batched requests are refused. */
  maxBatch: number;
  maxBodyBytes: number;
}

/** An error that stops start-up, reported as one line without a stack (a setting, an unreachable database). */
export class StartupError extends Error {}

export class ConfigError extends StartupError {}

/**
 * Why `what` (demo mode, `seed --demo`) may not run with this configuration: demo data in a production hub is
 * refused unless PILOTHUB_DEMO_IN_PRODUCTION=true says it is meant. Null when allowed.
 */
export function demoRefusal(config: Pick<HubConfig, 'production' | 'demo'>, what: string): string | null {
  if (!config.production || config.demo.allowInProduction) return null;
  return (
    `${what} with NODE_ENV=production: demo mode and the demo seed put demo connectors, keys and values into the ` +
    'database. Unset PILOTHUB_DEMO (production seeds reference data only), or set PILOTHUB_DEMO_IN_PRODUCTION=true ' +
    'for a deliberate demonstration'
  );
}

export function databaseConfigFromUrl(url: string | undefined, sqlitePath: string, poolSize = 10): DatabaseConfig {
  if (!url) {
    const location = sqlitePath === ':memory:' ? sqlitePath : path.resolve(sqlitePath);
    return { kind: 'sqlite', location, poolSize: 1 };
  }
  const kind: DatabaseKind = url.startsWith('mariadb://') ? 'mariadb' : 'mysql';
  return { kind, location: url, poolSize };
}

/** Settings that are valid one by one but not together: each refusal names the settings concerned. */
function checkCombinations(env: z.infer<typeof environmentSchema>): void {
  if (env.DEFAULT_PAGE_SIZE > env.MAX_PAGE_SIZE) {
    throw new ConfigError('invalid configuration: DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE');
  }
  const jwtGiven = [env.JWT_ISSUER, env.JWT_AUDIENCE, env.JWT_JWKS_URL, env.JWT_SECRET].some((value) => value !== undefined);
  if (jwtGiven) {
    if (!env.JWT_ISSUER) throw new ConfigError('invalid configuration: JWT_ISSUER is required when JWT verification is configured');
    if (!env.JWT_AUDIENCE) throw new ConfigError('invalid configuration: JWT_AUDIENCE is required when JWT verification is configured');
    if ((env.JWT_JWKS_URL === undefined) === (env.JWT_SECRET === undefined)) {
      throw new ConfigError('invalid configuration: JWT_JWKS_URL or JWT_SECRET: give exactly one of them');
    }
  }
  const keys = env.SECRETS_KEYS ?? [];
  if (env.NODE_ENV === 'production' && keys.length === 0) {
    throw new ConfigError(
      'invalid configuration: SECRETS_KEYS is required with NODE_ENV=production (connector secrets are encrypted with it; ' +
        'a production hub never generates a key file): set SECRETS_KEYS=<id>:<32 bytes in base64>, e.g. "k1:$(openssl rand -base64 32)", ' +
        'and keep it with the database backups',
    );
  }
  if (env.SECRETS_ACTIVE_KEY_ID !== undefined && !keys.some((key) => key.id === env.SECRETS_ACTIVE_KEY_ID)) {
    throw new ConfigError(`invalid configuration: SECRETS_ACTIVE_KEY_ID: "${env.SECRETS_ACTIVE_KEY_ID}" is not a key id of SECRETS_KEYS`);
  }
  if (env.RATE_LIMIT_STORE === 'redis' && !env.REDIS_URL) throw new ConfigError('invalid configuration: RATE_LIMIT_STORE=redis needs REDIS_URL');
  if ([env.EVALUATION_WEIGHT_TASKS, env.EVALUATION_WEIGHT_MODELS, env.EVALUATION_WEIGHT_FRESHNESS, env.EVALUATION_WEIGHT_QUALITY].every((weight) => weight === 0)) {
    throw new ConfigError('invalid configuration: EVALUATION_WEIGHT_TASKS, _MODELS, _FRESHNESS and _QUALITY must not all be 0');
  }
  if (env.LIVE_UPDATES_FEED === 'redis' && !env.REDIS_URL) throw new ConfigError('invalid configuration: LIVE_UPDATES_FEED=redis needs REDIS_URL');
  if (env.HTTP_HEADERS_TIMEOUT_SECONDS > env.HTTP_REQUEST_TIMEOUT_SECONDS) {
    throw new ConfigError('invalid configuration: HTTP_HEADERS_TIMEOUT_SECONDS must not exceed HTTP_REQUEST_TIMEOUT_SECONDS');
  }
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
  checkCombinations(env);
  const jwtGiven = [env.JWT_ISSUER, env.JWT_AUDIENCE, env.JWT_JWKS_URL, env.JWT_SECRET].some((value) => value !== undefined);
  const keys = env.SECRETS_KEYS ?? [];
  const database = databaseConfigFromUrl(env.DATABASE_URL, env.SQLITE_PATH, env.DATABASE_POOL_SIZE);
  const production = env.NODE_ENV === 'production';
  const demo = {
    // Production never turns demo mode on by default; PILOTHUB_DEMO=true there is refused below unless allowed.
    enabled: env.PILOTHUB_DEMO ? env.PILOTHUB_DEMO === 'true' : !env.DATABASE_URL && !production,
    feedsPort: env.DEMO_FEEDS_PORT,
    allowInProduction: env.PILOTHUB_DEMO_IN_PRODUCTION === 'true',
  };
  const refusal = demo.enabled ? demoRefusal({ production, demo }, 'PILOTHUB_DEMO=true') : null;
  if (refusal) throw new ConfigError(`invalid configuration: ${refusal}`);
  const defaultKeyFile =
    database.kind !== 'sqlite' ? path.resolve('data', 'pilothub.secret-key') : database.location === ':memory:' ? null : path.join(path.dirname(database.location), 'pilothub.secret-key');
  return {
    database,
    port: env.PORT,
    host: env.HOST,
    shutdownDelayMs: Math.round(env.SHUTDOWN_DELAY_SECONDS * 1000),
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
      progressLogMs: Math.round(env.RUN_PROGRESS_LOG_SECONDS * 1000),
      minScheduleIntervalMs: env.MIN_SCHEDULE_MINUTES * 60_000,
    },
    demo,
    rateLimit: {
      perMinute: env.RATE_LIMIT_PER_MINUTE,
      burst: env.RATE_LIMIT_BURST,
      authFailures: env.RATE_LIMIT_AUTH_FAILURES,
      authWindowSeconds: env.RATE_LIMIT_AUTH_WINDOW_SECONDS,
      store: env.RATE_LIMIT_STORE ?? (env.REDIS_URL ? 'redis' : database.kind === 'sqlite' ? 'memory' : 'database'),
      redisUrl: env.REDIS_URL ?? null,
    },
    http: {
      trustProxy: env.TRUST_PROXY,
      corsOrigins: env.CORS_ORIGINS,
      publicBasePath: env.PUBLIC_BASE_PATH,
      headersTimeoutMs: Math.round(env.HTTP_HEADERS_TIMEOUT_SECONDS * 1000),
      requestTimeoutMs: Math.round(env.HTTP_REQUEST_TIMEOUT_SECONDS * 1000),
      keepAliveTimeoutMs: Math.round(env.HTTP_KEEP_ALIVE_TIMEOUT_SECONDS * 1000),
      maxConnectionsPerAddress: env.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
    },
    log: { level: env.LOG_LEVEL, pretty: (env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty')) === 'pretty' },
    production,
    allowNewerSchema: env.ALLOW_NEWER_SCHEMA === 'true',
    live: {
      feed: env.LIVE_UPDATES_FEED ?? (env.REDIS_URL ? 'redis' : 'database'),
      redisUrl: env.REDIS_URL ?? null,
      pollMs: env.LIVE_UPDATES_POLL_MS,
      retentionMs: env.LIVE_UPDATES_RETENTION_SECONDS * 1000,
      authRecheckMs: Math.round(env.LIVE_UPDATES_AUTH_RECHECK_SECONDS * 1000),
      maxSubscriptions: env.LIVE_UPDATES_MAX_SUBSCRIPTIONS,
    },
    auth: {
      adminKey: env.PILOTHUB_ADMIN_KEY ?? null,
      anonymousRead: env.ANONYMOUS_READ === 'true',
      metricsPublic: env.METRICS_PUBLIC === 'true',
      metricsScrapeKey: env.METRICS_SCRAPE_KEY ?? null,
      jwt: jwtGiven
        ? {
            issuer: env.JWT_ISSUER!,
            audience: env.JWT_AUDIENCE!,
            jwksUrl: env.JWT_JWKS_URL ?? null,
            secret: env.JWT_SECRET ?? null,
            roleClaim: env.JWT_ROLE_CLAIM,
            departmentsClaim: env.JWT_DEPARTMENTS_CLAIM,
            clockToleranceSeconds: env.JWT_CLOCK_TOLERANCE_SECONDS,
            maxLifetimeSeconds: env.JWT_MAX_LIFETIME_SECONDS,
          }
        : null,
    },
    graphql: {
      maxDepth: env.GRAPHQL_MAX_DEPTH,
      maxAliases: env.GRAPHQL_MAX_ALIASES,
      maxDirectives: env.GRAPHQL_MAX_DIRECTIVES,
      maxTokens: env.GRAPHQL_MAX_TOKENS,
      maxCost: env.GRAPHQL_MAX_COST,
      maxQueryRows: env.MAX_QUERY_ROWS,
      timeoutMs: Math.round(env.GRAPHQL_TIMEOUT_SECONDS * 1000),
      introspection: env.GRAPHQL_INTROSPECTION === 'true',
      fieldSuggestions: (env.GRAPHQL_FIELD_SUGGESTIONS ?? (env.NODE_ENV === 'production' ? 'false' : 'true')) === 'true',
      maxBatch: env.GRAPHQL_MAX_BATCH,
      maxBodyBytes: env.GRAPHQL_MAX_BODY_KB * 1024,
    },
    secrets: {
      keys,
      activeKeyId: env.SECRETS_ACTIVE_KEY_ID ?? keys[0]?.id ?? null,
      keyFile: env.SECRETS_KEY_FILE ? path.resolve(env.SECRETS_KEY_FILE) : defaultKeyFile,
    },
    outbound: { allowedHosts: env.CONNECTOR_ALLOWED_HOSTS ?? [], allowPrivateNetworks: env.CONNECTOR_ALLOW_PRIVATE_NETWORKS === 'true' },
    evaluation: {
      tasks: env.EVALUATION_WEIGHT_TASKS,
      models: env.EVALUATION_WEIGHT_MODELS,
      freshness: env.EVALUATION_WEIGHT_FRESHNESS,
      quality: env.EVALUATION_WEIGHT_QUALITY,
      lateCredit: env.EVALUATION_LATE_CREDIT,
    },
  };
}
