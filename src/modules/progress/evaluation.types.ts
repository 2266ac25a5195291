import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { CalendarDateScalar } from '../../common/scalars';
import { listCost } from '../../graphql/limits';
import type { Withheld } from '../../security/access';
import { Program } from '../catalogue/program.entity';
import { Department } from '../departments/department.entity';
import { RunErrorClass, RunStatus } from '../connectors/connector.entity';

@InputType({ description: 'Weights of the year-end score; each omitted one keeps its setting (EVALUATION_WEIGHT_*, EVALUATION_LATE_CREDIT).' })
export class EvaluationWeightsInput {
  @Field(() => Float, { nullable: true, description: 'Weight of the tasks component (not below 0).' })
  tasks?: number | null;

  @Field(() => Float, { nullable: true, description: 'Weight of the pilot models component (not below 0).' })
  models?: number | null;

  @Field(() => Float, { nullable: true, description: 'Weight of the data freshness component (not below 0).' })
  freshness?: number | null;

  @Field(() => Float, { nullable: true, description: 'Weight of the data quality component (not below 0).' })
  quality?: number | null;

  @Field(() => Float, { nullable: true, description: 'Credit 0…1 of a task completed late (or on a date not recorded), against 1 for on time.' })
  lateCredit?: number | null;
}

@ObjectType({ description: 'The weights a year-end evaluation was scored with.' })
export class EvaluationWeightsUsed {
  @Field(() => Float, { description: 'Weight of the tasks component.' })
  tasks: number;

  @Field(() => Float, { description: 'Weight of the pilot models component.' })
  models: number;

  @Field(() => Float, { description: 'Weight of the data freshness component.' })
  freshness: number;

  @Field(() => Float, { description: 'Weight of the data quality component.' })
  quality: number;

  @Field(() => Float, { description: 'Credit of a task completed late or on a date not recorded (on time: 1).' })
  lateCredit: number;
}

@ObjectType({ description: 'Tasks of the plan year led by the department with a deadline in the year, by how they were met; each list holds task codes.' })
export class EvaluationTasks {
  @Field(() => Int, { description: 'Tasks counted: on time + late + undated + not done.' })
  due: number;

  @Field(() => [String], { description: 'Completed on or before the deadline.' })
  onTime: string[];

  @Field(() => [String], { description: 'Completed after the deadline (the status change to COMPLETED is dated after it).' })
  late: string[];

  @Field(() => [String], { description: 'Completed, but only recorded as completed by a day after the deadline: credited as late.' })
  undated: string[];

  @Field(() => [String], { description: 'Not completed by the deadline, judged on asOf (31 December, or today while the year runs).' })
  notDone: string[];

  @Field(() => [String], { description: 'Open with a deadline after asOf (only while the year runs); not counted.' })
  notYetDue: string[];

  @Field(() => Float, { nullable: true, description: '(on time + lateCredit × (late + undated)) / due; null without tasks due.' })
  score: number | null;
}

@ObjectType({ description: 'Pilot models led by the department that count in the plan year; each list holds model codes.' })
export class EvaluationModels {
  @Field(() => Int, { description: 'Models counted.' })
  total: number;

  @Field(() => [String], { description: 'Completed on asOf.' })
  completed: string[];

  @Field(() => [String], { description: 'Not completed on asOf.' })
  notCompleted: string[];

  @Field(() => Float, { nullable: true, description: 'completed / total; null without models.' })
  score: number | null;
}

@ObjectType({
  description:
    'Data freshness of the metrics the department reports: the reports due in the year (each period whose last day + reporting lag falls ' +
    'from 1 January to asOf) and whether each arrived by its due day; and the standing of each metric on asOf. Lists hold metric codes, ' +
    'or "CODE period" for reports.',
})
export class EvaluationFreshness {
  @Field(() => Int, { description: 'Reports due in the year up to asOf (a retired metric owes none from its retirement; a metric created during the year none before).' })
  reportsExpected: number;

  @Field(() => Int, { description: 'Reports whose first value (any unit) was recorded by the end of the due day.' })
  reportsOnTime: number;

  @Field(() => [String], { description: 'Reports recorded after their due day (by asOf), as "CODE period".' })
  lateReports: string[];

  @Field(() => [String], { description: 'Reports not recorded by asOf, as "CODE period".' })
  missingReports: string[];

  @Field(() => Float, { nullable: true, description: 'reportsOnTime / reportsExpected; null when no report was due.' })
  score: number | null;

