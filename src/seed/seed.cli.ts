/** `npm run seed`: loads the catalogue into the configured database (idempotent). */
import 'reflect-metadata';
import { loadConfig } from '../config';
import { openDatabase } from '../database/open-database';
import { seedCatalogue } from './seed';

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = await openDatabase(config.database);
  try {
    const summary = await seedCatalogue(dataSource);
    const counts = Object.entries(summary.inserted).map(([table, count]) => `${table} ${count}`);
    console.log(`seed complete; rows inserted: ${counts.join(', ')}`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(`seed failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
