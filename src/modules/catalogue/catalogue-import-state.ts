/**
 * What an import compares a file with: the catalogue as stored, read in a fixed number of statements, and the
 * references rows may name (stored items, overlaid by the items of the file as they are planned).
 */
import type { EntityManager } from 'typeorm';
import { isSqlite } from '../../database/sql-dialect';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import { PilotModel } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task } from './task.entity';

export interface CatalogueState {
  departments: Map<string, Department>;
  programs: Map<string, Program>;
  groups: Map<string, TaskGroup>;
  tasks: Map<string, Task>;
  models: Map<string, PilotModel>;
  metrics: Map<string, Metric>;
  departmentCode: Map<number, string>;
  programCode: Map<number, string>;
  groupById: Map<number, TaskGroup>;
  taskCode: Map<number, string>;
  modelById: Map<number, PilotModel>;
  /** Every code in lower case, per table: MariaDB's unique keys do not tell letter cases apart. */
  lowerCodes: Record<'departments' | 'programs' | 'groups' | 'tasks' | 'models' | 'metrics', Map<string, string>>;
}

const byCode = <T extends { code: string }>(rows: T[]) => new Map(rows.map((row) => [row.code, row]));
const lower = (rows: Array<{ code: string }>) => new Map(rows.map((row) => [row.code.toLowerCase(), row.code]));

/**
 * The stored catalogue, read in six statements (seven with the supporting departments), in the caller's transaction.
 * On MariaDB the departments are read first and share-locked: a reorganization in progress (it locks what it ends)
 * is waited for, and the rest is read after it — never a plan that gives new work to a department merged meanwhile.
 */
export async function loadCatalogueState(manager: EntityManager): Promise<CatalogueState> {
  const departments = await manager.getRepository(Department).find(isSqlite(manager) ? {} : { lock: { mode: 'pessimistic_read' } });
  const programs = await manager.getRepository(Program).find();
  const groups = await manager.getRepository(TaskGroup).find();
  const tasks = await manager.getRepository(Task).find();
  const models = await manager.getRepository(PilotModel).find({ relations: { supportingDepartments: true } });
  const metrics = await manager.getRepository(Metric).find();
  return {
    departments: byCode(departments),
    programs: byCode(programs),
    groups: byCode(groups),
    tasks: byCode(tasks),
    models: byCode(models),
    metrics: byCode(metrics),
    departmentCode: new Map(departments.map((row) => [row.id, row.code])),
    programCode: new Map(programs.map((row) => [row.id, row.code])),
    groupById: new Map(groups.map((row) => [row.id, row])),
    taskCode: new Map(tasks.map((row) => [row.id, row.code])),
    modelById: new Map(models.map((row) => [row.id, row])),
    lowerCodes: { departments: lower(departments), programs: lower(programs), groups: lower(groups), tasks: lower(tasks), models: lower(models), metrics: lower(metrics) },
  };
}

/** What a row may refer to, by code: stored items, then the file's items as they are planned. */
export interface References {
  departments: Map<string, { code: string; validFrom: string | null; validTo: string | null; successor: string | null }>;
  programs: Map<string, { planYear: number }>;
  groups: Map<string, { planYear: number; program: string }>;
  tasks: Map<string, { planYear: number; origin: string | null }>;
  models: Map<string, { planYear: number; retiredOn: string | null }>;
}

export function referencesOf(state: CatalogueState): References {
  return {
    departments: new Map(
      [...state.departments.values()].map((row) => [row.code, { code: row.code, validFrom: row.validFrom, validTo: row.validTo, successor: row.successorId == null ? null : state.departmentCode.get(row.successorId) ?? null }]),
    ),
    programs: new Map([...state.programs.values()].map((row) => [row.code, { planYear: row.planYear }])),
    groups: new Map([...state.groups.values()].map((row) => [row.code, { planYear: row.planYear, program: state.programCode.get(row.programId)! }])),
    tasks: new Map(
      [...state.tasks.values()].map((row) => [row.code, { planYear: state.groupById.get(row.taskGroupId)!.planYear, origin: row.originTaskId == null ? null : state.taskCode.get(row.originTaskId) ?? null }]),
    ),
    models: new Map([...state.models.values()].map((row) => [row.code, { planYear: row.planYear, retiredOn: row.retiredOn }])),
  };
}
