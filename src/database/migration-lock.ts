/**
 * Migrations that any number of processes may start at once. Whoever takes the database's migration lock first
 * applies the pending migrations; the others wait for the lock, then find nothing pending.
 * - MySQL/MariaDB: `GET_LOCK` on one connection of the pool, which then runs the migrations itself (a pool of one
 *   connection cannot deadlock); the server releases the lock if the process dies.
 * - SQLite: `BEGIN IMMEDIATE` (the write lock of the file) around all pending migrations; they commit together.
 */
import { createHash } from 'node:crypto';
import { MigrationExecutor, type DataSource, type QueryRunner } from 'typeorm';
import { isSqlite } from './sql-dialect';

/** Longest a process waits for another one to finish migrating before it gives up (and says so). */
export const MIGRATION_LOCK_WAIT_MS = 10 * 60_000;

export class MigrationLockTimeout extends Error {}

/** The lock name of this database: GET_LOCK names are server-wide (every database) and at most 64 characters. */
async function serverLockName(runner: QueryRunner): Promise<string> {
  const rows: Array<{ name: string | null }> = await runner.query('SELECT DATABASE() AS name');
  return `pilothub:migrate:${createHash('sha256').update(rows[0]?.name ?? '').digest('hex').slice(0, 32)}`;
}

async function onServer<T>(dataSource: DataSource, waitMs: number, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    const name = await serverLockName(runner);
    const rows: Array<{ got: number | string | null }> = await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, Math.ceil(waitMs / 1000)]);
    if (Number(rows[0]?.got) !== 1) {
      const holder: Array<{ id: number | string | null }> = await runner.query('SELECT IS_USED_LOCK(?) AS id', [name]);
      throw new MigrationLockTimeout(
        `another process has held the migration lock for more than ${Math.round(waitMs / 1000)} s (server connection ${holder[0]?.id ?? 'unknown'}); ` +
          'wait for its migrations to finish, or end that connection if its process is gone',
      );
    }
    try {
      return await work(runner);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}

const isBusy = (error: unknown) => /SQLITE_BUSY|database is locked/i.test(String((error as { code?: string }).code ?? '') + String((error as Error).message ?? ''));

async function onSqlite<T>(dataSource: DataSource, waitMs: number, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  // The single connection of the process; foreign keys off (outside a transaction, where the pragma works) as
  // TypeORM does around migrations that rebuild tables.
  const runner = dataSource.createQueryRunner();
  await runner.beforeMigration();
  try {
    // Each attempt waits busy_timeout for the file's write lock; a long migration elsewhere takes several.
    for (const deadline = Date.now() + waitMs; ; ) {
      try {
        await runner.query('BEGIN IMMEDIATE TRANSACTION');
        break;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (Date.now() >= deadline) {
          throw new MigrationLockTimeout(`another process has held the database file's write lock for more than ${Math.round(waitMs / 1000)} s; wait for its migrations to finish`);
        }
      }
    }
    try {
      const result = await work(runner);
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    await runner.afterMigration();
  }
}

/** Applies every pending migration under the database's migration lock; returns the names of those it ran. */
export async function migrateLocked(dataSource: DataSource, options: { waitMs?: number } = {}): Promise<string[]> {
  const waitMs = options.waitMs ?? MIGRATION_LOCK_WAIT_MS;
  const sqlite = isSqlite(dataSource);
  const run = async (runner: QueryRunner) => {
    const executor = new MigrationExecutor(dataSource, runner);
    // SQLite: inside the lock's transaction already; the server: one transaction per migration (MySQL commits
    // DDL implicitly anyway).
    executor.transaction = sqlite ? 'none' : 'each';
    return (await executor.executePendingMigrations()).map((migration) => migration.name);
  };
  return sqlite ? onSqlite(dataSource, waitMs, run) : onServer(dataSource, waitMs, run);
}

/**
 * Runs `work` (seeding, which reads what is there and adds what is missing) while holding the database's
 * migration lock on MySQL/MariaDB, so processes starting together do it one after the other. An embedded
 * database serves one process: the work runs as is.
 */
export async function underMigrationLock<T>(dataSource: DataSource, work: () => Promise<T>, options: { waitMs?: number } = {}): Promise<T> {
  if (isSqlite(dataSource)) return work();
  return onServer(dataSource, options.waitMs ?? MIGRATION_LOCK_WAIT_MS, () => work());
}

export interface MigrationState {
  /** Migrations of this build not yet applied to the database. */
  pending: string[];
  /** Migrations applied to the database that this build does not have (a newer version ran on it). */
  unknown: string[];
}

/** Compares the migrations table with this build's migrations (one query). */
export async function migrationState(dataSource: DataSource): Promise<MigrationState> {
  const table = dataSource.driver.escape(dataSource.options.migrationsTableName ?? 'migrations');
  const rows: Array<{ name: string }> = await dataSource.query(`SELECT name FROM ${table}`);
  const applied = new Set(rows.map((row) => row.name));
  const known = dataSource.migrations.map((migration) => migration.name ?? migration.constructor.name);
  const knownSet = new Set(known);
  return { pending: known.filter((name) => !applied.has(name)), unknown: [...applied].filter((name) => !knownSet.has(name)).sort() };
}
