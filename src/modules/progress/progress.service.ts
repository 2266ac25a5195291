import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import { progressRatio, targetIsCumulative, targetReached } from '../../analytics/value-rules';
import { ProgressStatus } from '../../common/enums';
import { badInput } from '../../common/errors';
import { addDays, type Period } from '../../common/period';
import { countsInYear, planYearOn, retirementCutoff } from '../catalogue/catalogue.service';
import { StatusCounts } from '../catalogue/catalogue.types';
import { ChangedField } from '../catalogue/change-record';
import { PilotModel, PilotModelChange } from '../catalogue/pilot-model.entity';
import type { Program } from '../catalogue/program.entity';
import { TaskGroup } from '../catalogue/task-group.entity';
import { Task, TaskChange } from '../catalogue/task.entity';
import { canAccessDepartment, canReadOperational, Withheld } from '../../security/access';
import type { Principal } from '../../security/principal';
import { ConnectorRun } from '../connectors/connector-run.entity';
import { Connector, RunErrorClass, RunStatus } from '../connectors/connector.entity';
import { Department } from '../departments/department.entity';
import { connectorDepartmentAtRun, DepartmentTimeline } from '../departments/department-history';
import { MovedSubject } from '../departments/reorganization.entity';
import { FreshnessStatus, metricFreshness, summarize } from '../metrics/freshness';
import { Metric } from '../metrics/metric.entity';
import { cumulativeTotals, latestPoints } from '../observations/metric-values';
import { CompletionTiming, deadlineIn, stateAt, type ChangeRow, type ItemState } from './item-state';
import {
  AccountableKind,
  DataQuality,
  DeadlineScore,
  DepartmentScorecard,
  MetricStanding,
  OverdueItem,
  ProgramProgress,
  ProgressReport,
  StatusChangeEntry,
  TaskGroupProgress,
} from './progress.types';

/** A task or pilot model with its state on asOf. */
export interface Tracked {
  kind: AccountableKind;
  item: Task | PilotModel;
  name: string;
  nameVi: string;
  state: ItemState;
  /** The department that led it on asOf (before a reorganization's effective date: the predecessor). */
  leadDepartmentId: number;
}

/** The window a snapshot is judged on: statuses on `asOf`, task deadlines and runs in `from`…`to`. */
export interface Judgement {
  asOf: string;
  from: string;
  to: string;
}

interface RunRow {
  departmentId: number | string;
  runs: number | string;
  failedRuns: number | string | null;
  fetched: number | string | null;
  rejected: number | string | null;
}

export const FAILED_RUNS = [RunStatus.FAILED, RunStatus.INTERRUPTED];

/** UTC instant at which the local day `date` begins in `timeZone`. */
export function startOfDay(date: string, timeZone: string): Date {
  const guess = Date.parse(`${date}T00:00:00Z`);
  const offsetAt = (instant: number) => {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(instant));
    const value = (type: string) => Number(parts.find((part) => part.type === type)!.value);
    return Date.UTC(value('year'), value('month') - 1, value('day'), value('hour'), value('minute'), value('second')) - instant;
  };
  const first = guess - offsetAt(guess);
  return new Date(guess - offsetAt(first));
}

/** The year of `asOf` when no window is given: the plan year the evaluation covers. */
export function judgement(asOf: string, from?: string | null, to?: string | null): Judgement {
  const window = { asOf, from: from ?? `${asOf.slice(0, 4)}-01-01`, to: to ?? `${asOf.slice(0, 4)}-12-31` };
  if (window.from > window.to) throw badInput('from', `must not be after to (${window.to})`);
  return window;
}

function emptyCounts(): StatusCounts {
  return { total: 0, completed: 0, inProgress: 0, notStarted: 0, overdue: 0 };
}

function statusCounts(items: readonly Tracked[]): StatusCounts {
  const counts = emptyCounts();
  for (const { state } of items) {
    counts.total += 1;
    if (state.status === ProgressStatus.COMPLETED) counts.completed += 1;
    else if (state.status === ProgressStatus.IN_PROGRESS) counts.inProgress += 1;
    else counts.notStarted += 1;
    if (state.overdue) counts.overdue += 1;
  }
  return counts;
}

