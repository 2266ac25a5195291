/**
 * `npm run catalogue:sample` writes docs/catalogue-sample.xlsx: the spreadsheet export (`GET /catalogue/export`) of
 * the seeded reference catalogue, built in an in-memory database; nothing is written anywhere else.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { openDatabase } from '../../database/open-database';
import { seedCatalogue } from '../../seed/seed';
import { catalogueSheets, catalogueWorkbook } from './catalogue-export';

export const SAMPLE_FILE = path.join(__dirname, '..', '..', '..', 'docs', 'catalogue-sample.xlsx');

async function main(): Promise<void> {
  const dataSource = await openDatabase({ kind: 'sqlite', location: ':memory:', poolSize: 1 });
  try {
    await seedCatalogue(dataSource, { demo: false });
    const sheets = await catalogueSheets(dataSource, 'Asia/Ho_Chi_Minh');
    fs.writeFileSync(SAMPLE_FILE, await catalogueWorkbook(sheets));
    console.log(`wrote ${path.relative(process.cwd(), SAMPLE_FILE)} (${sheets.map((sheet) => `${sheet.name} ${sheet.rows.length}`).join(', ')})`);
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
