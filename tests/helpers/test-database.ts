import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource, type Logger } from 'typeorm';
import { databaseConfigFromUrl, type DatabaseConfig } from '../../src/config';
import { createDataSource, migrate } from '../../src/database/data-source';
import { seedCatalogue } from '../../src/seed/seed';
import { copyTemplateDatabase, workerDatabaseUrl } from './server-databases';
import { sourceHash } from './source-hash';

/**
 * The database this test file targets: embedded SQLite in memory, or, in the server-database project, this jest
 * worker's own database on the server of TEST_DATABASE_URL (`<its database>_w<JEST_WORKER_ID>`, created by the
 * run's global setup: see server-databases.ts).
 */
export function testDatabaseConfig(): DatabaseConfig {
  if (process.env.PILOTHUB_TEST_ON_SERVER === '1') {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) throw new Error('TEST_DATABASE_URL must be set for the server-database project');
    return databaseConfigFromUrl(workerDatabaseUrl(url), '', 4);
  }
  return databaseConfigFromUrl(undefined, ':memory:');
}

export const onServerDatabase = (): boolean => testDatabaseConfig().kind !== 'sqlite';

/** How many rows each of `tables` holds: equal before and after a refused write means nothing was written. */
export async function rowCounts(dataSource: DataSource, tables: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number(((await dataSource.query(`SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: number | string }>)[0].n);
  return counts;
}

/** Counts the SQL statements a data source sends (transaction control excluded). */
/** Statements that authenticate the caller of a request: the key lookup, and (once a minute) its last-use time. */
const AUTHENTICATION_STATEMENT = /["`]api_key(_department)?["`]/;

export class StatementCounter implements Logger {
  /** Every statement since the last reset, authentication included. */
  all: string[] = [];

  /** The statements of the operations themselves: all but those authenticating the caller. */
  get statements(): string[] {
    return this.all.filter((statement) => !AUTHENTICATION_STATEMENT.test(statement));
  }

  /** The statements that authenticated callers. */
  get authentication(): string[] {
    return this.all.filter((statement) => AUTHENTICATION_STATEMENT.test(statement));
  }

  logQuery(query: string): void {
    if (!/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)/i.test(query.trim())) this.all.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}

  reset(): void {
    this.all = [];
  }
}

export interface TestDatabase {
  dataSource: DataSource;
  config: DatabaseConfig;
  counter: StatementCounter;
}

/**
 * A freshly migrated database, seeded with the catalogue and its demo data (`seed --demo`) unless told not to.
 *
 * On the server, the worker's database is made a copy of a template database of the run, migrated (and seeded)
 * once by the first worker that needs it (see copyTemplateDatabase), so each test file starts from the
 * migrations alone. In SQLite (in memory) the file's database is a copy of an image of that same state, built
 * once by migrating (and seeding) an empty database and kept under the system's temporary folder, named after a
 * hash of the hub's source (src/: migrations, entities, seed): migrating and seeding again for every file costs
 * seconds of CPU, the copy milliseconds. The migrations tests and hub processes still migrate their own databases.
 */
export async function openTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const config = testDatabaseConfig();
  const counter = new StatementCounter();
  const seed = options.seed !== false;
  if (config.kind === 'sqlite') {
    const dataSource = createDataSource(config, { logger: counter, sqliteContents: await sqliteImage(config, seed) });
    await dataSource.initialize();
    counter.reset();
    return { dataSource, config, counter };
  }
  await copyTemplateDatabase(process.env.TEST_DATABASE_URL!, seed ? 'seeded' : 'migrated', decodeURIComponent(new URL(config.location).pathname.slice(1)), async (templateUrl) => {
    const template = createDataSource(databaseConfigFromUrl(templateUrl, '', 1));
    await template.initialize();
    try {
      await migrate(template);
      if (seed) await seedCatalogue(template, { demo: true });
    } finally {
      await template.destroy();
    }
  });
  const dataSource = createDataSource(config, { logger: counter });
  await dataSource.initialize();
  counter.reset();
  return { dataSource, config, counter };
}

const IMAGE_FOLDER = path.join(os.tmpdir(), 'pilothub-test-databases');
/** Images unused for this long are removed when a new one is written. */
const IMAGE_LIFETIME_MS = 24 * 3600_000;

/** The contents of a freshly migrated (and seeded) SQLite database of the current source; built on first use. */
async function sqliteImage(config: DatabaseConfig, seed: boolean): Promise<Buffer> {
  const file = path.join(IMAGE_FOLDER, `${imageSourceHash()}-${seed ? 'seeded' : 'migrated'}.sqlite`);
  try {
    const contents = fs.readFileSync(file);
    fs.utimesSync(file, new Date(), new Date());
    return contents;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    if (seed) await seedCatalogue(dataSource, { demo: true });
    const contents = (dataSource.driver as unknown as { databaseConnection: { serialize(): Buffer } }).databaseConnection.serialize();
    fs.mkdirSync(IMAGE_FOLDER, { recursive: true });
    // Written aside then renamed: a worker building the same image at the same time never reads half of it.
    const partial = `${file}.${process.pid}`;
    fs.writeFileSync(partial, contents);
    fs.renameSync(partial, file);
    removeOldImages();
    return contents;
  } finally {
    await dataSource.destroy();
  }
}

function removeOldImages(): void {
  for (const name of fs.readdirSync(IMAGE_FOLDER)) {
    const file = path.join(IMAGE_FOLDER, name);
    try {
      if (Date.now() - fs.statSync(file).mtimeMs > IMAGE_LIFETIME_MS) fs.rmSync(file, { force: true });
    } catch {
      // Removed meanwhile by another worker.
    }
  }
}

let hashed: string | undefined;

/** A hash of every file under src/ (path and contents): an image is reused only by the source that built it. */
function imageSourceHash(): string {
  hashed ??= sourceHash(['src']);
  return hashed;
}

/**
 * A trigger that makes every `event` (e.g. `INSERT`) on `table` fail with `message`, on either database: the way
 * tests force a statement in the middle of a transaction to fail. Drop it with `DROP TRIGGER <name>`.
 */
export async function installFailingTrigger(dataSource: DataSource, trigger: { name: string; event: 'INSERT' | 'UPDATE' | 'DELETE'; table: string; message: string }): Promise<void> {
  const { name, event, table, message } = trigger;
  await dataSource.query(
    onServerDatabase()
      ? `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${message}'`
      : `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, '${message}'); END`,
  );
}
