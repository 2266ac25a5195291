/**
 * Changes to the catalogue itself: programmes, plan years, task groups, tasks, pilot models and metrics are
 * created, amended and retired here, never deleted. Every change is one transaction that writes the row and its
 * history record (who, when, why, and each field before and after) together, or neither.
 */
import type { EntityManager, EntityTarget } from 'typeorm';
import { FactBasis, MetricFrequency, MetricKind, ProgressStatus, UnitLevel } from '../../common/enums';
import { badInput, HubError } from '../../common/errors';
import { requireByCode } from '../../database/by-code';
import { isDuplicateKeyError } from '../../database/write-conflicts';
import type { RequestScope } from '../../common/request-scope';
import { VALUE_LIMIT } from '../../ingestion/validation';
import { Department } from '../departments/department.entity';
import { Metric, MetricChange } from '../metrics/metric.entity';
import { departmentOn, existing, optionalDate, requiredCode, requiredDate } from './catalogue-checks';
import { ChangedField } from './change-record';
import { linkSupporting, newFiling, supportingDepartments } from './pilot-model-filing';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

export const NOTE_MAX = 2000;
/** Plan years the hub accepts. */
const FIRST_PLAN_YEAR = 2000;
const LAST_PLAN_YEAR = 2100;

export type Diff = Record<string, { from: unknown; to: unknown }>;
export type ChangeTable = typeof TaskChange | typeof PilotModelChange | typeof MetricChange;

/** A change record to append: the fact, its values and the per-field diff. */
export interface Recorded {
  field: ChangedField;
  fromValue?: string | null;
  toValue: string;
  diff?: Diff | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Checks of input fields: each failure names the field (those that look rows up are in catalogue-checks.ts).

export { requiredCode };

export function requiredText(field: string, value: string | null | undefined, max: number): string {
  const text = value?.trim() ?? '';
  if (!text) throw badInput(field, 'is required and must not be blank');
  if (text.length > max) throw badInput(field, `must be at most ${max} characters`);
  return text;
}

/** Optional text: undefined stays undefined (unchanged), blank is refused. */
function optionalText(field: string, value: string | null | undefined, max: number): string | undefined {
  return value == null ? undefined : requiredText(field, value, max);
}

export function requiredNote(field: string, value: string | null | undefined): string {
  const note = value?.trim() ?? '';
  if (!note) throw badInput(field, 'say why (the note is kept in the history)');
  if (note.length > NOTE_MAX) throw badInput(field, `must be at most ${NOTE_MAX} characters`);
  return note;
}

function optionalNote(field: string, value: string | null | undefined): string | null {
  return value == null || !value.trim() ? null : requiredNote(field, value);
}

export function planYear(field: string, value: number): number {
  if (!Number.isInteger(value) || value < FIRST_PLAN_YEAR || value > LAST_PLAN_YEAR) {
    throw badInput(field, `must be a year from ${FIRST_PLAN_YEAR} to ${LAST_PLAN_YEAR}`);
  }
  return value;
}

function nonNegative(field: string, value: number | null | undefined): number | null | undefined {
  if (value == null) return value;
  if (!Number.isFinite(value) || value < 0) throw badInput(field, 'must be a non-negative number');
  return value;
}

export async function assertNewCode(manager: EntityManager, target: EntityTarget<{ id: number; code: string }>, field: string, what: string, code: string): Promise<void> {
  // Codes are compared exactly (findByCode); MariaDB's collation would also refuse another letter case on insert.
  const taken = await manager.getRepository(target).findOne({ where: { code } as never });
  if (taken) throw new HubError('CONFLICT', `${field}: a ${what} with code "${taken.code}" already exists (codes are unique and never reused)`, field);
}

/** Runs one catalogue write in a transaction; a unique-key race on a code becomes CONFLICT naming the field. */
export async function write<T>(scope: RequestScope, codeField: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  try {
    return await scope.dataSource.transaction(work);
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new HubError('CONFLICT', `${codeField}: that code is already taken (codes are unique)`, codeField);
    throw error;
  }
}

/** The rows of history records (one per change), as every catalogue write stores them. */
export function changeRows(changes: Array<Recorded & { subjectId: number }>, by: { author: string; note: string | null; changedAt: Date }) {
  return changes.map((change) => ({
    subjectId: change.subjectId,
    field: change.field,
    fromValue: change.fromValue ?? null,
    toValue: change.toValue,
    details: change.diff ? JSON.stringify(change.diff) : null,
    changedAt: by.changedAt,
    author: by.author,
    note: by.note,
  }));
}

function record(scope: RequestScope, manager: EntityManager, table: ChangeTable, subjectId: number, changes: Recorded[], note: string | null): Promise<void> {
  return recordEach(scope, manager, table, changes.map((change) => ({ subjectId, ...change })), note);
}

/** Appends change records of any number of subjects in one statement, all at one time, by the caller, with one note. */
export async function recordEach(scope: RequestScope, manager: EntityManager, table: ChangeTable, changes: Array<Recorded & { subjectId: number }>, note: string | null): Promise<void> {
  if (changes.length === 0) return;
  await manager.getRepository(table).insert(changeRows(changes, { author: scope.actor, note, changedAt: new Date() }) as never);
}

/** The diff of a created row: every field given, from null. */
export function created(fields: Record<string, unknown>): Diff {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined).map(([key, value]) => [key, { from: null, to: value }]));
}

