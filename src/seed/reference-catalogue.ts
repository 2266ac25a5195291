/**
 * The reference catalogue the seed loads: data files in the spreadsheet import format (docs/catalogue.md,
 * "Spreadsheet import"), one CSV file per sheet, read and loaded through the import itself. The Nghệ An 2024
 * catalogue is src/seed/data/catalogue-2024/; seedCatalogue's `catalogue` option loads another directory (another
 * province's catalogue).
 * The build copies the directory next to the compiled seed (package.json, "build").
 */
import fs from 'node:fs';
import path from 'node:path';
import { CATALOGUE_SHEETS } from '../modules/catalogue/catalogue-sheets';
import { readCatalogueCsv, type ImportProblem, type RawSheet } from '../modules/catalogue/catalogue-import-read';

export const CATALOGUE_DATA_DIR = path.join(__dirname, 'data', 'catalogue-2024');

/** The sheets of a catalogue directory (`<Sheet>.csv`; a sheet without its file is not loaded), with the problems of reading them. */
export function readCatalogueDirectory(directory: string = CATALOGUE_DATA_DIR): { sheets: RawSheet[]; problems: ImportProblem[] } {
  const problems: ImportProblem[] = [];
  const sheets: RawSheet[] = [];
  for (const name of CATALOGUE_SHEETS) {
    const file = path.join(directory, `${name}.csv`);
    if (fs.existsSync(file)) sheets.push(...readCatalogueCsv(fs.readFileSync(file), name, problems));
  }
  if (sheets.length === 0) throw new Error(`no catalogue data in ${directory} (expected ${CATALOGUE_SHEETS.map((name) => `${name}.csv`).join(', ')})`);
  return { sheets, problems };
}
