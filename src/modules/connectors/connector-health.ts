import { In, type DataSource } from 'typeorm';
import { datetimeFromDatabase } from '../../database/sql-dialect';
import { ConnectorRun } from './connector-run.entity';
import { RunErrorClass, RunStatus } from './connector.entity';
import { ConnectorHealthStatus, type ConnectorHealth } from './connector.types';

const SUCCESS = [RunStatus.SUCCEEDED, RunStatus.PARTIAL];
const FAILURE = [RunStatus.FAILED, RunStatus.INTERRUPTED];

type Health = Omit<ConnectorHealth, 'nextRunAt'>;


/** Runs interrupted by a shutdown are no outcome: health reads past them (another process ran the connector again). */
const COUNTED = "COALESCE(run.errorClass, '') <> :shutdown";

/**
 * Health of many connectors from their ledgers in four statements: the latest finished run of each, the latest
 * success of each, the failures, and the latest start.
 */
export async function connectorHealth(
  dataSource: DataSource,
  connectors: ReadonlyArray<{ id: number; enabled: boolean }>,
): Promise<Health[]> {
  const ids = connectors.map((connector) => connector.id);
  const runs = dataSource.getRepository(ConnectorRun);
  const latestFinished = await runs
    .createQueryBuilder('run')
    .where('run.connectorId IN (:...ids)', { ids })
    .andWhere('run.status <> :running', { running: RunStatus.RUNNING })
    .andWhere(COUNTED, { shutdown: RunErrorClass.SHUTDOWN })
    .andWhere(
      "run.id = (SELECT MAX(later.id) FROM connector_run later WHERE later.connectorId = run.connectorId AND later.status <> :running AND COALESCE(later.errorClass, '') <> :shutdown)",
    )
    .getMany();
  const successes = await runs
    .createQueryBuilder('run')
    .select('run.connectorId', 'connectorId')
    .addSelect('MAX(run.id)', 'runId')
    .addSelect('MAX(run.finishedAt)', 'finishedAt')
    .where('run.connectorId IN (:...ids)', { ids })
    .andWhere('run.status IN (:...success)', { success: SUCCESS })
    .groupBy('run.connectorId')
    .getRawMany<{ connectorId: number | string; runId: number | string; finishedAt: Date | string }>();
  const lastSuccess = new Map(successes.map((row) => [Number(row.connectorId), row]));
  const failures = await runs
    .createQueryBuilder('run')
    .select('run.connectorId', 'connectorId')
    .addSelect('run.id', 'id')
    .where('run.connectorId IN (:...ids)', { ids })
    .andWhere('run.status IN (:...failure)', { failure: FAILURE })
    .andWhere(COUNTED, { shutdown: RunErrorClass.SHUTDOWN })
    .getRawMany<{ connectorId: number | string; id: number | string }>();
  const lastRun = await runs
    .createQueryBuilder('run')
    .select('run.connectorId', 'connectorId')
    .addSelect('MAX(run.startedAt)', 'startedAt')
    .where({ connectorId: In(ids) })
    .groupBy('run.connectorId')
    .getRawMany<{ connectorId: number | string; startedAt: Date | string }>();
  const lastStarted = new Map(lastRun.map((row) => [Number(row.connectorId), row.startedAt]));

  return connectors.map((connector) => {
    const latest = latestFinished.find((run) => run.connectorId === connector.id);
    const success = lastSuccess.get(connector.id);
    const consecutiveFailures = failures.filter(
      (failure) => Number(failure.connectorId) === connector.id && (!success || Number(failure.id) > Number(success.runId)),
    ).length;
    let status: ConnectorHealthStatus;
    if (!connector.enabled) status = ConnectorHealthStatus.DISABLED;
    else if (!latest) status = ConnectorHealthStatus.NEW;
    else if (FAILURE.includes(latest.status)) status = ConnectorHealthStatus.FAILING;
    else if (latest.status === RunStatus.PARTIAL) status = ConnectorHealthStatus.DEGRADED;
    else status = ConnectorHealthStatus.HEALTHY;
    const started = lastStarted.get(connector.id);
    return {
      status,
      lastError: latest && FAILURE.includes(latest.status) ? latest.errorMessage : null,
      consecutiveFailures,
      lastRunAt: started ? datetimeFromDatabase(started) : null,
      lastSuccessAt: success?.finishedAt ? datetimeFromDatabase(success.finishedAt) : null,
    };
  });
}