// ---------------------------------------------------------------------------------------------------------------
// Programmes, plan years and task groups.

export interface ProgramInput {
  code: string;
  name: string;
  nameVi: string;
  decision: string;
  planYear: number;
}

export function createProgram(scope: RequestScope, input: ProgramInput): Promise<Program> {
  const code = requiredCode('input.code', input.code, 32);
  const values = {
    code,
    name: requiredText('input.name', input.name, 300),
    nameVi: requiredText('input.nameVi', input.nameVi, 300),
    decision: requiredText('input.decision', input.decision, 200),
    planYear: planYear('input.planYear', input.planYear),
  };
  return write(scope, 'input.code', async (manager) => {
    await assertNewCode(manager, Program, 'input.code', 'programme', code);
    const { identifiers } = await manager.getRepository(Program).insert(values);
    return manager.getRepository(Program).findOneByOrFail({ id: identifiers[0].id as number });
  });
}

export interface TaskGroupInput {
  code: string;
  name: string;
  nameVi?: string | null;
  program: string;
  planYear: number;
  leadDepartment: string;
}

export function createTaskGroup(scope: RequestScope, input: TaskGroupInput): Promise<TaskGroup> {
  const code = requiredCode('input.code', input.code, 32);
  const name = requiredText('input.name', input.name, 300);
  const nameVi = optionalText('input.nameVi', input.nameVi, 300) ?? name;
  const year = planYear('input.planYear', input.planYear);
  return write(scope, 'input.code', async (manager) => {
    const program = await existing(manager, Program, 'input.program', 'programme', input.program);
    if (year < program.planYear) throw badInput('input.planYear', `programme ${program.code} starts with its ${program.planYear} plan`);
    const department = await departmentOn(manager, 'input.leadDepartment', input.leadDepartment, scope.today);
    await assertNewCode(manager, TaskGroup, 'input.code', 'task group', code);
    const number = await nextNumber(manager, TaskGroup, { programId: program.id, planYear: year });
    const { identifiers } = await manager.getRepository(TaskGroup).insert({
      code, name, nameVi, planYear: year, number, programId: program.id, leadDepartmentId: department.id, basis: FactBasis.SOURCE,
    });
    return manager.getRepository(TaskGroup).findOneByOrFail({ id: identifiers[0].id as number });
  });
}

async function nextNumber(manager: EntityManager, target: EntityTarget<{ number: number }>, where: Record<string, unknown>): Promise<number> {
  const row = await manager.getRepository(target).createQueryBuilder('row').select('MAX(row.number)', 'max').where(where).getRawOne<{ max: number | string | null }>();
  return Number(row?.max ?? 0) + 1;
}

