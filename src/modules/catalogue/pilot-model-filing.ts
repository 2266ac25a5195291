/**
 * Where a pilot model is filed: its programme, its task group (optional) and the first plan year it counts in, and
 * the departments supporting it. createPilotModel sets them; updatePilotModel (ADMIN) changes the task group and
 * the supporting departments with the same checks, recorded in the model's DEFINITION history.
 */
import type { EntityManager } from 'typeorm';
import { badInput } from '../../common/errors';
import type { RequestScope } from '../../common/request-scope';
import { Department } from '../departments/department.entity';
import { departmentOn, existing } from './catalogue-checks';
import type { AccountabilityUpdate } from './catalogue.types';
import type { PilotModel } from './pilot-model.entity';
import { planYearOn } from './plan-year';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';

const SUPPORT_TABLE = 'pilot_model_supporting_department';

/**
 * The supporting departments named in `given` (codes), each in force on `day`, none the lead, none twice; the
 * field of a failure is `<field>[index]`.
 */
export async function supportingDepartments(manager: EntityManager, field: string, given: readonly string[], leadId: number, day: string): Promise<Department[]> {
  const supporting: Department[] = [];
  for (const [index, code] of given.entries()) {
    const named = `${field}[${index}]`;
    const supporter = await departmentOn(manager, named, code, day);
    if (supporter.id === leadId) throw badInput(named, `"${supporter.code}" is the lead department; it cannot also support`);
    if (supporting.some((other) => other.id === supporter.id)) throw badInput(named, `"${supporter.code}" is listed twice`);
    supporting.push(supporter);
  }
  return supporting;
}

/** Replaces a model's supporting departments (none: no link rows). */
export async function linkSupporting(manager: EntityManager, modelId: number, departments: readonly Department[], replace: boolean): Promise<void> {
  if (replace) await manager.createQueryBuilder().delete().from(SUPPORT_TABLE).where('pilotModelId = :modelId', { modelId }).execute();
  if (departments.length === 0) return;
  await manager.createQueryBuilder().insert().into(SUPPORT_TABLE, ['pilotModelId', 'departmentId'])
    .values(departments.map((department) => ({ pilotModelId: modelId, departmentId: department.id }))).execute();
}

export interface Filing {
  program: Program;
  group: TaskGroup | null;
  /** First plan year the model counts in. */
  planYear: number;
}

/**
 * A new model's filing. Under a task group: the group's programme and plan year (a programme given too must be the
 * group's). Without one: the programme given, or the only programme there is; and the plan in force on `day` (the
 * programme's plan for that year, else its latest plan before, else its first; its first plan year when it has no
 * task group yet).
 */
export async function newFiling(manager: EntityManager, given: { program?: string | null; taskGroup?: string | null }, day: string): Promise<Filing> {
  const named = given.program == null ? null : await existing(manager, Program, 'input.program', 'programme', given.program);
  if (given.taskGroup != null) {
    const group = await existing(manager, TaskGroup, 'input.taskGroup', 'task group', given.taskGroup);
    if (named && named.id !== group.programId) throw badInput('input.program', `task group ${group.code} belongs to another programme than ${named.code}`);
    const program = named ?? (await manager.getRepository(Program).findOneByOrFail({ id: group.programId }));
    return { program, group, planYear: group.planYear };
  }
  let program = named;
  if (!program) {
    const programs = await manager.getRepository(Program).find({ order: { code: 'ASC' }, take: 3 });
    if (programs.length === 0) throw badInput('input.program', 'no programme exists yet; create one first (createProgram)');
    if (programs.length > 1) throw badInput('input.program', `give the programme (or a taskGroup): there are several (${programs.map((one) => one.code).join(', ')}…)`);
    program = programs[0];
  }
  const years = await manager.getRepository(TaskGroup).createQueryBuilder('taskGroup').select('DISTINCT taskGroup.planYear', 'planYear')
    .where('taskGroup.programId = :programId', { programId: program.id }).getRawMany<{ planYear: number | string }>();
  return { program, group: null, planYear: planYearOn(years.map((row) => Number(row.planYear)), day) ?? program.planYear };
}

/** What an update changes in a model's filing: the values to write, the DEFINITION diff entries, and the writes that go with them. */
export interface FilingAmendment {
  values: Partial<PilotModel>;
  diff: Record<string, { from: unknown; to: unknown }>;
  apply: () => Promise<void>;
}

/**
 * updatePilotModel's taskGroup and supportingDepartments (ADMIN): the same checks as at creation. A new task
 * group must be of the model's programme; the model then counts from the earlier of its first plan year and the
 * group's (a later group does not remove it from years it already counted in).
 */
export async function amendPilotModelFiling(scope: RequestScope, manager: EntityManager, model: PilotModel, update: AccountabilityUpdate): Promise<FilingAmendment> {
  const values: Partial<PilotModel> = {};
  const diff: FilingAmendment['diff'] = {};
  const writes: Array<() => Promise<void>> = [];
  if (update.taskGroup != null) {
    const group = await existing(manager, TaskGroup, 'input.taskGroup', 'task group', update.taskGroup);
    if (group.programId !== model.programId) throw badInput('input.taskGroup', `task group ${group.code} belongs to another programme than pilot model ${model.code}`);
    if (group.id !== model.taskGroupId) {
      const before = model.taskGroupId == null ? null : await manager.getRepository(TaskGroup).findOneByOrFail({ id: model.taskGroupId });
      values.taskGroupId = group.id;
      diff.taskGroup = { from: before?.code ?? null, to: group.code };
      if (group.planYear < model.planYear) {
        values.planYear = group.planYear;
        diff.planYear = { from: model.planYear, to: group.planYear };
      }
    }
  }
  if (update.supportingDepartments != null) {
    const next = await supportingDepartments(manager, 'input.supportingDepartments', update.supportingDepartments, model.leadDepartmentId, scope.today);
    const current = await manager.getRepository(Department).createQueryBuilder('department')
      .innerJoin(SUPPORT_TABLE, 'link', 'link.departmentId = department.id').where('link.pilotModelId = :modelId', { modelId: model.id }).getMany();
    const codes = (departments: Department[]) => departments.map((department) => department.code).sort();
    if (codes(current).join('\n') !== codes(next).join('\n')) {
      diff.supportingDepartments = { from: codes(current), to: codes(next) };
      writes.push(() => linkSupporting(manager, model.id, next, true));
    }
  }
  return { values, diff, apply: async () => { for (const write of writes) await write(); } };
}
