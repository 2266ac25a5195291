import 'reflect-metadata';
import { loadConfig, StartupError } from './config';

async function main(): Promise<void> {
  // The configuration is checked with nothing else loaded yet: a wrong setting is reported in a fraction of a
  // second instead of after the whole hub (GraphQL, the ORM, every module) has been loaded.
  const config = loadConfig();
  const { runHub } = await import('./run-hub');
  await runHub(config);
}

main().catch((error: unknown) => {
  if (error instanceof StartupError) {
    console.error(`PilotHub cannot start: ${error.message}`);
  } else {
    console.error('PilotHub cannot start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
