import 'reflect-metadata';
import { startHub } from './app';
import { ConfigError, loadConfig } from './config';
import { DatabaseStartError, openDatabase } from './database/open-database';
import { DEMO_HISTORY_FROM, startDemo } from './demo/demo-mode';
import { startHubServices } from './hub-services';
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
  const reportError = (error: unknown) => console.error('unexpected error:', error);
  const services = await startHubServices(config, dataSource, { reportError });
  const hub = await startHub(config, dataSource, { reportError, connectors: services.operations });
  console.log(`PilotHub ready at ${hub.url} (${config.database.kind} database)`);
  const demo = config.demo.enabled ? await startDemo(config, dataSource, services) : undefined;
  if (demo) {
    console.log(`demo mode: feed simulator at ${demo.feedsUrl}; demo connectors backfill from ${DEMO_HISTORY_FROM} in the background`);
    demo.backfilled.then(() => console.log('demo backfill finished'), reportError);
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received: draining requests`);
    // Schedules first (no new runs), then HTTP, then let runs record how they ended, then the database.
    await services.schedules.stop();
    await hub.stop();
    await demo?.stop();
    await services.stop();
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
