import 'reflect-metadata';
import { loadConfig } from './config';

/**
 * Why the hub did not start, on stderr as one line: a JSON log line (pino's fields, level fatal) when the logs are
 * JSON — LOG_FORMAT=json, or NODE_ENV=production without LOG_FORMAT — so a log collector parses it; text otherwise.
 * Read from the environment directly: the configuration itself may be what failed.
 */
function reportStartupFailure(error: unknown): void {
  const message = `PilotHub cannot start: ${error instanceof Error ? error.message : String(error)}`;
  const format = process.env.LOG_FORMAT?.trim() || (process.env.NODE_ENV?.trim() === 'production' ? 'json' : 'pretty');
  if (format === 'json') process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), service: 'pilothub', msg: message })}\n`);
  else process.stderr.write(`${message}\n`);
}

async function main(): Promise<void> {
  // The configuration is checked with nothing else loaded yet: a wrong setting is reported in a fraction of a
  // second instead of after the whole hub (GraphQL, the ORM, every module) has been loaded.
  const config = loadConfig();
  const { runHub } = await import('./run-hub');
  await runHub(config);
}

main().catch((error: unknown) => {
  reportStartupFailure(error);
  process.exit(1);
});
