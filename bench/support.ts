/**
 * Shared pieces of the benchmarks: a scratch database on the BENCH_DATABASE_URL server, the hub's entry point
 * run as a child process, the feed simulator in a worker thread, RSS sampling, autocannon and GraphQL helpers,
 * and clean-up that also runs when the benchmark is interrupted (SIGINT/SIGTERM).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import autocannon from 'autocannon';
import mysql from 'mysql2/promise';

export const ROOT = path.join(__dirname, '..');

/** The ADMIN key of the hubs a bench run starts (fresh per run), and the headers that send it. */
export const BENCH_ADMIN_KEY = `ph_bench_${randomBytes(24).toString('base64url')}`;
export const BENCH_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${BENCH_ADMIN_KEY}` };

// ---------------------------------------------------------------------------------------------------------
// Clean-up on interruption: finally blocks do not run when the process is killed by a signal.

const cleanups = new Set<() => Promise<void>>();
let signalsInstalled = false;

function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const handler = (signal: NodeJS.Signals) => {
    console.error(`\nbench: ${signal} received, cleaning up`);
    const all = Promise.allSettled([...cleanups].reverse().map((cleanup) => cleanup()));
    const cap = new Promise((resolve) => setTimeout(resolve, 20_000).unref());
    void Promise.race([all, cap]).then(() => process.exit(130));
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/** Registers `cleanup` to run if the bench is interrupted; returns the function that unregisters it. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  installSignalHandlers();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

// ---------------------------------------------------------------------------------------------------------
// Scratch database.

export interface ScratchDatabase {
  name: string;
  /** BENCH_DATABASE_URL with the scratch database as its path (its own protocol: mariadb:// or mysql://). */
  url: string;
  /** The same with the mysql:// protocol, for mysql2. */
  mysqlUrl: string;
  /** Server version. */
  version: string;
  drop(): Promise<void>;
}

/** The server named by BENCH_DATABASE_URL (default mariadb://root@127.0.0.1:3306). */
export function benchServerUrl(): URL {
  const serverUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'mariadb://root@127.0.0.1:3306');
  if (!/^(mysql|mariadb):$/.test(serverUrl.protocol)) throw new Error('BENCH_DATABASE_URL must be a mysql:// or mariadb:// URL');
  return serverUrl;
}

/** Creates the utf8mb4 database `<prefix>_<pid>`; drop() removes it (also on interruption). */
export async function createScratchDatabase(prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${process.pid}`;
  const databaseUrl = benchServerUrl();
  databaseUrl.pathname = `/${name}`;
  const mysqlUrl = new URL(databaseUrl.toString());
  mysqlUrl.protocol = 'mysql:';
  const adminUrl = new URL(mysqlUrl.toString());
  adminUrl.pathname = '';
  const admin = await mysql.createConnection({ uri: adminUrl.toString(), timezone: 'Z' });
  let dropped: Promise<void> | undefined;
  const drop = () =>
    (dropped ??= (async () => {
      unregister();
      try {
        await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await admin.end();
      }
    })());
  const unregister = onInterrupt(drop);
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const [rows] = await admin.query('SELECT VERSION() AS version');
    const version = String((rows as Array<{ version: string }>)[0].version);
    return { name, url: databaseUrl.toString(), mysqlUrl: mysqlUrl.toString(), version, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL.

export interface GraphQLAnswer<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

export async function graphql<T>(url: string, query: string, variables?: Record<string, unknown>, timeoutMs = 600_000): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...BENCH_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as GraphQLAnswer<T>;
  if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  if (!response.ok || body.data === undefined) throw new Error(`GraphQL HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body.data;
}

/** The JSON body of a POST /graphql for an operation of schema/examples (file name = operation name). */
export function exampleOperationBody(operation: string): string {
  const query = fs.readFileSync(path.join(ROOT, 'schema', 'examples', `${operation}.graphql`), 'utf8');
  return JSON.stringify({ query, operationName: operation });
}

/** Sends `body` `count` times one after another; counts GraphQL errors and non-2xx answers. */
export async function checkSequentially(
  url: string,
  body: string,
  count: number,
): Promise<{ count: number; graphqlErrors: number; non2xx: number; firstError?: string }> {
  let graphqlErrors = 0;
  let non2xx = 0;
  let firstError: string | undefined;
  for (let index = 0; index < count; index += 1) {
    const response = await fetch(url, { method: 'POST', headers: { ...BENCH_HEADERS, 'content-type': 'application/json' }, body });
    const text = await response.text();
    if (!response.ok) {
      non2xx += 1;
      firstError ??= `HTTP ${response.status}: ${text.slice(0, 200)}`;
    }
    let answer: GraphQLAnswer<unknown> = {};
    try {
      answer = JSON.parse(text) as GraphQLAnswer<unknown>;
    } catch {
      answer = { errors: [{ message: `not JSON: ${text.slice(0, 100)}` }] };
    }
    if (answer.errors?.length || answer.data == null) {
      graphqlErrors += 1;
      firstError ??= JSON.stringify(answer.errors ?? answer).slice(0, 300);
    }
  }
  return { count, graphqlErrors, non2xx, firstError };
}

/** A response body of a GraphQL request that carries no `errors` member. */
export const hasNoGraphQLErrors = (body: string | Buffer | undefined): boolean => !String(body ?? '').includes('"errors"');

// ---------------------------------------------------------------------------------------------------------
// Load.

export interface LoadFigures {
  label: string;
  seconds: number;
  connections: number;
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses whose body failed the check (GraphQL `errors`), counted by autocannon's verifyBody. */
  mismatches: number;
}

export async function load(
  label: string,
  options: { url: string; connections: number; seconds: number; method?: 'GET' | 'POST'; body?: string; verifyBody?: autocannon.Options['verifyBody'] },
): Promise<LoadFigures> {
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method ?? 'GET',
    headers: options.body ? { ...BENCH_HEADERS, 'content-type': 'application/json' } : { ...BENCH_HEADERS },
    body: options.body,
    timeout: 10,
    verifyBody: options.verifyBody,
  });
  return {
    label,
    seconds: options.seconds,
    connections: options.connections,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    mismatches: result.mismatches,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Memory.

export interface RssFigures {
  /** MiB, sampled once a second. */
  samples: number[];
  start: number;
  afterWarmUp: number;
  end: number;
  max: number;
  /** end ≤ 1.5 × the RSS after warm-up. */
  stable: boolean;
}

/** VmRSS of a process in MiB, or null once it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every second until stop(); the warm-up is the first `warmUpSeconds` of sampling. */
export function sampleRss(pid: number, warmUpSeconds: number): { stop(): RssFigures } {
  const samples: number[] = [];
  const take = () => {
    const value = rssMiB(pid);
    if (value !== null) samples.push(value);
  };
  take();
  const timer = setInterval(take, 1_000);
  return {
    stop() {
      clearInterval(timer);
      take();
      const start = samples[0] ?? NaN;
      const afterWarmUp = samples[Math.min(samples.length - 1, Math.max(0, Math.round(warmUpSeconds)))] ?? NaN;
      const end = samples.at(-1) ?? NaN;
      return { samples, start, afterWarmUp, end, max: Math.max(...samples), stable: end <= 1.5 * afterWarmUp };
    },
  };
}

export interface HeapFigures {
  /** V8 heap in use, MiB (pilothub_nodejs_heap_size_used_bytes of GET /metrics). */
  heapUsed: number;
  heapTotal: number;
  /** Memory of Buffers and other objects outside the V8 heap, MiB. */
  external: number;
}

/** The hub's own heap figures from its Prometheus endpoint (NaN when it cannot be read). */
export async function heapMiB(baseUrl: string): Promise<HeapFigures> {
  const figures: HeapFigures = { heapUsed: NaN, heapTotal: NaN, external: NaN };
  try {
    const text = await (await fetch(`${baseUrl}/metrics`, { headers: BENCH_HEADERS, signal: AbortSignal.timeout(10_000) })).text();
    const read = (name: string) => {
      const match = new RegExp(`^pilothub_${name} (\\S+)$`, 'm').exec(text);
      return match ? Number(match[1]) / 1024 / 1024 : NaN;
    };
    figures.heapUsed = read('nodejs_heap_size_used_bytes');
    figures.heapTotal = read('nodejs_heap_size_total_bytes');
    figures.external = read('nodejs_external_memory_bytes');
  } catch {
    // leave NaN
  }
  return figures;
}

/** Distinct stderr lines (ANSI colours, time stamps and PIDs removed), most frequent first. */
export function summariseStderr(text: string, limit = 5): string {
  const lines = text
    .split('\n')
    // eslint-disable-next-line no-control-regex
    .map((line) => line.replace(/\u001b\[[0-9;]*m/g, '').replace(/^\[[^\]]*\]\s*\[PID: \d+\]\s*/, '').trim())
    .filter(Boolean);
  if (lines.length === 0) return 'empty';
  const counts = new Map<string, number>();
  for (const line of lines) counts.set(line.slice(0, 200), (counts.get(line.slice(0, 200)) ?? 0) + 1);
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([line, count]) => `${count} × \`${line.replace(/`/g, "'")}\``);
  if (sorted.length > limit) shown.push(`… ${sorted.length - limit} more distinct`);
  return `${lines.length} lines: ${shown.join('; ')}`;
}

