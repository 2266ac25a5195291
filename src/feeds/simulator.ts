/**
 * Department feed simulator: one HTTP server imitating four department systems of Nghệ An, for connector
 * development and tests. Values are demo data, deterministic (a seeded hash of feed, unit and date), on the
 * real GSO unit codes in force on each date, from 2024-01-01 up to and including yesterday (UTC).
 *
 * Endpoints (details in src/feeds/README.md):
 *   GET /                                    list of the feeds, data window, fault modes and switches
 *   GET /healthz                             200 {"status":"ok"}
 *   GET /health/biometric-visits?from&to     Health (SO_YT), JSON {data:[{communeCode,date,visits}]}, ≤ 93 days
 *   GET /justice/kiosk-notarizations.csv?from&to[&encoding=utf8]
 *                                            Justice (SO_TP), CSV UTF-8+BOM ';' ma_don_vi;ngay;so_luot_cong_chung
 *   GET /transport/driving-tests?from&to[&page&pageSize]
 *                                            Transport/police (SO_GTVT), paginated JSON {items,page,pageSize,total,next}
 *   GET /nhcsxh/api/dataValueSets.json?dataSet=LOANS&startDate&endDate[&orgUnit]
 *                                            Social policy bank (NHCSXH), DHIS2 dataValueSets, monthly YYYYMM periods
 *   GET /nhcsxh/api/system/info              DHIS2 system info {"version":"2.40.0",…}
 *   GET|POST|DELETE /_faults                 read / set {feed, mode} / clear the per-feed fault switches
 *
 * Faults: `?fault=<mode>` on one request (`none` overrides a switch), or per feed through /_faults. Modes:
 * http500, slow (body over ~5 s), timeout (no headers, closed after 60 s), hang (headers and part of the body,
 * closed after 60 s), malformed, badrows (~5% bad values), renamed (a field renamed), huge (≥ 50 MiB body).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  FAULT_MODES,
  FaultSwitch,
  FEEDS,
  isFaultMode,
  isFeedName,
  malformedCsv,
  malformedJson,
  NO_FAULT,
  type FaultMode,
  type FeedName,
} from './feed-faults';
import {
  errorDocument,
  FEED_ENDPOINTS,
  FeedRequestError,
  renderDocument,
  type FeedDocument,
  type FeedEndpoint,
} from './feed-documents';
import { DATA_START, EDITION_2025_FROM } from './feed-units';
import { dateOfIndex } from './feed-values';

export { FEED_ENDPOINTS } from './feed-documents';
export { FAULT_MODES, FEEDS } from './feed-faults';

export interface FeedSimulatorOptions {
  /** TCP port; 0 picks a free one (default 0). */
  port?: number;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** Clock deciding "yesterday", the last day with data (default: the system clock). */
  now?: () => Date;
}

export interface FeedSimulator {
  /** Base URL, e.g. http://127.0.0.1:4100 (no trailing slash). */
  url: string;
  port: number;
  /** Stops listening, cancels every pending fault timer and destroys open connections. */
  close(): Promise<void>;
}

/** Duration of the `slow` fault: the body trickles out in SLOW_STEPS pieces over this time. */
export const SLOW_DURATION_MS = 5_000;
const SLOW_STEPS = 20;
/** `timeout` and `hang` give up and close the connection after this time. */
export const STALL_LIMIT_MS = 60_000;
/** Minimum size of a `huge` body: 50 MiB. */
export const HUGE_BYTES = 50 * 1024 * 1024;
const HUGE_BLOCK_BYTES = 64 * 1024;
const MAX_FAULT_BODY_BYTES = 16 * 1024;
const DAY_MS = 86_400_000;
const JSON_TYPE = 'application/json; charset=utf-8';

const ENDPOINT_BY_PATH = new Map<string, FeedEndpoint>(
  FEED_ENDPOINTS.flatMap((endpoint) => [endpoint.path, ...endpoint.aliases].map((path) => [path, endpoint] as const)),
);

/** The simulator's state (fault switches, pending timers, open sockets) and its request handling. */
class SimulatorServer {
  readonly faults = new FaultSwitch();
  readonly timers = new Set<NodeJS.Timeout>();
  readonly sockets = new Set<Socket>();
  closing = false;
  baseUrl = '';

  constructor(private readonly now: () => Date) {}