export interface PlanInput {
  program: string;
  planYear: number;
  /** Carry over the tasks of this earlier plan year that are not completed on the day the plan is created. */
  carryOverFrom?: number | null;
  note: string;
}

export interface PlanResult {
  program: Program;
  planYear: number;
  taskGroups: TaskGroup[];
  carriedOver: Task[];
}

/** The code a group or task gets in a later plan year: its first code (without an earlier year) and the year, e.g. T01.02/2025. */
export function codeInYear(code: string, year: number): string {
  return `${code.replace(/\/\d{4}$/, '')}/${year}`;
}

/**
 * Opens a programme's plan for a year. With carryOverFrom, every task of that year not completed (and not
 * retired) today is carried over: its group and itself are copied into the new year under the code `<code>/<year>`,
 * linked to the origin (`carriedOverFrom`), with the origin's status, deadline and responsible person; the origin
 * keeps its own history and a CARRIED_OVER record, so "late since 2024" stays visible.
 */
export function createPlan(scope: RequestScope, input: PlanInput): Promise<PlanResult> {
  const year = planYear('input.planYear', input.planYear);
  const note = requiredNote('input.note', input.note);
  if (input.carryOverFrom != null) {
    planYear('input.carryOverFrom', input.carryOverFrom);
    if (input.carryOverFrom >= year) throw badInput('input.carryOverFrom', `must be a plan year before ${year}`);
  }
  return write(scope, 'input.planYear', async (manager) => {
    const program = await existing(manager, Program, 'input.program', 'programme', input.program);
    if (year < program.planYear) throw badInput('input.planYear', `programme ${program.code} starts with its ${program.planYear} plan`);
    const groups = manager.getRepository(TaskGroup);
    if (await groups.exists({ where: { programId: program.id, planYear: year } })) {
      throw new HubError('CONFLICT', `input.planYear: programme ${program.code} already has a ${year} plan`, 'input.planYear');
    }
    const carriedOver: Task[] = [];
    const taskGroups: TaskGroup[] = [];
    if (input.carryOverFrom != null) {
      const fromGroups = await groups.find({ where: { programId: program.id, planYear: input.carryOverFrom }, order: { number: 'ASC' } });
      if (fromGroups.length === 0) throw badInput('input.carryOverFrom', `programme ${program.code} has no ${input.carryOverFrom} plan`);
      const open = await manager
        .getRepository(Task)
        .createQueryBuilder('task')
        .where('task.taskGroupId IN (:...groupIds)', { groupIds: fromGroups.map((group) => group.id) })
        .andWhere('task.status <> :completed', { completed: ProgressStatus.COMPLETED })
        .andWhere('task.retiredOn IS NULL')
        .orderBy('task.code')
        .getMany();
      for (const group of fromGroups.filter((candidate) => open.some((task) => task.taskGroupId === candidate.id))) {
        const groupCode = codeInYear(group.code, year);
        await assertNewCode(manager, TaskGroup, 'input.planYear', 'task group', groupCode);
        const { identifiers } = await groups.insert({
          code: groupCode, number: group.number, name: group.name, nameVi: group.nameVi, planYear: year,
          programId: program.id, leadDepartmentId: group.leadDepartmentId, basis: group.basis,
        });
        const copy = await groups.findOneByOrFail({ id: identifiers[0].id as number });
        taskGroups.push(copy);
        for (const origin of open.filter((task) => task.taskGroupId === group.id)) {
          carriedOver.push(await carryOver(scope, manager, origin, copy, year, note));
        }
      }
    }
    return { program, planYear: year, taskGroups, carriedOver };
  });
}