function deadlineScore(items: readonly Tracked[]): DeadlineScore {
  const score: DeadlineScore = { total: 0, doneOnTime: 0, doneLate: 0, doneUndated: 0, openOverdue: 0, openNotYetDue: 0 };
  for (const { state } of items) {
    score.total += 1;
    if (state.completion === CompletionTiming.ON_TIME) score.doneOnTime += 1;
    else if (state.completion === CompletionTiming.LATE) score.doneLate += 1;
    else if (state.completion === CompletionTiming.UNDATED) score.doneUndated += 1;
    else if (state.overdue) score.openOverdue += 1;
    else score.openNotYetDue += 1;
  }
  return score;
}

const number = (value: number | string | null | undefined) => (value == null ? 0 : Number(value));

function byOldestFirst(a: ChangeRow, b: ChangeRow): number {
  return a.changedAt.getTime() - b.changedAt.getTime() || a.id - b.id;
}

/**
 * Everything progress, scorecards and reports are computed from, read as of one day in a fixed number of
 * statements whatever the number of departments, tasks or models; the figures are then derived in memory.
 */
export class ProgressSnapshot {
  private constructor(
    readonly judgement: Judgement,
    readonly timeZone: string,
    readonly departments: Department[],
    readonly taskGroups: TaskGroup[],
    readonly tasks: Tracked[],
    readonly models: Tracked[],
    readonly statusChanges: Array<{ kind: AccountableKind; change: ChangeRow; subject: Tracked }>,
    readonly standings: MetricStanding[],
    /** Connectors with the department each belonged to on asOf. */
    private readonly connectors: Connector[],
    /** Run statistics per department id (operational data: callers decide what to show). */
    readonly runs: Map<number, DataQuality>,
    /** Who held what when (reorganizations), for figures judged on other days than asOf. */
    readonly timeline: DepartmentTimeline,
  ) {}