  /** setTimeout that close() can cancel. */
  private later(ms: number, action: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  private cancel(timer: NodeJS.Timeout | undefined): void {
    if (timer === undefined) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  /** Answers one request; an unexpected error answers 500 (or drops a response already under way). */
  serve(request: http.IncomingMessage, response: http.ServerResponse): void {
    this.handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        sendJson(response, 500, { error: `feed simulator error: ${error instanceof Error ? error.message : String(error)}` });
      } else {
        response.destroy();
      }
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://simulator.invalid');
    const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
    const method = request.method ?? 'GET';
    const lastDay = dateOfIndex(Math.floor(this.now().getTime() / DAY_MS) - 1);

    if (path === '/_faults') return this.handleFaults(request, response, method);
    if (path === '/' || path === '/healthz') {
      if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(response, 'GET, HEAD');
      return sendJson(response, 200, path === '/' ? this.listing(lastDay) : { status: 'ok' }, path === '/');
    }
    const endpoint = ENDPOINT_BY_PATH.get(path);
    if (endpoint === undefined) {
      return sendJson(response, 404, { error: `No feed at ${path}`, endpoints: FEED_ENDPOINTS.map((entry) => entry.usage) });
    }
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(response, 'GET, HEAD');

    const requested = url.searchParams.get('fault');
    let mode: FaultMode | null;
    if (requested === null) mode = this.faults.modeFor(endpoint.feed);
    else if (requested === NO_FAULT || requested === '') mode = null;
    else if (isFaultMode(requested)) mode = requested;
    else {
      return sendJson(response, 400, {
        error: `Unknown fault mode "${requested}"; expected one of ${[...FAULT_MODES, NO_FAULT].join(', ')}`,
      });
    }

    if (mode === 'timeout') return this.stall(response);
    let document: FeedDocument;
    if (mode === 'http500') {
      document = serverErrorDocument(endpoint.feed, path);
    } else {
      try {
        document = endpoint.build({
          query: url.searchParams,
          mode,
          lastDay,
          urlWith: (query) => `${this.originOf(request)}${path}?${query.toString()}`,
        });
      } catch (error) {
        if (!(error instanceof FeedRequestError)) throw error;
        document = errorDocument(endpoint.feed, error.status, error.message, path);
      }
    }
    const headers: http.OutgoingHttpHeaders = {
      'content-type': document.contentType,
      'cache-control': 'no-store',
      'x-feed': endpoint.feed,
      ...(mode === null ? {} : { 'x-simulated-fault': mode }),
      ...document.headers,
    };
    if (mode === 'huge' && document.data) return this.streamHuge(request, response, document, headers);

    let text = renderDocument(document);
    if (mode === 'malformed' && document.data) text = document.format === 'csv' ? malformedCsv(text, '\r\n') : malformedJson(text);
    const body = Buffer.from(text, 'utf8');
    response.writeHead(document.status, { ...headers, 'content-length': body.length });
    if (method === 'HEAD') return void response.end();
    if (mode === 'slow') return this.trickle(response, body);
    if (mode === 'hang') return this.hang(response, body);
    response.end(body);
  }

  private originOf(request: http.IncomingMessage): string {
    const hostHeader = request.headers.host;
    const valid = hostHeader !== undefined && /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?$/.test(hostHeader);
    return valid ? `http://${hostHeader}` : this.baseUrl;
  }

  /** `timeout`: never answer; close the connection after STALL_LIMIT_MS unless the client gives up first. */
  private stall(response: http.ServerResponse): void {
    const timer = this.later(STALL_LIMIT_MS, () => response.destroy());
    response.once('close', () => this.cancel(timer));
  }

  /** `slow`: headers now, the body in SLOW_STEPS pieces over SLOW_DURATION_MS. */
  private trickle(response: http.ServerResponse, body: Buffer): void {
    const step = Math.max(1, Math.ceil(body.length / SLOW_STEPS));
    let offset = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      timer = undefined;
      if (response.destroyed) return;
      const piece = body.subarray(offset, offset + step);
      offset += step;
      if (offset >= body.length) {
        response.end(piece);
      } else {
        response.write(piece);
        timer = this.later(SLOW_DURATION_MS / SLOW_STEPS, tick);
      }
    };
    response.once('close', () => this.cancel(timer));
    response.flushHeaders();
    timer = this.later(SLOW_DURATION_MS / SLOW_STEPS, tick);
  }

  /** `hang`: headers (with the full Content-Length) and a third of the body, then nothing until STALL_LIMIT_MS. */
  private hang(response: http.ServerResponse, body: Buffer): void {
    response.write(body.subarray(0, Math.max(1, Math.floor(body.length / 3))));
    const timer = this.later(STALL_LIMIT_MS, () => response.destroy());
    response.once('close', () => this.cancel(timer));
  }

  /**
   * `huge`: the document's rows repeated until the body reaches HUGE_BYTES, still well-formed, streamed with
   * back-pressure and abandoned as soon as the client goes away.
   */
  private async streamHuge(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    document: FeedDocument,
    headers: http.OutgoingHttpHeaders,
  ): Promise<void> {
    const rows = document.rows.join(document.separator);
    const piece = rows !== '' ? rows + document.separator : document.format === 'csv' ? '\r\n' : ' ';
    const block = Buffer.from(piece.repeat(Math.ceil(HUGE_BLOCK_BYTES / piece.length)), 'utf8');
    const head = Buffer.from(document.head, 'utf8');
    const last = Buffer.from(rows + document.tail, 'utf8');
    const repeats = Math.ceil((HUGE_BYTES - head.length - last.length) / block.length);
    const total = head.length + repeats * block.length + last.length;
    response.writeHead(document.status, { ...headers, 'content-length': total });
    if (request.method === 'HEAD') return void response.end();
    response.write(head);
    for (let i = 0; i < repeats; i++) {
      if (this.closing || response.destroyed) return;
      if (!response.write(block)) await drained(response);
    }
    if (!this.closing && !response.destroyed) response.end(last);
  }

