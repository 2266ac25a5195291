import type { Logger } from 'pino';
import { IsNull, Not, type DataSource } from 'typeorm';
import { RunInProgressError, type ConnectorRunner } from '../ingestion/connector-runner';
import type { ConnectorRun } from '../modules/connectors/connector-run.entity';
import { Connector, FireSkipReason, RunTrigger } from '../modules/connectors/connector.entity';
import { logContext } from '../observability/logger';
import { AuditOutcome, recordAuditEvent, SCHEDULER_ACTOR } from '../security/audit';
import { interruptedByShutdown, lastServedSlot, recordSkippedFire, runningRunId } from './fire-ledger';
import { DatabaseRunCoordinator } from './run-coordinator';
import { Scheduler, slotsBetween, type CronLogger } from './scheduler';

/** How long a claimed fire keeps trying to start while the database is unreachable. */
const START_RETRY_MS = 60_000;
/** Pauses between start attempts: 0.5 s, 1 s, 2 s, 4 s, then every 5 s (so it starts soon after the database is back). */
const START_RETRY_FIRST_DELAY_MS = 500;
const START_RETRY_MAX_DELAY_MS = 5_000;
/**
 * Slots more recent than this at start-up are left alone by the missed-fire check: a live process may be claiming
 * them right now.
 */
const MISSED_GRACE_MS = 5_000;
/** How long the lease of a re-run or a catch-up run is held (as a fire's). */
const RECOVERY_LEASE_MS = 5 * 60_000;

/**
 * One schedule per enabled pulled connector, re-planned whenever a connector changes; each fire runs once
 * across every hub process on the database (lease rows) and never overlaps the connector's previous run (the
 * connector's run lock, taken by every pulled run, scheduled or manual).
 *
 * Misfires: fires that fell while no hub process ran are coalesced into one run at the next start (recorded as a
 * DOWNTIME skipped fire); a run interrupted by a shutdown is run again, once, by a surviving or restarted
 * process; a fire skipped because the connector was still running is recorded (OVERLAP). Every log line of the
 * scheduler names the connector.
 */
