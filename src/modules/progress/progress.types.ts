import type { Withheld } from '../../security/access';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { listCost } from '../../graphql/limits';
import { ProgressStatus } from '../../common/enums';
import { CalendarDateScalar, PeriodScalar } from '../../common/scalars';
import { Program } from '../catalogue/program.entity';
import { StatusCounts } from '../catalogue/catalogue.types';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { TaskGroup } from '../catalogue/task-group.entity';
import { Department } from '../departments/department.entity';
import { FreshnessSummary, MetricFreshness } from '../metrics/freshness';
import { Metric } from '../metrics/metric.entity';

/** The language of a rendered report (`lang` of the downloads and of the GraphQL fields): the words of report-language.ts. */
export enum ReportLanguageChoice {
  vi = 'vi',
  en = 'en',
}
registerEnumType(ReportLanguageChoice, {
  name: 'ReportLanguage',
  description: 'Language of a rendered report: its headings, names and responsible persons\' titles (the downloads\' lang=vi|en).',
  valuesConfig: {
    vi: { description: 'Vietnamese (the default).' },
    en: { description: 'English.' },
  },
});

export enum AccountableKind {
  TASK = 'TASK',
  PILOT_MODEL = 'PILOT_MODEL',
}
registerEnumType(AccountableKind, {
  name: 'AccountableKind',
  description: 'A task of the plan or a pilot model.',
  valuesConfig: {
    TASK: { description: 'A task (nhiệm vụ) of the provincial plan.' },
    PILOT_MODEL: { description: 'A pilot model (mô hình điểm) M01–M38.' },
  },
});

@ObjectType({
  description:
    'Items with a deadline, by how they met it on asOf. A completion is dated by the status change to COMPLETED in the ' +
    'history; a state only recorded as "completed by" a day after the deadline is doneUndated.',
})
export class DeadlineScore {
  @Field(() => Int, { description: 'Items with a deadline in scope (the sum of the other counts).' })
  total: number;

  @Field(() => Int, { description: 'Completed on or before the deadline.' })
  doneOnTime: number;

  @Field(() => Int, { description: 'Completed after the deadline.' })
  doneLate: number;

  @Field(() => Int, { description: 'Completed, but whether before or after the deadline is not recorded.' })
  doneUndated: number;

  @Field(() => Int, { description: 'Not completed, deadline before asOf.' })
  openOverdue: number;

  @Field(() => Int, { description: 'Not completed, deadline on or after asOf.' })
  openNotYetDue: number;
}

@ObjectType({ description: 'Connector runs in a window: how much data arrived and how much of it was refused.' })
export class DataQuality {
  @Field(() => Int, { description: 'Runs started in the window.' })
  runs: number;

  @Field(() => Int, { description: 'Runs that ended FAILED or INTERRUPTED.' })
  failedRuns: number;

  @Field(() => Int, { description: 'Rows read.' })
  fetched: number;

  @Field(() => Int, { description: 'Rows refused by validation.' })
  rejected: number;

  @Field(() => Float, { nullable: true, description: 'rejected / fetched; null when nothing was fetched (missing, not zero).' })
  rejectionRate: number | null;
}

@ObjectType({
  description:
    'A department’s record for the year-end performance evaluation: its tasks due in the window, its pilot models, ' +
    'how timely its metrics are reported and how clean its connectors’ data is. No score: the figures are for people to weigh.',
})
export class DepartmentScorecard {
  @Field(() => Department, { description: 'The department scored.' })
  department: Department;

  @Field(() => CalendarDateScalar, { description: 'Day statuses, deadlines and freshness are judged on.' })
  asOf: string;

  @Field(() => CalendarDateScalar, { description: 'First day of the window (task deadlines and connector runs).' })
  from: string;

  @Field(() => CalendarDateScalar, { description: 'Last day of the window.' })
  to: string;

  @Field(() => DeadlineScore, { description: 'Tasks the department leads whose deadline falls in the window.' })
  tasks: DeadlineScore;

