/**
 * One row of an imported sheet, read cell by cell as its column needs; each bad cell is a problem at its sheet, row
 * and column (Vietnamese, English beside). The catalogue's own rules (lifecycle service: codes, texts, plan years,
 * kinds and bounds) are run through {@link ImportRow.rule}, which turns their refusal into a problem of the cell.
 */
import { HubError } from '../../common/errors';
import { requiredCode, requiredText } from './catalogue-lifecycle.service';
import { bilingual, cellDate, cellNumber, cellText, type ImportProblem, type RawRow, type RawSheet } from './catalogue-import-read';

/** The value of a cell: undefined when its column is not in the sheet (the field is left as it is), null when blank. */
export type Given<T> = T | null | undefined;

export class ImportRow {
  /** Whether a problem was found in the row: a row with problems is neither compared nor written. */
  bad = false;

  constructor(
    private readonly sheet: RawSheet,
    readonly raw: RawRow,
    private readonly problems: ImportProblem[],
  ) {}

  get line(): number {
    return this.raw.row;
  }

  has(column: string): boolean {
    return this.sheet.columns.has(column);
  }

  problem(column: string | null, vi: string, en: string): undefined {
    this.bad = true;
    this.problems.push({ sheet: this.sheet.name, row: this.raw.row, column, message: bilingual(vi, en) });
    return undefined;
  }

  /**
   * Runs a rule of the catalogue (which throws a HubError naming its field); its refusal becomes a problem of
   * `column` with `vi` beside the rule's own English message.
   */
  rule<T>(column: string, vi: string, check: () => T): T | undefined {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof HubError)) throw error;
      return this.problem(column, vi, error.message.replace(/^[\w.[\]]+: /, ''));
    }
  }

  text(column: string, max: number): Given<string> {
    if (!this.has(column)) return undefined;
    const text = cellText(this.raw.cells.get(column) ?? null);
    if (text !== null && text.length > max) return this.problem(column, `Dài quá ${max} ký tự`, `must be at most ${max} characters`) ?? null;
    return text;
  }

  /** A text that may not be blank where its column is given (and must be given when `create`). */
  requiredText(column: string, max: number, create: boolean): Given<string> {
    if (!this.has(column) && !create) return undefined;
    const text = cellText(this.raw.cells.get(column) ?? null);
    return this.rule(column, 'Bắt buộc, không được để trống', () => requiredText(column, text, max));
  }

  code(column: string, max: number): Given<string> {
    if (!this.has(column)) return undefined;
    const text = cellText(this.raw.cells.get(column) ?? null);
    if (text === null) return null;
    return this.rule(column, 'Mã không hợp lệ', () => requiredCode(column, text, max));
  }

  /** A code that must be given (the row's own code, a required reference when `create`). */
  requiredCode(column: string, max: number, create: boolean): Given<string> {
    if (!this.has(column) && !create) return undefined;
    const code = this.code(column, max);
    if (code === null || (code === undefined && !this.bad)) return this.problem(column, 'Bắt buộc, không được để trống', 'is required');
    return code;
  }

  date(column: string): Given<string> {
    if (!this.has(column)) return undefined;
    const value = this.raw.cells.get(column) ?? null;
    const { ok, day } = cellDate(value);
    if (!ok) return this.problem(column, `"${cellText(value)}" không phải ngày hợp lệ (YYYY-MM-DD)`, 'not a calendar date YYYY-MM-DD');
    return day;
  }

  number(column: string): Given<number> {
    if (!this.has(column)) return undefined;
    const value = this.raw.cells.get(column) ?? null;
    const { ok, number } = cellNumber(value);
    if (!ok) return this.problem(column, `"${cellText(value)}" không phải số`, 'not a number (digits, a point for decimals, no thousands separators)');
    return number;
  }

  wholeNumber(column: string): Given<number> {
    const number = this.number(column);
    if (number != null && !Number.isInteger(number)) return this.problem(column, 'Phải là số nguyên', 'must be a whole number');
    if (number != null && Math.abs(number) > 2_147_483_647) return this.problem(column, 'Số quá lớn', 'must be at most 2147483647');
    return number;
  }

  choice<T extends string>(column: string, values: readonly T[]): Given<T> {
    const text = this.text(column, 32);
    if (text == null) return text;
    const upper = text.toUpperCase() as T;
    if (!values.includes(upper)) return this.problem(column, `"${text}" không phải một trong ${values.join(', ')}`, `must be one of ${values.join(', ')}`);
    return upper;
  }

  /** Codes separated by spaces or commas (supporting departments). */
  codes(column: string, max: number): Given<string[]> {
    if (!this.has(column)) return undefined;
    const text = cellText(this.raw.cells.get(column) ?? null);
    if (text === null) return [];
    const codes: string[] = [];
    for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
      const code = this.rule(column, 'Mã không hợp lệ', () => requiredCode(column, part, max));
      if (code === undefined) return undefined;
      if (codes.includes(code)) return this.problem(column, `"${code}" xuất hiện hai lần`, `"${code}" is listed twice`);
      codes.push(code);
    }
    return codes;
  }
}
