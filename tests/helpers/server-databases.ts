/**
 * The server databases of a test run on MariaDB/MySQL. Integration files run in parallel jest workers, and each
 * file drops every table of its database before it migrates: every worker therefore gets a database of its
 * own, `<database of TEST_DATABASE_URL>_w<JEST_WORKER_ID>`. The run creates them (utf8mb4) before the first file
 * and drops them after the last (tests/helpers/server-databases.setup.ts and .teardown.ts).
 *
 * Loaded by jest's global setup outside the test sandbox: plain mysql2, nothing of the hub.
 */
import { createConnection } from 'mysql2/promise';

/** The database of jest worker `workerId` (JEST_WORKER_ID, 1 … maxWorkers) on the server of `url`. */
export function workerDatabaseUrl(url: string, workerId: string | number = process.env.JEST_WORKER_ID ?? '1'): string {
  const parsed = new URL(url);
  const base = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!base) throw new Error(`TEST_DATABASE_URL must name a database (the prefix of the per-worker databases): ${parsed.protocol}//${parsed.host}/<name>`);
  parsed.pathname = `/${base}_w${workerId}`;
  return parsed.toString();
}

/** Database names of workers 1 … `workers`. */
export function workerDatabaseNames(url: string, workers: number): string[] {
  return Array.from({ length: workers }, (_, index) => decodeURIComponent(new URL(workerDatabaseUrl(url, index + 1)).pathname.slice(1)));
}

/** Runs `work` on a connection to the server of `url` (no database selected). */
async function onServer(url: string, work: (query: (sql: string) => Promise<unknown>) => Promise<void>): Promise<void> {
  const server = new URL(url.replace(/^mariadb:/, 'mysql:'));
  server.pathname = '/';
  const connection = await createConnection({ uri: server.toString(), connectTimeout: 10_000 });
  try {
    await work((sql) => connection.query(sql));
  } finally {
    await connection.end();
  }
}

/** Creates the databases of workers 1 … `workers`, empty (an earlier run's leftovers are dropped first). */
export async function createWorkerDatabases(url: string, workers: number): Promise<void> {
  await onServer(url, async (query) => {
    for (const name of workerDatabaseNames(url, workers)) {
      await query(`DROP DATABASE IF EXISTS \`${name}\``);
      await query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    }
  });
}

/** Drops the databases of workers 1 … `workers`. */
export async function dropWorkerDatabases(url: string, workers: number): Promise<void> {
  await onServer(url, async (query) => {
    for (const name of workerDatabaseNames(url, workers)) await query(`DROP DATABASE IF EXISTS \`${name}\``);
  });
}
