import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TEST_SECRETS_KEYS } from './outbound';
import { testDatabaseConfig } from './test-database';
import { TEST_ADMIN_HEADERS, TEST_ADMIN_KEY } from './test-hub';

const ROOT = path.join(__dirname, '..', '..');

export interface HubProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/**
 * Node arguments that run a TypeScript file as `ts-node --transpile-only` (`npm start`, the CLIs) would, with the
 * compiled output cached across the processes of a run (tests/helpers/ts-register.js).
 */
export const TYPESCRIPT_NODE_ARGUMENTS: readonly string[] = ['-r', path.join(__dirname, 'ts-register.js')];

/** Runs the hub's entry point (`npm start`) as its own process with the given environment additions (and the test admin key). */
export function startHubProcess(environment: Record<string, string>, options: { fileLimit?: number } = {}): HubProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'PORT', 'SQLITE_PATH', 'SEED_ON_START', 'TEST_DATABASE_URL', 'PILOTHUB_DEMO'].includes(name)),
  );
  const command = [process.execPath, ...TYPESCRIPT_NODE_ARGUMENTS, 'src/main.ts'];
  // With a file limit the hub runs under `ulimit -n` (a shell that then becomes the hub: same pid, same signals).
  const [file, ...args] = options.fileLimit ? ['/bin/sh', '-c', `ulimit -n ${options.fileLimit} && exec "$0" "$@"`, ...command] : command;
  const child = spawn(file, args, {
    cwd: ROOT,
    // Rate limits off unless a test sets them: load tests send far more than a caller's allowance.
    env: { PILOTHUB_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST: '0', RATE_LIMIT_AUTH_FAILURES: '0', SECRETS_KEYS: TEST_SECRETS_KEYS, ...inherited, PILOTHUB_ADMIN_KEY: TEST_ADMIN_KEY, ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A process a failed test left running does not outlive the jest worker that started it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      process.off('exit', killOnExit);
      resolve(code);
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The GraphQL URL the process prints once it serves. */
export async function waitForUrl(started: HubProcess, timeoutMs = 120_000): Promise<string> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    const match = /ready at (http:\/\/\S+)/.exec(started.stdout());
    if (match) return match[1];
    if (started.child.exitCode !== null) throw new Error(`hub exited: ${started.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`hub did not start: ${started.stdout()} ${started.stderr()}`);
}

/** Environment that points a process at this run's database (a shared SQLite file for the embedded project). */
export function databaseEnvironment(sqliteFile: string): Record<string, string> {
  const config = testDatabaseConfig();
  return config.kind === 'sqlite' ? { SQLITE_PATH: sqliteFile } : { DATABASE_URL: config.location };
}

/** Sends an operation as the test administrator (or with `headers`) and returns its data; GraphQL errors throw. */
export async function postGraphQL<T>(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = TEST_ADMIN_HEADERS): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}
