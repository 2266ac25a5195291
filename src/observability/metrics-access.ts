/**
 * Who may read GET /metrics. The series name every connector, department and metric, and the traffic of each
 * operation: operational data for administrators and the monitoring system, not for every key holder.
 * - `METRICS_PUBLIC=true`: anyone (a scraper inside a closed network);
 * - `METRICS_SCRAPE_KEY`: a bearer credential that opens /metrics and nothing else (a Prometheus scrape job);
 * - otherwise an authenticated ADMIN; every other role is refused with 403 FORBIDDEN.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Role, type Principal } from '../security/principal';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Whether `authorization` is `Bearer <scrapeKey>` (compared in constant time). */
export function isScrapeKey(scrapeKey: string | null, authorization: string | undefined): boolean {
  if (!scrapeKey || !authorization) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return match !== null && timingSafeEqual(digest(match[1]), digest(scrapeKey));
}

/** Before authentication: serves the public or scrape-key requests, passes every other one on. */
export function openMetricsAccess(options: { metricsPublic: boolean; scrapeKey: string | null }, serve: RequestHandler): RequestHandler {
  return (request, response, next) => {
    if (options.metricsPublic || isScrapeKey(options.scrapeKey, request.headers.authorization)) return serve(request, response, next);
    next();
  };
}

/** After authentication: serves administrators, refuses every other role. */
export function adminMetricsAccess(serve: RequestHandler): RequestHandler {
  return (request, response, next) => {
    const principal = response.locals.principal as Principal | undefined;
    if (principal?.role === Role.ADMIN) return serve(request, response, next);
    response.status(403).json({
      errors: [{ message: `/metrics needs the ADMIN role or the METRICS_SCRAPE_KEY credential, not ${principal?.role ?? 'no role'}`, extensions: { code: 'FORBIDDEN' } }],
    });
  };
}
