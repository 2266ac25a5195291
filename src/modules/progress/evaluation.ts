import type { DataSource } from 'typeorm';
import { ProgressStatus } from '../../common/enums';
import { badInput } from '../../common/errors';
import { addDays } from '../../common/period';
import { requireByCode } from '../../database/by-code';
import { canReadOperational, Withheld } from '../../security/access';
import type { Principal } from '../../security/principal';
import { Program } from '../catalogue/program.entity';
import { ConnectorRun } from '../connectors/connector-run.entity';
import { Connector, RunErrorClass } from '../connectors/connector.entity';
import type { Department } from '../departments/department.entity';
import { connectorDepartmentAtRun } from '../departments/department-history';
import { MovedSubject } from '../departments/reorganization.entity';
import { FreshnessStatus } from '../metrics/freshness';
import { CompletionTiming, deadlineIn } from './item-state';
import { DEFAULT_PROGRAM } from './progress-report';
import { expectedReports, ReportTimeliness } from './report-timeliness';
import { FAILED_RUNS, judgement, ProgressSnapshot, startOfDay, type Judgement, type Tracked } from './progress.service';

/** The weights of the year-end score (settings EVALUATION_WEIGHT_*, EVALUATION_LATE_CREDIT; overridable per query). */
export interface EvaluationWeights {
  /** Weight of the tasks component. */
  tasks: number;
  /** Weight of the pilot models component. */
  models: number;
  /** Weight of the data freshness component. */
  freshness: number;
  /** Weight of the data quality component. */
  quality: number;
  /** Credit (0…1) of a task completed late, or completed on a date not recorded, against 1 for on time. */
  lateCredit: number;
}

const COMPONENTS = ['tasks', 'models', 'freshness', 'quality'] as const;

/** The earliest year an evaluation may cover. */
export const FIRST_EVALUATION_YEAR = 2000;

/**
 * Weights with `override` applied, each checked: finite and not negative, the four component weights not all
 * zero, the late credit at most 1. `field` prefixes the field named in errors (`weights.tasks`).
 */
export function checkedWeights(base: EvaluationWeights, override: Partial<Record<keyof EvaluationWeights, number | null | undefined>> | null | undefined, field = 'weights'): EvaluationWeights {
  const weights = { ...base };
  for (const key of [...COMPONENTS, 'lateCredit'] as const) {
    const value = override?.[key];
    if (value === null || value === undefined) continue;
    if (!Number.isFinite(value) || value < 0) throw badInput(`${field}.${key}`, 'must be a number not below 0');
    weights[key] = value;
  }
  if (weights.lateCredit > 1) throw badInput(`${field}.lateCredit`, 'must be between 0 and 1');
  if (COMPONENTS.every((key) => weights[key] === 0)) throw badInput(field, 'the weights of tasks, models, freshness and quality must not all be 0');
  return weights;
}

/** The year evaluated: from FIRST_EVALUATION_YEAR to the current year (judged as of today while it runs). */
export function checkedYear(year: number, today: string, field = 'year'): number {
  const current = Number(today.slice(0, 4));
  if (!Number.isInteger(year) || year < FIRST_EVALUATION_YEAR || year > current) {
    throw badInput(field, `must be a year from ${FIRST_EVALUATION_YEAR} to ${current}`);
  }
  return year;
}

/** The window of a year's evaluation: statuses on 31 December, or today while the year runs. */
export function evaluationWindow(year: number, today: string): Judgement {
  const end = `${year}-12-31`;
  return judgement(end < today ? end : today, `${year}-01-01`, end);
}

/** A failed connector run behind a data-quality figure. */
export interface FailedRunRef {
  runId: number;
  connector: string;
  status: string;
  errorClass: string | null;
}

/** The tasks component: tasks of the plan year led by the department with a deadline in the year. */
export interface TaskFigures {
  due: number;
  onTime: string[];
  late: string[];
  undated: string[];
  notDone: string[];
  /** Open, deadline after asOf (only while the year runs): not counted. */
  notYetDue: string[];
  score: number | null;
}

export interface ModelFigures {
  total: number;
  completed: string[];
  notCompleted: string[];
  score: number | null;
}

export interface FreshnessFigures {
  /** Standing of the department's metrics on asOf (freshness of each one's latest report). */
  metrics: number;
  onTime: string[];
  late: string[];
  missing: string[];
  /** Reports due in the window (report-timeliness.ts), and which of them came late or not at all (`CODE period`). */
  reportsExpected: number;
  reportsOnTime: number;
  lateReports: string[];
  missingReports: string[];
  /** reportsOnTime / reportsExpected. */
  score: number | null;
}

export interface RunFigures {
  runs: number;
  failedRuns: number;
  fetched: number;
  rejected: number;
  rejectionRate: number | null;
  failed: FailedRunRef[];
}

