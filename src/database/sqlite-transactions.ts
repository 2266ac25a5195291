import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { isSqlite } from './sql-dialect';

/**
 * One transaction at a time on SQLite. TypeORM's better-sqlite3 driver has a single connection and a single
 * query runner for the whole process: a second `dataSource.transaction(...)` started while the first one waits
 * on an await becomes a SAVEPOINT inside the first (the two interleave, read each other's uncommitted rows, and
 * one's COMMIT releases the other's savepoint). Installed on every SQLite data source, this queues
 * `transaction()` calls behind each other, so a transaction's reads and writes see one consistent database
 * (what MySQL/MariaDB get from row locks), and opens them with BEGIN IMMEDIATE so that another process sharing
 * the file waits (busy_timeout) instead of failing when a read-then-write transaction upgrades its lock.
 *
 * A transaction is identified by the async context of its callback: `transaction()` called again inside a
 * callback is nested (a savepoint), as before.
 */
export function serializeSqliteTransactions(dataSource: DataSource): void {
  if (!isSqlite(dataSource)) return;
  const inTransaction = new AsyncLocalStorage<true>();
  let queue: Promise<unknown> = Promise.resolve();

  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) => {
    if (inTransaction.getStore()) return transaction(...args);
    const turn = queue.then(() => inTransaction.run(true, () => transaction(...args)));
    // The next transaction waits for this one to end, whether it commits or rolls back.
    queue = turn.catch(() => undefined);
    return turn;
  }) as typeof manager.transaction;

  const driver = dataSource.driver;
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  const patched = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode);
    if (patched.has(runner)) return runner;
    patched.add(runner);
    const query = runner.query.bind(runner) as (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) =>
      query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, parameters, structured)) as QueryRunner['query'];
    return runner;
  };
}
