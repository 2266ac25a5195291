/**
 * Reading a catalogue spreadsheet for the import: an XLSX workbook (exceljs) or one sheet as CSV (csv-parse), its
 * headings matched to the columns of catalogue-sheets.ts (Vietnamese, English or both as the export writes them),
 * and each cell typed as the column needs (text, number, whole number, date, a value of a list). Every problem is
 * kept with its sheet, row and column, in Vietnamese with the English beside it; nothing here reads the database.
 */
import type ExcelJS from 'exceljs';
import { exceljs } from '../../common/lazy-modules';
import { parse } from 'csv-parse/sync';
import { isValidDate } from '../../common/period';
import { HubError } from '../../common/errors';
import { zipRefusal } from '../../common/zip-limit';
import { csvCellText } from '../../http/csv-download';
import { CATALOGUE_SHEETS, columnOfHeading, SHEET_COLUMNS, type CatalogueSheetName } from './catalogue-sheets';

/** A problem of the file, at a sheet, row (as the spreadsheet numbers it: the headings are row 1) and column. */
export interface ImportProblem {
  sheet: string;
  row: number | null;
  column: string | null;
  message: string;
}

export type RawCell = string | number | boolean | Date | null;

export interface RawRow {
  row: number;
  cells: Map<string, RawCell>;
}

export interface RawSheet {
  name: CatalogueSheetName;
  /** The columns present (English names). */
  columns: Set<string>;
  rows: RawRow[];
}

/** Largest file accepted: a province's catalogue is well under 1 MiB as XLSX. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** Most data rows per sheet and columns per row: far above a province's catalogue, far below what hurts. */
export const MAX_IMPORT_ROWS = 5000;
const MAX_IMPORT_COLUMNS = 64;
/** Most bytes a workbook may unpack to: a full 5 MiB catalogue is far below; a zip bomb far above. */
export const MAX_IMPORT_UNPACKED_BYTES = 100 * 1024 * 1024;

/** A message as the product writes them: Vietnamese first, the English beside it. */
export const bilingual = (vi: string, en: string) => `${vi} — ${en}`;

function sheetName(given: string, problems: ImportProblem[]): CatalogueSheetName | null {
  const found = CATALOGUE_SHEETS.find((name) => name.toLowerCase() === given.trim().toLowerCase());
  if (!found) problems.push({ sheet: given, row: null, column: null, message: bilingual('Trang không thuộc danh mục', `unknown sheet; expected ${CATALOGUE_SHEETS.join(', ')}`) });
  return found ?? null;
}

/** Rows of text or typed cells, headings first, into a sheet; unknown and repeated headings are problems. */
function toSheet(name: CatalogueSheetName, table: Array<{ row: number; values: RawCell[] }>, problems: ImportProblem[]): RawSheet | null {
  const [header, ...body] = table;
  if (!header) {
    problems.push({ sheet: name, row: 1, column: null, message: bilingual('Trang không có dòng tiêu đề', 'the sheet has no heading row') });
    return null;
  }
  if (header.values.length > MAX_IMPORT_COLUMNS) {
    problems.push({ sheet: name, row: 1, column: null, message: bilingual(`Quá ${MAX_IMPORT_COLUMNS} cột`, `more than ${MAX_IMPORT_COLUMNS} columns`) });
    return null;
  }
  const columns: Array<string | null> = [];
  const present = new Set<string>();
  let usable = true;
  header.values.forEach((value, index) => {
    const text = cellText(value) ?? '';
    if (!text) {
      columns.push(null);
      return;
    }
    const column = columnOfHeading(name, text);
    const letter = columnLetter(index);
    if (!column) {
      const known = (SHEET_COLUMNS[name] as ReadonlyArray<readonly [string, string]>).map(([en]) => en).join(', ');
      problems.push({ sheet: name, row: 1, column: text, message: bilingual(`Cột ${letter} "${text}" không có trong trang ${name}`, `unknown column "${text}" (${letter}); the columns of ${name} are ${known}`) });
      usable = false;
    } else if (present.has(column)) {
      problems.push({ sheet: name, row: 1, column, message: bilingual(`Cột ${column} xuất hiện hai lần (cột ${letter})`, `column ${column} is given twice (${letter})`) });
      usable = false;
    }
    if (column) present.add(column);
    columns.push(column);
  });
  if (!present.has('code')) {
    problems.push({ sheet: name, row: 1, column: 'code', message: bilingual('Thiếu cột Mã (code)', 'the code column is missing') });
    usable = false;
  }
  if (body.length > MAX_IMPORT_ROWS) {
    problems.push({ sheet: name, row: null, column: null, message: bilingual(`Quá ${MAX_IMPORT_ROWS} dòng`, `more than ${MAX_IMPORT_ROWS} rows`) });
    usable = false;
  }
  if (!usable) return null;
  const rows: RawRow[] = [];
  for (const { row, values } of body) {
    const cells = new Map<string, RawCell>();
    values.forEach((value, index) => {
      const column = columns[index];
      if (column && value !== null && value !== '') cells.set(column, value);
      else if (!column && cellText(value)) {
        problems.push({ sheet: name, row, column: columnLetter(index), message: bilingual(`Ô ${columnLetter(index)}${row} có giá trị nhưng cột không có tiêu đề`, 'a value in a column without a heading') });
      }
    });
    // Blank lines are skipped; a row of spaces too.
    if ([...cells.values()].some((value) => cellText(value))) rows.push({ row, cells });
  }
  return { name, columns: present, rows };
}

