import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import express, { type RequestHandler } from 'express';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { HubConfig } from './config';
import { requestContextValue, type ConnectorOperations, type HubContext } from './graphql/context';
import { AnalyticsCatalogue } from './analytics/volume';
import { createErrorFormatter } from './graphql/errors';
import { apolloHandler } from './graphql/http-handler';
import { requestHooksPlugin, type RequestConcern } from './graphql/request-hooks';
import { boundStatementsByDeadline, deadlineScope, withDeadlines } from './graphql/deadlines';
import { batchLimit, limitOptions, requestErrorHandler, suggestionsRemover, verifyUtf8 } from './graphql/limits';
import { buildHubSchema } from './graphql/schema';
import { callerChecks } from './http/caller';
import { fairTurns } from './http/fair-turns';
import { leanJsonBody } from './http/json-body';
import { basePath, webConsole } from './http/console';
import { crossOriginAccess } from './http/cors';
import { schemaRouter } from './http/schemas';
import { createHttpServer, securityHeaders } from './http/hardening';
import { connectionLifecycle } from './http/lifecycle';
import { probes } from './http/probes';
import { requestLogging } from './http/request-log';
import { sendRestError } from './http/rest/errors';
import { restRouter } from './http/rest';
import type { HubMetrics } from './observability/metrics';
import { adminMetricsAccess } from './observability/metrics-access';
import { onAuditWriteFailure } from './security/audit';
import { auditConcern } from './security/audit-plugin';
import type { Authenticator } from './security/authentication';
import type { Principal } from './security/principal';
import { clientAddress, requestIp } from './security/rate-limit';
import { attachLiveUpdates, detachLiveUpdates, LiveUpdates } from './live/live-updates';
import { startSubscriptionServer } from './live/websocket';

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
  /** The configured secrets keys (reported by /readyz: connectors whose secrets need another key). */
  secretKeyIds?: readonly string[];
  /** Resolves the caller of each request; default: API keys (and JWTs, if configured) on this database. */
  authenticator?: Authenticator;
}

/**
 * Times each GraphQL operation by name and type, and makes every GraphQL response `Cache-Control: no-store`
 * (answers depend on the caller's credentials). The header is what Apollo's default cache-control plugin sends
 * when no field declares a cache hint, and none does; that plugin is disabled because it also hooks every field
 * of every operation to collect hints.
 */
function operationMetrics(metrics: HubMetrics): RequestConcern<HubContext> {
  return () => {
    const started = performance.now();
    return {
      willSendResponse(request) {
        request.response.http.headers.set('cache-control', 'no-store');
        metrics.graphqlDuration.observe(
          { operation: request.operationName ?? 'anonymous', type: request.operation?.operation ?? 'invalid' },
          (performance.now() - started) / 1000,
        );
      },
    };
  };
}

/**
 * The GraphQL server, started (not yet mounted): the schema with its limits (depth, alias, directive, token,
 * cost and volume limits, introspection, suggestions, batching, CSRF, deadline), error formatting and metrics,
 * the audit plugin, and the drain of `httpServer` on stop.
 */
