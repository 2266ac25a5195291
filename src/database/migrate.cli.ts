/** `npm run db:migrate`: applies pending migrations to the configured database. */
import 'reflect-metadata';
import { loadConfig } from '../config';
import { createDataSource, migrate } from './data-source';

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = createDataSource(config.database);
  await dataSource.initialize();
  try {
    const applied = await migrate(dataSource);
    console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`migration failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  process.exit(1);
});
