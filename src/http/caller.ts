import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { HubConfig } from '../config';
import type { HubMetrics } from '../observability/metrics';
import { authenticationMiddleware, Authenticator } from '../security/authentication';
import { AuthenticationFailures, createRateLimit, LimiterStore } from '../security/rate-limit';
import { auditRefusedWrites } from '../security/refusal-audit';

export interface CallerChecks {
  authenticator: Authenticator;
  /** The rate limiters' counters (closed when the hub stops). */
  limiterStore: LimiterStore;
  /** Failed authentications per client address (subscription connections count theirs here too). */
  failures: AuthenticationFailures;
  /** Puts the caller on `response.locals.principal`, or answers 401/429/503. */
  authenticate: RequestHandler;
  /** Per caller: reads response.locals.principal, so it is mounted after `authenticate`. */
  rateLimit: RequestHandler;
}

/** Authentication (API keys, and JWTs if configured), failed-authentication limits and per-caller rate limits. */
export function callerChecks(
  config: HubConfig,
  dataSource: DataSource,
  options: { logger: Logger; metrics: HubMetrics; reportError: (error: unknown) => void; schema: GraphQLSchema; authenticator?: Authenticator },
): CallerChecks {
  const { metrics } = options;
  const authenticator = options.authenticator ?? new Authenticator(dataSource, config.auth, options.logger);
  const limiterStore = LimiterStore.open(config.rateLimit.store, dataSource, config.rateLimit.redisUrl);
  const failures = new AuthenticationFailures(limiterStore, config.rateLimit.authFailures, config.rateLimit.authWindowSeconds);
  const authenticate = authenticationMiddleware(authenticator, options.reportError, {
    logger: options.logger,
    failures,
    onLimited: () => metrics.rateLimited.inc({ limit: 'authentication' }),
    onRefused: auditRefusedWrites({ dataSource, schema: options.schema, maxBodyBytes: config.graphql.maxBodyBytes, maxTokens: config.graphql.maxTokens }),
  });
  const rateLimit = createRateLimit(config.rateLimit, { store: limiterStore, onLimited: (limit) => metrics.rateLimited.inc({ limit }) });
  return { authenticator, limiterStore, failures, authenticate, rateLimit };
}
