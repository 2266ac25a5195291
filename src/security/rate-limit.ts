import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterMySQL, RateLimiterRedis, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { ioredis } from '../common/lazy-modules';
import type { RateLimitStore } from '../config';
import { isSqlite } from '../database/sql-dialect';
import type { Principal } from './principal';

/** Requests allowed per caller; 0 turns a limit off. */
export interface RateLimitSettings {
  /** Requests per key per minute (fixed one-minute windows). */
  perMinute: number;
  /** Requests per key per second (fixed one-second windows): caps bursts within the minute. */
  burst: number;
}

/** Which limit refused a request, as counted in the metrics. */
export type RateLimitName = 'minute' | 'burst' | 'authentication';

/** One fixed-window limit: `points` per `duration` seconds per key. */
export interface LimitOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * Where rate-limit counters live. `memory`: this process. `database`: the `rate_limit_counter` table, one atomic
 * upsert per counted request, shared by every process on the database. `redis`: a Redis server (one script call
 * per counted request). A shared store that fails falls back to this process's memory until it answers again.
 */
/** How long a starting hub waits for Redis before serving with in-memory counters (until Redis answers). */
const REDIS_READY_WAIT_MS = 5_000;

export class LimiterStore {
  private constructor(
    readonly kind: RateLimitStore,
    private readonly make: (options: LimitOptions) => RateLimiterAbstract,
    private readonly release: () => Promise<void> = async () => undefined,
    /** Resolves once the store can count (or it is given up on: requests are then counted in memory meanwhile). */
    readonly whenReady: () => Promise<void> = async () => undefined,
  ) {}

  static memory(): LimiterStore {
    return new LimiterStore('memory', (options) => new RateLimiterMemory(options));
  }

  static open(kind: RateLimitStore, dataSource: DataSource, redisUrl: string | null): LimiterStore {
    const insured = (options: LimitOptions) => ({ ...options, insuranceLimiter: new RateLimiterMemory(options) });
    if (kind === 'redis') {
      if (!redisUrl) throw new Error('RATE_LIMIT_STORE=redis needs REDIS_URL');
      // No offline queue: while Redis is away a request is counted in memory at once, never held.
      const client = new (ioredis().Redis)(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
      client.on('error', () => undefined);
      return new LimiterStore(
        'redis',
        (options) => new RateLimiterRedis({ ...insured(options), keyPrefix: `pilothub:${options.keyPrefix}`, storeClient: client }),
        async () => {
          await client.quit().catch(() => client.disconnect());
        },
        // The hub serves only once Redis answers (or after REDIS_READY_WAIT_MS): a request counted in memory before
        // the connection is up is not seen by the other processes, so their combined limit would not hold.
        () =>
          client.status === 'ready'
            ? Promise.resolve()
            : new Promise<void>((resolve) => {
                const done = () => {
                  clearTimeout(timer);
                  client.off('ready', done);
                  resolve();
                };
                const timer = setTimeout(done, REDIS_READY_WAIT_MS);
                client.once('ready', done);
              }),
      );
    }
    if (kind === 'database') {
      const driver = dataSource.driver as unknown as { pool?: unknown; database?: string; databaseConnection?: unknown };
      const table = { tableName: 'rate_limit_counter', tableCreated: true };
      if (isSqlite(dataSource)) {
        return new LimiterStore('database', (options) => new RateLimiterSQLite({ ...insured(options), ...table, storeClient: driver.databaseConnection, storeType: 'better-sqlite3' }));
      }
      return new LimiterStore('database', (options) => new RateLimiterMySQL({ ...insured(options), ...table, storeClient: driver.pool, storeType: 'pool', dbName: driver.database }));
    }
    return LimiterStore.memory();
  }

  limiter(options: LimitOptions): RateLimiterAbstract {
    return this.make(options);
  }

  close(): Promise<void> {
    return this.release();
  }
}

/** A counter key the stores accept (the table's key holds 255 characters): long callers are hashed. */
function storeKey(caller: string): string {
  return caller.length <= 200 ? caller : `sha256:${createHash('sha256').update(caller).digest('hex')}`;
}

const IP = Symbol('request.ip');

/**
 * `request.ip`, read once per request: express computes it anew on every read (parsing X-Forwarded-For against
 * TRUST_PROXY), and authentication, rate limits, the GraphQL context and audit records all ask for it.
 */
export function requestIp(request: Request): string | undefined {
  const cached = request as Request & { [IP]?: { ip: string | undefined } };
  // Without X-Forwarded-For, whatever TRUST_PROXY says, express's answer is the TCP peer's address.
  return (cached[IP] ??= { ip: request.headers['x-forwarded-for'] === undefined ? request.socket.remoteAddress : request.ip }).ip;
}

/** The client address of a request: the forwarded one when TRUST_PROXY trusts the proxy, else the TCP peer's. */
export function clientAddress(request: Request): string {
  return requestIp(request) ?? request.socket.remoteAddress ?? 'unknown';
}

/**
 * Who a request is counted against: the authenticated principal (set on `response.locals.principal` by the
 * authentication middleware, which runs first), or the client's address when there is none (or it is the
 * shared `anonymous` principal, which would otherwise put every unauthenticated caller in one bucket).
 */
export function rateLimitKey(request: Request, response: Response): string {
  const subject = (response.locals.principal as Principal | undefined)?.subject;
  if (subject && subject !== 'anonymous') return storeKey(`subject:${subject}`);
  return `ip:${clientAddress(request)}`;
}

function seconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000));
}