  @Field(() => StatusCounts, { description: 'Pilot models the department leads, by status on asOf.' })
  pilotModels: StatusCounts;

  @Field(() => Int, {
    nullable: true,
    description: 'Connectors of the department that existed on asOf; FORBIDDEN for viewers and outside a department-scoped caller’s departments.',
  })
  connectors: number | Withheld;

  @Field(() => FreshnessSummary, { description: 'Freshness on asOf of the metrics the department reports.' })
  freshness: FreshnessSummary;

  @Field(() => DataQuality, {
    nullable: true,
    description: 'Runs of its connectors started in the window, up to asOf; FORBIDDEN for viewers and outside a department-scoped caller’s departments.',
  })
  dataQuality: DataQuality | Withheld;
}

@ObjectType({ description: '"Clear person, clear task, clear time": an item open past its deadline.' })
export class OverdueItem {
  @Field(() => AccountableKind, { description: 'Whether the item is a task or a pilot model.' })
  kind: AccountableKind;

  @Field({ description: 'Code of the item, e.g. T01.02 or M05.' })
  code: string;

  @Field({ description: 'Task title or pilot model name.' })
  name: string;

  @Field({ description: 'Task title or pilot model name in Vietnamese.' })
  nameVi: string;

  @Field(() => ProgressStatus, { description: 'Status on asOf.' })
  status: ProgressStatus;

  @Field(() => TaskGroup, { nullable: true, description: 'The task group it is filed under; null for a pilot model filed under none.' })
  taskGroup: TaskGroup | null;

  @Field(() => Department, { description: 'The department that leads it.' })
  leadDepartment: Department;

  @Field(() => String, { nullable: true, description: 'Responsible person (role title) on asOf; null when none is named (a pilot model may have none yet).' })
  responsiblePerson: string | null;

  @Field(() => CalendarDateScalar, { description: 'Deadline in force on asOf.' })
  deadline: string;

  @Field(() => Int, { description: 'Days from the deadline to asOf (at least 1).' })
  daysLate: number;
}

@ObjectType({ description: 'Where one metric stands on asOf: its latest value, its target and whether reports arrive on time.' })
export class MetricStanding {
  @Field(() => Metric, { description: 'The metric.' })
  metric: Metric;

  @Field(() => PilotModel, { description: 'The pilot model the metric measures.' })
  pilotModel: PilotModel;

  @Field(() => ProgressStatus, { description: 'Status of the pilot model on asOf.' })
  pilotModelStatus: ProgressStatus;

  @Field(() => Department, { description: 'The department that reports the metric.' })
  department: Department;

  @Field(() => PeriodScalar, { nullable: true, description: 'Latest period with data that had ended by asOf.' })
  latestPeriod: string | null;

  @Field(() => Float, { nullable: true, description: 'Value of latestPeriod, combined over units (see API conventions); null when there is no data.' })
  latestValue: number | null;

  @Field(() => Float, { nullable: true, description: 'The metric\'s target; null when it has none.' })
  target: number | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date by which the target is to be reached (YYYY-MM-DD); null when open-ended or without target.' })
  targetDate: string | null;

  @Field(() => Float, {
    nullable: true,
    description: 'COUNT with a target date: total from 1 January of the target year to asOf (or the target date if earlier); otherwise the latest value.',
  })
  actual: number | null;

  @Field(() => Float, { nullable: true, description: 'actual / target; null without a target or data.' })
  ratio: number | null;

  @Field({ description: 'The target date has come (on or before asOf) and the target is not reached.' })
  behindTarget: boolean;

  @Field({ description: 'Freshness is LATE or MISSING on asOf.' })
  stale: boolean;

  @Field(() => MetricFreshness, { description: 'Whether its reports arrive on time, judged on asOf.' })
  freshness: MetricFreshness;
}

@ObjectType({ description: 'Tasks and pilot models of one task group on asOf.' })
export class TaskGroupProgress {
  @Field(() => TaskGroup, { description: 'The task group.' })
  taskGroup: TaskGroup;

