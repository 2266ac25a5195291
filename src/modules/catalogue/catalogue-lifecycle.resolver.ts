import { Arg, Authorized, Ctx, Field, FieldResolver, Float, InputType, Int, Mutation, ObjectType, Resolver, Root } from 'type-graphql';
import { MetricFrequency, MetricKind, UnitLevel } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { scopeOf, type HubContext } from '../../graphql/context';
import { listCost } from '../../graphql/limits';
import { ADMIN_ONLY } from '../../security/access';
import { Metric, MetricChange } from '../metrics/metric.entity';
import {
  createMetric,
  createPilotModel,
  createPlan,
  createProgram,
  createTask,
  createTaskGroup,
  retireItem,
  retireMetric,
  updateMetric,
  type MetricDefinition,
} from './catalogue-lifecycle.service';
import { ChangedField, ChangeRecord } from './change-record';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

const VALIDATE = { validate: { forbidUnknownValues: false } } as const;

@InputType({ description: 'A new programme (đề án) and the year of its first plan.' })
class ProgramInput {
  @Field({ description: 'Unique, unchangeable code, e.g. DA06.' })
  code: string;

  @Field({ description: 'Name in English.' })
  name: string;

  @Field({ description: 'Name in Vietnamese (tên đề án).' })
  nameVi: string;

  @Field({ description: 'The decision that established it, e.g. "Quyết định 06/QĐ-TTg".' })
  decision: string;

  @Field(() => Int, { description: 'Year of its first plan.' })
  planYear: number;
}

@InputType({ description: 'A new task group of a programme’s plan for a year.' })
class TaskGroupInput {
  @Field({ description: 'Unique, unchangeable code, e.g. TG06 or TG06/2025.' })
  code: string;

  @Field({ description: 'Name in English.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'Name in Vietnamese (nhóm nhiệm vụ); default the English name.' })
  nameVi?: string | null;

  @Field({ description: 'Code of the programme, e.g. DA06.' })
  program: string;

  @Field(() => Int, { description: 'Year of the plan the group belongs to.' })
  planYear: number;

  @Field({ description: 'Code of the lead department (it must exist today).' })
  leadDepartment: string;
}

@InputType({ description: 'Opens a programme’s plan for a year, optionally carrying over the unfinished tasks of an earlier one.' })
class PlanInput {
  @Field({ description: 'Code of the programme, e.g. DA06.' })
  program: string;

  @Field(() => Int, { description: 'Year of the new plan.' })
  planYear: number;

  @Field(() => Int, {
    nullable: true,
    description: 'Carry over the tasks of this earlier plan year not completed (nor retired) today, as <code>/<planYear>, linked to their origin.',
  })
  carryOverFrom?: number | null;

  @Field({ description: 'Why (e.g. the decision issuing the plan); kept in the history of every carried-over task.' })
  note: string;
}

@InputType({ description: 'A new task of a plan; it starts NOT_STARTED.' })
class TaskInput {
  @Field({ description: 'Unique, unchangeable code, e.g. T06.01.' })
  code: string;

  @Field({ description: 'What the task requires, in English.' })
  title: string;

  @Field(() => String, { nullable: true, description: 'What the task requires, in Vietnamese (nội dung nhiệm vụ); default the English title.' })
  titleVi?: string | null;

  @Field({ description: 'Code of its task group; the group’s plan year is the task’s.' })
  taskGroup: string;

  @Field({ description: 'Code of the lead department (it must exist today).' })
  leadDepartment: string;

  @Field({ description: 'Accountable role (a role title, not a person’s name).' })
  responsiblePerson: string;

  @Field(() => CalendarDateScalar, { description: 'Deadline (YYYY-MM-DD).' })
  deadline: string;

  @Field(() => String, { nullable: true, description: 'The quantitative product the task must deliver.' })
  product?: string | null;

  @Field(() => Float, { nullable: true, description: 'Target quantity of the product.' })
  targetValue?: number | null;

  @Field(() => String, { nullable: true, description: 'Unit of the target quantity.' })
  targetUnit?: string | null;

  @Field(() => String, { nullable: true, description: 'Why it is added; kept in the history.' })
  note?: string | null;
}

@InputType({ description: 'A new pilot model; it starts NOT_STARTED.' })
class PilotModelInput {
  @Field({ description: 'Unique, unchangeable code, e.g. M39.' })
  code: string;

  @Field({ description: 'Name in English.' })
  name: string;

  @Field(() => String, { nullable: true, description: 'Name in Vietnamese (tên mô hình); default the English name.' })
  nameVi?: string | null;

  @Field({ description: 'Code of the lead department (it must exist today).' })
  leadDepartment: string;

  @Field(() => [String], { nullable: true, description: 'Codes of the supporting departments (đơn vị phối hợp), other than the lead.' })
  supportingDepartments?: string[] | null;

  @Field(() => String, { nullable: true, description: 'Accountable role (a role title, not a person’s name); null: not named yet.' })
  responsiblePerson?: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Deadline (YYYY-MM-DD); null: none yet (never overdue meanwhile).' })
  deadline?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Code of the task group it is filed under; the model counts from that group’s plan year on. Null: filed under none, counted from the plan in force on the day it is created.',
  })
  taskGroup?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Code of its programme, e.g. DA06: the task group’s when one is given; needed without a task group only when there are several programmes.',
  })
  program?: string | null;

  @Field(() => String, { nullable: true, description: 'Why it is added; kept in the history.' })
  note?: string | null;
}

