import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from './principal';

/** Requests allowed per caller; 0 turns a limit off. */
export interface RateLimitSettings {
  /** Requests per key per minute (fixed one-minute windows). */
  perMinute: number;
  /** Requests per key per second (fixed one-second windows): caps bursts within the minute. */
  burst: number;
}

/** Which limit refused a request, as counted in the metrics. */
export type RateLimitName = 'minute' | 'burst';

/**
 * Who a request is counted against: the authenticated principal (set on `response.locals.principal` by the
 * authentication middleware, which runs first), or the client's address when there is none (or it is the
 * shared `anonymous` principal, which would otherwise put every unauthenticated caller in one bucket).
 */
export function rateLimitKey(request: Request, response: Response): string {
  const subject = (response.locals.principal as Principal | undefined)?.subject;
  if (subject && subject !== 'anonymous') return `subject:${subject}`;
  return `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
}

function seconds(milliseconds: number): number {
  return Math.max(1, Math.ceil(milliseconds / 1000));
}

/**
 * Express middleware limiting requests per caller (see {@link rateLimitKey}). Mount the one instance the hub
 * creates on every endpoint that does work (GraphQL, push, downloads); never on health, readiness or metrics.
 * Counters live in this process's memory: each instance behind a load balancer limits on its own.
 *
 * Allowed requests carry `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds) of the
 * per-minute limit; a refused one gets HTTP 429, `Retry-After` in whole seconds and a GraphQL-shaped error
 * with `extensions.code` RATE_LIMITED.
 */
export function createRateLimit(settings: RateLimitSettings, options: { onLimited?: (limit: RateLimitName) => void } = {}): RequestHandler {
  const limiters: Array<{ name: RateLimitName; points: number; limiter: RateLimiterMemory }> = [];
  if (settings.burst > 0) limiters.push({ name: 'burst', points: settings.burst, limiter: new RateLimiterMemory({ keyPrefix: 'burst', points: settings.burst, duration: 1 }) });
  if (settings.perMinute > 0) limiters.push({ name: 'minute', points: settings.perMinute, limiter: new RateLimiterMemory({ keyPrefix: 'minute', points: settings.perMinute, duration: 60 }) });
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
          // The store failed (never for the in-memory one): serve rather than refuse everyone.
          next();
          return;
        }
        const retryAfter = seconds(refusal.msBeforeNext);
        options.onLimited?.(name);
        response.setHeader('retry-after', String(retryAfter));
        response.setHeader('ratelimit-limit', String(points));
        response.setHeader('ratelimit-remaining', '0');
        response.setHeader('ratelimit-reset', String(retryAfter));
        const window = name === 'minute' ? 'minute' : 'second';
        response.status(429).json({
          errors: [
            {
              message: `rate limit exceeded: at most ${points} requests per ${window} for this caller; retry in ${retryAfter} s`,
              extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
            },
          ],
        });
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
