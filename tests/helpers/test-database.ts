import { DataSource, type Logger } from 'typeorm';
import { databaseConfigFromUrl, type DatabaseConfig } from '../../src/config';
import { createDataSource, migrate } from '../../src/database/data-source';
import { seedCatalogue } from '../../src/seed/seed';
import { workerDatabaseUrl } from './server-databases';

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
 * A freshly migrated database: every table of the worker's server database is dropped first, so each test file
 * starts from the migrations alone. Seeds the catalogue unless told not to.
 */
export async function openTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const config = testDatabaseConfig();
  const counter = new StatementCounter();
  const dataSource = createDataSource(config, { logger: counter });
  await dataSource.initialize();
  if (config.kind !== 'sqlite') await dataSource.dropDatabase();
  await migrate(dataSource);
  if (options.seed !== false) await seedCatalogue(dataSource);
  counter.reset();
  return { dataSource, config, counter };
}
