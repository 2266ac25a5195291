import { IsNull, Not, type DataSource } from 'typeorm';
import type { ConnectorRunner } from '../ingestion/connector-runner';
import { Connector, RunTrigger } from '../modules/connectors/connector.entity';
import { DatabaseRunCoordinator } from './run-coordinator';
import { Scheduler } from './scheduler';

/**
 * One schedule per enabled pulled connector, re-planned whenever a connector changes; each fire runs once
 * across every hub process on the database (lease rows) and never overlaps the connector's previous run.
 */
export class ConnectorSchedules {
  private readonly scheduler: Scheduler;
  private readonly refresher: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly runner: ConnectorRunner,
    options: { timeZone: string; owner: string; reportError: (error: unknown) => void; refreshMs: number },
  ) {
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

  nextRunAt(connectorId: number): Date | null {
    return this.scheduler.nextRunAt(String(connectorId));
  }

  stop(deadlineMs?: number): Promise<void> {
    this.stopped = true;
    clearInterval(this.refresher);
    return this.scheduler.stop({ deadlineMs });
  }

  private async fire(connectorId: number, slot: Date): Promise<void> {
    const { finished } = await this.runner.start({ connectorId, trigger: RunTrigger.SCHEDULE, scheduledFor: slot, actor: 'scheduler' });
    await finished;
  }
}