  static async load(dataSource: DataSource, window: Judgement, timeZone: string): Promise<ProgressSnapshot> {
    const { asOf } = window;
    const [departments, taskGroups, tasks, models, taskChanges, modelChanges, metrics, connectors] = await Promise.all([
      dataSource.getRepository(Department).find({ order: { code: 'ASC' } }),
      dataSource.getRepository(TaskGroup).find({ order: { programId: 'ASC', number: 'ASC' } }),
      dataSource.getRepository(Task).find({ order: { code: 'ASC' } }),
      dataSource.getRepository(PilotModel).find({ order: { code: 'ASC' } }),
      dataSource.getRepository(TaskChange).find(),
      dataSource.getRepository(PilotModelChange).find(),
      dataSource.getRepository(Metric).find({ order: { code: 'ASC' } }),
      dataSource.getRepository(Connector).find({ select: { id: true, departmentId: true, createdAt: true, deletedAt: true } }),
    ]);
    const [latest, cumulative, runs, timeline] = await Promise.all([
      latestPoints(dataSource, metrics, asOf),
      cumulativeTotals(dataSource, metrics, asOf),
      ProgressSnapshot.loadRuns(dataSource, window, timeZone),
      DepartmentTimeline.load(dataSource),
    ]);
    const heldOn = (subject: MovedSubject, id: number, current: number) => timeline.on(subject, id, current, asOf);

    const track = (kind: AccountableKind, changes: ChangeRow[], item: Task | PilotModel, name: string, nameVi: string): Tracked => ({
      kind,
      item,
      name,
      nameVi,
      state: stateAt(item, changes, asOf, timeZone),
      leadDepartmentId: heldOn(kind === AccountableKind.TASK ? MovedSubject.TASK : MovedSubject.PILOT_MODEL, item.id, item.leadDepartmentId),
    });
    // Rows read for this snapshot only: task groups and connectors are shown under the department of asOf.
    for (const group of taskGroups) group.leadDepartmentId = heldOn(MovedSubject.TASK_GROUP, group.id, group.leadDepartmentId);
    for (const connector of connectors) connector.departmentId = heldOn(MovedSubject.CONNECTOR, connector.id, connector.departmentId);
    const historyOf = (changes: ChangeRow[]) => {
      const bySubject = new Map<number, ChangeRow[]>();
      for (const change of [...changes].sort(byOldestFirst)) {
        const list = bySubject.get(change.subjectId) ?? [];
        list.push(change);
        bySubject.set(change.subjectId, list);
      }
      return bySubject;
    };
    const taskHistory = historyOf(taskChanges);
    const modelHistory = historyOf(modelChanges);
    const trackedTasks = tasks.map((task) => track(AccountableKind.TASK, taskHistory.get(task.id) ?? [], task, task.title, task.titleVi));
    const trackedModels = models.map((model) => track(AccountableKind.PILOT_MODEL, modelHistory.get(model.id) ?? [], model, model.name, model.nameVi));

    // Initial records (no earlier value) state what was loaded; only real transitions are changes.
    const transitions = (kind: AccountableKind, history: Map<number, ChangeRow[]>, tracked: Tracked[]) =>
      tracked.flatMap((subject) =>
        (history.get(subject.item.id) ?? [])
          .filter((change) => change.field === ChangedField.STATUS && change.fromValue != null)
          .map((change) => ({ kind, change, subject })),
      );
    const statusChanges = [...transitions(AccountableKind.TASK, taskHistory, trackedTasks), ...transitions(AccountableKind.PILOT_MODEL, modelHistory, trackedModels)]
      .sort((a, b) => byOldestFirst(a.change, b.change));

    const departmentById = new Map(departments.map((department) => [department.id, department]));
    const modelById = new Map(trackedModels.map((model) => [model.item.id, model]));
    const standings = metrics.map((metric, index): MetricStanding => {
      const point = latest[index];
      const freshness = metricFreshness(metric, point?.period ?? null, asOf);
      // As metric.progress: a COUNT sums towards a dated target, a STOCK or RATE stands at its latest value.
      const actual = targetIsCumulative(metric.kind, metric.targetDate) ? (cumulative.get(metric.id)?.value ?? null) : (point?.value ?? null);
      const target = metric.targetValue;
      const ratio = progressRatio(actual, target);
      const model = modelById.get(metric.pilotModelId)!;
      return {
        metric,
        pilotModel: model.item as PilotModel,
        pilotModelStatus: model.state.status,
        department: departmentById.get(heldOn(MovedSubject.METRIC, metric.id, metric.departmentId))!,
        latestPeriod: point?.period ?? null,
        latestValue: point?.value ?? null,
        target,
        targetDate: metric.targetDate,
        actual,
        ratio,
        behindTarget: target != null && metric.targetDate != null && metric.targetDate <= asOf && !targetReached(ratio),
        stale: freshness.status !== FreshnessStatus.ON_TIME,
        freshness,
      };
    });
    return new ProgressSnapshot(window, timeZone, departments, taskGroups, trackedTasks, trackedModels, statusChanges, standings, connectors, runs, timeline);
  }

  /** Connector runs per department started from `from` to `to` (not after asOf), in one grouped statement. */
  private static async loadRuns(dataSource: DataSource, window: Judgement, timeZone: string): Promise<Map<number, DataQuality>> {
    const lastDay = window.to < window.asOf ? window.to : window.asOf;
    const rows = await dataSource
      .createQueryBuilder(ConnectorRun, 'run')
      .innerJoin(Connector, 'connector', 'connector.id = run.connectorId')
      // A run counts for the department the connector belonged to when it started.
      .select(connectorDepartmentAtRun('run', 'connector'), 'departmentId')
      .addSelect('COUNT(*)', 'runs')
      // A run interrupted by a shutdown is no failure (another process ran the connector again).
      .addSelect("SUM(CASE WHEN run.status IN (:...failed) AND COALESCE(run.errorClass, '') <> :shutdown THEN 1 ELSE 0 END)", 'failedRuns')
      .addSelect('SUM(run.fetched)', 'fetched')
      .addSelect('SUM(run.rejected)', 'rejected')
      .where('run.startedAt >= :start AND run.startedAt < :end', {
        start: startOfDay(window.from, timeZone),
        end: startOfDay(addDays(lastDay, 1), timeZone),
        failed: FAILED_RUNS,
        shutdown: RunErrorClass.SHUTDOWN,
      })
      .groupBy(connectorDepartmentAtRun('run', 'connector'))
      .getRawMany<RunRow>();
    return new Map(rows.map((row) => {
      const fetched = number(row.fetched);
      const rejected = number(row.rejected);
      return [Number(row.departmentId), {
        runs: number(row.runs),
        failedRuns: number(row.failedRuns),
        fetched,
        rejected,
        rejectionRate: fetched > 0 ? rejected / fetched : null,
      }];
    }));
  }

