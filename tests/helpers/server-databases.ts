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

/** Drops the databases of workers 1 … `workers` and the run's template databases. */
export async function dropWorkerDatabases(url: string, workers: number): Promise<void> {
  await onServer(url, async (query) => {
    for (const name of [...workerDatabaseNames(url, workers), ...TEMPLATE_KINDS.map((kind) => templateDatabaseName(url, kind))]) {
      await query(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  });
}

/**
 * Template databases. Migrating and seeding a database on the server takes seconds; copying a migrated (and
 * seeded) template into a worker's database takes a fraction of that. Each template is built once per run by
 * the first worker that needs it (under a server-side lock, so two workers never build it together), marked
 * ready by a table of its own, and dropped by the global teardown with the workers' databases.
 */
export type TemplateKind = 'migrated' | 'seeded';
const TEMPLATE_KINDS: readonly TemplateKind[] = ['migrated', 'seeded'];
const READY_MARK = 'template_ready';

/** `<database of TEST_DATABASE_URL>_wtemplate_<kind>`: matched, like the workers' databases, by `<name>\_w%`. */
export function templateDatabaseName(url: string, kind: TemplateKind): string {
  return `${decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))}_wtemplate_${kind}`;
}

/** The URL of a database on the same server as `url`. */
export function databaseUrl(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Makes `target` (dropped and created again) an exact copy of the `kind` template of the run of `url`, building
 * the template with `build` (given the template's URL) if no worker has yet. Tables are created from the
 * template's own `SHOW CREATE TABLE` (keys, foreign keys and counters included), then filled from it.
 */
export async function copyTemplateDatabase(url: string, kind: TemplateKind, target: string, build: (templateUrl: string) => Promise<void>): Promise<void> {
  const template = templateDatabaseName(url, kind);
  await onServer(url, async (query) => {
    const rows = async (sql: string) => (await query(sql)) as [Array<Record<string, string>>];
    await query(`SELECT GET_LOCK('${template}', 600)`);
    try {
      const [ready] = await rows(`SELECT 1 AS ready FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${template}' AND TABLE_NAME = '${READY_MARK}'`);
      if (ready.length === 0) {
        await query(`DROP DATABASE IF EXISTS \`${template}\``);
        await query(`CREATE DATABASE \`${template}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        await build(databaseUrl(url, template));
        await query(`CREATE TABLE \`${template}\`.\`${READY_MARK}\` (ready int)`);
      }
    } finally {
      await query(`SELECT RELEASE_LOCK('${template}')`);
    }
    const [tables] = await rows(
      `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${template}' AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '${READY_MARK}'`,
    );
    await query(`DROP DATABASE IF EXISTS \`${target}\``);
    await query(`CREATE DATABASE \`${target}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await query(`USE \`${target}\``);
    await query('SET FOREIGN_KEY_CHECKS = 0');
    for (const { name } of tables) {
      const [[created]] = await rows(`SHOW CREATE TABLE \`${template}\`.\`${name}\``);
      await query(created['Create Table']);
      await query(`INSERT INTO \`${name}\` SELECT * FROM \`${template}\`.\`${name}\``);
    }
  });
}
