import { startHub } from './app';
import type { HubConfig } from './config';
import { openDatabase } from './database/open-database';
import { demoKeyBanner } from './demo/demo-keys';
import { DEMO_HISTORY_FROM, startDemo } from './demo/demo-mode';
import { startHubServices } from './hub-services';
import { Program } from './modules/catalogue/program.entity';
import { drainLogs } from './observability/log-output';
import { createLogger } from './observability/logger';
import { HubMetrics } from './observability/metrics';
import { seedCatalogue } from './seed/seed';
import { underMigrationLock } from './database/migration-lock';

/** Longest a shutdown waits (after SHUTDOWN_DELAY_SECONDS) for requests in flight and runs to record how they ended. */
const SHUTDOWN_DEADLINE_MS = 20_000;
/** Longest the exit waits for log lines still queued for standard output (a blocked or slow reader). */
const LOG_DRAIN_MS = 2_000;

/** Opens the database (migrating, seeding), starts the services and the HTTP server, and handles shutdown signals. */
export async function runHub(config: HubConfig): Promise<void> {
  const logger = createLogger(config.log);
  const reportError = (error: unknown) => logger.error({ err: error }, 'unexpected error');
  // A failing database connection or a stray rejection is logged; the process keeps serving.
  process.on('unhandledRejection', reportError);

  const dataSource = await openDatabase(config.database);
  const empty = (await dataSource.getRepository(Program).count()) === 0;
  if (config.seedOnStart === 'always' || (config.seedOnStart === 'auto' && empty && config.database.kind === 'sqlite')) {
    // Demo data only in demo mode (which production refuses unless told): otherwise reference data only.
    // Under the migration lock: instances started together on an empty database seed it one after the other.
    const summary = await underMigrationLock(dataSource, () => seedCatalogue(dataSource, { demo: config.demo.enabled }));
    const total = Object.values(summary.inserted).reduce((sum, count) => sum + count, 0);
    const loaded = config.demo.enabled ? 'reference and demo data' : 'reference data only';
    logger.info({ inserted: summary.inserted }, `catalogue seeded, ${loaded} (${total} rows inserted)`);
  }
  const metrics = new HubMetrics(dataSource, { timeZone: config.timeZone });
  const services = await startHubServices(config, dataSource, { reportError, logger, metrics });
  const hub = await startHub(config, dataSource, {
    logger,
    metrics,
    reportError,
    connectors: services.operations,
    schedulerRunning: () => services.schedules.running,
    secretKeyIds: services.secrets.box?.keyIds,
  });
  logger.info(`PilotHub ready at ${hub.url} (${config.database.kind} database)`);
  const demo = config.demo.enabled ? await startDemo(config, dataSource, services) : undefined;
  if (demo) {
    logger.info(`demo mode: feed simulator at ${demo.feedsUrl}; demo connectors backfill from ${DEMO_HISTORY_FROM} in the background`);
    // The keys go to the terminal once, not into the log.
    process.stdout.write(demoKeyBanner(demo.keys, hub.url));
    logger.info({ roles: demo.keys.map((entry) => entry.role) }, `demo mode: ${demo.keys.length} demo API keys issued (printed above; the previous demo keys are revoked)`);
    demo.backfilled.then(() => logger.info('demo backfill finished'), reportError);
  }

  // Shutdown, in the order a rolling restart behind a load balancer needs:
  //   1. /readyz answers 503 at once, while the hub keeps accepting and serving for SHUTDOWN_DELAY_SECONDS so
  //      the balancer sees it and stops sending (closing the listener at once resets the connections the
  //      balancer has just opened and that wait in the listen backlog);
  //   2. the listener closes and the requests in flight are drained (responses then say Connection: close);
  //   3. schedules stop (no new fires) and runs in progress are stopped and record how they ended (a batch
  //      commits or rolls back); a run stuck on a slow source is not waited for beyond the deadline;
  //   4. the database is closed.
  // A second signal during the delay cuts it short; one after it exits at once (an operator's second Ctrl-C).
  // Logging never holds the exit: lines still queued for standard output get LOG_DRAIN_MS at most.
  let stopping = false;
  let endDelay: (() => void) | undefined;
  const exit = (code: number) => void drainLogs(LOG_DRAIN_MS).finally(() => process.exit(code));
  const shutdown = async (signal: string) => {
    if (stopping) {
      if (endDelay) {
        endDelay();
        endDelay = undefined;
        return;
      }
      logger.warn(`${signal} received again: exiting without waiting for the shutdown to finish`);
      exit(1);
      return;
    }
    stopping = true;
    hub.markNotReady();
    const delayMs = config.shutdownDelayMs;
    logger.info({ delaySeconds: delayMs / 1000 }, `${signal} received: not ready; serving for ${delayMs / 1000} s, then draining requests`);
    const deadline = setTimeout(() => {
      logger.error(`shutdown did not finish within ${(delayMs + SHUTDOWN_DEADLINE_MS) / 1000} s; exiting`);
      exit(1);
    }, delayMs + SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      endDelay = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    endDelay = undefined;
    logger.info('closing the listener: draining requests in flight');
    await hub.stop();
    await demo?.stop();
    logger.info('requests drained: stopping schedules and runs');
    await services.stop(SHUTDOWN_DEADLINE_MS / 2);
    await dataSource.destroy();
    logger.info('stopped');
    exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
