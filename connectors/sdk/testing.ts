/**
 * Helpers for connector tests: a real HTTP server on 127.0.0.1, a connector context with the real HTTP
 * client, and a reader that drains a connector's batches. No fetch or undici mocks: tests talk HTTP.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { metrics } from '../../src/seed/catalogue-data';
import type { ConnectorContext, ConnectorKind, RawRecord, ReadWindow } from './contract';
import { createHttpClient, type HttpClientOptions } from './http-client';

export interface RecordedRequest {
  method: string;
  /** Path and query as sent, e.g. `/items?page=2`. */
  url: string;
  /** Lower-case names, as node:http gives them. */
  headers: http.IncomingHttpHeaders;
}

export interface TestServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:53121`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export type TestHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

/**
 * Starts a node:http server on 127.0.0.1 and a free port. Every request is recorded before the handler
 * runs; a handler that throws answers 500. `close()` destroys open sockets, so slow handlers never hang it.
 */
export async function startTestServer(handler: TestHandler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`test handler failed: ${error instanceof Error ? error.message : String(error)}`);
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface TestContext extends ConnectorContext {
  /** Aborts `signal`, as the hub does when a run is cancelled. */
  controller: AbortController;
}

export interface TestContextOverrides extends Partial<ConnectorContext> {
  /** Options of the real HTTP client built when `http` is not given (defaults: 2 s timeout, 1 retry). */
  httpOptions?: HttpClientOptions;
}

/** A connector context as the hub builds it, with a short HTTP timeout and the catalogue's metric frequencies. */
export function testContext(overrides: TestContextOverrides = {}): TestContext {
  const { httpOptions, ...rest } = overrides;
  const controller = new AbortController();
  return {
    controller,
    signal: controller.signal,
    http: createHttpClient({ timeoutMs: 2_000, retries: 1, ...httpOptions }),
    secrets: {},
    metricFrequencies: new Map(metrics.map((metric) => [metric.code, metric.frequency])),
    ...rest,
  };
}

export interface Collected {
  records: RawRecord[];
  /** Records per batch, in order. */
  batchSizes: number[];
  /** State of the last batch that carried one. */
  state: unknown;
}

/**
 * Validates `config` with the kind's schema (as the hub does when the connector is registered), then drains
 * `read()` into one list of records and the final state.
 */
export async function collect<Config>(
  kind: ConnectorKind<Config>,
  config: unknown,
  window: ReadWindow,
  state: unknown,
  context: ConnectorContext,
): Promise<Collected> {
  const parsed = kind.configSchema.parse(config);
  const result: Collected = { records: [], batchSizes: [], state: undefined };
  for await (const batch of kind.read(parsed, window, state, context)) {
    for (const record of batch.records) result.records.push(record);
    result.batchSizes.push(batch.records.length);
    if (batch.state !== undefined) result.state = batch.state;
  }
  return result;
}
