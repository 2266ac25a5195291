import { setLogger } from 'node-cron';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { HubConfig } from './config';
import type { ConnectorOperations } from './graphql/context';
import { ConnectorRunner } from './ingestion/connector-runner';
import { ConnectorService } from './modules/connectors/connector.service';
import type { HubMetrics } from './observability/metrics';
import { ConnectorSchedules } from './scheduler/connector-schedules';
import { markInterruptedRuns } from './scheduler/interrupted-runs';
import { processOwnerId } from './scheduler/process-owner';
import { ConnectorSecretStore, sealPlaintextSecrets } from './security/connector-secrets';
import { OutboundGuard, type HostLookup } from './security/outbound-guard';
import { loadSecretBox } from './security/secret-keys';

export interface HubServices {
  runner: ConnectorRunner;
  service: ConnectorService;
  schedules: ConnectorSchedules;
  operations: ConnectorOperations;
  /** The outbound allowlist and connect-time checks connectors go through. */
  outbound: OutboundGuard;
  secrets: ConnectorSecretStore;
  /** Stops schedules and lets runs in progress record how they ended. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface HubServiceOptions {
  reportError: (error: unknown) => void;
  logger?: Logger;
  metrics?: HubMetrics;
  /** Pause between attempts of a run (tests shorten it); default exponential backoff with jitter. */
  retryDelay?: (attempt: number) => number;
  /** Host name resolution of the outbound guard (tests replace it); default the system resolver. */
  lookup?: HostLookup;
}

/** Connector runner, registry and schedules of this process; runs left behind by a stopped process are closed first. */
export async function startHubServices(config: HubConfig, dataSource: DataSource, options: HubServiceOptions): Promise<HubServices> {
  const owner = processOwnerId();
  // Secrets: the keys checked against the check values recorded for their ids (other bytes refuse the start),
  // secrets under keys that are not configured reported, then what an older version stored in the clear
  // encrypted, before anything reads them.
  const box = await loadSecretBox(config, dataSource, options.logger);
  if (box) {
    const sealed = await sealPlaintextSecrets(dataSource, box);
    if (sealed.sealedPlaintext > 0) options.logger?.info({ sealed: sealed.sealedPlaintext, keyId: box.activeKeyId }, 'connector secrets stored in the clear were encrypted');
  }
  const secrets = new ConnectorSecretStore(dataSource, box);
  const outbound = new OutboundGuard(dataSource, { ...config.outbound, lookup: options.lookup });
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
  const sweepStale = () => markInterruptedRuns(dataSource, { currentOwner: owner, graceMs: 4 * heartbeatMs });
  await sweepStale();
  const runner = new ConnectorRunner(dataSource, {
    owner,
    timeZone: config.timeZone,
    maxAttempts: config.connectors.maxAttempts,
    retryDelay: options.retryDelay,
    heartbeatMs,
    progressLogMs: config.connectors.progressLogMs,
    logger: options.logger,
    observeRun: (run, kind, durationSeconds) => options.metrics?.runFinished(run, kind, durationSeconds),
    // One quick retry per request: the runner's attempts retry the whole read, so a hung source costs
    // attempts × 2 timeouts, not attempts × 3.
    http: { timeoutMs: config.connectors.timeoutMs, maxBytes: config.connectors.maxResponseBytes, retries: 1 },
    outbound,
    secrets,
    reportError: options.reportError,
  });
  const schedules = new ConnectorSchedules(dataSource, runner, {
    timeZone: config.timeZone,
    owner,
    reportError: options.reportError,
    refreshMs: config.connectors.scheduleRefreshMs,
    logger: options.logger,
  });
  // The sweep also runs again, once across the processes, the runs a shutdown interrupted (a peer's during a
  // rolling restart, or this process's predecessor's).
  const sweep = async () => {
    await sweepStale();
    await schedules.resumeInterrupted();
  };
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch(options.reportError)
      .finally(() => (sweeping = false));
  }, heartbeatMs);
  sweeper.unref();
  const service = new ConnectorService(dataSource, runner, {
    timeZone: config.timeZone,
    onChange: () => schedules.replan(),
    secrets,
    outbound,
    minScheduleIntervalMs: config.connectors.minScheduleIntervalMs,
    // One request attempt's timeout, answered within the GraphQL operation limit (a second to spare).
    testTimeoutMs: Math.max(100, Math.min(config.connectors.timeoutMs, config.graphql.timeoutMs - 1_000)),
  });
  // Runs a shutdown interrupted first: a connector's missed fires are then served by that run (recorded so).
  await schedules.resumeInterrupted();
  await schedules.replan();
  return {
    runner,
    service,
    schedules,
    operations: { service, nextRunAt: (id) => schedules.nextRunAt(id) },
    outbound,
    secrets,
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
