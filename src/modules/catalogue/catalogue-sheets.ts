/**
 * The spreadsheet form of the catalogue, shared by the export (catalogue-export.ts) and the import
 * (catalogue-import*.ts): the sheets, in the order their references need, and each sheet's columns with the
 * Vietnamese heading and the English column name. The export writes `Mã (code)`; the import reads that, `Mã` or `code`.
 */
export const CATALOGUE_SHEETS = ['Departments', 'Programmes', 'TaskGroups', 'Tasks', 'PilotModels', 'Metrics'] as const;
export type CatalogueSheetName = (typeof CATALOGUE_SHEETS)[number];

export const SHEET_COLUMNS = {
  Departments: [
    ['code', 'Mã'],
    ['name_vi', 'Tên'],
    ['name', 'Tên tiếng Anh'],
    ['valid_from', 'Có từ ngày'],
    ['valid_to', 'Thôi hoạt động từ ngày'],
    ['successor', 'Đơn vị kế thừa'],
    ['basis', 'Căn cứ'],
  ],
  Programmes: [
    ['code', 'Mã'],
    ['name_vi', 'Tên'],
    ['name', 'Tên tiếng Anh'],
    ['decision', 'Quyết định'],
    ['plan_year', 'Năm kế hoạch'],
  ],
  TaskGroups: [
    ['code', 'Mã'],
    ['program', 'Chương trình'],
    ['plan_year', 'Năm kế hoạch'],
    ['number', 'Số thứ tự'],
    ['name_vi', 'Tên'],
    ['name', 'Tên tiếng Anh'],
    ['lead_department', 'Đơn vị chủ trì'],
    ['basis', 'Căn cứ'],
  ],
  Tasks: [
    ['code', 'Mã'],
    ['task_group', 'Nhóm nhiệm vụ'],
    ['plan_year', 'Năm kế hoạch'],
    ['title_vi', 'Tên nhiệm vụ'],
    ['title', 'Tên tiếng Anh'],
    ['lead_department', 'Đơn vị chủ trì'],
    ['responsible_person', 'Người chịu trách nhiệm'],
    ['deadline', 'Thời hạn'],
    ['status', 'Trạng thái'],
    ['completed_on', 'Ngày hoàn thành'],
    ['product', 'Sản phẩm'],
    ['target_value', 'Chỉ tiêu'],
    ['target_unit', 'Đơn vị tính'],
    ['carried_over_from', 'Chuyển tiếp từ'],
    ['progress_note', 'Ghi chú tiến độ'],
    ['retired_on', 'Ngày thôi theo dõi'],
    ['basis', 'Căn cứ'],
  ],
  PilotModels: [
    ['code', 'Mã'],
    ['number', 'Số thứ tự'],
    ['task_group', 'Nhóm nhiệm vụ'],
    ['program', 'Chương trình'],
    ['plan_year', 'Năm kế hoạch'],
    ['name_vi', 'Tên mô hình'],
    ['name', 'Tên tiếng Anh'],
    ['lead_department', 'Đơn vị chủ trì'],
    ['supporting_departments', 'Đơn vị phối hợp'],
    ['responsible_person', 'Người chịu trách nhiệm'],
    ['deadline', 'Thời hạn'],
    ['status', 'Trạng thái'],
    ['completed_on', 'Ngày hoàn thành'],
    ['progress_note', 'Ghi chú tiến độ'],
    ['retired_on', 'Ngày thôi theo dõi'],
    ['basis', 'Căn cứ'],
  ],
  Metrics: [
    ['code', 'Mã'],
    ['name_vi', 'Tên chỉ tiêu'],
    ['name', 'Tên tiếng Anh'],
    ['pilot_model', 'Mô hình'],
    ['department', 'Đơn vị báo cáo'],
    ['unit', 'Đơn vị tính'],
    ['kind', 'Loại'],
    ['frequency', 'Kỳ báo cáo'],
    ['levels', 'Cấp báo cáo'],
    ['target_value', 'Chỉ tiêu'],
    ['target_date', 'Ngày đạt chỉ tiêu'],
    ['min_value', 'Giá trị nhỏ nhất'],
    ['max_value', 'Giá trị lớn nhất'],
    ['reporting_lag_days', 'Số ngày được chậm'],
    ['description', 'Mô tả'],
    ['retired_on', 'Ngày thôi theo dõi'],
    ['basis', 'Căn cứ'],
  ],
} as const satisfies Record<CatalogueSheetName, ReadonlyArray<readonly [string, string]>>;

/** The English column names of a sheet. */
export type ColumnOf<S extends CatalogueSheetName> = (typeof SHEET_COLUMNS)[S][number][0];

/** The heading the export writes: Vietnamese, the English column name beside it. */
export function heading(sheet: CatalogueSheetName, column: string): string {
  const found = (SHEET_COLUMNS[sheet] as ReadonlyArray<readonly [string, string]>).find(([en]) => en === column);
  return found ? `${found[1]} (${found[0]})` : column;
}

/**
 * The column a heading names, or null: the English name (`code`), the Vietnamese heading (`Mã`) or both as the
 * export writes them (`Mã (code)`); letter case, surrounding and repeated spaces do not matter.
 */
export function columnOfHeading(sheet: CatalogueSheetName, text: string): string | null {
  const normalized = text.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  for (const [en, vi] of SHEET_COLUMNS[sheet] as ReadonlyArray<readonly [string, string]>) {
    const viText = vi.normalize('NFC').toLowerCase();
    if (normalized === en || normalized === viText || normalized === `${viText} (${en})`) return en;
  }
  return null;
}