@InputType({ description: 'Amendments to a metric; omitted fields stay as they are (code, kind, frequency and pilot model never change).' })
class MetricUpdate implements MetricDefinition {
  @Field(() => String, { nullable: true, description: 'Name in English.' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'Name in Vietnamese (tên chỉ tiêu).' })
  nameVi?: string | null;

  @Field(() => String, { nullable: true, description: 'Unit of measure, e.g. visits, %.' })
  unit?: string | null;

  @Field(() => String, { nullable: true, description: 'What it counts and how.' })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'Code of the reporting department (it must exist today).' })
  department?: string | null;

  @Field(() => Float, { nullable: true, description: 'Value to reach by targetDate (a percentage for RATE); null removes the target.' })
  targetValue?: number | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date by which the target is to be reached (YYYY-MM-DD).' })
  targetDate?: string | null;

  @Field(() => Int, { nullable: true, description: 'Days after a period ends by which its value is due (0 to 366).' })
  reportingLagDays?: number | null;

  @Field(() => Float, { nullable: true, description: 'Smallest value accepted; it can only narrow the kind’s range.' })
  minValue?: number | null;

  @Field(() => Float, { nullable: true, description: 'Largest value accepted; it can only narrow the kind’s range (0 to 100 for RATE).' })
  maxValue?: number | null;

  @Field(() => [UnitLevel], {
    nullable: true,
    description: 'Levels of administrative unit its values are reported at (at least one); rows of a unit at another level are rejected (WRONG_LEVEL). At creation default every level.',
  })
  levels?: UnitLevel[] | null;

  @Field(() => String, { nullable: true, description: 'Why; kept in the history.' })
  note?: string | null;
}

@InputType({ description: 'A new metric of a pilot model.' })
class MetricInput extends MetricUpdate {
  @Field({ description: 'Unique, unchangeable code, e.g. KCB_NEW_VISITS.' })
  code: string;

  @Field({ description: 'Name in English.' })
  declare name: string;

  @Field(() => MetricKind, { description: 'How its values combine: COUNT, STOCK or RATE.' })
  kind: MetricKind;

  @Field(() => MetricFrequency, { description: 'Length of its reporting periods.' })
  frequency: MetricFrequency;

  @Field({ description: 'Code of the reporting department (it must exist today).' })
  declare department: string;

  @Field({ description: 'Code of the pilot model it measures (not a retired one).' })
  pilotModel: string;
}

@ObjectType({ description: 'A programme’s plan for a year as createPlan opened it.' })
class PlanYear {
  @Field(() => Program, { description: 'The programme.' })
  program: Program;

  @Field(() => Int, { description: 'The plan year.' })
  planYear: number;

  @Field(() => [TaskGroup], { complexity: listCost, description: 'Task groups created for the year (copies of the groups of carried-over tasks).' })
  taskGroups: TaskGroup[];

  @Field(() => [Task], { complexity: listCost, description: 'The tasks carried over, each linked to its origin (carriedOverFrom).' })
  carriedOver: Task[];
}