function columnLetter(index: number): string {
  let letters = '';
  for (let rest = index + 1; rest > 0; rest = Math.floor((rest - 1) / 26)) letters = String.fromCharCode(65 + ((rest - 1) % 26)) + letters;
  return letters;
}

/** Why a cell has no value to import: a formula never computed (a file written by a program), or an error (#REF!). */
function cellFault(value: ExcelJS.CellValue, at: string): [string, string] | null {
  if (value === null || typeof value !== 'object' || value instanceof Date) return null;
  if ('error' in value) return [`Ô ${at} là lỗi ${String(value.error)}`, `an error value (${String(value.error)}), not a value`];
  if (!('formula' in value || 'sharedFormula' in value)) return null;
  const result = (value as { result?: ExcelJS.CellValue }).result;
  if (result === undefined || result === null) return [`Ô ${at} là công thức chưa có giá trị`, 'a formula without a computed value (open and save the file in a spreadsheet program)'];
  return cellFault(result, at);
}

/** A cell as exceljs gives it, as a plain value: rich text and links as their text, a formula as its result. */
function plainCell(value: ExcelJS.CellValue): RawCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if ('richText' in value) return value.richText.map((part) => part.text).join('');
  if ('hyperlink' in value) return plainCell(value.text as ExcelJS.CellValue);
  if ('formula' in value || 'sharedFormula' in value) return plainCell((value as { result?: ExcelJS.CellValue }).result ?? null);
  if ('error' in value) return String(value.error);
  return String(value as unknown);
}

/** The sheets of an XLSX workbook (catalogue sheets only; another sheet is a problem). */
async function readWorkbook(file: Buffer, problems: ImportProblem[]): Promise<RawSheet[]> {
  const unreadable = () => new HubError('BAD_USER_INPUT', bilingual('body: không đọc được tệp XLSX', 'not a readable XLSX workbook'), 'body');
  // Measured before exceljs unpacks it all in memory: a few MiB of zip can hold gigabytes.
  const refusal = zipRefusal(file, MAX_IMPORT_UNPACKED_BYTES);
  if (refusal === 'too-large') {
    const mib = MAX_IMPORT_UNPACKED_BYTES / 1024 / 1024;
    throw new HubError('BAD_USER_INPUT', bilingual(`body: tệp XLSX giải nén ra quá ${mib} MiB`, `the workbook unpacks to more than ${mib} MiB`), 'body');
  }
  if (refusal) throw unreadable();
  const workbook = new (exceljs().Workbook)();
  try {
    await workbook.xlsx.load(file as unknown as ExcelJS.Buffer);
  } catch {
    throw unreadable();
  }
  const sheets: RawSheet[] = [];
  for (const worksheet of workbook.worksheets) {
    const name = sheetName(worksheet.name, problems);
    if (!name) continue;
    if (sheets.some((sheet) => sheet.name === name)) {
      problems.push({ sheet: worksheet.name, row: null, column: null, message: bilingual('Trang xuất hiện hai lần', 'the sheet is given twice') });
      continue;
    }
    if (worksheet.rowCount > MAX_IMPORT_ROWS + 1 || worksheet.columnCount > MAX_IMPORT_COLUMNS) {
      problems.push({ sheet: name, row: null, column: null, message: bilingual(`Quá ${MAX_IMPORT_ROWS} dòng hoặc ${MAX_IMPORT_COLUMNS} cột`, `more than ${MAX_IMPORT_ROWS} rows or ${MAX_IMPORT_COLUMNS} columns`) });
      continue;
    }
    const table: Array<{ row: number; values: RawCell[] }> = [];
    const faults: Array<{ row: number; index: number; message: [string, string] }> = [];
    worksheet.eachRow({ includeEmpty: false }, (row, number) => {
      const values: RawCell[] = [];
      for (let index = 1; index <= row.cellCount; index++) {
        const value = row.getCell(index).value;
        const fault = cellFault(value, `${columnLetter(index - 1)}${number}`);
        if (fault) faults.push({ row: number, index: index - 1, message: fault });
        // Kept as text (never blank, which would clear the field): the problem already blocks the import.
        values.push(fault ? fault[1] : plainCell(value));
      }
      table.push({ row: number, values });
    });
    // The heading row is the first row of the sheet, whatever is on it.
    if (table.length > 0 && table[0].row !== 1) table.unshift({ row: 1, values: [] });
    for (const { row, index, message } of faults) {
      const heading = cellText(table[0].values[index] ?? null);
      problems.push({ sheet: name, row, column: (heading && columnOfHeading(name, heading)) || columnLetter(index), message: bilingual(...message) });
    }
    const sheet = toSheet(name, table, problems);
    if (sheet) sheets.push(sheet);
  }
  if (workbook.worksheets.length === 0) {
    problems.push({ sheet: '', row: null, column: null, message: bilingual('Tệp không có trang nào', `the workbook has no sheet; expected ${CATALOGUE_SHEETS.join(', ')}`) });
  }
  return sheets;
}

