import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { DataSource } from 'typeorm';
import type { HubConfig } from './config';
import { RequestLoaders, type ConnectorOperations, type HubContext } from './graphql/context';
import { ingestRouter } from './http/ingest-endpoint';
import { createErrorFormatter } from './graphql/errors';
import { buildHubSchema } from './graphql/schema';

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
  /** Where unexpected errors are reported (default: stderr). */
  reportError?: (error: unknown) => void;
  /** Connector registry and runs; without them the connector API answers SERVICE_UNAVAILABLE. */
  connectors?: ConnectorOperations;
}

/** Largest body accepted by the push endpoint. */
const MAX_PUSH_BODY_BYTES = 20 * 1024 * 1024;

/** Starts the HTTP server with the GraphQL endpoint on an open database. */
export async function startHub(config: HubConfig, dataSource: DataSource, options: HubOptions = {}): Promise<Hub> {
  const app = express();
  const httpServer = http.createServer(app);
  const reportError = options.reportError ?? ((error: unknown) => console.error('unexpected error:', error));
  const server = new ApolloServer<HubContext>({
    schema: await buildHubSchema(),
    formatError: createErrorFormatter(reportError),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // The process owns shutdown order: HTTP first, then the database.
    stopOnTerminationSignals: false,
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await server.start();

  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(server, {
      context: async ({ req }) => ({
        dataSource,
        config,
        loaders: new RequestLoaders(dataSource),
        actor: actorFrom(req.headers[ACTOR_HEADER]),
        connectors: options.connectors,
      }),
    }),
  );
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
    stop: () => server.stop(),
  };
}
