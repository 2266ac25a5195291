import { exceljs } from '../../common/lazy-modules';
import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import type { CsvCell } from '../../http/csv-download';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import { PilotModel } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { CATALOGUE_SHEETS, heading, SHEET_COLUMNS, type CatalogueSheetName, type ColumnOf } from './catalogue-sheets';
import { Task } from './task.entity';

/** One sheet of the export: its name (also the `sheet` parameter of the CSV download), headings and rows. */
export interface CatalogueSheet {
  name: CatalogueSheetName;
  header: string[];
  rows: CsvCell[][];
}

export { CATALOGUE_SHEETS, type CatalogueSheetName };

/** A sheet from a value function per column (catalogue-sheets.ts gives the columns, their order and headings). */
function sheet<S extends CatalogueSheetName, T>(name: S, values: Record<ColumnOf<S>, (row: T) => CsvCell>, items: T[]): CatalogueSheet {
  const columns = SHEET_COLUMNS[name].map(([en]) => en as ColumnOf<S>);
  return { name, header: columns.map((column) => heading(name, column)), rows: items.map((item) => columns.map((column) => values[column](item))) };
}

/**
 * The catalogue as sheets (departments, programmes, task groups, tasks, pilot models, metrics, retired ones included), codes in
 * place of ids, completion days in `timeZone`, read in a fixed number of statements (docs/catalogue.md, "Spreadsheet export").
 */
export async function catalogueSheets(dataSource: DataSource, timeZone: string): Promise<CatalogueSheet[]> {
  const [programs, groups, tasks, models, metrics, departments] = await Promise.all([
    dataSource.getRepository(Program).find(),
    dataSource.getRepository(TaskGroup).find(),
    dataSource.getRepository(Task).find(),
    dataSource.getRepository(PilotModel).find({ relations: { supportingDepartments: true } }),
    dataSource.getRepository(Metric).find(),
    dataSource.getRepository(Department).find(),
  ]);
  // Ordered here, by code point: the same order on every database whatever its collation.
  const byCode = (a: { code: string }, b: { code: string }) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
  [departments, programs, tasks, models, metrics].forEach((rows: Array<{ code: string }>) => rows.sort(byCode));
  const department = new Map(departments.map((row) => [row.id, row.code]));
  const program = new Map(programs.map((row) => [row.id, row.code]));
  const group = new Map(groups.map((row) => [row.id, row]));
  groups.sort((a, b) => byCode({ code: program.get(a.programId)! }, { code: program.get(b.programId)! }) || a.planYear - b.planYear || a.number - b.number || byCode(a, b));
  const task = new Map(tasks.map((row) => [row.id, row.code]));
  const model = new Map(models.map((row) => [row.id, row.code]));
  const day = (value: Date | null) => (value ? todayIn(timeZone, value) : null);
  return [
    sheet('Departments', {
      code: (row: Department) => row.code,
      name_vi: (row) => row.nameVi,
      name: (row) => row.name,
      valid_from: (row) => row.validFrom,
      valid_to: (row) => row.validTo,
      successor: (row) => (row.successorId == null ? null : department.get(row.successorId)),
      basis: (row) => row.basis,
    }, departments),
    sheet('Programmes', {
      code: (row: Program) => row.code,
      name_vi: (row) => row.nameVi,
      name: (row) => row.name,
      decision: (row) => row.decision,
      plan_year: (row) => row.planYear,
    }, programs),
    sheet('TaskGroups', {
      code: (row: TaskGroup) => row.code,
      program: (row) => program.get(row.programId),
      plan_year: (row) => row.planYear,
      number: (row) => row.number,
      name_vi: (row) => row.nameVi,
      name: (row) => row.name,
      lead_department: (row) => department.get(row.leadDepartmentId),
      basis: (row) => row.basis,
    }, groups),
    sheet('Tasks', {
      code: (row: Task) => row.code,
      task_group: (row) => group.get(row.taskGroupId)?.code,
      plan_year: (row) => group.get(row.taskGroupId)?.planYear,
      title_vi: (row) => row.titleVi,
      title: (row) => row.title,
      lead_department: (row) => department.get(row.leadDepartmentId),
      responsible_person: (row) => row.responsiblePerson,
      deadline: (row) => row.deadline,
      status: (row) => row.status,
      completed_on: (row) => day(row.completedAt),
      product: (row) => row.product,
      target_value: (row) => row.targetValue,
      target_unit: (row) => row.targetUnit,
      carried_over_from: (row) => (row.originTaskId == null ? null : task.get(row.originTaskId)),
      progress_note: (row) => row.progressNote,
      retired_on: (row) => row.retiredOn,
      basis: (row) => row.basis,
    }, tasks),
    sheet('PilotModels', {
      code: (row: PilotModel) => row.code,
      number: (row) => row.number,
      // Empty when filed under no task group; the programme and first plan year are the model's own.
      task_group: (row) => (row.taskGroupId == null ? null : group.get(row.taskGroupId)?.code),
      program: (row) => program.get(row.programId),
      plan_year: (row) => row.planYear,
      name_vi: (row) => row.nameVi,
      name: (row) => row.name,
      lead_department: (row) => department.get(row.leadDepartmentId),
      supporting_departments: (row) => (row.supportingDepartments ?? []).map((item) => item.code).sort().join(' '),
      responsible_person: (row) => row.responsiblePerson,
      deadline: (row) => row.deadline,
      status: (row) => row.status,
      completed_on: (row) => day(row.completedAt),
      progress_note: (row) => row.progressNote,
      retired_on: (row) => row.retiredOn,
      basis: (row) => row.basis,
    }, models),
    sheet('Metrics', {
      code: (row: Metric) => row.code,
      name_vi: (row) => row.nameVi,
      name: (row) => row.name,
      pilot_model: (row) => model.get(row.pilotModelId),
      department: (row) => department.get(row.departmentId),
      unit: (row) => row.unit,
      kind: (row) => row.kind,
      frequency: (row) => row.frequency,
      levels: (row) => row.levels.join(' '),
      target_value: (row) => row.targetValue,
      target_date: (row) => row.targetDate,
      min_value: (row) => row.minValue,
      max_value: (row) => row.maxValue,
      reporting_lag_days: (row) => row.reportingLagDays,
      description: (row) => row.description,
      retired_on: (row) => row.retiredOn,
      basis: (row) => row.basis,
    }, metrics),
  ];
}

/** The sheets as an XLSX workbook: one worksheet per sheet, headings bold, first row frozen; text as text, numbers as numbers. */
export async function catalogueWorkbook(sheets: CatalogueSheet[]): Promise<Buffer> {
  const workbook = new (exceljs().Workbook)();
  workbook.creator = 'PilotHub';
  // A fixed date: the same catalogue gives the same file.
  workbook.created = new Date(0);
  workbook.modified = new Date(0);
  for (const { name, header, rows } of sheets) {
    const worksheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
    worksheet.addRow(header).font = { bold: true };
    for (const row of rows) worksheet.addRow(row.map((cell) => (cell === undefined ? null : cell)));
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
