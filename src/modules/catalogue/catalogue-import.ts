/**
 * Importing the catalogue from a spreadsheet (docs/catalogue.md, "Spreadsheet import"): the file is read
 * (catalogue-import-read.ts), every row checked and compared with the stored catalogue (catalogue-import-plan.ts,
 * catalogue-import-items.ts), and — when asked and only when no row has a problem — the changes are written in one
 * transaction: rows set-based (one statement per sheet and chunk, a fixed number more per kind of change), with the
 * history records the catalogue mutations write, by the caller and with the note given. The seed loads the
 * reference catalogue through the same path (src/seed/seed.ts).
 */
import { In, type DataSource, type EntityManager, type EntityTarget, type ObjectLiteral } from 'typeorm';
import { HubError } from '../../common/errors';
import { inChunks } from '../../database/sql-dialect';
import { isDuplicateKeyError } from '../../database/write-conflicts';
import { Department } from '../departments/department.entity';
import { Metric, MetricChange } from '../metrics/metric.entity';
import { changeRows, requiredNote } from './catalogue-lifecycle.service';
import { ITEM_PLANNERS } from './catalogue-import-items';
import { planImport, type HistorySheet, type ImportAction, type ImportChange, type ImportOptions, type ImportPlan } from './catalogue-import-plan';
import { readCatalogueFile, type ImportProblem, type RawSheet } from './catalogue-import-read';
import { loadCatalogueState } from './catalogue-import-state';
import { PilotModel, PilotModelChange } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task, TaskChange } from './task.entity';

export type { ImportAction, ImportChange, ImportProblem };

export interface ImportResult {
  /** True when the changes were written (apply asked and no problem found). */
  applied: boolean;
  problems: ImportProblem[];
  /** Every row's change, in the order of the sheets and rows of the file. */
  changes: ImportChange[];
  /** Rows per action. */
  summary: Record<ImportAction, number>;
}

export interface ImportRequest extends ImportOptions {
  /** Write the changes (one transaction) when no row has a problem; otherwise only list them (dry run). */
  apply: boolean;
  /** Recorded as the author of every history record the import writes. */
  author: string;
  /** Why: the note of every history record. */
  note: string;
  /** When the history records are dated (default: now). */
  changedAt?: Date;
}

/** The note of the history records when the caller gives none. */
export const DEFAULT_IMPORT_NOTE = 'Nhập từ bảng tính — spreadsheet import';

/** Rows per insert statement: keeps rows × columns under SQLite's bind limit. */
const INSERT_CHUNK = 200;

/** Reads a file (an XLSX workbook, or one sheet of CSV named by `sheet`) and imports it. */
export async function importCatalogueFile(
  dataSource: DataSource,
  file: { content: Buffer; format: 'xlsx' | 'csv'; sheet?: string },
  request: ImportRequest,
): Promise<ImportResult> {
  const note = requiredNote('note', request.note);
  const problems: ImportProblem[] = [];
  const sheets = await readCatalogueFile(file.content, file.format, file.sheet, problems);
  try {
    return await dataSource.transaction((manager) => importSheets(manager, sheets, problems, { ...request, note }));
  } catch (error) {
    if (isDuplicateKeyError(error)) throw new HubError('CONFLICT', 'body: a code of the file was taken while it was imported (codes are unique); try again', 'body');
    throw error;
  }
}

/**
 * Imports sheets already read, in the caller's transaction (the seed's): plans every row, and writes the changes
 * when `apply` is set and nothing is wrong. Problems found while reading (`problems`) block the writes too.
 */
export async function importSheets(manager: EntityManager, sheets: RawSheet[], problems: ImportProblem[], request: ImportRequest): Promise<ImportResult> {
  const state = await loadCatalogueState(manager);
  const plan = planImport(state, sheets, request, problems, ITEM_PLANNERS);
  const applied = request.apply && problems.length === 0;
  if (applied) await write(manager, plan, { author: request.author, note: request.note, changedAt: request.changedAt ?? new Date() });
  const summary: Record<ImportAction, number> = { create: 0, update: 0, unchanged: 0, retire: 0 };
  for (const change of plan.changes) summary[change.action] += 1;
  return { applied, problems: sortProblems(problems), changes: plan.changes, summary };
}

const SHEET_ORDER = ['Departments', 'Programmes', 'TaskGroups', 'Tasks', 'PilotModels', 'Metrics'];

function sortProblems(problems: ImportProblem[]): ImportProblem[] {
  const rank = (sheet: string) => (SHEET_ORDER.includes(sheet) ? SHEET_ORDER.indexOf(sheet) : -1);
  return problems.slice().sort((a, b) => rank(a.sheet) - rank(b.sheet) || (a.row ?? 0) - (b.row ?? 0));
}

async function insertAll<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, rows: Array<Partial<T>>): Promise<void> {
  await inChunks(rows, INSERT_CHUNK, async (chunk) => {
    await manager.insert(target, chunk as never);
  });
}

