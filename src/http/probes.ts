import express, { type RequestHandler, type Response, type Router } from 'express';
import { Gauge } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { HubConfig } from '../config';
import type { HubMetrics } from '../observability/metrics';
import { openMetricsAccess } from '../observability/metrics-access';
import { readiness } from '../observability/readiness';

export interface Probes {
  /** /healthz, /readyz and /metrics when it is open (public, or the scrape key): no credentials needed. */
  router: Router;
  /** Answers /metrics (the administrators' route is mounted after authentication). */
  serveMetrics: RequestHandler;
  /** /readyz answers 503 from now on, those under way included. */
  markNotReady(): void;
}

/** Liveness, readiness and metrics, served before authentication. */
export function probes(options: {
  dataSource: DataSource;
  config: HubConfig;
  metrics: HubMetrics;
  schedulerRunning?: () => boolean;
  /** The configured secrets keys: /readyz reports connectors whose secrets need another one (degraded). */
  secretKeyIds?: readonly string[];
}): Probes {
  const { metrics } = options;
  const router = express.Router();
  const readinessOptions = {
    schedulerRunning: options.schedulerRunning ?? (() => true),
    secretKeyIds: options.secretKeyIds,
    allowNewerSchema: options.config.allowNewerSchema,
  };
  router.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  // Shutting down: the balancer must stop sending here, at once; the process still serves what it is sent meanwhile.
  let notReady = false;
  const shuttingDown = (response: Response) => response.status(503).json({ status: 'shutting down' });
  /** Readiness checks under way (under load they take a while): answered 503 the moment the shutdown begins. */
  const checking = new Set<Response>();
  router.get('/readyz', async (_request, response) => {
    if (notReady) {
      shuttingDown(response);
      return;
    }
    checking.add(response);
    try {
      const result = await readiness(options.dataSource, readinessOptions);
      if (response.headersSent) return;
      // Degraded is still ready (200): a balancer keeps sending, monitoring reads the status and the checks.
      response.status(result.ready ? 200 : 503).json({ status: result.status, checks: result.checks });
    } finally {
      checking.delete(response);
    }
  });
  // What /readyz would answer, as a series: scraped per instance, it feeds the "hub not ready" alert.
  new Gauge({
    name: 'pilothub_ready',
    help: 'Whether this instance is ready (what /readyz answers): 1 ready, 0 not ready or shutting down; per check with the check label.',
    labelNames: ['check'] as const,
    registers: [metrics.registry],
    async collect() {
      const result = await readiness(options.dataSource, readinessOptions);
      this.reset();
      this.set({ check: 'all' }, result.ready && !notReady ? 1 : 0);
      this.set({ check: 'shutdown' }, notReady ? 0 : 1);
      for (const [name, check] of Object.entries(result.checks)) this.set({ check: name }, check.ok ? 1 : 0);
    },
  });
  const serveMetrics: RequestHandler = async (_request, response) => {
    response.setHeader('content-type', metrics.registry.contentType);
    response.end(await metrics.registry.metrics());
  };
  const { auth } = options.config;
  router.get('/metrics', openMetricsAccess({ metricsPublic: auth.metricsPublic, scrapeKey: auth.metricsScrapeKey }, serveMetrics));
  return {
    router,
    serveMetrics,
    markNotReady() {
      notReady = true;
      for (const response of checking) if (!response.headersSent) shuttingDown(response);
    },
  };
}
