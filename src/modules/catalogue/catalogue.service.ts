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
import { amendPilotModelFiling } from './pilot-model-filing';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { planYearOn } from './plan-year';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

/** Metrics of a model, as `PilotModel.metrics` lists them. */
export const METRIC_ORDER = { code: 'ASC' } as const;

export { planYearOn };

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
type CountRow = {
  what: Counted | 'plan';
  programId: number | string;
  status: ProgressStatus | null;
  planYear: number | string;
  retiredOn: string | Date | null;
  total: number | string;
  overdue: number | string | null;
};

/** A date column as read by either driver (text YYYY-MM-DD, or a Date at midnight UTC), as YYYY-MM-DD. */
function dayOf(day: string | Date): string {
  return typeof day === 'string' ? day.slice(0, 10) : day.toISOString().slice(0, 10);
}

/**
 * The day retirements are judged on: the end of the plan year asked for; for the plan in force (no year asked),
 * asOf when later, so an item retired since is out of the current counts even while the last plan is older.
 */
export function retirementCutoff(year: number, asOf: string, asked: boolean): string {
  const end = `${year}-12-31`;
  return !asked && asOf > end ? asOf : end;
}

/**
 * Whether an item counts in plan year `year`: a task in its own plan year, a pilot model from the plan year of the
 * group it was filed under onwards; either only while not retired on `cutoff` (YYYY-MM-DD).
 */
export function countsInYear(what: Counted, itemYear: number, retiredOn: string | Date | null, year: number, cutoff: string): boolean {
  const inPlan = what === 'task' ? itemYear === year : itemYear <= year;
  return inPlan && (retiredOn == null || dayOf(retiredOn) > cutoff);
}

/**
 * Status and overdue counts per programme of pilot models and of tasks of one plan year (default: see planYearOn),
 * in one statement (three grouped SELECTs joined by UNION ALL: models, tasks, and the programme's plan years): a
 * dashboard asks for both, and the statement for the other costs almost nothing.
 */
export async function statusCounts(dataSource: DataSource, programIds: readonly number[], asOf: string, planYear: number | null): Promise<ProgramCounts[]> {
  // A task's programme and plan year are its group's (`taskGroup`); a model carries its own (`item`: it may have no group).
  const grouped = (entity: typeof Task | typeof PilotModel, what: Counted, plan: 'taskGroup' | 'item') => {
    const query = dataSource.createQueryBuilder(entity, 'item');
    if (plan === 'taskGroup') query.innerJoin(TaskGroup, 'taskGroup', 'taskGroup.id = item.taskGroupId');
    return query
      .select(`'${what}'`, 'what')
      .addSelect(`${plan}.programId`, 'programId')
      .addSelect('item.status', 'status')
      .addSelect(`${plan}.planYear`, 'planYear')
      .addSelect('item.retiredOn', 'retiredOn')
      .addSelect('COUNT(*)', 'total')
      .addSelect(`SUM(CASE WHEN ${overdueCondition('item')} THEN 1 ELSE 0 END)`, 'overdue')
      .where(`${plan}.programId IN (:...programIds)`, { programIds: [...programIds], overdueAsOf: asOf })
      .groupBy(`${plan}.programId`)
      .addGroupBy('item.status')
      .addGroupBy(`${plan}.planYear`)
      .addGroupBy('item.retiredOn')
      .getQueryAndParameters();
  };
  const [modelSql, modelParameters] = grouped(PilotModel, 'model', 'item');
  const [taskSql, taskParameters] = grouped(Task, 'task', 'taskGroup');
  const [planSql, planParameters] = dataSource
    .createQueryBuilder(TaskGroup, 'taskGroup')
    .select("'plan'", 'what')
    .addSelect('taskGroup.programId', 'programId')
    .addSelect('NULL', 'status')
    .addSelect('taskGroup.planYear', 'planYear')
    .addSelect('NULL', 'retiredOn')
    .addSelect('COUNT(*)', 'total')
    .addSelect('0', 'overdue')
    .where('taskGroup.programId IN (:...programIds)', { programIds: [...programIds] })
    .groupBy('taskGroup.programId')
    .addGroupBy('taskGroup.planYear')
    .getQueryAndParameters();
  // The query builder orders entity columns before computed ones: each SELECT is read in one fixed column order.
  const columns = ['what', 'programId', 'status', 'planYear', 'retiredOn', 'total', 'overdue'].map((name) => dataSource.driver.escape(name)).join(', ');
  const ordered = (sql: string, alias: string) => `SELECT ${columns} FROM (${sql}) ${alias}`;
  const rows: CountRow[] = await dataSource.query(`${ordered(modelSql, 'models')} UNION ALL ${ordered(taskSql, 'tasks')} UNION ALL ${ordered(planSql, 'plans')}`, [
    ...modelParameters,
    ...taskParameters,
    ...planParameters,
  ]);
  const tally = (programId: number, what: Counted, year: number | null): StatusCounts => {
    const counts: StatusCounts = { total: 0, completed: 0, inProgress: 0, notStarted: 0, overdue: 0 };
    if (year === null) return counts;
    const cutoff = retirementCutoff(year, asOf, planYear !== null);
    const mine = rows.filter((candidate) => candidate.what === what && Number(candidate.programId) === programId);
    for (const row of mine.filter((candidate) => countsInYear(what, Number(candidate.planYear), candidate.retiredOn, year, cutoff))) {
      const total = Number(row.total);
      counts.total += total;
      counts.overdue += Number(row.overdue ?? 0);
      if (row.status === ProgressStatus.COMPLETED) counts.completed += total;
      else if (row.status === ProgressStatus.IN_PROGRESS) counts.inProgress += total;
      else counts.notStarted += total;
    }
    return counts;
  };
  return programIds.map((programId) => {
    const years = rows.filter((row) => row.what === 'plan' && Number(row.programId) === programId).map((row) => Number(row.planYear));
    const year = planYear ?? planYearOn(years, asOf);
    return { model: tally(programId, 'model', year), task: tally(programId, 'task', year) };
  });
}

/** The counts of a programme judged on asOf (default today) for a plan year, through the request's loader shared by models and tasks. */
export async function programCounts(
  scope: RequestScope,
  programId: number,
  what: Counted,
  asOf?: string | null,
  planYear?: number | null,
): Promise<StatusCounts> {
  const counts = await scope.loaders.statusCounts(judgementDate(scope, asOf), planYear ?? null).load(programId);
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
export const pilotModelService = new AccountableItemService(PilotModel, PilotModelChange, 'pilot model', amendPilotModelFiling);