/** Code → id of a catalogue table, one statement. */
async function idsOf(manager: EntityManager, target: EntityTarget<{ id: number; code: string }>): Promise<(code: string) => number> {
  const rows = await manager.getRepository(target).find({ select: { id: true, code: true } });
  const ids = new Map(rows.map((row) => [row.code, row.id]));
  return (code) => {
    const id = ids.get(code);
    if (id === undefined) throw new Error(`import: no ${String(target)} "${code}" after writing (the plan refers to it)`);
    return id;
  };
}

/** Updates rows that get the same values in one statement: `groups` maps a JSON of the values to the ids. */
async function updateGrouped<T extends ObjectLiteral>(manager: EntityManager, target: EntityTarget<T>, updates: Array<{ id: number; values: Record<string, unknown> }>): Promise<void> {
  const groups = new Map<string, { values: Record<string, unknown>; ids: number[] }>();
  for (const { id, values } of updates) {
    const key = JSON.stringify(values);
    const group = groups.get(key) ?? { values, ids: [] };
    group.ids.push(id);
    groups.set(key, group);
  }
  for (const { values, ids } of groups.values()) await manager.getRepository(target).update({ id: In(ids) } as never, values as never);
}

async function write(manager: EntityManager, plan: ImportPlan, by: { author: string; note: string; changedAt: Date }): Promise<void> {
  const { writes } = plan;
  await insertAll(manager, Department, writes.departments.map((department) => department.values));
  const department = await idsOf(manager, Department);
  await updateGrouped(manager, Department, writes.departments.filter((row) => row.successor).map((row) => ({ id: department(row.values.code!), values: { successorId: department(row.successor!) } })));

  await insertAll(manager, Program, writes.programs);
  const program = await idsOf(manager, Program);
  await insertAll(manager, TaskGroup, writes.groups.map((group) => ({ ...group.values, programId: program(group.program), leadDepartmentId: department(group.leadDepartment) })));
  const group = await idsOf(manager, TaskGroup);

  await insertAll(manager, Task, writes.tasks.create.map((task) => ({ ...task.values, taskGroupId: group(task.group), leadDepartmentId: department(task.leadDepartment) })));
  const task = await idsOf(manager, Task);
  await updateGrouped(manager, Task, [
    ...writes.tasks.create.filter((row) => row.origin).map((row) => ({ id: task(row.values.code!), values: { originTaskId: task(row.origin!) } })),
    ...writes.tasks.update.map((row) => ({ id: task(row.code), values: { ...row.values, ...(row.leadDepartment ? { leadDepartmentId: department(row.leadDepartment) } : {}) } })),
  ]);

  await insertAll(manager, PilotModel, writes.models.create.map((model) => ({ ...model.values, taskGroupId: group(model.group), programId: program(model.program), leadDepartmentId: department(model.leadDepartment) })));
  const model = await idsOf(manager, PilotModel);
  await updateGrouped(manager, PilotModel, writes.models.update.map((row) => ({ id: model(row.code), values: { ...row.values, ...(row.leadDepartment ? { leadDepartmentId: department(row.leadDepartment) } : {}) } })));
  const supported = writes.models.update.filter((row) => row.supporting !== undefined);
  if (supported.length > 0) {
    await manager.createQueryBuilder().delete().from('pilot_model_supporting_department').where({ pilotModelId: In(supported.map((row) => model(row.code))) }).execute();
  }
  const supportRows = [...writes.models.create.map((row) => ({ code: row.values.code!, supporting: row.supporting })), ...supported.map((row) => ({ code: row.code, supporting: row.supporting! }))]
    .flatMap((row) => row.supporting.map((code) => ({ pilotModelId: model(row.code), departmentId: department(code) })));
  await inChunks(supportRows, INSERT_CHUNK, async (chunk) => {
    await manager.createQueryBuilder().insert().into('pilot_model_supporting_department', ['pilotModelId', 'departmentId']).values(chunk as never).execute();
  });

  await insertAll(manager, Metric, writes.metrics.create.map((metric) => ({ ...metric.values, pilotModelId: model(metric.model), departmentId: department(metric.department) })));
  const metric = await idsOf(manager, Metric);
  await updateGrouped(manager, Metric, writes.metrics.update.map((row) => ({ id: metric(row.code), values: { ...row.values, ...(row.department ? { departmentId: department(row.department) } : {}) } })));

  const tables: Record<HistorySheet, { table: EntityTarget<ObjectLiteral>; id: (code: string) => number }> = {
    Tasks: { table: TaskChange, id: task },
    PilotModels: { table: PilotModelChange, id: model },
    Metrics: { table: MetricChange, id: metric },
  };
  for (const sheet of ['Tasks', 'PilotModels', 'Metrics'] as const) {
    const { table, id } = tables[sheet];
    const rows = writes.history.filter((entry) => entry.sheet === sheet).flatMap((entry) => changeRows(entry.records.map((record) => ({ subjectId: id(entry.code), ...record })), by));
    await insertAll(manager, table, rows);
  }
}
