import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions, type Logger } from 'typeorm';
import type { DatabaseConfig } from '../config';
import { entities } from './entities';
import { migrateLocked } from './migration-lock';
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

/**
 * Host, port, credentials and database of a server URL, decoded: TypeORM's own URL parsing cuts the URL at the
 * first "/" (a password holding an encoded or plain "/" breaks it).
 */
export function serverAddress(location: string): { host: string; port: number; username: string; password: string; database: string } {
  const url = new URL(location);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 3306 : Number(url.port),
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.slice(1)),
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
        // The busy timeout first: switching a new file to WAL takes a lock that a process starting alongside may hold.
        db.pragma('busy_timeout = 5000');
        if (config.location !== ':memory:') db.pragma('journal_mode = WAL');
        // SQLite's built-in lower() folds ASCII only; unit names are Vietnamese ("ĐÔNG" must match "Đông").
        db.function('lower', { deterministic: true }, (value) => (typeof value === 'string' ? value.toLowerCase() : value));
      },
    };
  }
  return {
    ...common,
    type: config.kind,
    ...serverAddress(config.location),
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

/**
 * Applies every pending migration under the database's migration lock (any number of processes may call it at
 * once: see migration-lock.ts); returns the names of those it ran.
 */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  return migrateLocked(dataSource);
}