export interface QualityFigures {
  score: number | null;
  /** Operational data: withheld from viewers and outside a department-scoped caller's departments. */
  runs: RunFigures | Withheld;
}

export interface EvaluationRowData {
  department: Department;
  rank: number | null;
  score: number | null;
  tasks: TaskFigures;
  pilotModels: ModelFigures;
  freshness: FreshnessFigures;
  dataQuality: QualityFigures;
}

export interface EvaluationData {
  year: number;
  program: Program;
  asOf: string;
  weights: EvaluationWeights;
  rows: EvaluationRowData[];
  csvUrl: string;
  markdownUrl: string;
  xlsxUrl: string;
}

const share = (part: number, whole: number) => (whole === 0 ? null : part / whole);
const codes = (items: Tracked[]) => items.map(({ item }) => item.code).sort();
/** Scores are kept to 2 decimals, so equal results rank equal whatever the order of the arithmetic. */
const rounded = (value: number) => Math.round(value * 100) / 100;

/** The weighted score 0…100 of the components present (a component without items is left out, not counted as 0). */
export function weightedScore(components: Record<(typeof COMPONENTS)[number], number | null>, weights: EvaluationWeights): number | null {
  let sum = 0;
  let weight = 0;
  for (const key of COMPONENTS) {
    const value = components[key];
    if (value === null || weights[key] === 0) continue;
    sum += weights[key] * value;
    weight += weights[key];
  }
  return weight === 0 ? null : rounded((100 * sum) / weight);
}

/** Standard competition ranking: 1 + the number of departments scoring more; no score, no rank. */
export function ranked<T extends { score: number | null; department: { code: string } }>(rows: T[]): Array<T & { rank: number | null }> {
  const sorted = [...rows].sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.department.code.localeCompare(b.department.code));
  return sorted.map((row) => ({ ...row, rank: row.score === null ? null : 1 + sorted.filter((other) => other.score !== null && other.score > row.score!).length }));
}

/** Failed runs (FAILED, INTERRUPTED other than by a shutdown) started in the window, per department id, in one statement. */
async function failedRuns(dataSource: DataSource, window: Judgement, timeZone: string): Promise<Map<number, FailedRunRef[]>> {
  const lastDay = window.to < window.asOf ? window.to : window.asOf;
  const rows = await dataSource
    .createQueryBuilder(ConnectorRun, 'run')
    .innerJoin(Connector, 'connector', 'connector.id = run.connectorId')
    .select(connectorDepartmentAtRun('run', 'connector'), 'departmentId')
    .addSelect('run.id', 'runId')
    .addSelect('connector.name', 'connector')
    .addSelect('run.status', 'status')
    .addSelect('run.errorClass', 'errorClass')
    .where('run.startedAt >= :start AND run.startedAt < :end', { start: startOfDay(window.from, timeZone), end: startOfDay(addDays(lastDay, 1), timeZone) })
    .andWhere("run.status IN (:...failed) AND COALESCE(run.errorClass, '') <> :shutdown", { failed: FAILED_RUNS, shutdown: RunErrorClass.SHUTDOWN })
    .orderBy('run.id', 'ASC')
    .getRawMany<{ departmentId: number | string; runId: number | string; connector: string; status: string; errorClass: string | null }>();
  const byDepartment = new Map<number, FailedRunRef[]>();
  for (const row of rows) {
    const list = byDepartment.get(Number(row.departmentId)) ?? [];
    list.push({ runId: Number(row.runId), connector: row.connector, status: row.status, errorClass: row.errorClass });
    byDepartment.set(Number(row.departmentId), list);
  }
  return byDepartment;
}

/**
 * The year-end evaluation of a programme's departments (docs/analytics.md, "Year-end evaluation"): every figure
 * with the codes of the items behind it, a weighted score and a rank, read in a fixed number of statements
 * whatever the number of departments (one progress snapshot and one statement for the failed runs).
 */