// ---------------------------------------------------------------------------------------------------------
// Feed simulator in a worker thread of this process: its streaming (slow, huge) and timers do not share the
// event loop that autocannon measures latency on.

export interface SimulatorHandle {
  url: string;
  close(): Promise<void>;
}

const SIMULATOR_WORKER = `
const { parentPort } = require('node:worker_threads');
require('ts-node').register({ transpileOnly: true });
const { startFeedSimulator } = require(${JSON.stringify(path.join(ROOT, 'src', 'feeds', 'simulator.ts'))});
startFeedSimulator({ port: 0, host: '127.0.0.1' }).then(
  (simulator) => {
    parentPort.postMessage({ url: simulator.url });
    parentPort.on('message', (message) => {
      if (message === 'close') simulator.close().then(() => parentPort.postMessage({ closed: true }));
    });
  },
  (error) => parentPort.postMessage({ error: String(error && error.stack || error) }),
);
`;

export async function startSimulatorWorker(): Promise<SimulatorHandle> {
  const worker = new Worker(SIMULATOR_WORKER, { eval: true });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      unregister();
      const closed = new Promise<void>((resolve) => {
        worker.on('message', (message: { closed?: boolean }) => message.closed && resolve());
        worker.once('exit', () => resolve());
      });
      worker.postMessage('close');
      await Promise.race([closed, sleep(5_000)]);
      await worker.terminate();
    })());
  const unregister = onInterrupt(close);
  try {
    const url = await new Promise<string>((resolve, reject) => {
      worker.once('message', (message: { url?: string; error?: string }) => (message.url ? resolve(message.url) : reject(new Error(message.error))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`simulator worker exited with code ${code}`)));
    });
    return { url, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Sets (or with mode null clears) a per-feed fault switch of the simulator. */
export async function setFault(simulatorUrl: string, feed: string, mode: string | null): Promise<void> {
  const response = await fetch(`${simulatorUrl}/_faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ feed, mode }),
  });
  if (!response.ok) throw new Error(`POST /_faults ${feed}=${mode}: ${response.status} ${await response.text()}`);
}

export async function clearFaults(simulatorUrl: string): Promise<void> {
  const response = await fetch(`${simulatorUrl}/_faults`, { method: 'DELETE' });
  await response.arrayBuffer();
}

// ---------------------------------------------------------------------------------------------------------
// Connectors through the API.

export interface RunNode {
  id: string;
  trigger: string;
  status: string;
  attempts: number;
  errorClass: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  startedAt: string;
  finishedAt: string | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
}

export interface ConnectorNode {
  id: string;
  name: string;
  kind: string;
  enabled: boolean;
  health: { status: string; consecutiveFailures: number; lastError: string | null };
  runs: { totalCount: number; edges: Array<{ node: RunNode }> };
}

const RUN_FIELDS = 'id trigger status attempts errorClass errorMessage durationMs startedAt finishedAt summary { fetched imported updated unchanged rejected }';

/** Allows the bench's local feed (loopback) for connectors, as an administrator would; once per host and port. */
async function allowFeedHost(url: string, input: Record<string, unknown>): Promise<void> {
  const config = (input.config ?? {}) as { url?: string; baseUrl?: string; source?: { url?: string } };
  const target = config.url ?? config.baseUrl ?? config.source?.url;
  if (!target) return;
  const pattern = new URL(target).host;
  const { outboundHosts } = await graphql<{ outboundHosts: Array<{ pattern: string }> }>(url, '{ outboundHosts { pattern } }');
  if (outboundHosts.some((entry) => entry.pattern === pattern)) return;
  await graphql(url, 'mutation($input: OutboundHostInput!) { addOutboundHost(input: $input) { id } }', {
    input: { pattern, allowPrivate: true, note: 'bench feed simulator' },
  });
}

export async function registerConnector(url: string, input: Record<string, unknown>): Promise<string> {
  await allowFeedHost(url, input);
  const data = await graphql<{ registerConnector: { id: string } }>(url, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
    input,
  });
  return data.registerConnector.id;
}

export async function backfillConnector(url: string, id: string, from: string, to: string): Promise<RunNode> {
  const data = await graphql<{ runConnector: RunNode }>(
    url,
    `mutation($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to, wait: true) { ${RUN_FIELDS} } }`,
    { id, from, to },
  );
  return data.runConnector;
}

export async function setConnectorEnabled(url: string, id: string, enabled: boolean): Promise<void> {
  await graphql(url, 'mutation($id: ID!, $enabled: Boolean!) { setConnectorEnabled(id: $id, enabled: $enabled) { id enabled } }', { id, enabled });
}

/** Every connector with its newest `runs` runs (at most MAX_PAGE_SIZE). */
export async function connectorsWithRuns(url: string, runs = 500): Promise<ConnectorNode[]> {
  const data = await graphql<{ connectors: { edges: Array<{ node: ConnectorNode }> } }>(
    url,
    `query($runs: Int) { connectors(first: 100) { edges { node {
       id name kind enabled health { status consecutiveFailures lastError }
       runs(first: $runs) { totalCount edges { node { ${RUN_FIELDS} } } }
     } } } }`,
    { runs },
  );
  return data.connectors.edges.map((edge) => edge.node);
}

/** Waits until no connector has a RUNNING run (or the time is up); returns whether that happened. */
export async function waitForIdleConnectors(url: string, timeoutMs: number): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(1_000)) {
    const connectors = await connectorsWithRuns(url, 50);
    if (!connectors.some((connector) => connector.runs.edges.some((edge) => edge.node.status === 'RUNNING'))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------
// Small things.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Yesterday (UTC), the last day the simulator has data for; never after "today" in Asia/Ho_Chi_Minh. */
export function yesterdayUtc(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

export function daysBefore(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

export const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The first difference between two JSON values ("" when equal); numbers may differ by 1e-9 relatively. */
export function firstDifference(actual: unknown, expected: unknown, where = '$'): string {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(1, Math.abs(actual), Math.abs(expected));
    return Math.abs(actual - expected) <= 1e-9 * scale ? '' : `${where}: ${actual} ≠ ${expected}`;
  }
  if (Array.isArray(actual) && Array.isArray(expected)) {
    if (actual.length !== expected.length) return `${where}: ${actual.length} items ≠ ${expected.length}`;
    for (const [index, item] of actual.entries()) {
      const difference = firstDifference(item, expected[index], `${where}[${index}]`);
      if (difference) return difference;
    }
    return '';
  }
  if (actual && expected && typeof actual === 'object' && typeof expected === 'object') {
    const keys = [...new Set([...Object.keys(actual), ...Object.keys(expected)])].sort();
    for (const key of keys) {
      const difference = firstDifference((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${where}.${key}`);
      if (difference) return difference;
    }
    return '';
  }
  return actual === expected ? '' : `${where}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`;
}

export const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
export const ms = (value: number): string => (Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '–');
export const mib = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '–');