/** Mutations that create, amend and retire catalogue entries (ADMIN). */
@Resolver()
export class CatalogueLifecycleResolver {
  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Program, { description: 'Creates a programme; its code is unique and never changes.' })
  createProgram(@Arg('input', () => ProgramInput, { ...VALIDATE, description: 'The programme.' }) input: ProgramInput, @Ctx() context: HubContext): Promise<Program> {
    return createProgram(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => PlanYear, { description: 'Opens a programme’s plan for a year; carryOverFrom carries over the unfinished tasks of an earlier year.' })
  createPlan(@Arg('input', () => PlanInput, { ...VALIDATE, description: 'The plan year.' }) input: PlanInput, @Ctx() context: HubContext): Promise<PlanYear> {
    return createPlan(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => TaskGroup, { description: 'Creates a task group in a programme’s plan for a year.' })
  createTaskGroup(@Arg('input', () => TaskGroupInput, { ...VALIDATE, description: 'The group.' }) input: TaskGroupInput, @Ctx() context: HubContext): Promise<TaskGroup> {
    return createTaskGroup(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Task, { description: 'Creates a task (NOT_STARTED) in a task group; recorded in its history.' })
  createTask(@Arg('input', () => TaskInput, { ...VALIDATE, description: 'The task.' }) input: TaskInput, @Ctx() context: HubContext): Promise<Task> {
    return createTask(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Task, { description: 'Retires a task today: it leaves the counts of this plan year; its history stays.' })
  retireTask(
    @Arg('code', { description: 'Code of the task.' }) code: string,
    @Arg('note', { description: 'Why (required; kept in the history).' }) note: string,
    @Ctx() context: HubContext,
  ): Promise<Task> {
    return retireItem(scopeOf(context), Task, TaskChange, 'task', code, note);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => PilotModel, { description: 'Creates a pilot model (NOT_STARTED); recorded in its history.' })
  createPilotModel(@Arg('input', () => PilotModelInput, { ...VALIDATE, description: 'The model.' }) input: PilotModelInput, @Ctx() context: HubContext): Promise<PilotModel> {
    return createPilotModel(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => PilotModel, { description: 'Retires a pilot model today: it leaves current counts and stays in the reports of the years it existed.' })
  retirePilotModel(
    @Arg('code', { description: 'Code of the pilot model.' }) code: string,
    @Arg('note', { description: 'Why (required; kept in the history).' }) note: string,
    @Ctx() context: HubContext,
  ): Promise<PilotModel> {
    return retireItem(scopeOf(context), PilotModel, PilotModelChange, 'pilot model', code, note);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Metric, { description: 'Creates a metric of a pilot model; recorded in its history.' })
  createMetric(@Arg('input', () => MetricInput, { ...VALIDATE, description: 'The metric.' }) input: MetricInput, @Ctx() context: HubContext): Promise<Metric> {
    return createMetric(scopeOf(context), input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Metric, { description: 'Amends a metric’s definition, target or bounds; each change is recorded.' })
  updateMetric(
    @Arg('code', { description: 'Code of the metric.' }) code: string,
    @Arg('input', () => MetricUpdate, { ...VALIDATE, description: 'The fields to change; omitted fields stay as they are.' }) input: MetricUpdate,
    @Ctx() context: HubContext,
  ): Promise<Metric> {
    return updateMetric(scopeOf(context), code, input);
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Metric, { description: 'Retires a metric today: every ingestion path then rejects its rows (METRIC_RETIRED); its data stays readable.' })
  retireMetric(
    @Arg('code', { description: 'Code of the metric.' }) code: string,
    @Arg('note', { description: 'Why (required; kept in the history).' }) note: string,
    @Ctx() context: HubContext,
  ): Promise<Metric> {
    return retireMetric(scopeOf(context), code, note);
  }
}

@Resolver(() => Metric)
export class MetricHistoryResolver {
  @FieldResolver(() => [ChangeRecord], { complexity: listCost, description: 'Recorded changes (creation, definition, target, retirement), oldest first; only one kind when `field` is given.' })
  async history(
    @Root() metric: Metric,
    @Ctx() context: HubContext,
    @Arg('field', () => ChangedField, { nullable: true, description: 'Only changes of this kind; null: all.' }) field?: ChangedField | null,
  ): Promise<MetricChange[]> {
    const records = await context.loaders.metricChanges.load(metric.id);
    return field ? records.filter((record) => record.field === field) : records;
  }
}
