/**
 * The hub as a child process of a benchmark: its environment (production-like, a fresh ADMIN key), start-up until
 * /healthz answers, its warnings and errors, and a stop that escalates to SIGKILL.
 */
import fs from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { spawnHub } from '../tests/helpers/spawn-hub';
import { BENCH_ADMIN_KEY, onInterrupt, sleep } from './support';

/** Environment every benchmark hub gets (the brief's production-like settings); add DATABASE_URL and more. */

export const HUB_BASE_ENVIRONMENT: Readonly<Record<string, string>> = {
  PILOTHUB_ADMIN_KEY: BENCH_ADMIN_KEY,
  SEED_ON_START: 'always',
  PILOTHUB_DEMO: 'false',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'warn',
  LOG_FORMAT: 'json',
  NODE_ENV: 'production',
  // Required in production; a fixed key (it protects no real secret), so a reused bench database keeps matching it.
  SECRETS_KEYS: `bench:${Buffer.alloc(32, 11).toString('base64')}`,
  // Load comes from one address: per-caller rate limits would measure the limiter, not the hub.
  RATE_LIMIT_PER_MINUTE: '0',
  RATE_LIMIT_BURST: '0',
};

/** Variables of the bench's own environment the hub must not inherit (they would change its behaviour). */
const NOT_INHERITED = [
  'DATABASE_URL',
  'SQLITE_PATH',
  'PORT',
  'HOST',
  'SEED_ON_START',
  'PILOTHUB_DEMO',
  'DEMO_FEEDS_PORT',
  'TEST_DATABASE_URL',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'NODE_ENV',
  'CONNECTOR_TIMEOUT_SECONDS',
  'TS_NODE_PROJECT',
];

export interface HubLogEntry {
  level: number;
  msg: string;
  detail?: string;
}

export interface HubChild {
  pid: number;
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  graphqlUrl: string;
  startupSeconds: number;
  stdout(): string;
  stderr(): string;
  /** Log lines (pino JSON on stdout) at warn (40) or above written after `fromOffset` (a stdout length). */
  problems(fromOffset?: number): HubLogEntry[];
  /** SIGTERM, then SIGKILL after 10 s; resolves with how the process ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean; seconds: number }>;
}

/** Socket inodes of a process's open file descriptors. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[] = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // the descriptor closed meanwhile
    }
  }
  return inodes;
}

/**
 * TCP ports the process listens on, from /proc. With PORT=0 and LOG_LEVEL=warn the hub never prints its
 * address (the "ready at" line is an info line), so this is how the bench finds it.
 */
export function listeningPorts(pid: number): number[] {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return [];
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (fields.length < 10 || fields[3] !== '0A' || !inodes.has(fields[9])) continue;
      ports.push(parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

function parseLogLines(text: string): HubLogEntry[] {
  const entries: HubLogEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; type?: string } };
      if (typeof entry.level === 'number' && entry.level >= 40) {
        entries.push({ level: entry.level, msg: entry.msg ?? '', detail: entry.err?.message });
      }
    } catch {
      // not a log line
    }
  }
  return entries;
}

/**
 * Runs the hub's entry point (`node -r ts-node/register/transpile-only src/main.ts`) with HUB_BASE_ENVIRONMENT
 * plus `environment`, and waits until it serves (its listening port answers GET /healthz).
 */
export async function startHub(environment: Record<string, string>, timeoutMs = 180_000): Promise<HubChild> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !NOT_INHERITED.includes(name)));
  const started = performance.now();
  // BENCH_HUB_NODE_ARGS adds node flags to the hub (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it).
  const nodeArgs = (process.env.BENCH_HUB_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const { child, stdout, stderr, exited } = spawnHub({ ...inherited, ...HUB_BASE_ENVIRONMENT, ...environment }, { nodeArguments: nodeArgs });
  const running = () => child.exitCode === null && child.signalCode === null;

  let stopping: ReturnType<HubChild['stop']> | undefined;
  const stop: HubChild['stop'] = () =>
    (stopping ??= (async () => {
      unregister();
      const began = performance.now();
      let killed = false;
      if (running()) {
        child.kill('SIGTERM');
        const timer = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 10_000).unref());
        if ((await Promise.race([exited, timer])) === 'late' && running()) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
      const { code, signal } = await exited;
      return { code, signal, killed, seconds: (performance.now() - began) / 1000 };
    })());
  const unregister = onInterrupt(async () => void (await stop()));

  try {
    if (child.pid === undefined) throw new Error('could not spawn the hub');
    const pid = child.pid;
    for (const deadline = Date.now() + timeoutMs; ; ) {
      if (!running()) throw new Error(`hub exited during start-up (code ${child.exitCode}): ${stderr() || stdout()}`);
      if (Date.now() > deadline) throw new Error(`hub did not start within ${timeoutMs / 1000} s: ${stdout()} ${stderr()}`);
      const printed = /ready at http:\/\/[^/\s]+:(\d+)\//.exec(stdout());
      const ports = printed ? [Number(printed[1])] : listeningPorts(pid);
      for (const port of ports) {
        const baseUrl = `http://127.0.0.1:${port}`;
        try {
          const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
          await response.arrayBuffer();
          if (response.ok) {
            return {
              pid,
              child,
              baseUrl,
              graphqlUrl: `${baseUrl}/graphql`,
              startupSeconds: (performance.now() - started) / 1000,
              stdout,
              stderr,
              problems: (fromOffset = 0) => parseLogLines(stdout().slice(fromOffset)),
              stop,
            };
          }
        } catch {
          // not serving yet
        }
      }
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  }
}

/** "3 × error: msg; 1 × warn: msg" for the distinct problem lines, most frequent first. */
export function summariseProblems(entries: HubLogEntry[], limit = 5): string {
  if (entries.length === 0) return 'none';
  const names: Record<number, string> = { 40: 'warn', 50: 'error', 60: 'fatal' };
  const counts = new Map<string, number>();
  for (const entry of entries) {
    const text = `${names[entry.level] ?? entry.level}: ${entry.msg}${entry.detail && entry.detail !== entry.msg ? ` (${entry.detail})` : ''}`
      .replace(/\s+/g, ' ')
      .slice(0, 220);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const shown = sorted.slice(0, limit).map(([text, count]) => `${count} × ${text}`);
  if (sorted.length > limit) shown.push(`… ${sorted.length - limit} more distinct`);
  return shown.join('; ');
}

