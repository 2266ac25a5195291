import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { HubConfig } from './config';
import { RequestLoaders, type ConnectorOperations, type HubContext } from './graphql/context';
import { exportRouter } from './analytics/export-endpoint';
import { AnalyticsCatalogue } from './analytics/volume';
import { ingestRouter } from './http/ingest-endpoint';
import { progressReportRouter } from './modules/progress/report-endpoint';
import { createErrorFormatter } from './graphql/errors';
import { batchLimit, boundStatementsByDeadline, deadlineScope, limitOptions, requestErrorHandler, suggestionsRemover, verifyUtf8, withDeadlines } from './graphql/limits';
import { buildHubSchema } from './graphql/schema';
import { boundErrorFields, serializeRequest, withLogContext } from './observability/logger';
import { requestLog } from './observability/request-log';
import type { HubMetrics } from './observability/metrics';
import { adminMetricsAccess, openMetricsAccess } from './observability/metrics-access';
import { readiness } from './observability/readiness';
import { onAuditWriteFailure } from './security/audit';
import { auditRequests } from './security/audit-http';
import { auditPlugin } from './security/audit-plugin';
import { authenticationMiddleware, Authenticator, principalOf } from './security/authentication';
import type { Principal } from './security/principal';
import { AuthenticationFailures, createRateLimit, LimiterStore } from './security/rate-limit';
import { auditRefusedWrites } from './security/refusal-audit';
import { limitConnectionsPerAddress, securityHeaders } from './http/hardening';

export interface Hub {
  url: string;
  port: number;
  /**
   * First step of a shutdown: /readyz answers 503 from now on, so load balancers take this process out of
   * rotation, while everything else is still accepted and served as before.
   */
  markNotReady(): void;
  /** Stops accepting connections and drains the requests in flight. */
  stop(): Promise<void>;
}

export interface HubOptions {
  logger: Logger;
  metrics: HubMetrics;
  /** Where unexpected errors are reported. */
  reportError: (error: unknown) => void;
  /** Connector registry and runs; without them the connector API answers SERVICE_UNAVAILABLE. */
  connectors?: ConnectorOperations;
  /** Whether the schedules of this process run (reported by /readyz). */
  schedulerRunning?: () => boolean;
  /** Resolves the caller of each request; default: API keys (and JWTs, if configured) on this database. */
  authenticator?: Authenticator;
}

/** Largest body accepted by the push endpoint. */
const MAX_PUSH_BODY_BYTES = 20 * 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Times each GraphQL operation by name and type. */
function operationMetrics(metrics: HubMetrics): ApolloServerPlugin<HubContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(request) {
          metrics.graphqlDuration.observe(
            { operation: request.operationName ?? 'anonymous', type: request.operation?.operation ?? 'invalid' },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}

/**
 * Every GraphQL response is `Cache-Control: no-store` (answers depend on the caller's credentials). This is what
 * Apollo's default cache-control plugin sends when no field declares a cache hint, and none does; that plugin
 * is disabled because it also hooks every field of every operation to collect hints.
 */
function noStore(): ApolloServerPlugin<HubContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          response.http.headers.set('cache-control', 'no-store');
        },
      };
    },
  };
}

