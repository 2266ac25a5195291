import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';

/**
 * One transaction at a time on SQLite. TypeORM's better-sqlite3 driver has a single connection and a single
 * query runner for the whole process: a second `dataSource.transaction(...)` started while the first one waits
 * on an await becomes a SAVEPOINT inside the first (the two interleave, read each other's uncommitted rows, and
 * one's COMMIT releases the other's savepoint). Installed on every SQLite data source, this queues top-level
 * transactions behind each other, so a transaction's reads and writes see one consistent database (what
 * MySQL/MariaDB get from row locks), and opens them with BEGIN IMMEDIATE so that another process sharing the
 * file waits (busy_timeout) instead of failing when a read-then-write transaction tries to upgrade its lock.
 *
 * A transaction is identified by the async context of its callback: `transaction()` called inside a callback is
 * nested (a savepoint), as before. Transactions TypeORM starts by itself (save() outside a transaction) queue too.
 */
export function serializeSqliteTransactions(dataSource: DataSource): void {
  if (dataSource.options.type !== 'better-sqlite3') return;
  const context = new AsyncLocalStorage<symbol>();
  let holder: symbol | null = null;
  const waiting: Array<{ token: symbol; resume: () => void }> = [];
  const acquire = (token: symbol): Promise<void> => {
    if (holder === null) {
      holder = token;
      return Promise.resolve();
    }
    return new Promise((resume) => waiting.push({ token, resume }));
  };
  const release = () => {
    const next = waiting.shift();
    holder = next ? next.token : null;
    next?.resume();
  };

  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((...args: unknown[]) =>
    context.getStore() ? transaction(...args) : context.run(Symbol('transaction'), () => transaction(...args))) as typeof manager.transaction;

  const patched = new WeakSet<QueryRunner>();
  const driver = dataSource.driver;
  const createQueryRunner = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode) => {
    const runner = createQueryRunner(mode);
    if (patched.has(runner)) return runner;
    patched.add(runner);
    const start = runner.startTransaction.bind(runner);
    const commit = runner.commitTransaction.bind(runner);
    const rollback = runner.rollbackTransaction.bind(runner);
    const query = runner.query.bind(runner) as (sql: string, parameters?: unknown[], structured?: boolean) => Promise<unknown>;
    const settle = () => {
      if (!runner.isTransactionActive && holder !== null) release();
    };
    runner.startTransaction = async (isolationLevel) => {
      const token = context.getStore() ?? Symbol('implicit transaction');
      // Inside the callback of the transaction that holds the connection: a nested transaction (savepoint).
      if (holder === token && runner.isTransactionActive) return start(isolationLevel);
      await acquire(token);
      try {
        await start(isolationLevel);
      } catch (error) {
        if (!runner.isTransactionActive) release();
        throw error;
      }
    };
    runner.commitTransaction = async () => {
      try {
        await commit();
      } finally {
        settle();
      }
    };
    runner.rollbackTransaction = async () => {
      try {
        await rollback();
      } finally {
        settle();
      }
    };
    runner.query = ((sql: string, parameters?: unknown[], structured?: boolean) =>
      query(sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql, parameters, structured)) as QueryRunner['query'];
    return runner;
  };
}