  /** Departments in force at some time in the window, by code. */
  departmentsInWindow(): Department[] {
    const { from, to } = this.judgement;
    return this.departments.filter((department) => (department.validFrom == null || department.validFrom <= to) && (department.validTo == null || department.validTo > from));
  }

  department(code: string): Department | undefined {
    return this.departments.find((department) => department.code === code);
  }

  /**
   * A department's scorecard as `principal` may see it: tasks, models and freshness are catalogue figures; the
   * connector count and the run statistics are operational data, withheld from viewers and from callers scoped
   * to other departments.
   */
  scorecard(department: Department, principal: Principal): DepartmentScorecard {
    const { asOf, from, to } = this.judgement;
    const operational = canReadOperational(principal, department.id);
    const withheld = new Withheld(
      `DepartmentScorecard: connectors and run statistics of ${department.code} are not visible to this caller (role ${principal.role})`,
    );
    const led = (items: Tracked[]) => items.filter(({ leadDepartmentId }) => leadDepartmentId === department.id);
    const connectors = this.connectors.filter((connector) =>
      connector.departmentId === department.id &&
      todayIn(this.timeZone, connector.createdAt) <= asOf &&
      (connector.deletedAt == null || todayIn(this.timeZone, connector.deletedAt) > asOf));
    return {
      department,
      asOf,
      from,
      to,
      tasks: deadlineScore(led(this.tasks).filter(({ state }) => deadlineIn(state, from, to))),
      pilotModels: statusCounts(led(this.models)),
      connectors: operational ? connectors.length : withheld,
      freshness: summarize(this.standings.filter((standing) => standing.department.id === department.id).map((standing) => standing.freshness.status)),
      dataQuality: operational ? (this.runs.get(department.id) ?? { runs: 0, failedRuns: 0, fetched: 0, rejected: 0, rejectionRate: null }) : withheld,
    };
  }

  /**
   * The tasks and models of a programme that count in a plan year (default: the plan in force on asOf), and the
   * task groups they are shown under: the year's groups, and earlier groups holding models still counted.
   */
  plan(program: Program, planYear?: number | null): { tasks: Tracked[]; models: Tracked[]; groups: TaskGroup[] } {
    const { asOf } = this.judgement;
    const programGroups = this.taskGroups.filter((group) => group.programId === program.id);
    const year = planYear ?? planYearOn([...new Set(programGroups.map((group) => group.planYear))], asOf) ?? Number(asOf.slice(0, 4));
    const cutoff = retirementCutoff(year, asOf, planYear != null);
    const groupYear = new Map(programGroups.map((group) => [group.id, group.planYear]));
    const tasks = this.tasks.filter(({ item }) => {
      const taskYear = groupYear.get((item as Task).taskGroupId);
      return taskYear !== undefined && countsInYear('task', taskYear, item.retiredOn, year, cutoff);
    });
    // A model carries its programme and first plan year (it may be filed under no group).
    const models = this.models.filter(({ item }) => {
      const model = item as PilotModel;
      return model.programId === program.id && countsInYear('model', model.planYear, model.retiredOn, year, cutoff);
    });
    const shown = new Set([...tasks, ...models].map(({ item }) => item.taskGroupId));
    return { tasks, models, groups: programGroups.filter((group) => group.planYear === year || shown.has(group.id)) };
  }

