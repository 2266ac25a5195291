import type { DataSource } from 'typeorm';
import { StartupError, type DatabaseConfig } from '../config';
import { createDataSource, migrate, type DataSourceExtras } from './data-source';

export class DatabaseStartError extends StartupError {}

function describe(config: DatabaseConfig): string {
  if (config.kind === 'sqlite') return `SQLite file ${config.location}`;
  const url = new URL(config.location);
  return `${config.kind} at ${url.host}${url.pathname}`;
}

/** Connects and applies pending migrations; failures become one readable line without credentials. */
export async function openDatabase(config: DatabaseConfig, extras: DataSourceExtras = {}): Promise<DataSource> {
  const dataSource = createDataSource(config, extras);
  try {
    await dataSource.initialize();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DatabaseStartError(`cannot open the database (${describe(config)}): ${reason}`);
  }
  try {
    await migrate(dataSource);
  } catch (error) {
    await dataSource.destroy();
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DatabaseStartError(`cannot migrate the database (${describe(config)}): ${reason}`);
  }
  return dataSource;
}