async function carryOver(scope: RequestScope, manager: EntityManager, origin: Task, group: TaskGroup, year: number, note: string): Promise<Task> {
  const code = codeInYear(origin.code, year);
  await assertNewCode(manager, Task, 'input.planYear', 'task', code);
  const tasks = manager.getRepository(Task);
  const { identifiers } = await tasks.insert({
    code,
    title: origin.title,
    titleVi: origin.titleVi,
    product: origin.product,
    targetValue: origin.targetValue,
    targetUnit: origin.targetUnit,
    taskGroupId: group.id,
    leadDepartmentId: origin.leadDepartmentId,
    responsiblePerson: origin.responsiblePerson,
    deadline: origin.deadline,
    status: origin.status,
    completedAt: null,
    progressNote: origin.progressNote,
    retiredOn: null,
    originTaskId: origin.id,
    basis: origin.basis,
  });
  const id = identifiers[0].id as number;
  await record(scope, manager, TaskChange, id, [
    { field: ChangedField.CARRIED_OVER, fromValue: origin.code, toValue: code },
    // The status it carries, as the initial status record of a seeded task (no earlier value).
    { field: ChangedField.STATUS, fromValue: null, toValue: origin.status },
  ], note);
  await record(scope, manager, TaskChange, origin.id, [{ field: ChangedField.CARRIED_OVER, fromValue: origin.code, toValue: code }], note);
  return tasks.findOneByOrFail({ id });
}

// ---------------------------------------------------------------------------------------------------------------
// Tasks and pilot models.

export interface TaskInput {
  code: string;
  title: string;
  titleVi?: string | null;
  taskGroup: string;
  leadDepartment: string;
  responsiblePerson: string;
  deadline: string;
  product?: string | null;
  targetValue?: number | null;
  targetUnit?: string | null;
  note?: string | null;
}

export function createTask(scope: RequestScope, input: TaskInput): Promise<Task> {
  const code = requiredCode('input.code', input.code, 32);
  const title = requiredText('input.title', input.title, 500);
  const values = {
    code,
    title,
    titleVi: optionalText('input.titleVi', input.titleVi, 500) ?? title,
    responsiblePerson: requiredText('input.responsiblePerson', input.responsiblePerson, 200),
    deadline: requiredDate('input.deadline', input.deadline),
    product: optionalText('input.product', input.product, 500) ?? '',
    targetValue: nonNegative('input.targetValue', input.targetValue) ?? null,
    targetUnit: optionalText('input.targetUnit', input.targetUnit, 64) ?? null,
  };
  if (values.targetUnit && values.targetValue == null) throw badInput('input.targetUnit', 'a unit needs a targetValue');
  const note = optionalNote('input.note', input.note);
  return write(scope, 'input.code', async (manager) => {
    const group = await existing(manager, TaskGroup, 'input.taskGroup', 'task group', input.taskGroup);
    const department = await departmentOn(manager, 'input.leadDepartment', input.leadDepartment, scope.today);
    await assertNewCode(manager, Task, 'input.code', 'task', code);
    const tasks = manager.getRepository(Task);
    const { identifiers } = await tasks.insert({
      ...values, taskGroupId: group.id, leadDepartmentId: department.id, status: ProgressStatus.NOT_STARTED, completedAt: null,
      progressNote: null, retiredOn: null, originTaskId: null, basis: FactBasis.SOURCE,
    });
    const id = identifiers[0].id as number;
    await record(scope, manager, TaskChange, id, [
      { field: ChangedField.CREATED, toValue: code, diff: created({ ...values, taskGroup: group.code, leadDepartment: department.code }) },
      { field: ChangedField.STATUS, fromValue: null, toValue: ProgressStatus.NOT_STARTED },
    ], note);
    return tasks.findOneByOrFail({ id });
  });
}

export interface PilotModelInput {
  code: string;
  name: string;
  nameVi?: string | null;
  leadDepartment: string;
  supportingDepartments?: string[] | null;
  responsiblePerson?: string | null;
  deadline?: string | null;
  taskGroup?: string | null;
  /** Needed only without a task group when there are several programmes (see newFiling). */
  program?: string | null;
  note?: string | null;
}

