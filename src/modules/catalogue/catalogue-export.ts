import ExcelJS from 'exceljs';
import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import type { CsvCell } from '../../http/csv-download';
import { Department } from '../departments/department.entity';
import { Metric } from '../metrics/metric.entity';
import { PilotModel } from './pilot-model.entity';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Task } from './task.entity';

/** A column of an exported sheet: Vietnamese heading, English column name beside it, and its cell. */
interface Column<T> {
  vi: string;
  en: string;
  value: (row: T) => CsvCell;
}

/** One sheet of the export: its name (also the `sheet` parameter of the CSV download), columns and rows. */
export interface CatalogueSheet {
  name: CatalogueSheetName;
  header: string[];
  rows: CsvCell[][];
}

export const CATALOGUE_SHEETS = ['Programmes', 'TaskGroups', 'Tasks', 'PilotModels', 'Metrics'] as const;
export type CatalogueSheetName = (typeof CATALOGUE_SHEETS)[number];

function sheet<T>(name: CatalogueSheetName, columns: Array<Column<T>>, items: T[]): CatalogueSheet {
  return { name, header: columns.map((column) => `${column.vi} (${column.en})`), rows: items.map((item) => columns.map((column) => column.value(item))) };
}

/**
 * The catalogue as sheets (programmes, task groups, tasks, pilot models, metrics, retired ones included), codes in
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
  [programs, tasks, models, metrics].forEach((rows: Array<{ code: string }>) => rows.sort(byCode));
  const department = new Map(departments.map((row) => [row.id, row.code]));
  const program = new Map(programs.map((row) => [row.id, row.code]));
  const group = new Map(groups.map((row) => [row.id, row]));
  groups.sort((a, b) => byCode({ code: program.get(a.programId)! }, { code: program.get(b.programId)! }) || a.planYear - b.planYear || a.number - b.number || byCode(a, b));
  const task = new Map(tasks.map((row) => [row.id, row.code]));
  const model = new Map(models.map((row) => [row.id, row.code]));
  const day = (value: Date | null) => (value ? todayIn(timeZone, value) : null);
  return [
    sheet('Programmes', [
      { vi: 'Mã', en: 'code', value: (row: Program) => row.code },
      { vi: 'Tên', en: 'name_vi', value: (row) => row.nameVi },
      { vi: 'Tên tiếng Anh', en: 'name', value: (row) => row.name },
      { vi: 'Quyết định', en: 'decision', value: (row) => row.decision },
      { vi: 'Năm kế hoạch', en: 'plan_year', value: (row) => row.planYear },
    ], programs),
    sheet('TaskGroups', [
      { vi: 'Mã', en: 'code', value: (row: TaskGroup) => row.code },
      { vi: 'Chương trình', en: 'program', value: (row) => program.get(row.programId) },
      { vi: 'Năm kế hoạch', en: 'plan_year', value: (row) => row.planYear },
      { vi: 'Số thứ tự', en: 'number', value: (row) => row.number },
      { vi: 'Tên', en: 'name_vi', value: (row) => row.nameVi },
      { vi: 'Tên tiếng Anh', en: 'name', value: (row) => row.name },
      { vi: 'Đơn vị chủ trì', en: 'lead_department', value: (row) => department.get(row.leadDepartmentId) },
      { vi: 'Căn cứ', en: 'basis', value: (row) => row.basis },
    ], groups),
    sheet('Tasks', [
      { vi: 'Mã', en: 'code', value: (row: Task) => row.code },
      { vi: 'Nhóm nhiệm vụ', en: 'task_group', value: (row) => group.get(row.taskGroupId)?.code },
      { vi: 'Năm kế hoạch', en: 'plan_year', value: (row) => group.get(row.taskGroupId)?.planYear },
      { vi: 'Tên nhiệm vụ', en: 'title_vi', value: (row) => row.titleVi },
      { vi: 'Tên tiếng Anh', en: 'title', value: (row) => row.title },
      { vi: 'Đơn vị chủ trì', en: 'lead_department', value: (row) => department.get(row.leadDepartmentId) },
      { vi: 'Người chịu trách nhiệm', en: 'responsible_person', value: (row) => row.responsiblePerson },
      { vi: 'Thời hạn', en: 'deadline', value: (row) => row.deadline },
      { vi: 'Trạng thái', en: 'status', value: (row) => row.status },
      { vi: 'Ngày hoàn thành', en: 'completed_on', value: (row) => day(row.completedAt) },
      { vi: 'Sản phẩm', en: 'product', value: (row) => row.product },
      { vi: 'Chỉ tiêu', en: 'target_value', value: (row) => row.targetValue },
      { vi: 'Đơn vị tính', en: 'target_unit', value: (row) => row.targetUnit },
      { vi: 'Chuyển tiếp từ', en: 'carried_over_from', value: (row) => (row.originTaskId == null ? null : task.get(row.originTaskId)) },
      { vi: 'Ghi chú tiến độ', en: 'progress_note', value: (row) => row.progressNote },
      { vi: 'Ngày thôi theo dõi', en: 'retired_on', value: (row) => row.retiredOn },
      { vi: 'Căn cứ', en: 'basis', value: (row) => row.basis },
    ], tasks),
    sheet('PilotModels', [
      { vi: 'Mã', en: 'code', value: (row: PilotModel) => row.code },
      { vi: 'Số thứ tự', en: 'number', value: (row) => row.number },
      // Empty when filed under no task group; the programme and first plan year are the model's own.
      { vi: 'Nhóm nhiệm vụ', en: 'task_group', value: (row) => (row.taskGroupId == null ? null : group.get(row.taskGroupId)?.code) },
      { vi: 'Chương trình', en: 'program', value: (row) => program.get(row.programId) },
      { vi: 'Năm kế hoạch', en: 'plan_year', value: (row) => row.planYear },
      { vi: 'Tên mô hình', en: 'name_vi', value: (row) => row.nameVi },
      { vi: 'Tên tiếng Anh', en: 'name', value: (row) => row.name },
      { vi: 'Đơn vị chủ trì', en: 'lead_department', value: (row) => department.get(row.leadDepartmentId) },
      { vi: 'Đơn vị phối hợp', en: 'supporting_departments', value: (row) => (row.supportingDepartments ?? []).map((item) => item.code).sort().join(' ') },
      { vi: 'Người chịu trách nhiệm', en: 'responsible_person', value: (row) => row.responsiblePerson },
      { vi: 'Thời hạn', en: 'deadline', value: (row) => row.deadline },
      { vi: 'Trạng thái', en: 'status', value: (row) => row.status },
      { vi: 'Ngày hoàn thành', en: 'completed_on', value: (row) => day(row.completedAt) },
      { vi: 'Ghi chú tiến độ', en: 'progress_note', value: (row) => row.progressNote },
      { vi: 'Ngày thôi theo dõi', en: 'retired_on', value: (row) => row.retiredOn },
      { vi: 'Căn cứ', en: 'basis', value: (row) => row.basis },
    ], models),
    sheet('Metrics', [
      { vi: 'Mã', en: 'code', value: (row: Metric) => row.code },
      { vi: 'Tên chỉ tiêu', en: 'name_vi', value: (row) => row.nameVi },
      { vi: 'Tên tiếng Anh', en: 'name', value: (row) => row.name },
      { vi: 'Mô hình', en: 'pilot_model', value: (row) => model.get(row.pilotModelId) },
      { vi: 'Đơn vị báo cáo', en: 'department', value: (row) => department.get(row.departmentId) },
      { vi: 'Đơn vị tính', en: 'unit', value: (row) => row.unit },
      { vi: 'Loại', en: 'kind', value: (row) => row.kind },
      { vi: 'Kỳ báo cáo', en: 'frequency', value: (row) => row.frequency },
      { vi: 'Cấp báo cáo', en: 'levels', value: (row) => row.levels.join(' ') },
      { vi: 'Chỉ tiêu', en: 'target_value', value: (row) => row.targetValue },
      { vi: 'Ngày đạt chỉ tiêu', en: 'target_date', value: (row) => row.targetDate },
      { vi: 'Giá trị nhỏ nhất', en: 'min_value', value: (row) => row.minValue },
      { vi: 'Giá trị lớn nhất', en: 'max_value', value: (row) => row.maxValue },
      { vi: 'Số ngày được chậm', en: 'reporting_lag_days', value: (row) => row.reportingLagDays },
      { vi: 'Mô tả', en: 'description', value: (row) => row.description },
      { vi: 'Ngày thôi theo dõi', en: 'retired_on', value: (row) => row.retiredOn },
      { vi: 'Căn cứ', en: 'basis', value: (row) => row.basis },
    ], metrics),
  ];
}

/** The sheets as an XLSX workbook: one worksheet per sheet, headings bold, first row frozen; text as text, numbers as numbers. */
export async function catalogueWorkbook(sheets: CatalogueSheet[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
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
