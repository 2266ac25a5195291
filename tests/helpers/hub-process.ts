import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DatabaseConfig } from '../../src/config';
import { startFeedSimulator, type FeedSimulator } from '../../src/feeds/simulator';
import { compiledBuild, compiledHub } from './compiled-build';
import { TEST_SECRETS_KEYS } from './outbound';
import { spawnHub } from './spawn-hub';
import { openTestDatabase, testDatabaseConfig } from './test-database';
import { TEST_ADMIN_HEADERS, TEST_ADMIN_KEY } from './test-hub';


export interface HubProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export { TYPESCRIPT_NODE_ARGUMENTS } from './spawn-hub';

/**
 * Runs the hub as its own process with the given environment additions (and the test admin key): the compiled build's
 * main.js (the image's command; tests/helpers/compiled-build.ts), or with `typescript` src/main.ts as `npm start`
 * runs it, which costs about two seconds more CPU per start to load.
 */
export function startHubProcess(environment: Record<string, string>, options: Parameters<typeof spawnHub>[1] & { typescript?: boolean } = {}): HubProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !['DATABASE_URL', 'PORT', 'SQLITE_PATH', 'SEED_ON_START', 'TEST_DATABASE_URL', 'PILOTHUB_DEMO'].includes(name)),
  );
  const spawned = spawnHub(
    // Rate limits off unless a test sets them: load tests send far more than a caller's allowance.
    { PILOTHUB_DEMO: 'false', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_BURST: '0', RATE_LIMIT_AUTH_FAILURES: '0', SECRETS_KEYS: TEST_SECRETS_KEYS, ...inherited, PILOTHUB_ADMIN_KEY: TEST_ADMIN_KEY, ...environment },
    { ...options, compiled: options.compiled ?? (options.typescript ? undefined : compiledHub(compiledBuild())) },
  );
  return { ...spawned, exited: spawned.exited.then(({ code }) => code) };
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

export interface HubProcessFixture {
  hub: HubProcess;
  /** The project's feed simulator on an open port (allowed as an outbound server by the tests that use it). */
  feeds: FeedSimulator;
  /** The database the process uses: a SQLite file of the fixture's own, or this worker's database on the server. */
  databaseConfig: DatabaseConfig;
  /** Kills the process if it still runs, closes the feeds, removes the fixture's folder. */
  close(): Promise<void>;
}

/**
 * An empty database (no table) for processes to migrate: a SQLite file in `folder`, or this worker's database on
 * the server, dropped.
 */
export async function emptyDatabase(folder: string, name = 'hub'): Promise<{ config: DatabaseConfig; environment: Record<string, string> }> {
  const sqliteFile = path.join(folder, `${name}.sqlite`);
  const server = testDatabaseConfig();
  if (server.kind !== 'sqlite') {
    const database = await openTestDatabase({ seed: false });
    await database.dataSource.dropDatabase();
    await database.dataSource.destroy();
  }
  const config: DatabaseConfig = server.kind === 'sqlite' ? { kind: 'sqlite', location: sqliteFile, poolSize: 1 } : server;
  return { config, environment: databaseEnvironment(sqliteFile) };
}

/**
 * A hub process of its own on an empty database (it migrates and seeds it: SEED_ON_START=always), with JSON logs on
 * an open port, plus a feed simulator: the set-up of the tests that stop or restart a hub under load.
 */
export async function startHubProcessFixture(environment: Record<string, string>): Promise<HubProcessFixture> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-process-'));
  const { config: databaseConfig, environment: database } = await emptyDatabase(folder);
  const feeds = await startFeedSimulator({ port: 0 });
  const hub = startHubProcess({ ...database, PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'always', LOG_FORMAT: 'json', ...environment });
  return {
    hub,
    feeds,
    databaseConfig,
    async close() {
      if (hub.child.exitCode === null && hub.child.signalCode === null) {
        hub.child.kill('SIGKILL');
        await hub.exited;
      }
      await feeds.close();
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}