  @Field(() => Department, { description: 'The department that leads the group.' })
  leadDepartment: Department;

  @Field(() => StatusCounts, { description: 'Tasks of the group by status on asOf.' })
  tasks: StatusCounts;

  @Field(() => StatusCounts, { description: 'Pilot models of the group by status on asOf.' })
  pilotModels: StatusCounts;
}

@ObjectType({ description: 'A recorded status change of a task or pilot model.' })
export class StatusChangeEntry {
  @Field(() => AccountableKind, { description: 'Whether the item is a task or a pilot model.' })
  kind: AccountableKind;

  @Field({ description: 'Code of the item, e.g. T01.02 or M05.' })
  code: string;

  @Field({ description: 'Task title or pilot model name in English.' })
  name: string;

  @Field({ description: 'Task title or pilot model name in Vietnamese.' })
  nameVi: string;

  @Field(() => Department, { description: 'The department that leads the item.' })
  leadDepartment: Department;

  @Field(() => ProgressStatus, { description: 'Status before the change.' })
  fromStatus: ProgressStatus;

  @Field(() => ProgressStatus, { description: 'Status after the change.' })
  toStatus: ProgressStatus;

  @Field(() => Date, { description: 'When the change was recorded (UTC timestamp).' })
  changedAt: Date;

  @Field(() => CalendarDateScalar, { description: 'Local day of the change.' })
  changedOn: string;

  @Field({ description: 'Who made the change.' })
  author: string;

  @Field(() => String, { nullable: true, description: 'Why, as its author wrote it; null when none was given.' })
  note: string | null;
}

@ObjectType({ description: 'A programme’s progress on asOf.' })
export class ProgramProgress {
  @Field(() => Program, { description: 'The programme.' })
  program: Program;

  @Field(() => CalendarDateScalar, { description: 'Day statuses, deadlines and freshness are judged on (YYYY-MM-DD).' })
  asOf: string;

  @Field(() => StatusCounts, { description: 'Tasks of the programme by status on asOf.' })
  tasks: StatusCounts;

  @Field(() => StatusCounts, { description: 'Pilot models of the programme by status on asOf.' })
  pilotModels: StatusCounts;

  @Field(() => [TaskGroupProgress], { complexity: listCost, description: 'In plan order.' })
  taskGroups: TaskGroupProgress[];

  @Field(() => [OverdueItem], { complexity: listCost, description: 'Tasks, then pilot models, open past their deadline; most days late first.' })
  overdue: OverdueItem[];

  @Field(() => [MetricStanding], { complexity: listCost, description: 'Metrics of the programme’s models that are behind target or stale, by model and code.' })
  metricsNeedingAttention: MetricStanding[];
}

@ObjectType({ description: 'The periodic report to the Provincial People’s Committee chairman.' })
export class ProgressReport extends ProgramProgress {
  @Field(() => PeriodScalar, { description: 'The reporting period, e.g. 2024-Q1 or 2024-03.' })
  period: string;

  @Field(() => DeadlineScore, { description: 'Tasks whose deadline falls in the period.' })
  tasksDueInPeriod: DeadlineScore;

  @Field(() => DeadlineScore, { description: 'Pilot models whose deadline falls in the period.' })
  pilotModelsDueInPeriod: DeadlineScore;

  @Field(() => [DepartmentScorecard], { complexity: listCost, description: 'Every department in force during the period, by code; window = the period.' })
  departments: DepartmentScorecard[];

  @Field(() => [StatusChangeEntry], { complexity: listCost, description: 'Status changes recorded in the period up to asOf, oldest first.' })
  statusChanges: StatusChangeEntry[];

  /** Path of the CSV download, without PUBLIC_BASE_PATH nor lang (the csvUrl field adds them). */
  csvUrl: string;

  /** Path of the Markdown download, without PUBLIC_BASE_PATH nor lang (the markdownUrl field adds them). */
  markdownUrl: string;
}
