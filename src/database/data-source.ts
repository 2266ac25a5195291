import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions, type Logger } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { entities } from './entities';
import { serializeSqliteTransactions } from './sqlite-transactions';

/** Migrations live in one folder per dialect: DDL and constraint names differ. */
export function migrationsFolder(kind: DatabaseConfig['kind']): string {
  return path.join(__dirname, 'migrations', kind === 'sqlite' ? 'sqlite' : 'mysql');
}

export interface DataSourceExtras {
  logger?: Logger;
  /**
   * SQLite in memory only: the database starts as a copy of these contents (better-sqlite3's `serialize()` of
   * another database) instead of empty. The test suite opens each file's database from a migrated and seeded
   * image this way instead of migrating and seeding it again.
   */
  sqliteContents?: Buffer;
}

/** better-sqlite3's constructor, opening `contents` (a serialized database) whatever location it is given. */
function openingContents(contents: Buffer): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as new (contents: Buffer, options: object) => unknown;
  return function OpenContents(_location: string, options: object) {
    return new Database(contents, options);
  };
}

export function dataSourceOptions(config: DatabaseConfig, extras: DataSourceExtras = {}): DataSourceOptions {
  const common = {
    entities,
    migrations: [path.join(migrationsFolder(config.kind), '*.{ts,js}')],
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: extras.logger ? ('all' as const) : false,
    logger: extras.logger,
  };
  if (config.kind === 'sqlite') {
    if (extras.sqliteContents && config.location !== ':memory:') throw new Error('sqliteContents applies to an in-memory database only');
    return {
      ...common,
      type: 'better-sqlite3',
      database: config.location,
      ...(extras.sqliteContents ? { driver: openingContents(extras.sqliteContents) } : {}),
      // WAL lets readers run while the ingestion path writes.
      prepareDatabase: (db: {
        pragma: (statement: string) => unknown;
        function: (name: string, options: { deterministic: boolean }, implementation: (value: unknown) => unknown) => unknown;
      }) => {
        if (config.location !== ':memory:') db.pragma('journal_mode = WAL');
        db.pragma('busy_timeout = 5000');
        // SQLite's built-in lower() folds ASCII only; unit names are Vietnamese ("ĐÔNG" must match "Đông").
        db.function('lower', { deterministic: true }, (value) => (typeof value === 'string' ? value.toLowerCase() : value));
      },
    };
  }
  return {
    ...common,
    type: config.kind,
    url: config.location,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: ['DATE'],
    poolSize: config.poolSize,
    // A new connection to a server that does not answer (frozen, or a network that drops packets) fails after
    // 3 s: requests then get SERVICE_UNAVAILABLE within a few seconds instead of waiting 10 s or more each.
    connectTimeout: 3_000,
    // No stack captured on every statement for an error that almost never comes (the await chain still shows
    // who sent a failing statement).
    trace: false,
  };
}

export function createDataSource(config: DatabaseConfig, extras: DataSourceExtras = {}): DataSource {
  if (config.kind === 'sqlite' && config.location !== ':memory:') {
    fs.mkdirSync(path.dirname(config.location), { recursive: true });
  }
  const dataSource = new DataSource(dataSourceOptions(config, extras));
  serializeSqliteTransactions(dataSource);
  return dataSource;
}

/** Applies every pending migration; returns the names of those it ran. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return applied.map((migration) => migration.name);
}
