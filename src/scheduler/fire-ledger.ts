import { type DataSource } from 'typeorm';
import { datetimeFromDatabase } from '../database/sql-dialect';
import { ConnectorRun, ConnectorRunLock, SkippedFire } from '../modules/connectors/connector-run.entity';
import { FireSkipReason, RunErrorClass, RunStatus, RunTrigger } from '../modules/connectors/connector.entity';
import { SchedulerLease } from './scheduler-lease.entity';

/** Aggregates come back raw: a Date from mysql2, UTC text without a zone from SQLite. */
function databaseTime(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  return datetimeFromDatabase(value);
}

/** Records a fire that started no run of its own (see {@link SkippedFire}). */
export async function recordSkippedFire(
  dataSource: DataSource,
  fire: { connectorId: number; reason: FireSkipReason; slot: Date; firstSlot?: Date | null; missed?: number; runId?: number | null; owner: string },
): Promise<SkippedFire> {
  return dataSource.getRepository(SkippedFire).save({
    connectorId: fire.connectorId,
    reason: fire.reason,
    slot: fire.slot,
    firstSlot: fire.firstSlot ?? null,
    missed: fire.missed ?? 1,
    runId: fire.runId ?? null,
    recordedAt: new Date(),
    owner: fire.owner,
  });
}

/** The run holding the connector's run lock (the one running), if any. */
export async function runningRunId(dataSource: DataSource, connectorId: number): Promise<number | null> {
  const lock = await dataSource.getRepository(ConnectorRunLock).findOneBy({ connectorId });
  return lock?.runId ?? null;
}

/**
 * The last moment the schedule of a connector is known to have been served or changed: its last scheduled run,
 * the last fire claimed for it, the last skipped fire recorded, or the last change of the connector (a new or
 * changed schedule, enabling it) — whichever is latest. Slots after it that nobody claimed were missed.
 */
export async function lastServedSlot(dataSource: DataSource, connector: { id: number; updatedAt: Date }, jobName: string): Promise<Date> {
  const [run] = (await dataSource
    .getRepository(ConnectorRun)
    .createQueryBuilder('run')
    .select('MAX(run.scheduledFor)', 'slot')
    .where('run.connectorId = :id AND run.trigger = :trigger', { id: connector.id, trigger: RunTrigger.SCHEDULE })
    .getRawMany()) as Array<{ slot: Date | string | null }>;
  const [skipped] = (await dataSource
    .getRepository(SkippedFire)
    .createQueryBuilder('fire')
    .select('MAX(fire.slot)', 'slot')
    .where('fire.connectorId = :id', { id: connector.id })
    .getRawMany()) as Array<{ slot: Date | string | null }>;
  // Lease keys are `<job name>:<slot ISO time>`: the greatest key of the job is its latest claimed slot.
  const [lease] = (await dataSource
    .getRepository(SchedulerLease)
    .createQueryBuilder('lease')
    .select('MAX(lease.key)', 'key')
    .where('lease.key LIKE :prefix', { prefix: `${jobName}:%` })
    .getRawMany()) as Array<{ key: string | null }>;
  const leased = lease?.key ? new Date(lease.key.slice(jobName.length + 1)) : null;
  const times = [connector.updatedAt, databaseTime(run?.slot), databaseTime(skipped?.slot), leased && !Number.isNaN(leased.getTime()) ? leased : null];
  return new Date(Math.max(...times.filter((time): time is Date => time !== null).map((time) => time.getTime())));
}

/** How far back a run interrupted by a shutdown is still run again (older ones are left to the schedule). */
export const RERUN_HORIZON_MS = 24 * 60 * 60_000;

/**
 * Runs interrupted by a shutdown that nobody has run again: still the latest pulled run of their connector,
 * which is enabled and not deleted, and recent (within {@link RERUN_HORIZON_MS}).
 */
export async function interruptedByShutdown(dataSource: DataSource): Promise<ConnectorRun[]> {
  return dataSource
    .getRepository(ConnectorRun)
    .createQueryBuilder('run')
    .innerJoin('run.connector', 'connector')
    .where('run.status = :interrupted AND run.errorClass = :shutdown', { interrupted: RunStatus.INTERRUPTED, shutdown: RunErrorClass.SHUTDOWN })
    .andWhere('run.trigger <> :push', { push: RunTrigger.PUSH })
    .andWhere('run.finishedAt >= :since', { since: new Date(Date.now() - RERUN_HORIZON_MS) })
    .andWhere('connector.enabled = :enabled AND connector.deletedAt IS NULL', { enabled: true })
    .andWhere('NOT EXISTS (SELECT 1 FROM connector_run later WHERE later.connectorId = run.connectorId AND later.id > run.id AND later.trigger <> :push)')
    .orderBy('run.id', 'ASC')
    .getMany();
}
