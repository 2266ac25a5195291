import { IsNull, Not, type DataSource } from 'typeorm';
import type { ConnectorRunner } from '../ingestion/connector-runner';
import { Connector, RunTrigger } from '../modules/connectors/connector.entity';
import { DatabaseRunCoordinator } from './run-coordinator';
import { Scheduler } from './scheduler';

/** Attempts to start a claimed fire while the database is unreachable (about a minute in all). */
const START_ATTEMPTS = 7;

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
    this.scheduler.plan(connectors.map((connector) => ({ id: String(connector.id), cron: connector.schedule!, timeZone: connector.timeZone })));
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
   * Runs a fire this process has claimed. When the run cannot even be recorded (the database is down), it is
   * retried with backoff for a while: the claim makes the fire ours, so retrying here cannot run it twice.
   */
  private async fire(connectorId: number, slot: Date): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const { finished } = await this.runner.start({ connectorId, trigger: RunTrigger.SCHEDULE, scheduledFor: slot, actor: 'scheduler' });
        await finished;
        return;
      } catch (error) {
        if (this.stopped || attempt >= START_ATTEMPTS) throw error;
        this.reportError(new Error(`scheduled run of connector ${connectorId} could not start (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`));
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1_000 * 2 ** (attempt - 1))).unref());
      }
    }
  }
}
