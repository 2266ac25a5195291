import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { notFound } from '../../common/errors';
import type { RequestScope } from '../../common/request-scope';
import { requireByCode } from '../../database/by-code';
import { assertVisible, departmentScope } from '../../security/access';
import { Department } from '../departments/department.entity';
import { ConnectorRun, RunRejection, SkippedFire } from './connector-run.entity';
import { Connector, type FireSkipReason, type RunStatus } from './connector.entity';
import { toGlobalId } from '../../graphql/node-id';

/** Reads of connectors and their ledgers; they need no running connector service (see ConnectorService for writes). */

/** Filters of a connector list; all given filters must match. */
export interface ConnectorCriteria {
  /** Department code. */
  department?: string | null;
  kind?: string | null;
  enabled?: boolean | null;
}

/** Connectors not deleted that match `criteria` and the caller may see (a connection orders and pages them). */
export async function connectorsQuery(scope: RequestScope, criteria: ConnectorCriteria | null | undefined): Promise<SelectQueryBuilder<Connector>> {
  const query = scope.dataSource.getRepository(Connector).createQueryBuilder('connector').where('connector.deletedAt IS NULL');
  if (criteria?.department) {
    const department = await requireByCode(scope.dataSource, Department, 'department', criteria.department);
    query.andWhere('connector.departmentId = :departmentId', { departmentId: department.id });
  }
  const departments = departmentScope(scope.principal);
  if (departments) query.andWhere('connector.departmentId IN (:...scope)', { scope: [...departments, -1] });
  if (criteria?.kind) query.andWhere('connector.kind = :kind', { kind: criteria.kind });
  if (criteria?.enabled != null) query.andWhere('connector.enabled = :enabled', { enabled: criteria.enabled });
  return query;
}

/** A run the caller may see; another department's run is answered as if it did not exist. */
export async function requireVisibleRun(scope: RequestScope, runId: number): Promise<ConnectorRun> {
  const missing = () => notFound('connector run', toGlobalId('ConnectorRun', runId));
  const run = await scope.dataSource.getRepository(ConnectorRun).findOneBy({ id: runId });
  if (!run) throw missing();
  assertVisible(scope.principal, (await scope.loaders.related(Connector, run.connectorId)).departmentId, missing);
  return run;
}

/** Runs (of any connector: a nested connection narrows them to one), with this status when given. */
export async function runsQuery(dataSource: DataSource, status?: RunStatus | null): Promise<SelectQueryBuilder<ConnectorRun>> {
  const query = dataSource.getRepository(ConnectorRun).createQueryBuilder('run');
  if (status) query.andWhere('run.status = :status', { status });
  return query;
}

/** Rejected rows (of any run: a nested connection narrows them to one). */
export async function rejectionsQuery(dataSource: DataSource): Promise<SelectQueryBuilder<RunRejection>> {
  return dataSource.getRepository(RunRejection).createQueryBuilder('rejection');
}

/** Skipped fires (of any connector: a nested connection narrows them to one), with this reason when given. */
export async function skippedFiresQuery(dataSource: DataSource, reason?: FireSkipReason | null): Promise<SelectQueryBuilder<SkippedFire>> {
  const query = dataSource.getRepository(SkippedFire).createQueryBuilder('fire');
  if (reason) query.andWhere('fire.reason = :reason', { reason });
  return query;
}