  /**
   * A programme's progress in a plan year (default: the plan in force on asOf, see planYearOn) as `principal` may
   * see it: a department-scoped caller's metric standings are its departments' only.
   */
  programProgress(program: Program, principal: Principal, planYear?: number | null): ProgramProgress {
    const { tasks, models, groups } = this.plan(program, planYear);
    const groupById = new Map(groups.map((group) => [group.id, group]));
    const departmentById = new Map(this.departments.map((department) => [department.id, department]));
    const overdueOf = (items: Tracked[]) =>
      items
        .filter(({ state }) => state.overdue)
        .sort((a, b) => b.state.daysLate - a.state.daysLate || a.item.code.localeCompare(b.item.code))
        .map(({ kind, item, name, nameVi, state, leadDepartmentId }): OverdueItem => ({
          kind,
          code: item.code,
          name,
          nameVi,
          status: state.status,
          taskGroup: item.taskGroupId == null ? null : groupById.get(item.taskGroupId)!,
          leadDepartment: departmentById.get(leadDepartmentId)!,
          responsiblePerson: state.responsiblePerson,
          // Overdue: it has a deadline.
          deadline: state.deadline!,
          daysLate: state.daysLate,
        }));
    const modelIds = new Set(models.map(({ item }) => item.id));
    return {
      program,
      asOf: this.judgement.asOf,
      tasks: statusCounts(tasks),
      pilotModels: statusCounts(models),
      taskGroups: groups.map((taskGroup): TaskGroupProgress => ({
        taskGroup,
        leadDepartment: departmentById.get(taskGroup.leadDepartmentId)!,
        tasks: statusCounts(tasks.filter(({ item }) => item.taskGroupId === taskGroup.id)),
        pilotModels: statusCounts(models.filter(({ item }) => item.taskGroupId === taskGroup.id)),
      })),
      overdue: [...overdueOf(tasks), ...overdueOf(models)],
      metricsNeedingAttention: this.standings
        .filter((standing) => canAccessDepartment(principal, standing.department.id))
        .filter((standing) => modelIds.has(standing.pilotModel.id) && (standing.behindTarget || standing.stale))
        .sort((a, b) => a.pilotModel.code.localeCompare(b.pilotModel.code) || a.metric.code.localeCompare(b.metric.code)),
    };
  }

  /** The periodic report as `principal` may see it: the snapshot must be judged with the period as its window. */
  report(program: Program, period: Period, links: { csvUrl: string; markdownUrl: string }, principal: Principal, planYear?: number | null): ProgressReport {
    const progress = this.programProgress(program, principal, planYear);
    const { tasks, models } = this.plan(program, planYear);
    const counted = new Set([...tasks, ...models]);
    const dueInPeriod = (items: Tracked[]) => items.filter(({ state }) => deadlineIn(state, period.start, period.end));
    const departmentById = new Map(this.departments.map((department) => [department.id, department]));
    const lastDay = period.end < this.judgement.asOf ? period.end : this.judgement.asOf;
    const statusChanges = this.statusChanges
      .filter(({ subject }) => counted.has(subject))
      .map(({ kind, change, subject }): StatusChangeEntry => ({
        kind,
        code: subject.item.code,
        name: subject.name,
        nameVi: subject.nameVi,
        leadDepartment: departmentById.get(subject.leadDepartmentId)!,
        fromStatus: change.fromValue as ProgressStatus,
        toStatus: change.toValue as ProgressStatus,
        changedAt: change.changedAt,
        changedOn: todayIn(this.timeZone, change.changedAt),
        author: change.author,
        note: change.note,
      }))
      .filter((entry) => entry.changedOn >= period.start && entry.changedOn <= lastDay);
    return {
      ...progress,
      period: period.text,
      tasksDueInPeriod: deadlineScore(dueInPeriod(tasks)),
      pilotModelsDueInPeriod: deadlineScore(dueInPeriod(models)),
      departments: this.departmentsInWindow().map((department) => this.scorecard(department, principal)),
      statusChanges,
      ...links,
    };
  }
}