export async function buildEvaluation(
  dataSource: DataSource,
  timeZone: string,
  options: { year: number; today: string; program?: string | null; weights: EvaluationWeights; principal: Principal },
  snapshotFor: (window: Judgement) => Promise<ProgressSnapshot> = (window) => ProgressSnapshot.load(dataSource, window, timeZone),
): Promise<EvaluationData> {
  const year = checkedYear(options.year, options.today);
  const programCode = options.program ?? DEFAULT_PROGRAM;
  const program = await requireByCode(dataSource, Program, 'programme', programCode);
  const window = evaluationWindow(year, options.today);
  const [snapshot, failed] = await Promise.all([snapshotFor(window), failedRuns(dataSource, window, timeZone)]);
  const reports = await expectedReports(dataSource, snapshot.standings.map((standing) => standing.metric), window, timeZone);
  const { asOf, from, to } = window;
  const plan = snapshot.plan(program, year);
  const weights = options.weights;
  const rows = snapshot.departmentsInWindow().map((department) => {
    const led = (items: Tracked[]) => items.filter(({ leadDepartmentId }) => leadDepartmentId === department.id);
    const due = led(plan.tasks).filter(({ state }) => deadlineIn(state, from, to));
    const completedAs = (timing: CompletionTiming) => due.filter(({ state }) => state.completion === timing);
    const open = due.filter(({ state }) => state.status !== ProgressStatus.COMPLETED);
    const tasks: TaskFigures = {
      due: 0,
      onTime: codes(completedAs(CompletionTiming.ON_TIME)),
      late: codes(completedAs(CompletionTiming.LATE)),
      undated: codes(completedAs(CompletionTiming.UNDATED)),
      // Every item of `due` has a deadline from `from` on: up to asOf it is missed, after it not yet due.
      notDone: codes(open.filter(({ state }) => deadlineIn(state, from, asOf))),
      notYetDue: codes(open.filter(({ state }) => !deadlineIn(state, from, asOf))),
      score: null,
    };
    tasks.due = tasks.onTime.length + tasks.late.length + tasks.undated.length + tasks.notDone.length;
    tasks.score = share(tasks.onTime.length + weights.lateCredit * (tasks.late.length + tasks.undated.length), tasks.due);

    const models = led(plan.models);
    const completedModels = models.filter(({ state }) => state.status === ProgressStatus.COMPLETED);
    const pilotModels: ModelFigures = {
      total: models.length,
      completed: codes(completedModels),
      notCompleted: codes(models.filter(({ state }) => state.status !== ProgressStatus.COMPLETED)),
      score: share(completedModels.length, models.length),
    };

    const standings = snapshot.standings.filter((standing) => standing.department.id === department.id);
    const metricsIn = (status: FreshnessStatus) => standings.filter((standing) => standing.freshness.status === status).map((standing) => standing.metric.code).sort();
    // A report is owed by the department that held the metric on its due day (before a reorganization: the predecessor).
    const owed = reports.filter((report) => snapshot.timeline.on(MovedSubject.METRIC, report.metric.id, report.metric.departmentId, report.dueDate) === department.id);
    const reportsIn = (timeliness: ReportTimeliness) =>
      owed.filter((report) => report.timeliness === timeliness).map((report) => `${report.metric.code} ${report.period}`).sort();
    const reportsOnTime = owed.filter((report) => report.timeliness === ReportTimeliness.ON_TIME).length;
    const freshness: FreshnessFigures = {
      metrics: standings.length,
      onTime: metricsIn(FreshnessStatus.ON_TIME),
      late: metricsIn(FreshnessStatus.LATE),
      missing: metricsIn(FreshnessStatus.MISSING),
      reportsExpected: owed.length,
      reportsOnTime,
      lateReports: reportsIn(ReportTimeliness.LATE),
      missingReports: reportsIn(ReportTimeliness.MISSING),
      score: share(reportsOnTime, owed.length),
    };

    const runs = snapshot.runs.get(department.id) ?? { runs: 0, failedRuns: 0, fetched: 0, rejected: 0, rejectionRate: null };
    const quality = runs.runs === 0 ? null : (1 - runs.failedRuns / runs.runs) * (1 - (runs.rejectionRate ?? 0));
    const dataQuality: QualityFigures = {
      score: quality,
      runs: canReadOperational(options.principal, department.id)
        ? { ...runs, failed: failed.get(department.id) ?? [] }
        : new Withheld(`EvaluationRow: run statistics of ${department.code} are not visible to this caller (role ${options.principal.role})`),
    };
    const score = weightedScore({ tasks: tasks.score, models: pilotModels.score, freshness: freshness.score, quality }, weights);
    return { department, score, tasks, pilotModels, freshness, dataQuality };
  });
  const query = new URLSearchParams({ year: String(year), program: programCode, ...weightParameters(weights) });
  const url = (format: string) => `/reports/evaluation?${new URLSearchParams({ ...Object.fromEntries(query), format }).toString()}`;
  return { year, program, asOf, weights, rows: ranked(rows), csvUrl: url('csv'), markdownUrl: url('md'), xlsxUrl: url('xlsx') };
}

/** The weights as download parameters (wTasks, wModels, wFreshness, wQuality, lateCredit). */
export function weightParameters(weights: EvaluationWeights): Record<string, string> {
  return {
    wTasks: String(weights.tasks),
    wModels: String(weights.models),
    wFreshness: String(weights.freshness),
    wQuality: String(weights.quality),
    lateCredit: String(weights.lateCredit),
  };
}
