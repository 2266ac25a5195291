import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { ProgressStatus } from '../../common/enums';
import type { RequestScope } from '../../common/request-scope';
import { requireByCode } from '../../database/by-code';
import { preloadByForeignKey, type Preloaded } from '../../database/batched';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import { prefetchLatestPointsOfModels } from '../observations/metric-values';
import { AccountableItemService, judgementDate, overdueCondition } from './accountable-item.service';
import type { StatusCounts } from './catalogue.types';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

/** Metrics of a model, as `PilotModel.metrics` lists them. */
export const METRIC_ORDER = { code: 'ASC' } as const;

export function requireProgram(dataSource: DataSource, code: string): Promise<Program> {
  return requireByCode(dataSource, Program, 'programme', code);
}

export function requireTaskGroup(dataSource: DataSource, code: string): Promise<TaskGroup> {
  return requireByCode(dataSource, TaskGroup, 'task group', code);
}

/** Every programme (a connection orders and pages it). */
export async function programsQuery(dataSource: DataSource): Promise<SelectQueryBuilder<Program>> {
  return dataSource.getRepository(Program).createQueryBuilder('program');
}

/** Task groups, of one programme when its code is given. */
export async function taskGroupsQuery(dataSource: DataSource, programCode?: string | null): Promise<SelectQueryBuilder<TaskGroup>> {
  const query = dataSource.getRepository(TaskGroup).createQueryBuilder('taskGroup');
  if (programCode) {
    const program = await requireProgram(dataSource, programCode);
    query.andWhere('taskGroup.programId = :programId', { programId: program.id });
  }
  return query;
}

export type Counted = 'model' | 'task';
export type ProgramCounts = Record<Counted, StatusCounts>;
type CountRow = { what: Counted; programId: number | string; status: ProgressStatus; total: number | string; overdue: number | string | null };

/**
 * Status and overdue counts per programme of pilot models and of tasks, in one statement (two grouped SELECTs
 * joined by UNION ALL): a dashboard asks for both, and the statement for the other costs almost nothing.
 */
export async function statusCounts(dataSource: DataSource, programIds: readonly number[], asOf: string): Promise<ProgramCounts[]> {
  const grouped = (entity: typeof Task | typeof PilotModel, what: Counted) =>
    dataSource
      .createQueryBuilder(entity, 'item')
      .innerJoin(TaskGroup, 'taskGroup', 'taskGroup.id = item.taskGroupId')
      .select(`'${what}'`, 'what')
      .addSelect('taskGroup.programId', 'programId')
      .addSelect('item.status', 'status')
      .addSelect('COUNT(*)', 'total')
      .addSelect(`SUM(CASE WHEN ${overdueCondition('item')} THEN 1 ELSE 0 END)`, 'overdue')
      .where('taskGroup.programId IN (:...programIds)', { programIds: [...programIds], overdueAsOf: asOf })
      .groupBy('taskGroup.programId')
      .addGroupBy('item.status')
      .getQueryAndParameters();
  const [modelSql, modelParameters] = grouped(PilotModel, 'model');
  const [taskSql, taskParameters] = grouped(Task, 'task');
  const rows: CountRow[] = await dataSource.query(`${modelSql} UNION ALL ${taskSql}`, [...modelParameters, ...taskParameters]);
  const tally = (programId: number, what: Counted): StatusCounts => {
    const counts: StatusCounts = { total: 0, completed: 0, inProgress: 0, notStarted: 0, overdue: 0 };
    for (const row of rows.filter((candidate) => candidate.what === what && Number(candidate.programId) === programId)) {
      const total = Number(row.total);
      counts.total += total;
      counts.overdue += Number(row.overdue ?? 0);
      if (row.status === ProgressStatus.COMPLETED) counts.completed += total;
      else if (row.status === ProgressStatus.IN_PROGRESS) counts.inProgress += total;
      else counts.notStarted += total;
    }
    return counts;
  };
  return programIds.map((programId) => ({ model: tally(programId, 'model'), task: tally(programId, 'task') }));
}

/** The counts of a programme judged on asOf (default today), through the request's loader shared by models and tasks. */
export async function programCounts(scope: RequestScope, programId: number, what: Counted, asOf?: string | null): Promise<StatusCounts> {
  const counts = await scope.loaders.statusCounts(judgementDate(scope, asOf)).load(programId);
  return counts[what];
}

/** The departments supporting each model (by code), one list per model id, in one statement. */
export async function supportingDepartmentsOf(dataSource: DataSource, modelIds: readonly number[]): Promise<Department[][]> {
  const rows = await dataSource
    .createQueryBuilder(Department, 'department')
    .innerJoin('pilot_model_supporting_department', 'link', 'link.departmentId = department.id')
    .addSelect('link.pilotModelId', 'pilotModelId')
    .where('link.pilotModelId IN (:...modelIds)', { modelIds: [...modelIds] })
    .orderBy('department.code')
    .getRawAndEntities();
  const groups = new Map<number, Department[]>(modelIds.map((id) => [id, []]));
  rows.raw.forEach((raw: { pilotModelId: number | string; department_id: number }) => {
    const department = rows.entities.find((entity) => entity.id === Number(raw.department_id));
    if (department) groups.get(Number(raw.pilotModelId))?.push(department);
  });
  return modelIds.map((id) => groups.get(id) ?? []);
}

/**
 * The metrics of the models a page selects (`pageIds`: a subquery of their ids), read with the page rather than
 * after it, and with `withLatest` their latest values, whose statement is sent at the same time (it takes the
 * page's ids too, not the metrics); the returned function primes the request's metricsByPilotModel loader with the
 * metrics once the page's models are known.
 */
export async function preloadModelMetrics(
  scope: RequestScope,
  pageIds: SelectQueryBuilder<PilotModel>,
  withLatest: boolean,
): Promise<Preloaded<PilotModel>> {
  const primeLatest = withLatest ? prefetchLatestPointsOfModels(scope, pageIds) : undefined;
  const { rows, prime } = await preloadByForeignKey(scope.dataSource, scope.loaders.metricsByPilotModel, Metric, 'pilotModelId', METRIC_ORDER, pageIds);
  primeLatest?.(rows);
  return prime;
}

export const taskService = new AccountableItemService(Task, TaskChange, 'task');
export const pilotModelService = new AccountableItemService(PilotModel, PilotModelChange, 'pilot model');
