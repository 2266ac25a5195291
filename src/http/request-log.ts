import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { boundErrorFields, serializeRequest, withLogContext } from '../observability/logger';
import type { HubMetrics } from '../observability/metrics';
import { requestLog } from '../observability/request-log';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/**
 * One request line per request and its duration in the metrics, by route. Every request gets an id (the
 * caller's X-Request-Id when sane), sent back in X-Request-Id and carried by every log line written for it.
 */
export function requestLogging(logger: Logger, metrics: HubMetrics): RequestHandler[] {
  const log = requestLog({
    logger,
    genReqId: (request, response) => {
      const given = request.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      response.setHeader('x-request-id', id);
      return id;
    },
    ignore: (request) => request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics',
    // Refusals that are counted rather than logged (repeated failed authentications, rate-limited requests)
    // write no request line either.
    customLogLevel: (_request, response, error) =>
      (response as unknown as { locals?: { quietLog?: boolean } }).locals?.quietLog
        ? 'silent'
        : error || response.statusCode >= 500
          ? 'error'
          : response.statusCode >= 400
            ? 'warn'
            : 'info',
    // Credentials sent in a query string are redacted; errors are bounded (SQL text and parameters).
    serializers: { req: serializeRequest, err: boundErrorFields },
  });
  const timeAndContext: RequestHandler = (request, response, next) => {
    const started = performance.now();
    response.on('finish', () => {
      const route = request.route?.path ? `${request.baseUrl}${String(request.route.path)}` : request.baseUrl || request.path.split('/').slice(0, 2).join('/') || '/';
      metrics.httpDuration.observe({ method: request.method, route, status: String(response.statusCode) }, (performance.now() - started) / 1000);
    });
    withLogContext({ requestId: String(request.id) }, next);
  };
  return [log, timeAndContext];
}