async function startGraphQLServer(
  config: HubConfig,
  dataSource: DataSource,
  options: HubOptions,
  httpServer: http.Server,
): Promise<{ server: ApolloServer<HubContext>; schema: GraphQLSchema; formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError }> {
  const { reportError, metrics } = options;
  const formatError = createErrorFormatter(reportError);
  // The volume limit measures analytics requests against a snapshot of the catalogue taken now, so it sends no SQL.
  const { concern: limitsConcern, ...limits } = limitOptions(config, await AnalyticsCatalogue.load(dataSource));
  const removeSuggestions = suggestionsRemover(config.graphql);
  boundStatementsByDeadline(dataSource);
  // A lost audit record is logged and counted; it never turns the action it describes into an error.
  onAuditWriteFailure(dataSource, (error, events) => {
    options.logger.error({ err: error, events: events.length, actions: events.slice(0, 10).map((event) => event.action) }, 'audit event could not be stored');
    metrics.auditWriteFailures.inc(events.length);
  });
  const schema = withDeadlines(await buildHubSchema());
  const formatCounted = (formatted: GraphQLFormattedError, error: unknown) => {
    const result = removeSuggestions(formatError(formatted, error));
    metrics.graphqlErrors.inc({ code: String(result.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
    return result;
  };
  const server = new ApolloServer<HubContext>({
    ...limits,
    schema,
    formatError: formatCounted,
    // GRAPHQL_INTROSPECTION is enforced by the hub's own validation rule (its error names the setting).
    introspection: true,
    // The process owns shutdown order: HTTP first, then the database.
    stopOnTerminationSignals: false,
    // The hub's own concerns run as one plugin (see requestHooksPlugin). Apollo's inline tracing (federated traces a
    // gateway may ask a subgraph for) stays off: the hub reports operations through its own metrics and logs, and
    // disabled it costs no hook per request.
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // A browser's GET /graphql gets the hub's own GraphiQL (src/http/console.ts), never Apollo's page from its CDN.
      ApolloServerPluginLandingPageDisabled(),
      requestHooksPlugin([operationMetrics(metrics), limitsConcern, auditConcern]),
    ],
  });
  await server.start();
  return { server, schema, formatError: formatCounted };
}

/** The request context of GraphQL operations and of the downloads that run them. */
function requestContext(config: HubConfig, dataSource: DataSource, options: HubOptions, authenticator: Authenticator) {
  return async (req: express.Request): Promise<HubContext> => {
    const principal = req.res?.locals.principal as Principal | undefined;
    if (!principal) throw new GraphQLError('authentication required', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
    return requestContextValue({
      dataSource,
      config,
      principal,
      actor: principal.name,
      requestId: String(req.id),
      clientIp: requestIp(req),
      connectors: options.connectors,
      apiKeys: authenticator.apiKeys,
    });
  };
}

/**
 * POST/GET /graphql: the body limits, the batch limit and the deadline scope in front of Apollo, as one handler
 * (each middleware of a route costs every request a pass through express's router).
 */
function graphqlRoute(config: HubConfig, server: ApolloServer<HubContext>, contextOf: (req: express.Request) => Promise<HubContext>): RequestHandler {
  const readBody = leanJsonBody(config.graphql.maxBodyBytes, express.json({ limit: config.graphql.maxBodyBytes, verify: verifyUtf8 }));
  const refuseLargeBatch = batchLimit(config.graphql);
  const apollo = apolloHandler(server, contextOf);
  return (request, response, next) =>
    readBody(request, response, (error?: unknown) => {
      if (error !== undefined) next(error);
      else refuseLargeBatch(request, response, () => deadlineScope(request, response, () => apollo(request, response, next)));
    });
}

/** Registers PILOTHUB_ADMIN_KEY as an ADMIN API key, unless it was revoked. */
async function bootstrapAdminKey(config: HubConfig, authenticator: Authenticator, logger: Logger): Promise<void> {
  if (!config.auth.adminKey) return;
  const outcome = await authenticator.apiKeys.ensureAdminKey(config.auth.adminKey);
  if (outcome === 'revoked') logger.warn('PILOTHUB_ADMIN_KEY was revoked and stays revoked; configure a new value to bootstrap again');
  else if (outcome === 'created') logger.info('PILOTHUB_ADMIN_KEY registered as an ADMIN API key');
}

/**
 * Starts the HTTP server on an open database. In order: security headers, PUBLIC_BASE_PATH, connection lifecycle,
 * request log; health, readiness and metrics (no credentials); the web console's pages and assets; authentication; the administrators' metrics; rate limits;
 * GraphQL and the REST endpoints (push, exports, reports); JSON errors for everything else.
 */
export async function startHub(config: HubConfig, dataSource: DataSource, options: HubOptions): Promise<Hub> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag from express: hashing every response body costs time on each request, and POSTed GraphQL answers and
  // downloads are no-store. GET GraphQL answers get a strong ETag of their own (src/graphql/http-handler.ts).
  app.set('etag', false);
  // Which forwarded address is the client's (request.ip, hence audit records and rate limits) and whether the
  // request came over https (request.secure, hence HSTS).
  app.set('trust proxy', config.http.trustProxy);
  const httpServer = createHttpServer(config, app);
  app.use(securityHeaders(config));
  app.use(basePath(config.http.publicBasePath));
  const { server, schema, formatError } = await startGraphQLServer(config, dataSource, options, httpServer);
  const lifecycle = connectionLifecycle();
  app.use(lifecycle.middleware);
  app.use(requestLogging(options.logger, options.metrics));
  // Before the probes and authentication: preflights carry no credentials, and refusals need the CORS headers too.
  app.use(crossOriginAccess(config.http.corsOrigins));
  const probe = probes({ dataSource, config, metrics: options.metrics, schedulerRunning: options.schedulerRunning, secretKeyIds: options.secretKeyIds });
  app.use(probe.router);
  // Health checks and metrics above are answered at once; everything else starts one request per event-loop turn.
  app.use(fairTurns());
  // The web console and GraphiQL: static pages and assets, no credentials (their operations carry the person's key).
  app.use(webConsole());
  const caller = callerChecks(config, dataSource, { ...options, schema });
  // The manifest JSON Schema for editors: public, it reveals no data; rate limited per address.
  app.use(schemaRouter(caller.rateLimit));
  // Everything below needs credentials (or ANONYMOUS_READ), and is rate limited per caller.
  app.use(caller.authenticate);
  app.get('/metrics', adminMetricsAccess(probe.serveMetrics));
  app.use(caller.rateLimit);
  const contextOf = requestContext(config, dataSource, options, caller.authenticator);
  app.use('/graphql', graphqlRoute(config, server, contextOf));
  app.use(restRouter({ dataSource, timeZone: config.timeZone, evaluationWeights: config.evaluation, server, contextOf, connectors: options.connectors?.service, reportError: options.reportError }));
  // A path no route serves, unreadable bodies and errors no route answered become JSON errors, never express's
  // HTML page (which would also replace the security headers' CSP with its own).
  app.use((_request, response) => sendRestError(response, 'NOT_FOUND', 'not found'));
  app.use(requestErrorHandler(options.reportError));
  await bootstrapAdminKey(config, caller.authenticator, options.logger);
  await caller.limiterStore.whenReady();
  // Live updates: the writes of this process (ingestion, runs) are told to subscribers here and on the other processes.
  const live = LiveUpdates.open(config.live, dataSource, options.logger);
  attachLiveUpdates(dataSource, live);
  options.metrics.countSubscriptions(() => live.counts);
  const subscriptions = startSubscriptionServer(httpServer, {
    config,
    dataSource,
    schema,
    authenticator: caller.authenticator,
    failures: caller.failures,
    limiterStore: caller.limiterStore,
    metrics: options.metrics,
    logger: options.logger,
    connectors: options.connectors,
    formatError,
    // The client address as express reads it (TRUST_PROXY applied): the upgrade request made an express request.
    addressOf: (request) => clientAddress(Object.setPrototypeOf(request, app.request) as express.Request),
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    markNotReady: probe.markNotReady,
    stop: async () => {
      probe.markNotReady();
      lifecycle.closing();
      // Subscription connections are closed first (1001 Going Away: clients reconnect to another process), then
      // the server stops accepting, waits for the requests in flight (the drain plugin), and stops Apollo.
      await subscriptions.close();
      detachLiveUpdates(dataSource);
      await live.stop();
      await server.stop();
      await caller.limiterStore.close();
    },
  };
}
