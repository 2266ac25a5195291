import { createDataSource } from '../../src/database/data-source';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * SQLite has one connection per process: without the queue, a transaction that awaits real I/O lets a second
 * transaction start inside it (a savepoint), read the same value and overwrite the first one's change.
 */
describe('SQLite transactions', () => {
  it('run one at a time: read-modify-write transactions that await in between lose no update; nested ones still nest', async () => {
    const dataSource = createDataSource({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
    await dataSource.initialize();
    try {
      await dataSource.query('CREATE TABLE counter (id integer PRIMARY KEY, value integer NOT NULL)');
      await dataSource.query('INSERT INTO counter (id, value) VALUES (1, 0)');
      const increment = (pause: number) =>
        dataSource.transaction(async (manager) => {
          const [row] = await manager.query('SELECT value FROM counter WHERE id = 1');
          await sleep(pause);
          await manager.query('UPDATE counter SET value = ? WHERE id = 1', [Number(row.value) + 1]);
          // A transaction() inside the callback is nested in this one, not queued behind it.
          await dataSource.transaction((inner) => inner.query('UPDATE counter SET value = value + 10 WHERE id = 1'));
        });
      const failing = dataSource
        .transaction(async (manager) => {
          await manager.query('UPDATE counter SET value = value + 1000 WHERE id = 1');
          await sleep(5);
          throw new Error('rolled back');
        })
        .catch((error: Error) => error.message);
      const outcomes = await Promise.all([increment(20), increment(5), failing, increment(1), increment(10)]);
      expect(outcomes[2]).toBe('rolled back');
      const [row] = await dataSource.query('SELECT value FROM counter WHERE id = 1');
      expect(Number(row.value)).toBe(4 * 11);
    } finally {
      await dataSource.destroy();
    }
  });
});