export class ConnectorSchedules {
  private readonly scheduler: Scheduler;
  private readonly coordinator: DatabaseRunCoordinator;
  private readonly refresher: NodeJS.Timeout;
  private stopped = false;
  private readonly reportError: (error: unknown) => void;
  private readonly logger?: Logger;
  /** Connector names by job id, for log lines. */
  private readonly names = new Map<string, string>();
  /** Work started outside a fire (overlap records, catch-ups); stop() waits for it. */
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: ConnectorRunner,
    options: { timeZone: string; owner: string; reportError: (error: unknown) => void; refreshMs: number; logger?: Logger },
  ) {
    this.reportError = options.reportError;
    this.logger = options.logger?.child({ component: 'scheduler' });
    const coordinator = new DatabaseRunCoordinator(dataSource, { owner: options.owner, onError: (error) => options.reportError(error) });
    this.coordinator = coordinator;
    this.scheduler = new Scheduler({
      coordinator,
      defaultTimeZone: options.timeZone,
      onFire: (jobId, slot) => this.fire(Number(jobId), slot),
      onError: (error, jobId) => options.reportError(jobId === undefined ? error : this.naming(jobId, error)),
      taskLogger: (jobId) => this.cronLogger(jobId),
      onOverlap: (jobId, slot, key) => this.track(jobId, () => this.overlapped(Number(jobId), slot, key)),
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
      select: { id: true, name: true, schedule: true, timeZone: true, updatedAt: true },
    });
    if (this.stopped) return;
    for (const connector of connectors) this.names.set(String(connector.id), connector.name);
    // Outside any request's log context: the tasks' timers are created here, and every fire would otherwise log
    // with the request id of whichever request last changed a connector.
    const planned = logContext.exit(() =>
      this.scheduler.plan(connectors.map((connector) => ({ id: String(connector.id), cron: connector.schedule!, timeZone: connector.timeZone }))),
    );
    // A schedule new to this process (at start-up, typically): fires missed while no process ran are run once now.
    for (const id of planned.added) {
      const connector = connectors.find((candidate) => String(candidate.id) === id)!;
      this.track(id, () => logContext.exit(() => this.catchUp(connector)));
    }
  }

  /**
   * Runs again, once across all processes, every run interrupted by a shutdown that nobody ran again (a misfire:
   * run once now). Called at start-up and periodically; returns the runs started.
   */
  async resumeInterrupted(): Promise<ConnectorRun[]> {
    if (this.stopped) return [];
    const started: ConnectorRun[] = [];
    for (const interrupted of await interruptedByShutdown(this.dataSource)) {
      if (this.stopped) break;
      const claim = await this.coordinator.claim(`rerun:${interrupted.id}`, RECOVERY_LEASE_MS);
      if (claim.error !== undefined) throw claim.error;
      if (!claim.claimed || this.stopped) continue;
      const names = this.fields(String(interrupted.connectorId));
      try {
        const rerun = await logContext.exit(() =>
          this.runner.start({
            connectorId: interrupted.connectorId,
            trigger: interrupted.trigger,
            // A backfill does its days again; other runs read their routine window as of now.
            window: interrupted.trigger === RunTrigger.BACKFILL ? { from: interrupted.windowFrom!, to: interrupted.windowTo! } : undefined,
            scheduledFor: interrupted.scheduledFor ?? undefined,
            actor: interrupted.startedBy,
            rerunOf: interrupted.id,
          }),
        );
        this.logger?.info({ ...names, runId: rerun.run.id, rerunOf: interrupted.id }, 'running again a run interrupted by a shutdown');
        started.push(rerun.run);
        rerun.finished.catch((error: unknown) => this.reportError(this.naming(String(interrupted.connectorId), error)));
      } catch (error) {
        if (!(error instanceof RunInProgressError)) throw error;
        // Running already (a fire or a manual run came first): that run does the work.
        this.logger?.info({ ...names, rerunOf: interrupted.id, runningRunId: error.running?.id ?? null }, 'a run interrupted by a shutdown is not run again: the connector is running');
      }
    }
    return started;
  }

  get running(): boolean {
    return !this.stopped;
  }

  nextRunAt(connectorId: number): Date | null {
    return this.scheduler.nextRunAt(String(connectorId));
  }

  async stop(deadlineMs = 30_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.refresher);
    const until = Date.now() + deadlineMs;
    await this.scheduler.stop({ deadlineMs });
    const remaining = Math.max(0, until - Date.now());
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((resolve) => setTimeout(resolve, remaining).unref())]);
  }

  /** Runs `work` for a connector outside a fire: its failure is reported naming the connector; stop() waits for it. */
  private track(jobId: string, work: () => Promise<unknown>): void {
    if (this.stopped) return;
    const running = work()
      .catch((error: unknown) => this.reportError(this.naming(jobId, error)))
      .finally(() => this.pending.delete(running));
    this.pending.add(running);
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
          // Another run of the connector (in another process, or a manual one) is still going: this fire is
          // skipped, as node-cron skips a fire that would overlap the schedule's own previous run here.
          await this.skippedForOverlap(connectorId, slot, error.running?.id ?? null);
          await this.audit(connectorId, slot, AuditOutcome.FAILURE, { skipped: true, runningRunId: error.running?.id ?? null, message: error.message });
          return;
        }
        const delay = Math.min(START_RETRY_MAX_DELAY_MS, START_RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1));
        if (this.stopped || Date.now() + delay > giveUpAt) {
          await this.audit(connectorId, slot, AuditOutcome.FAILURE, { message: error instanceof Error ? error.message : String(error) });
          throw error;
        }
        this.reportError(new Error(`scheduled run of connector ${connectorId} (${this.names.get(String(connectorId)) ?? '?'}) could not start (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`));
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (this.stopped) throw error;
      }
    }
    await this.audit(connectorId, slot, AuditOutcome.SUCCESS, { runId: started.run.id });
    await started.finished;
  }

  /** A fire node-cron blocked here (the schedule's previous fire still runs): recorded once, by whoever claims it. */
  private async overlapped(connectorId: number, slot: Date, key: string): Promise<void> {
    const claim = await this.coordinator.claim(key, RECOVERY_LEASE_MS);
    if (claim.error !== undefined) throw claim.error;
    if (claim.claimed) await this.skippedForOverlap(connectorId, slot, await runningRunId(this.dataSource, connectorId));
  }

  private async skippedForOverlap(connectorId: number, slot: Date, runId: number | null): Promise<void> {
    this.logger?.info({ ...this.fields(String(connectorId)), slot: slot.toISOString(), runningRunId: runId }, 'scheduled fire skipped: the previous run of the connector is still running');
    await recordSkippedFire(this.dataSource, { connectorId, reason: FireSkipReason.OVERLAP, slot, runId, owner: this.coordinator.owner });
  }

  /**
   * Fires of `connector` that fell after its schedule was last served and nobody claimed (no hub process ran):
   * coalesced into one run now, recorded as a DOWNTIME skipped fire. The last missed slot's own lease decides
   * which process does it, so processes starting together run it once.
   */
  private async catchUp(connector: Pick<Connector, 'id' | 'schedule' | 'timeZone' | 'updatedAt'>): Promise<void> {
    const jobName = `job:${connector.id}`;
    const served = await lastServedSlot(this.dataSource, connector, jobName);
    const missed = slotsBetween(connector.schedule!, connector.timeZone, served, new Date(Date.now() - MISSED_GRACE_MS));
    if (!missed || this.stopped) return;
    const claim = await this.coordinator.claim(`${jobName}:${missed.last.toISOString()}`, RECOVERY_LEASE_MS);
    if (claim.error !== undefined) throw claim.error;
    if (!claim.claimed || this.stopped) return;
    const names = this.fields(String(connector.id));
    let runId: number | null = null;
    try {
      const started = await this.runner.start({ connectorId: connector.id, trigger: RunTrigger.SCHEDULE, scheduledFor: missed.last, actor: 'scheduler' });
      runId = started.run.id;
      started.finished.catch((error: unknown) => this.reportError(this.naming(String(connector.id), error)));
    } catch (error) {
      if (!(error instanceof RunInProgressError)) throw error;
      runId = error.running?.id ?? null;
    }
    this.logger?.info(
      { ...names, missed: missed.count, firstSlot: missed.first.toISOString(), lastSlot: missed.last.toISOString(), runId },
      'schedule fires missed while no hub process ran: coalesced into one run now',
    );
    await recordSkippedFire(this.dataSource, {
      connectorId: connector.id,
      reason: FireSkipReason.DOWNTIME,
      slot: missed.last,
      firstSlot: missed.first,
      missed: missed.count,
      runId,
      owner: this.coordinator.owner,
    });
  }

  /** Log fields naming a connector. */
  private fields(jobId: string): { connectorId: number; connector: string | undefined } {
    return { connectorId: Number(jobId), connector: this.names.get(jobId) };
  }

  /** An error whose message names the connector it concerns. */
  private naming(jobId: string, error: unknown): Error {
    const message = error instanceof Error ? error.message : String(error);
    const named = new Error(`connector ${jobId} (${this.names.get(jobId) ?? '?'}): ${message}`);
    if (error instanceof Error) named.stack = `${named.message}\n${error.stack?.split('\n').slice(1).join('\n') ?? ''}`;
    return named;
  }

  /** node-cron's notices about a job's task (an overlapping fire blocked, a missed fire), naming the connector. */
  private cronLogger(jobId: string): CronLogger {
    const fields = () => ({ component: 'node-cron', ...this.fields(jobId) });
    return {
      info: (message) => this.logger?.info(fields(), String(message)),
      warn: (message) => this.logger?.warn(fields(), String(message)),
      error: (message, error) => this.logger?.error({ ...fields(), err: error ?? message }, String(message)),
      debug: (message) => this.logger?.debug(fields(), String(message)),
    };
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