/** Answers 429 with Retry-After and a GraphQL-shaped RATE_LIMITED error. */
export function refuseRateLimited(response: Response, message: string, retryAfter: number): void {
  response.setHeader('retry-after', String(retryAfter));
  response.status(429).json({ errors: [{ message, extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter } }] });
}

/**
 * Express middleware limiting requests per caller (see {@link rateLimitKey}). Mount the one instance the hub
 * creates on every endpoint that does work (GraphQL, push, downloads); never on health, readiness or metrics.
 * Counters live in `options.store` (default: this process's memory).
 *
 * Allowed requests carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) of the
 * per-minute limit; a refused one gets HTTP 429, `Retry-After` in whole seconds and a GraphQL-shaped error
 * with `extensions.code` RATE_LIMITED. Only the first refusal of a window is logged (`response.locals.quietLog`
 * silences the request log line of the others).
 */
export function createRateLimit(
  settings: RateLimitSettings,
  options: { onLimited?: (limit: RateLimitName) => void; store?: LimiterStore } = {},
): RequestHandler {
  const store = options.store ?? LimiterStore.memory();
  const limiters: Array<{ name: RateLimitName; points: number; limiter: RateLimiterAbstract }> = [];
  if (settings.burst > 0) limiters.push({ name: 'burst', points: settings.burst, limiter: store.limiter({ keyPrefix: 'burst', points: settings.burst, duration: 1 }) });
  if (settings.perMinute > 0) limiters.push({ name: 'minute', points: settings.perMinute, limiter: store.limiter({ keyPrefix: 'minute', points: settings.perMinute, duration: 60 }) });
  if (limiters.length === 0) return (_request, _response, next) => next();
  // Headers describe the per-minute limit when there is one (the one callers plan against).
  const reported = limiters[limiters.length - 1];

  return async (request: Request, response: Response, next: NextFunction) => {
    const key = rateLimitKey(request, response);
    for (const { name, points, limiter } of limiters) {
      let state: RateLimiterRes;
      try {
        state = await limiter.consume(key);
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) {
          // The store and its in-memory insurance failed: serve rather than refuse everyone.
          next();
          return;
        }
        const retryAfter = seconds(refusal.msBeforeNext);
        options.onLimited?.(name);
        if (refusal.consumedPoints > points + 1) response.locals.quietLog = true;
        response.setHeader('ratelimit-limit', String(points));
        response.setHeader('ratelimit-remaining', '0');
        response.setHeader('ratelimit-reset', String(retryAfter));
        const window = name === 'minute' ? 'minute' : 'second';
        refuseRateLimited(response, `rate limit exceeded: at most ${points} requests per ${window} for this caller; retry in ${retryAfter} s`, retryAfter);
        return;
      }
      if (limiter === reported.limiter) {
        response.setHeader('ratelimit-limit', String(points));
        response.setHeader('ratelimit-remaining', String(state.remainingPoints));
        response.setHeader('ratelimit-reset', String(seconds(state.msBeforeNext)));
      }
    }
    next();
  };
}

