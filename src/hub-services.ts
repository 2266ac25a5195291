import { setLogger } from 'node-cron';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { createHttpClient } from '../connectors/sdk/http-client';
import type { HubConfig } from './config';
import type { ConnectorOperations } from './graphql/context';
import { ConnectorRunner } from './ingestion/connector-runner';
import { ConnectorService } from './modules/connectors/connector.service';
import type { HubMetrics } from './observability/metrics';
import { ConnectorSchedules } from './scheduler/connector-schedules';
import { markInterruptedRuns } from './scheduler/interrupted-runs';
import { processOwnerId } from './scheduler/process-owner';

export interface HubServices {
  runner: ConnectorRunner;
  service: ConnectorService;
  schedules: ConnectorSchedules;
  operations: ConnectorOperations;
  /** Stops schedules and lets runs in progress record how they ended. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface HubServiceOptions {
  reportError: (error: unknown) => void;
  logger?: Logger;
  metrics?: HubMetrics;
  /** Pause between attempts of a run (tests shorten it); default exponential backoff with jitter. */
  retryDelay?: (attempt: number) => number;
}

/** Connector runner, registry and schedules of this process; runs left behind by a stopped process are closed first. */
export async function startHubServices(config: HubConfig, dataSource: DataSource, options: HubServiceOptions): Promise<HubServices> {
  const owner = processOwnerId();
  // node-cron's own notices (an overlapping fire skipped, a missed fire) go to the structured log.
  const cronLog = options.logger?.child({ component: 'node-cron' });
  if (cronLog) {
    setLogger({
      info: (message) => cronLog.info(message),
      warn: (message) => cronLog.warn(message),
      error: (message, error) => cronLog.error({ err: error ?? message }, String(message)),
      debug: (message) => cronLog.debug(String(message)),
    });
  }
  // A run whose owner has not refreshed its heartbeat for several periods belongs to a process that is gone:
  // closed at start-up, and by a sweep while running (a crashed peer's runs, or our own predecessor's).
  const heartbeatMs = config.connectors.heartbeatMs;
  const sweep = () => markInterruptedRuns(dataSource, { currentOwner: owner, graceMs: 4 * heartbeatMs });
  await sweep();
  const sweeper = setInterval(() => sweep().catch(options.reportError), heartbeatMs);
  sweeper.unref();
  const runner = new ConnectorRunner(dataSource, {
    owner,
    timeZone: config.timeZone,
    maxAttempts: config.connectors.maxAttempts,
    retryDelay: options.retryDelay,
    heartbeatMs,
    logger: options.logger,
    observeRun: (run, kind, durationSeconds) => options.metrics?.runFinished(run, kind, durationSeconds),
    // One quick retry per request: the runner's attempts retry the whole read, so a hung source costs
    // attempts × 2 timeouts, not attempts × 3.
    httpClient: createHttpClient({ timeoutMs: config.connectors.timeoutMs, maxBytes: config.connectors.maxResponseBytes, retries: 1 }),
    reportError: options.reportError,
  });
  const schedules = new ConnectorSchedules(dataSource, runner, {
    timeZone: config.timeZone,
    owner,
    reportError: options.reportError,
    refreshMs: config.connectors.scheduleRefreshMs,
  });
  const service = new ConnectorService(dataSource, runner, { timeZone: config.timeZone, onChange: () => schedules.replan() });
  await schedules.replan();
  return {
    runner,
    service,
    schedules,
    operations: { service, nextRunAt: (id) => schedules.nextRunAt(id) },
    async stop(deadlineMs = 10_000) {
      clearInterval(sweeper);
      // No new fires; then every run in progress, scheduled ones included, is stopped and records how it ended.
      // (Waiting for the schedules' fires before stopping the runs would wait for the runs to end by themselves.)
      const schedulesStopped = schedules.stop(deadlineMs);
      await runner.stop(deadlineMs);
      await schedulesStopped;
    },
  };
}
