import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { DataSource } from 'typeorm';
import type { HubConfig } from './config';
import { RequestLoaders, type ConnectorOperations, type HubContext } from './graphql/context';
import { exportRouter } from './analytics/export-endpoint';
import { ingestRouter } from './http/ingest-endpoint';
import { createErrorFormatter } from './graphql/errors';
import { buildHubSchema } from './graphql/schema';
import { withLogContext } from './observability/logger';
import type { HubMetrics } from './observability/metrics';
import { readiness } from './observability/readiness';
import { SYSTEM_PRINCIPAL } from './security/principal';

/** Header a caller may use to name itself as the author of catalogue changes. */
export const ACTOR_HEADER = 'x-pilothub-actor';
const ANONYMOUS = 'anonymous';

function actorFrom(header: string | string[] | undefined): string {
  const raw = Array.isArray(header) ? header[0] : header;
  // Header bytes arrive as Latin-1; callers send UTF-8 names such as "Sở Y tế".
  const decoded = raw === undefined ? undefined : Buffer.from(raw, 'latin1').toString('utf8');
  const value = decoded?.includes('\ufffd') ? raw : decoded;
  const trimmed = value?.trim();
  // Printable text only, bounded: it is stored in the history as given.
  const printable = trimmed !== undefined && [...trimmed].every((character) => character >= ' ' && character !== '\u007f');
  return trimmed && trimmed.length <= 200 && printable ? trimmed : ANONYMOUS;
}

export interface Hub {
  url: string;
  port: number;
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

/** Starts the HTTP server with the GraphQL endpoint on an open database. */
export async function startHub(config: HubConfig, dataSource: DataSource, options: HubOptions): Promise<Hub> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  const { reportError, metrics } = options;
  const formatError = createErrorFormatter(reportError);
  const server = new ApolloServer<HubContext>({
    schema: await buildHubSchema(),
    formatError: (formatted, error) => {
      const result = formatError(formatted, error);
      metrics.graphqlErrors.inc({ code: String(result.extensions?.code ?? 'INTERNAL_SERVER_ERROR') });
      return result;
    },
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // The process owns shutdown order: HTTP first, then the database.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), operationMetrics(metrics)],
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
    pinoHttp({
      logger: options.logger,
      genReqId: (request, response) => {
        const given = request.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        response.setHeader('x-request-id', id);
        return id;
      },
      autoLogging: { ignore: (request) => request.url === '/healthz' || request.url === '/readyz' || request.url === '/metrics' },
      customLogLevel: (_request, response, error) => (error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info'),
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
  app.get('/readyz', async (_request, response) => {
    const result = await readiness(dataSource, options.schedulerRunning ?? (() => true));
    response.status(result.ready ? 200 : 503).json({ status: result.ready ? 'ready' : 'not ready', checks: result.checks });
  });
  app.get('/metrics', async (_request, response) => {
    response.setHeader('content-type', metrics.registry.contentType);
    response.end(await metrics.registry.metrics());
  });
  const contextOf = async (req: express.Request): Promise<HubContext> => ({
    dataSource,
    config,
    loaders: new RequestLoaders(dataSource),
    // Until authentication resolves the caller, every request acts as an administrator.
    principal: { ...SYSTEM_PRINCIPAL, subject: 'anonymous', name: actorFrom(req.headers[ACTOR_HEADER]) },
    actor: actorFrom(req.headers[ACTOR_HEADER]),
    requestId: String(req.id),
    connectors: options.connectors,
  });
  app.use('/graphql', express.json({ limit: '1mb' }), expressMiddleware(server, { context: ({ req }) => contextOf(req) }));
  // CSV downloads of series and aggregates run the same GraphQL operations with the same context.
  app.use(exportRouter({ server, contextOf }));
  if (options.connectors) {
    app.use(
      ingestRouter({
        service: options.connectors.service,
        actorOf: (request) => actorFrom(request.headers[ACTOR_HEADER]),
        maxBodyBytes: MAX_PUSH_BODY_BYTES,
        reportError,
      }),
    );
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(config.port, config.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    stop: async () => {
      stopping = true;
      for (const response of inFlight) if (!response.headersSent) response.setHeader('connection', 'close');
      // Stops accepting, waits for the requests in flight (the drain plugin), then stops Apollo.
      await server.stop();
    },
  };
}