  @Field(() => Int, { description: 'Metrics the department reports.' })
  metrics: number;

  @Field(() => [String], { description: 'Standing on asOf: metrics whose latest expected period is reported.' })
  onTime: string[];

  @Field(() => [String], { description: 'Standing on asOf: metrics with an expected period past its due date not reported.' })
  late: string[];

  @Field(() => [String], { description: 'Standing on asOf: metrics never reported.' })
  missing: string[];
}

@ObjectType({ description: 'A failed connector run behind a data-quality figure.' })
export class EvaluationFailedRun {
  @Field(() => ID, { description: 'Global id of the run (pass it to connectorRun(id:)).' })
  runId: string;

  @Field(() => String, { description: 'Name of the connector.' })
  connector: string;

  @Field(() => RunStatus, { description: 'FAILED, or INTERRUPTED other than by a shutdown.' })
  status: RunStatus;

  @Field(() => RunErrorClass, { nullable: true, description: 'Class of the failure.' })
  errorClass: RunErrorClass | null;
}

@ObjectType({ description: 'Connector runs of the department started in the year (up to asOf).' })
export class EvaluationRuns {
  @Field(() => Int, { description: 'Runs started.' })
  runs: number;

  @Field(() => Int, { description: 'Runs that failed (listed in `failed`).' })
  failedRuns: number;

  @Field(() => Int, { description: 'Rows read.' })
  fetched: number;

  @Field(() => Int, { description: 'Rows refused by validation.' })
  rejected: number;

  @Field(() => Float, { nullable: true, description: 'rejected / fetched; null when nothing was fetched.' })
  rejectionRate: number | null;

  @Field(() => [EvaluationFailedRun], { complexity: listCost, description: 'The failed runs, oldest first.' })
  failed: EvaluationFailedRun[];
}

@ObjectType({ description: 'Data quality: runs that did not fail and rows not rejected.' })
export class EvaluationQuality {
  @Field(() => Float, { nullable: true, description: '(1 − failed runs / runs) × (1 − rejection rate); null without runs. Part of the published result, seen by every caller.' })
  score: number | null;

  @Field(() => EvaluationRuns, {
    nullable: true,
    description: 'The run figures behind the score; FORBIDDEN for viewers and outside a department-scoped caller’s departments.',
  })
  runs: EvaluationRuns | Withheld;
}

@ObjectType({ description: 'A department’s year-end evaluation: each component’s figure with the items behind it, the score and the rank.' })
export class EvaluationRow {
  @Field(() => Department, { description: 'The department evaluated.' })
  department: Department;

  @Field(() => Int, { nullable: true, description: '1 + the number of departments scoring more (equal scores share a rank); null without a score.' })
  rank: number | null;

  @Field(() => Float, { nullable: true, description: 'Score 0…100 (2 decimals): the weighted mean of the components with data; null when none has.' })
  score: number | null;

  @Field(() => EvaluationTasks, { description: 'Tasks due in the year: on time, late, not done.' })
  tasks: EvaluationTasks;

  @Field(() => EvaluationModels, { description: 'Pilot models completed.' })
  pilotModels: EvaluationModels;

  @Field(() => EvaluationFreshness, { description: 'Data freshness: share of expected reports on time.' })
  freshness: EvaluationFreshness;

  @Field(() => EvaluationQuality, { description: 'Data quality: failed runs and rejected rows.' })
  dataQuality: EvaluationQuality;
}

@ObjectType({ description: 'The year-end evaluation of the departments (emulation and commendation): figures, score, ranking; docs/analytics.md.' })
export class Evaluation {
  @Field(() => Int, { description: 'The year evaluated.' })
  year: number;

  @Field(() => Program, { description: 'The programme whose plan year is evaluated.' })
  program: Program;

  @Field(() => CalendarDateScalar, { description: 'Day statuses and freshness are judged on: 31 December, or today while the year runs.' })
  asOf: string;

  @Field(() => EvaluationWeightsUsed, { description: 'The weights used (settings, with the query’s overrides).' })
  weights: EvaluationWeightsUsed;

  @Field(() => [EvaluationRow], { complexity: listCost, description: 'Every department in force during the year, best score first (then by code).' })
  rows: EvaluationRow[];

  /** The downloads' paths without PUBLIC_BASE_PATH (the fields of EvaluationLinksResolver add it). */
  csvUrl: string;
  markdownUrl: string;
  xlsxUrl: string;
}