  private async handleFaults(request: http.IncomingMessage, response: http.ServerResponse, method: string): Promise<void> {
    if (method === 'GET' || method === 'HEAD') {
      return sendJson(response, 200, { faults: this.faults.snapshot(), modes: FAULT_MODES, feeds: [...FEEDS, '*'] });
    }
    if (method === 'DELETE') {
      this.faults.clear();
      return sendJson(response, 200, { faults: this.faults.snapshot() });
    }
    if (method !== 'POST') return methodNotAllowed(response, 'GET, POST, DELETE');
    const raw = await readBody(request, MAX_FAULT_BODY_BYTES);
    if (raw === null) return sendJson(response, 413, { error: `Body larger than ${MAX_FAULT_BODY_BYTES} bytes` });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(response, 400, { error: 'Body must be JSON: {"feed": "<feed>|*", "mode": "<mode>"|null}' });
    }
    const { feed, mode } = (typeof body === 'object' && body !== null ? body : {}) as { feed?: unknown; mode?: unknown };
    if (feed !== '*' && !isFeedName(feed)) {
      return sendJson(response, 400, { error: `"feed" must be one of ${[...FEEDS, '*'].join(', ')}` });
    }
    if (mode !== null && mode !== NO_FAULT && !isFaultMode(mode)) {
      return sendJson(response, 400, { error: `"mode" must be null or one of ${FAULT_MODES.join(', ')}` });
    }
    this.faults.set(feed, mode === NO_FAULT ? null : mode);
    return sendJson(response, 200, { faults: this.faults.snapshot() });
  }

  private listing(lastDay: string): unknown {
    return {
      name: 'PilotHub department feed simulator (demo data)',
      dataFrom: DATA_START,
      dataTo: lastDay,
      units: {
        until: `2024 edition (21 districts, 460 communes) up to the day before ${EDITION_2025_FROM}`,
        from: `2025 edition (130 communes, no districts) from ${EDITION_2025_FROM}; district-level feeds report per commune`,
      },
      feeds: FEED_ENDPOINTS.map((endpoint) => ({
        feed: endpoint.feed,
        endpoint: `GET ${endpoint.usage}`,
        aliases: endpoint.aliases,
        department: endpoint.department,
        system: endpoint.system,
        metrics: endpoint.metrics,
        format: endpoint.format,
        granularity: endpoint.granularity,
        limits: endpoint.limits,
      })),
      faults: {
        modes: FAULT_MODES,
        perRequest: `?fault=<mode> (?fault=${NO_FAULT} ignores the switches)`,
        perFeed: 'POST /_faults {"feed": "health"|"justice"|"transport"|"nhcsxh"|"*", "mode": "<mode>"|null}; GET /_faults; DELETE /_faults',
        current: this.faults.snapshot(),
      },
    };
  }
}

export async function startFeedSimulator(options: FeedSimulatorOptions = {}): Promise<FeedSimulator> {
  const host = options.host ?? '127.0.0.1';
  const simulator = new SimulatorServer(options.now ?? (() => new Date()));
  const server = http.createServer((request, response) => simulator.serve(request, response));
  server.on('connection', (socket) => {
    simulator.sockets.add(socket);
    socket.once('close', () => simulator.sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  simulator.baseUrl = `http://${shownHost}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    url: simulator.baseUrl,
    port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        simulator.closing = true;
        for (const timer of simulator.timers) clearTimeout(timer);
        simulator.timers.clear();
        server.close(() => resolve());
        for (const socket of simulator.sockets) socket.destroy();
      });
      return closed;
    },
  };
}

function serverErrorDocument(feed: FeedName, path: string): FeedDocument {
  if (feed !== 'justice') return errorDocument(feed, 500, 'Simulated internal server error (fault http500)', path);
  // The justice export runs behind IIS: its 500 page is HTML.
  const html =
    '<!DOCTYPE html><html><head><title>500 - Internal server error.</title></head>' +
    '<body><h1>Server Error</h1><h2>500 - Internal server error.</h2>' +
    '<p>There is a problem with the resource you are looking for, and it cannot be displayed.</p></body></html>';
  return { status: 500, contentType: 'text/html; charset=utf-8', format: 'csv', headers: {}, head: html, rows: [], separator: '', tail: '', data: false };
}

function sendJson(response: http.ServerResponse, status: number, body: unknown, pretty = false): void {
  const text = Buffer.from(JSON.stringify(body, null, pretty ? 2 : undefined), 'utf8');
  response.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': text.length, 'cache-control': 'no-store' });
  response.end(text);
}

function methodNotAllowed(response: http.ServerResponse, allow: string): void {
  response.setHeader('allow', allow);
  sendJson(response, 405, { error: `Method not allowed; use ${allow}` });
}

function drained(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.on('drain', done);
    response.on('close', done);
  });
}

/** The request body as text, or null when it exceeds the limit. */
function readBody(request: http.IncomingMessage, limit: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? null : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