/** What counting one failed authentication decided. */
export interface FailureVerdict {
  /** The address is over its allowance: answer 429 (and neither log nor audit). */
  limited: boolean;
  retryAfterSeconds: number;
  /** The first failure of the address's window: the one that is logged. */
  first: boolean;
}

/** Most addresses remembered as blocked in this process (their entries expire with their windows). */
const MAX_BLOCKED_ADDRESSES = 100_000;

/**
 * Failed authentications per client address (RATE_LIMIT_AUTH_FAILURES per RATE_LIMIT_AUTH_WINDOW_SECONDS),
 * counted in the shared store. Past the allowance the address is answered 429 until its window ends: this process
 * then refuses it before looking its credentials up (no statement, no log line, no audit row per request).
 */
export class AuthenticationFailures {
  private readonly limiter: RateLimiterAbstract | null;
  private readonly blockedUntil = new Map<string, number>();

  constructor(
    store: LimiterStore,
    readonly points: number,
    readonly windowSeconds: number,
  ) {
    this.limiter = points > 0 ? store.limiter({ keyPrefix: 'auth', points, duration: windowSeconds }) : null;
  }

  /** Whether failures are limited at all (RATE_LIMIT_AUTH_FAILURES > 0). */
  get limiterOn(): boolean {
    return this.limiter !== null;
  }

  /** Seconds `address` must still wait, as far as this process knows; 0 when it is not blocked. */
  blocked(address: string, now = Date.now()): number {
    const until = this.blockedUntil.get(address);
    if (until === undefined) return 0;
    if (until <= now) {
      this.blockedUntil.delete(address);
      return 0;
    }
    return seconds(until - now);
  }

  /** Counts one failed authentication from `address`. */
  async fail(address: string): Promise<FailureVerdict> {
    if (!this.limiter) return { limited: false, retryAfterSeconds: 0, first: true };
    let state: RateLimiterRes;
    try {
      state = await this.limiter.consume(`ip:${address}`);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) return { limited: false, retryAfterSeconds: 0, first: false };
      this.block(address, Date.now() + refusal.msBeforeNext);
      return { limited: true, retryAfterSeconds: seconds(refusal.msBeforeNext), first: false };
    }
    return { limited: false, retryAfterSeconds: 0, first: state.consumedPoints === 1 };
  }

  private block(address: string, until: number): void {
    if (this.blockedUntil.size >= MAX_BLOCKED_ADDRESSES) {
      const now = Date.now();
      for (const [known, end] of this.blockedUntil) if (end <= now) this.blockedUntil.delete(known);
      if (this.blockedUntil.size >= MAX_BLOCKED_ADDRESSES) this.blockedUntil.delete(this.blockedUntil.keys().next().value!);
    }
    this.blockedUntil.set(address, until);
  }

  /** Answers a blocked address. */
  refuse(response: Response, retryAfter: number): void {
    response.locals.quietLog = true;
    refuseRateLimited(
      response,
      `too many failed authentications from this address: at most ${this.points} per ${this.windowSeconds} s; retry in ${retryAfter} s`,
      retryAfter,
    );
  }
}
