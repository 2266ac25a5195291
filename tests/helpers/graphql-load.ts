import http from 'node:http';
import { TEST_ADMIN_HEADERS } from './test-hub';

/**
 * Closed-loop GraphQL load for process-level tests: each client sends one operation at a time over its own
 * keep-alive connection (like a dashboard backend) and records how every request ended, telling apart
 * failures before the server could have accepted the request (connection refused, socket closed before any
 * byte of a response) from failures of a request the server had answered (a broken or non-200 response).
 */

export interface LoadOperation {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
}

export type FailurePhase =
  /** The TCP connection was refused or could not be made. */
  | 'connect'
  /** Connected (or a kept-alive socket was reused), but the socket closed before any response byte. */
  | 'before-response'
  /** A response had started and then broke off. */
  | 'during-response'
  /** No answer within the client's timeout. */
  | 'timeout';

export interface GraphQLBody {
  data?: unknown;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

export interface RequestRecord {
  client: number;
  requestId: string;
  operation: string;
  startedAt: number;
  endedAt: number;
  status?: number;
  /** The response's Connection header (`close` once the server is shutting down). */
  connection?: string;
  body?: GraphQLBody;
  /** Raw body when it was not JSON. */
  text?: string;
  failure?: { phase: FailurePhase; code?: string; message: string };
}

export interface LoadOptions {
  url: string;
  clients: number;
  operations: readonly LoadOperation[];
  /** Per-request limit; a request without an answer by then is recorded as a `timeout` failure. */
  timeoutMs?: number;
  /** Pause between a client's requests. */
  pauseMs?: number;
  /** Prefix of the x-request-id each request carries (`<prefix>-<client>-<n>`). */
  requestIdPrefix?: string;
  /** Stops a client after this many consecutive connection-level failures (the server is gone). */
  stopAfterConnectFailures?: number;
  /** Headers of every request; default the test administrator's credentials. */
  headers?: Record<string, string>;
  /**
   * Asked before each request, as a load balancer asks its health checks: once false, the client sends no new
   * request (the one in flight finishes) and stops.
   */
  inRotation?: () => boolean;
}

export interface Load {
  records: RequestRecord[];
  /** Asks every client to stop after its current request and waits for them. */
  stop(): Promise<RequestRecord[]>;
  /** Resolves when every client has stopped (by stop() or by stopAfterConnectFailures). */
  done: Promise<RequestRecord[]>;
}

export function sendGraphQL(
  url: string,
  operation: LoadOperation,
  options: { agent?: http.Agent; requestId: string; timeoutMs: number; headers?: Record<string, string> },
): Promise<Omit<RequestRecord, 'client'>> {
  const target = new URL(url);
  const payload = JSON.stringify({ query: operation.query, variables: operation.variables, operationName: operation.name });
  const startedAt = Date.now();
  return new Promise((resolve) => {
    let responded = false;
    let settled = false;
    const finish = (record: Partial<RequestRecord>) => {
      if (settled) return;
      settled = true;
      resolve({ requestId: options.requestId, operation: operation.name, startedAt, endedAt: Date.now(), ...record });
    };
    const request = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      agent: options.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        'x-request-id': options.requestId,
        ...options.headers,
      },
    });
    request.setTimeout(options.timeoutMs, () => {
      finish({ failure: { phase: 'timeout', message: `no answer within ${options.timeoutMs} ms` } });
      request.destroy();
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      const phase: FailurePhase = responded ? 'during-response' : error.code === 'ECONNREFUSED' ? 'connect' : 'before-response';
      finish({ failure: { phase, code: error.code, message: error.message } });
    });
    request.on('response', (response) => {
      responded = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error: NodeJS.ErrnoException) => finish({ status: response.statusCode, failure: { phase: 'during-response', code: error.code, message: error.message } }));
      response.on('aborted', () => finish({ status: response.statusCode, failure: { phase: 'during-response', message: 'response aborted' } }));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          finish({ status: response.statusCode, connection: response.headers.connection, body: JSON.parse(text) as GraphQLBody });
        } catch {
          finish({ status: response.statusCode, connection: response.headers.connection, text });
        }
      });
    });
    request.end(payload);
  });
}

/** Starts `clients` loops, each sending the operations in turn until stopped. */
export function startGraphQLLoad(options: LoadOptions): Load {
  const records: RequestRecord[] = [];
  let stopping = false;
  const agents: http.Agent[] = [];
  const client = async (index: number) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    let connectFailures = 0;
    for (let n = 0; !stopping && (options.inRotation?.() ?? true); n += 1) {
      const operation = options.operations[(index + n) % options.operations.length];
      const record = await sendGraphQL(options.url, operation, {
        agent,
        requestId: `${options.requestIdPrefix ?? 'load'}-${index}-${n}`,
        timeoutMs: options.timeoutMs ?? 15_000,
        headers: options.headers ?? TEST_ADMIN_HEADERS,
      });
      records.push({ client: index, ...record });
      const connectionLevel = record.failure?.phase === 'connect' || record.failure?.phase === 'before-response';
      connectFailures = connectionLevel ? connectFailures + 1 : 0;
      if (options.stopAfterConnectFailures && connectFailures >= options.stopAfterConnectFailures) break;
      // A refused connection is retried after a short pause, as a client with a retry policy would.
      const pause = connectionLevel ? Math.max(options.pauseMs ?? 0, 50) : (options.pauseMs ?? 0);
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
    }
    agent.destroy();
  };
  const done = Promise.all(Array.from({ length: options.clients }, (_, index) => client(index))).then(() => records);
  return {
    records,
    done,
    async stop() {
      stopping = true;
      return done;
    },
  };
}

/** A short summary of records for assertion messages. */
export function describeRecords(records: readonly RequestRecord[], limit = 5): string {
  return JSON.stringify(
    records.slice(0, limit).map((record) => ({
      id: record.requestId,
      op: record.operation,
      ms: record.endedAt - record.startedAt,
      status: record.status,
      errors: record.body?.errors,
      text: record.text?.slice(0, 200),
      failure: record.failure,
    })),
    null,
    1,
  );
}

export interface ReadinessWatch {
  /** Whether the last answer of /readyz was 200 (true until the first other answer). */
  inRotation(): boolean;
  /** When /readyz first answered something other than 200 (ms since the epoch), if it has. */
  notReadyAt(): number | undefined;
  /** The status /readyz answered when it first was not 200; undefined if it could not be reached at all. */
  notReadyStatus(): number | undefined;
  stop(): void;
}

/**
 * Polls `<base>/readyz` every `intervalMs` over one keep-alive connection, as a load balancer's health check
 * does, until it answers something other than 200 (or cannot be reached): the hub is then out of rotation.
 */
export function watchReadiness(baseUrl: string, intervalMs = 100): ReadinessWatch {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let notReadyAt: number | undefined;
  let notReadyStatus: number | undefined;
  let stopped = false;
  const poll = () => {
    if (stopped || notReadyAt !== undefined) return;
    const request = http.get(`${baseUrl}/readyz`, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 200 && notReadyAt === undefined) {
          notReadyAt = Date.now();
          notReadyStatus = response.statusCode;
        }
        setTimeout(poll, intervalMs).unref();
      });
    });
    request.on('error', () => {
      notReadyAt ??= Date.now();
    });
  };
  poll();
  return {
    inRotation: () => notReadyAt === undefined,
    notReadyAt: () => notReadyAt,
    notReadyStatus: () => notReadyStatus,
    stop() {
      stopped = true;
      agent.destroy();
    },
  };
}
