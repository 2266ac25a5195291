import { IsNull, Not, type DataSource } from 'typeorm';
import { RunInProgressError, type ConnectorRunner } from '../ingestion/connector-runner';
import { Connector, RunTrigger } from '../modules/connectors/connector.entity';
import { logContext } from '../observability/logger';
import { AuditOutcome, recordAuditEvent, SCHEDULER_ACTOR } from '../security/audit';
import { DatabaseRunCoordinator } from './run-coordinator';
import { Scheduler } from './scheduler';

/** How long a claimed fire keeps trying to start while the database is unreachable. */
const START_RETRY_MS = 60_000;
/** Pauses between start attempts: 0.5 s, 1 s, 2 s, 4 s, then every 5 s (so it starts soon after the database is back). */
const START_RETRY_FIRST_DELAY_MS = 500;
const START_RETRY_MAX_DELAY_MS = 5_000;

/**
 * One schedule per enabled pulled connector, re-planned whenever a connector changes; each fire runs once
 * across every hub process on the database (lease rows) and never overlaps the connector's previous run.
 */
export class ConnectorSchedules {
  private readonly scheduler: Scheduler;
  private readonly refresher: NodeJS.Timeout;
  private stopped = false;
  private readonly reportError: (error: unknown) => void;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: ConnectorRunner,
    options: { timeZone: string; owner: string; reportError: (error: unknown) => void; refreshMs: number },
  ) {
    this.reportError = options.reportError;
    const coordinator = new DatabaseRunCoordinator(dataSource, { owner: options.owner, onError: (error) => options.reportError(error) });
    this.scheduler = new Scheduler({
      coordinator,
      defaultTimeZone: options.timeZone,
      onFire: (jobId, slot) => this.fire(Number(jobId), slot),
      onError: (error) => options.reportError(error),
    });
    // Connectors changed through another process reach this one's schedules at the next refresh.
    this.refresher = setInterval(() => this.replan().catch(options.reportError), options.refreshMs);
    this.refresher.unref();
  }

  /** Brings the schedules in line with the connectors table. */
  async replan(): Promise<void> {
    if (this.stopped) return;
    const connectors = await this.dataSource.getRepository(Connector).find({
      where: { enabled: true, deletedAt: IsNull(), schedule: Not(IsNull()) },
      select: { id: true, schedule: true, timeZone: true },
    });
    if (this.stopped) return;
    // Outside any request's log context: the tasks' timers are created here, and every fire would otherwise log
    // with the request id of whichever request last changed a connector.
    logContext.exit(() =>
      this.scheduler.plan(connectors.map((connector) => ({ id: String(connector.id), cron: connector.schedule!, timeZone: connector.timeZone }))),
    );
  }

  get running(): boolean {
    return !this.stopped;
  }

  nextRunAt(connectorId: number): Date | null {
    return this.scheduler.nextRunAt(String(connectorId));
  }

  stop(deadlineMs?: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.refresher);
    return this.scheduler.stop({ deadlineMs });
  }

  /**
   * Runs a fire this process has claimed. When the run cannot even be recorded (the database is down), starting
   * it is retried with backoff for a while: the claim makes the fire ours, so retrying here cannot run it twice.
   * Once the run is recorded it is never started again: how it ends is the runner's to record.
   */
  private async fire(connectorId: number, slot: Date): Promise<void> {
    const giveUpAt = Date.now() + START_RETRY_MS;
    let started: Awaited<ReturnType<ConnectorRunner['start']>> | undefined;
    for (let attempt = 1; started === undefined; attempt += 1) {
      try {
        started = await this.runner.start({ connectorId, trigger: RunTrigger.SCHEDULE, scheduledFor: slot, actor: 'scheduler' });
      } catch (error) {
        if (error instanceof RunInProgressError) {
          // Another run of the connector (a manual one, typically) is still going: this fire is skipped, as
          // node-cron skips a fire that would overlap the schedule's own previous run.
          await this.audit(connectorId, slot, AuditOutcome.FAILURE, { skipped: true, runningRunId: error.running?.id ?? null, message: error.message });
          return;
        }
        const delay = Math.min(START_RETRY_MAX_DELAY_MS, START_RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1));
        if (this.stopped || Date.now() + delay > giveUpAt) {
          await this.audit(connectorId, slot, AuditOutcome.FAILURE, { message: error instanceof Error ? error.message : String(error) });
          throw error;
        }
        this.reportError(new Error(`scheduled run of connector ${connectorId} could not start (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`));
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (this.stopped) throw error;
      }
    }
    await this.audit(connectorId, slot, AuditOutcome.SUCCESS, { runId: started.run.id });
    await started.finished;
  }

  /** The audit record of a fire: the run it started, or why it could not start. */
  private async audit(connectorId: number, slot: Date, outcome: AuditOutcome, details: Record<string, unknown>): Promise<void> {
    await recordAuditEvent(this.dataSource, {
      actor: SCHEDULER_ACTOR,
      action: 'connector.run.scheduled',
      target: { type: 'connector', id: connectorId },
      outcome,
      errorCode: outcome === AuditOutcome.SUCCESS ? null : 'RUN_NOT_STARTED',
      details: { scheduledFor: slot, ...details },
    });
  }
}