/** One sheet as CSV (UTF-8, a byte-order mark allowed; comma or semicolon separated, as the export and spreadsheets write it). */
export function readCatalogueCsv(file: Buffer, name: string, problems: ImportProblem[]): RawSheet[] {
  const sheet = sheetName(name, problems);
  if (!sheet) return [];
  const text = file.toString('utf8');
  if (text.includes('\ufffd')) throw new HubError('BAD_USER_INPUT', bilingual('body: tệp CSV không phải UTF-8', 'the CSV file is not UTF-8'), 'body');
  const firstLine = text.replace(/^\ufeff/, '').split(/\r?\n/, 1)[0];
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  let records: string[][];
  try {
    records = parse(text, { bom: true, delimiter, relax_column_count: true, skip_empty_lines: false, max_record_size: 64 * 1024 }) as string[][];
  } catch (error) {
    throw new HubError('BAD_USER_INPUT', bilingual('body: tệp CSV không hợp lệ', `malformed CSV: ${(error as Error).message}`), 'body');
  }
  // The export's formula-neutralising quote is taken off again: export → import is unchanged.
  const parsed = toSheet(sheet, records.map((values, index) => ({ row: index + 1, values: values.map(csvCellText) })), problems);
  return parsed ? [parsed] : [];
}

/** The sheets of a file: every catalogue sheet of a workbook, or the one sheet `sheet` of a CSV file. */
export async function readCatalogueFile(file: Buffer, format: 'xlsx' | 'csv', sheet: string | undefined, problems: ImportProblem[]): Promise<RawSheet[]> {
  if (format === 'xlsx') return readWorkbook(file, problems);
  if (!sheet) throw new HubError('BAD_USER_INPUT', `sheet: ${bilingual('bắt buộc với CSV', `required with format=csv: one of ${CATALOGUE_SHEETS.join(', ')}`)}`, 'sheet');
  return readCatalogueCsv(file, sheet, problems);
}

// ---------------------------------------------------------------------------------------------------------------
// Typed cells.

/** A cell as text, trimmed; null when blank. */
export function cellText(value: RawCell | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  const text = String(value).trim();
  return text === '' ? null : text;
}

/** Excel's day 0 (1899-12-30): a date cell without a date format arrives as the number of days since. */
const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

/**
 * A calendar date from a cell: a date cell (exceljs gives it as a UTC midnight), a number of days (an unformatted
 * Excel date) or text YYYY-MM-DD; anything else, or a day that does not exist (2025-02-30), is null with `ok` false.
 */
export function cellDate(value: RawCell): { ok: boolean; day: string | null } {
  if (value === null) return { ok: true, day: null };
  let text: string | null;
  if (value instanceof Date) text = Number.isNaN(value.getTime()) ? null : value.toISOString().slice(0, 10);
  else if (typeof value === 'number') text = Number.isInteger(value) && value > 0 && value < 100_000 ? new Date(EXCEL_EPOCH + value * 86_400_000).toISOString().slice(0, 10) : null;
  else text = cellText(value);
  return text !== null && /^\d{4}-\d{2}-\d{2}$/.test(text) && isValidDate(text) ? { ok: true, day: text } : { ok: false, day: null };
}

/** A number from a cell: a number cell, or text in the form 1234.5 (no thousands separators). */
export function cellNumber(value: RawCell): { ok: boolean; number: number | null } {
  if (value === null) return { ok: true, number: null };
  if (typeof value === 'number') return Number.isFinite(value) ? { ok: true, number: value } : { ok: false, number: null };
  const text = cellText(value);
  if (text === null) return { ok: true, number: null };
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { ok: false, number: null };
  const number = Number(text);
  return Number.isFinite(number) ? { ok: true, number } : { ok: false, number: null };
}
