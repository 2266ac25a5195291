import 'reflect-metadata';
import { startHub } from './app';
import { ConfigError, loadConfig } from './config';
import { DatabaseStartError, openDatabase } from './database/open-database';
import { seedCatalogue } from './seed/seed';
import { Program } from './modules/catalogue/program.entity';

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = await openDatabase(config.database);
  const empty = (await dataSource.getRepository(Program).count()) === 0;
  if (config.seedOnStart === 'always' || (config.seedOnStart === 'auto' && empty && config.database.kind === 'sqlite')) {
    const summary = await seedCatalogue(dataSource);
    const total = Object.values(summary.inserted).reduce((sum, count) => sum + count, 0);
    console.log(`catalogue seeded (${total} rows inserted)`);
  }
  const hub = await startHub(config, dataSource);
  console.log(`PilotHub ready at ${hub.url} (${config.database.kind} database)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: draining requests`);
    await hub.stop();
    await dataSource.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError || error instanceof DatabaseStartError) {
    console.error(`PilotHub cannot start: ${error.message}`);
  } else {
    console.error('PilotHub cannot start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
