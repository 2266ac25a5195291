import type { Response } from 'express';
import { stringify } from 'csv-stringify/sync';

/** Byte-order mark: spreadsheet programs need it to read UTF-8 (Vietnamese names) correctly. */
const UTF8_BOM = '\ufeff';

/** A value a CSV cell can hold; null and undefined become empty cells (missing, never zero). */
export type CsvCell = string | number | boolean | null | undefined;

/** RFC 4180 CSV text (CRLF line ends) with a UTF-8 BOM, header row first. */
export function toCsv(header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): string {
  return UTF8_BOM + stringify([header as string[], ...rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '' : cell)))], { record_delimiter: 'windows' });
}

/** Sends CSV as a download named `filename` (ASCII; a UTF-8 form is given for other characters). */
export function sendCsv(response: Response, filename: string, header: readonly string[], rows: ReadonlyArray<readonly CsvCell[]>): void {
  const asciiName = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  response.setHeader('content-type', 'text/csv; charset=utf-8');
  response.setHeader('content-disposition', `attachment; filename="${asciiName}"; filename*=UTF-8''${encodeURIComponent(filename)}`);
  response.setHeader('cache-control', 'no-store');
  response.send(toCsv(header, rows));
}