/** Starts the HTTP server with the GraphQL endpoint on an open database. */
export async function startHub(config: HubConfig, dataSource: DataSource, options: HubOptions): Promise<Hub> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: hashing every response body costs time on each request, and GraphQL answers and downloads are no-store.
  app.set('etag', false);
  // Which forwarded address is the client's (request.ip, hence audit records and rate limits) and whether the
  // request came over https (request.secure, hence HSTS).
  app.set('trust proxy', config.http.trustProxy);
  // Slow clients are cut off: headers within HTTP_HEADERS_TIMEOUT_SECONDS, the whole request within
  // HTTP_REQUEST_TIMEOUT_SECONDS, both checked every second (Node's default check runs every 30 s). Idle keep-alive
  // connections outlive the clients' and balancers' pools (Node's 5 s default races them: a reset request).
  const httpServer = http.createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      keepAliveTimeout: config.http.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  limitConnectionsPerAddress(httpServer, config.http.maxConnectionsPerAddress, app.get('trust proxy fn') as (address: string, hop: number) => boolean);
  app.use(securityHeaders(config));
  const { reportError, metrics } = options;
  const formatError = createErrorFormatter(reportError);
  // Depth, alias, directive, token, cost and volume limits, introspection, suggestions, batching, CSRF, deadline.
  // The volume limit measures analytics requests against a snapshot of the catalogue taken now, so it sends no SQL.
  const { plugin: limitsPlugin, ...limits } = limitOptions(config, await AnalyticsCatalogue.load(dataSource));
  const removeSuggestions = suggestionsRemover(config.graphql);
  boundStatementsByDeadline(dataSource);
  // A lost audit record is logged and counted; it never turns the action it describes into an error.
  onAuditWriteFailure(dataSource, (error, events) => {
    options.logger.error({ err: error, events: events.length, actions: events.slice(0, 10).map((event) => event.action) }, 'audit event could not be stored');
    metrics.auditWriteFailures.inc(events.length);
  });
  const schema = withDeadlines(await buildHubSchema());
  const server = new ApolloServer<HubContext>({
    ...limits,
    schema,
    formatError: (formatted, error) => {
      const result = removeSuggestions(formatError(formatted, error));
      metrics.graphqlErrors.inc({ code: String(result.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
      return result;
    },
    // GRAPHQL_INTROSPECTION is enforced by the hub's own validation rule (its error names the setting).
    introspection: true,
    // The process owns shutdown order: HTTP first, then the database.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginCacheControlDisabled(), noStore(), operationMetrics(metrics), limitsPlugin, auditPlugin()],
  });
  await server.start();

  // Shutdown: responses sent from the moment stop() is called carry `Connection: close`, so keep-alive clients
  // open a new connection (refused once the listener is closed) instead of reusing one the server is about to
  // end. A request read from a connection the server has already ended (a client sent it while the drain was
  // closing that connection) can never be answered: it is dropped before it is logged or executed, so a
  // request the server took is always answered.
  let stopping = false;
  const inFlight = new Set<http.ServerResponse>();
  app.use((request, response, next) => {
    if (request.socket.writableEnded || request.socket.destroyed) {
      request.socket.destroy();
      return;
    }
    if (stopping) {
      response.setHeader('connection', 'close');
    } else {
      inFlight.add(response);
      response.once('close', () => inFlight.delete(response));
    }
    next();
  });

  // A request id for every request (the caller's X-Request-Id when sane), in every log line written for it.
  app.use(
    requestLog({
      logger: options.logger,
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
    }),
  );
  app.use((request, response, next) => {
    const started = performance.now();
    response.on('finish', () => {
      const route = request.route?.path ? `${request.baseUrl}${String(request.route.path)}` : request.baseUrl || request.path.split('/').slice(0, 2).join('/') || '/';
      metrics.httpDuration.observe({ method: request.method, route, status: String(response.statusCode) }, (performance.now() - started) / 1000);
    });
    withLogContext({ requestId: String(request.id) }, next);
  });

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  // Shutting down: the balancer must stop sending here, at once; the process still serves what it is sent meanwhile.
  let notReady = false;
  const shuttingDown = (response: express.Response) => response.status(503).json({ status: 'shutting down' });
  /** Readiness checks under way (under load they take a while): answered 503 the moment the shutdown begins. */
  const checking = new Set<express.Response>();
  app.get('/readyz', async (_request, response) => {
    if (notReady) {
      shuttingDown(response);
      return;
    }
    checking.add(response);
    try {
      const result = await readiness(dataSource, options.schedulerRunning ?? (() => true));
      if (response.headersSent) return;
      response.status(result.ready ? 200 : 503).json({ status: result.ready ? 'ready' : 'not ready', checks: result.checks });
    } finally {
      checking.delete(response);
    }
  });
  const serveMetrics: express.RequestHandler = async (_request, response) => {
    response.setHeader('content-type', metrics.registry.contentType);
    response.end(await metrics.registry.metrics());
  };
  app.get('/metrics', openMetricsAccess({ metricsPublic: config.auth.metricsPublic, scrapeKey: config.auth.metricsScrapeKey }, serveMetrics));

  // Everything below needs credentials (or ANONYMOUS_READ). The Sandbox page itself is static HTML that Apollo
  // serves before any operation runs; the operations it sends carry the headers set in its connection settings.
  const authenticator = options.authenticator ?? new Authenticator(dataSource, config.auth, options.logger);
  const limiterStore = LimiterStore.open(config.rateLimit.store, dataSource, config.rateLimit.redisUrl);
  const failures = new AuthenticationFailures(limiterStore, config.rateLimit.authFailures, config.rateLimit.authWindowSeconds);
  const authenticate = authenticationMiddleware(authenticator, reportError, {
    logger: options.logger,
    failures,
    onLimited: () => metrics.rateLimited.inc({ limit: 'authentication' }),
    onRefused: auditRefusedWrites({ dataSource, schema, maxBodyBytes: config.graphql.maxBodyBytes, maxTokens: config.graphql.maxTokens }),
  });
  app.use((request, response, next) => {
    // The same negotiation Apollo makes: HTML only when preferred to every response type it can send.
    const landingPage =
      request.method === 'GET' &&
      request.path === '/graphql' &&
      request.accepts(['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html']) === 'text/html';
    if (landingPage) next();
    else authenticate(request, response, next);
  });
  app.get('/metrics', adminMetricsAccess(serveMetrics));
  // Every endpoint registered from here on (GraphQL, push, downloads) is rate limited per caller; health,
  // readiness and metrics above are not. Reads response.locals.principal: authentication must run before.
  app.use(createRateLimit(config.rateLimit, { store: limiterStore, onLimited: (limit) => metrics.rateLimited.inc({ limit }) }));
  /** The request context of GraphQL operations and of the downloads that run them. */
  const contextOf = async (req: express.Request): Promise<HubContext> => {
    // Only the Sandbox page passes unauthenticated, and Apollo serves it before any context is built.
    const principal = req.res?.locals.principal as Principal | undefined;
    if (!principal) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    return {
      dataSource,
      config,
      loaders: new RequestLoaders(dataSource),
      principal,
      actor: principal.name,
      requestId: String(req.id),
      clientIp: req.ip,
      connectors: options.connectors,
      apiKeys: authenticator.apiKeys,
    };
  };
  app.use(
    '/graphql',
    express.json({ limit: config.graphql.maxBodyBytes, verify: verifyUtf8 }),
    batchLimit(config.graphql),
    deadlineScope,
    expressMiddleware(server, {
      context: ({ req }) => contextOf(req),
    }),
  );
  app.get(
    '/reports/progress.:format',
    auditRequests({
      dataSource,
      action: 'export.progressReport',
      target: (request) => ({ type: 'report', id: typeof request.query.period === 'string' ? request.query.period.slice(0, 20) : null }),
      details: (request) => ({ format: request.params.format, query: request.query }),
    }),
  );
  app.use(
    progressReportRouter({
      dataSource,
      timeZone: config.timeZone,
      principalOf: (request) => principalOf(request.res!),
      reportError,
    }),
  );
  // CSV downloads of series and aggregates run the same GraphQL operations with the same context.
  app.all(
    '/export/:name',
    auditRequests({
      dataSource,
      action: 'export.analytics',
      target: (request) => ({ type: 'export', id: String(request.params.name).slice(0, 40) }),
      // A POST export carries its arguments in the JSON body (parsed by the export router before it answers).
      details: (request) => ({ method: request.method, query: request.query, ...(request.method === 'POST' ? { arguments: request.body as unknown } : {}) }),
    }),
  );
  app.use(exportRouter({ server, contextOf }));
  if (options.connectors) {
    app.post(
      '/ingest/:connectorId',
      auditRequests({
        dataSource,
        action: 'ingest.push',
        target: (request) => ({ type: 'connector', id: String(request.params.connectorId) }),
        details: (request, body) => {
          const sent = body as { run?: { id?: string; status?: string }; summary?: unknown; error?: { message?: string } } | undefined;
          return { contentType: request.headers['content-type'] ?? null, runId: sent?.run?.id, runStatus: sent?.run?.status, summary: sent?.summary, message: sent?.error?.message };
        },
      }),
    );
    app.use(
      ingestRouter({
        service: options.connectors.service,
        maxBodyBytes: MAX_PUSH_BODY_BYTES,
        reportError,
      }),
    );
  }
  // A path no route serves, unreadable bodies and errors no route answered become JSON errors, never express's
  // HTML page (which would also replace the security headers' CSP with its own).
  app.use((_request, response) => {
    response.status(404).json({ errors: [{ message: 'not found', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use(requestErrorHandler(reportError));

  if (config.auth.adminKey) {
    const outcome = await authenticator.apiKeys.ensureAdminKey(config.auth.adminKey);
    if (outcome === 'revoked') options.logger.warn('PILOTHUB_ADMIN_KEY was revoked and stays revoked; configure a new value to bootstrap again');
    else if (outcome === 'created') options.logger.info('PILOTHUB_ADMIN_KEY registered as an ADMIN API key');
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  function markNotReady(): void {
    notReady = true;
    for (const response of checking) if (!response.headersSent) shuttingDown(response);
  }
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    markNotReady,
    stop: async () => {
      markNotReady();
      stopping = true;
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
      // Stops accepting, waits for the requests in flight (the drain plugin), then stops Apollo.
      await server.stop();
      await limiterStore.close();
    },
  };
}