/** Creates a pilot model: only code, name and lead department are required; see newFiling for where it counts without a task group. */
export function createPilotModel(scope: RequestScope, input: PilotModelInput): Promise<PilotModel> {
  const code = requiredCode('input.code', input.code, 32);
  const name = requiredText('input.name', input.name, 300);
  const values = {
    code,
    name,
    nameVi: optionalText('input.nameVi', input.nameVi, 300) ?? name,
    responsiblePerson: optionalText('input.responsiblePerson', input.responsiblePerson, 200) ?? null,
    deadline: optionalDate('input.deadline', input.deadline) ?? null,
  };
  const note = optionalNote('input.note', input.note);
  return write(scope, 'input.code', async (manager) => {
    const department = await departmentOn(manager, 'input.leadDepartment', input.leadDepartment, scope.today);
    const supporting = await supportingDepartments(manager, 'input.supportingDepartments', input.supportingDepartments ?? [], department.id, scope.today);
    const { program, group, planYear } = await newFiling(manager, input, scope.today);
    await assertNewCode(manager, PilotModel, 'input.code', 'pilot model', code);
    const models = manager.getRepository(PilotModel);
    const number = await nextNumber(manager, PilotModel, {});
    const { identifiers } = await models.insert({
      ...values, number, taskGroupId: group?.id ?? null, programId: program.id, planYear, leadDepartmentId: department.id,
      status: ProgressStatus.NOT_STARTED, completedAt: null, progressNote: null, retiredOn: null, statusIsDemo: false, basis: FactBasis.SOURCE,
    });
    const id = identifiers[0].id as number;
    await linkSupporting(manager, id, supporting, false);
    const definition = { ...values, taskGroup: group?.code ?? null, program: program.code, planYear, leadDepartment: department.code };
    await record(scope, manager, PilotModelChange, id, [
      { field: ChangedField.CREATED, toValue: code, diff: created({ ...definition, supportingDepartments: supporting.map((supporter) => supporter.code) }) },
      { field: ChangedField.STATUS, fromValue: null, toValue: ProgressStatus.NOT_STARTED },
    ], note);
    return models.findOneByOrFail({ id });
  });
}

