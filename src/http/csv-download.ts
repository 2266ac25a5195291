import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';

/** Byte-order mark: spreadsheet programs need it to read UTF-8 (Vietnamese names) correctly. */
const UTF8_BOM = '\ufeff';

/** A value a CSV cell can hold; null and undefined become empty cells (missing, never zero). */
export type CsvCell = string | number | boolean | null | undefined;

/**
 * Text a spreadsheet would read as a formula (OWASP "CSV injection"): a cell starting with `=`, `+`, `-`, `@`,
 * tab, CR or LF — also after leading spaces, and in the full-width forms some spreadsheet locales accept.
 */
const FORMULA_START = '(?:[\\t\\r\\n]|[ \\u00a0]*[=+\\-@\\uff1d\\uff0b\\uff0d\\uff20])';
/** Text to quote: a formula start, also behind quotes already there (so that reading takes exactly one off). */
const TO_QUOTE = new RegExp(`^'*${FORMULA_START}`);
/** A cell {@link csvCell} quoted: one quote to take off when the hub reads its own CSV back. */
const QUOTED = new RegExp(`^'+${FORMULA_START}`);

/**
 * The cell as written. Text that would start a formula (after any quotes already there) gets a leading single
 * quote, which spreadsheets show as text and do not evaluate (`=HYPERLINK(…)` becomes `'=HYPERLINK(…)`). Numbers are written as numbers, negative
 * ones included: every numeric column (values, counts, rates) holds numbers, never numeric text, so `-12.5` stays
 * a number a spreadsheet can sum, while the text `-12.5` (in a name or a note) is neutralised like any other.
 */
export function csvCell(cell: CsvCell): string | number | boolean {
  if (cell === null || cell === undefined) return '';
  if (typeof cell !== 'string') return cell;
  return TO_QUOTE.test(cell) ? `'${cell}` : cell;
}

/**
 * A CSV cell as the hub reads it back (the catalogue import): the inverse of {@link csvCell}, so that text quoted
 * on the way out (`'=HYPERLINK(…)`, `''=x`) is stored as it was (`=HYPERLINK(…)`, `'=x`); other text is as given.
 */
export function csvCellText(text: string): string {
  return QUOTED.test(text) ? text.slice(1) : text;
}

/** RFC 4180 CSV text (CRLF line ends) with a UTF-8 BOM, header row first; every cell goes through {@link csvCell}. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return UTF8_BOM + stringify([header.map(csvCell), ...rows.map((row) => row.map(csvCell))], { record_delimiter: 'windows' });
}

/** Sends CSV as a download named `filename` (ASCII; a UTF-8 form is given for other characters). */
export function sendCsv(response: Response, filename: string, header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): void {
  const asciiName = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  response.setHeader('content-type', 'text/csv; charset=utf-8');
  response.setHeader('content-disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(filename)}`);
  response.setHeader('cache-control', 'no-store');
  response.send(toCsv(header, rows));
}