/** Retires a task or pilot model: it leaves the counts of this plan year and later, and stays in earlier years' reports. */
export function retireItem<T extends { id: number; code: string; retiredOn: string | null }>(
  scope: RequestScope,
  entity: EntityTarget<T>,
  table: ChangeTable,
  what: string,
  code: string,
  note: string,
): Promise<T> {
  const why = requiredNote('note', note);
  return write(scope, 'code', async (manager) => {
    const item = await requireByCode(manager, entity, what, code);
    if (item.retiredOn) throw new HubError('CONFLICT', `code: ${what} ${item.code} was retired on ${item.retiredOn}`, 'code');
    await manager.getRepository(entity).update(item.id, { retiredOn: scope.today } as never);
    await record(scope, manager, table, item.id, [{ field: ChangedField.RETIRED, toValue: scope.today }], why);
    return manager.getRepository(entity).findOneByOrFail({ id: item.id } as never);
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics.

export interface MetricDefinition {
  name?: string | null;
  nameVi?: string | null;
  unit?: string | null;
  description?: string | null;
  department?: string | null;
  targetValue?: number | null;
  targetDate?: string | null;
  reportingLagDays?: number | null;
  minValue?: number | null;
  maxValue?: number | null;
  /** Unit levels its values are reported at; at creation default every level. */
  levels?: readonly string[] | null;
  note?: string | null;
}

export interface MetricInput extends MetricDefinition {
  code: string;
  name: string;
  kind: MetricKind;
  frequency: MetricFrequency;
  department: string;
  pilotModel: string;
}

/** Checks target and bounds against the kind (a RATE is a percentage); the fields named are those of the input. */
export function checkMeasures(kind: MetricKind, values: Pick<Metric, 'targetValue' | 'targetDate' | 'minValue' | 'maxValue' | 'reportingLagDays'>, prefix = 'input.'): void {
  const kindMax = kind === MetricKind.RATE ? 100 : VALUE_LIMIT;
  for (const field of ['targetValue', 'minValue', 'maxValue'] as const) {
    const value = values[field];
    if (value == null) continue;
    if (!Number.isFinite(value) || value < 0) throw badInput(`${prefix}${field}`, 'must be a non-negative number');
    if (value > kindMax) throw badInput(`${prefix}${field}`, kind === MetricKind.RATE ? `a ${kind} metric is a percentage, 0 to 100` : `must be below ${kindMax}`);
  }
  if (values.minValue != null && values.maxValue != null && values.minValue > values.maxValue) {
    throw badInput(`${prefix}minValue`, `must not exceed maxValue (${values.maxValue})`);
  }
  if (values.targetValue != null && !values.targetDate) throw badInput(`${prefix}targetDate`, 'a target needs a date');
  if (values.targetValue == null && values.targetDate) throw badInput(`${prefix}targetDate`, 'there is no target value to date; give targetValue too');
  if (values.reportingLagDays != null && (!Number.isInteger(values.reportingLagDays) || values.reportingLagDays < 0 || values.reportingLagDays > 366)) {
    throw badInput(`${prefix}reportingLagDays`, 'must be a whole number of days from 0 to 366');
  }
}

/** The unit levels given, each a UnitLevel, at least one, none twice; in the stored order (province, district, commune). */
function metricLevels(field: string, given: readonly string[] | null | undefined): UnitLevel[] | undefined {
  if (given == null) return undefined;
  const known = Object.values(UnitLevel) as string[];
  if (given.length === 0) throw badInput(field, `give at least one level (${known.join(', ')})`);
  given.forEach((level, index) => {
    if (!known.includes(level)) throw badInput(`${field}[${index}]`, `unknown unit level "${level}"; one of ${known.join(', ')}`);
    if (given.indexOf(level) !== index) throw badInput(`${field}[${index}]`, `"${level}" is listed twice`);
  });
  return known.filter((level) => given.includes(level)) as UnitLevel[];
}

function metricText(input: MetricDefinition) {
  return {
    name: optionalText('input.name', input.name, 300),
    nameVi: optionalText('input.nameVi', input.nameVi, 300),
    unit: input.unit == null ? undefined : input.unit.trim(),
    description: optionalText('input.description', input.description, 4000),
  };
}

export function createMetric(scope: RequestScope, input: MetricInput): Promise<Metric> {
  const code = requiredCode('input.code', input.code, 64);
  const name = requiredText('input.name', input.name, 300);
  if (!Object.values(MetricKind).includes(input.kind)) throw badInput('input.kind', 'must be COUNT, STOCK or RATE');
  if (!Object.values(MetricFrequency).includes(input.frequency)) throw badInput('input.frequency', `must be one of ${Object.values(MetricFrequency).join(', ')}`);
  const text = metricText(input);
  const unit = text.unit ?? (input.kind === MetricKind.RATE ? '%' : '');
  if (unit.length > 64) throw badInput('input.unit', 'must be at most 64 characters');
  const values = {
    code,
    name,
    nameVi: text.nameVi ?? name,
    unit,
    description: text.description ?? null,
    kind: input.kind,
    frequency: input.frequency,
    levels: metricLevels('input.levels', input.levels) ?? (Object.values(UnitLevel) as UnitLevel[]),
    targetValue: input.targetValue ?? null,
    targetDate: optionalDate('input.targetDate', input.targetDate) ?? null,
    reportingLagDays: input.reportingLagDays ?? null,
    minValue: input.minValue ?? null,
    maxValue: input.maxValue ?? null,
  };
  checkMeasures(input.kind, values);
  const note = optionalNote('input.note', input.note);
  return write(scope, 'input.code', async (manager) => {
    const department = await departmentOn(manager, 'input.department', input.department, scope.today);
    const model = await existing(manager, PilotModel, 'input.pilotModel', 'pilot model', input.pilotModel);
    if (model.retiredOn) throw badInput('input.pilotModel', `pilot model ${model.code} was retired on ${model.retiredOn}`);
    await assertNewCode(manager, Metric, 'input.code', 'metric', code);
    const metrics = manager.getRepository(Metric);
    const { identifiers } = await metrics.insert({ ...values, departmentId: department.id, pilotModelId: model.id, retiredOn: null, basis: FactBasis.SOURCE });
    const id = identifiers[0].id as number;
    await record(scope, manager, MetricChange, id, [
      { field: ChangedField.CREATED, toValue: code, diff: created({ ...values, department: department.code, pilotModel: model.code }) },
    ], note);
    return metrics.findOneByOrFail({ id });
  });
}

/**
 * Amends a metric's definition, target or bounds (its code, kind, frequency and model are fixed: values already
 * stored were validated and combined by them). One DEFINITION record holds every changed definition field, one
 * TARGET record the target; nothing is written when nothing changes.
 */
export function updateMetric(scope: RequestScope, code: string, input: MetricDefinition, prefix = 'input.'): Promise<Metric> {
  const text = metricText(input);
  if (text.unit !== undefined && text.unit.length > 64) throw badInput('input.unit', 'must be at most 64 characters');
  const note = optionalNote('input.note', input.note);
  return write(scope, 'code', async (manager) => {
    const metric = await requireByCode(manager, Metric, 'metric', code);
    if (metric.retiredOn) throw badInput('code', `metric ${metric.code} was retired on ${metric.retiredOn}; a retired metric is not amended`);
    const next: Partial<Metric> = {};
    for (const key of ['name', 'nameVi', 'unit', 'description'] as const) if (text[key] !== undefined) next[key] = text[key];
    for (const key of ['reportingLagDays', 'minValue', 'maxValue', 'targetValue', 'targetDate'] as const) {
      if (input[key] !== undefined) (next as Record<string, unknown>)[key] = input[key];
    }
    if (next.targetDate != null) next.targetDate = requiredDate('input.targetDate', next.targetDate);
    const levels = metricLevels('input.levels', input.levels);
    if (levels && levels.join(',') !== metric.levels.join(',')) next.levels = levels;
    // Removing the target removes its date.
    if (input.targetValue === null && input.targetDate === undefined) next.targetDate = null;
    let department: Department | undefined;
    if (input.department != null) {
      department = await departmentOn(manager, 'input.department', input.department, scope.today);
      next.departmentId = department.id;
    }
    // A target value alone keeps the date, and the reverse.
    const merged = { ...metric, ...next };
    checkMeasures(metric.kind, merged, prefix);
    const definition: Diff = {};
    const target: Diff = {};
    for (const [key, value] of Object.entries(next) as Array<[keyof Metric, unknown]>) {
      if (metric[key] === value) continue;
      if (key === 'targetValue' || key === 'targetDate') target[key] = { from: metric[key], to: value };
      else if (key === 'departmentId') {
        const before = await manager.getRepository(Department).findOneByOrFail({ id: metric.departmentId });
        definition.department = { from: before.code, to: department!.code };
      } else definition[key] = { from: metric[key], to: value };
    }
    const changes: Recorded[] = [];
    if (Object.keys(definition).length > 0) changes.push({ field: ChangedField.DEFINITION, toValue: Object.keys(definition).join(','), diff: definition });
    if (Object.keys(target).length > 0) {
      changes.push({
        field: ChangedField.TARGET,
        fromValue: metric.targetValue == null ? null : `${metric.targetValue} @ ${metric.targetDate}`,
        toValue: merged.targetValue == null ? 'none' : `${merged.targetValue} @ ${merged.targetDate}`,
        diff: target,
      });
    }
    if (changes.length === 0) return metric;
    await manager.getRepository(Metric).update(metric.id, next);
    await record(scope, manager, MetricChange, metric.id, changes, note);
    return manager.getRepository(Metric).findOneByOrFail({ id: metric.id });
  });
}

/** Retires a metric: from now on every ingestion path rejects its rows (METRIC_RETIRED); its data stays readable. */
export function retireMetric(scope: RequestScope, code: string, note: string): Promise<Metric> {
  return retireItem(scope, Metric, MetricChange, 'metric', code, note);
}
