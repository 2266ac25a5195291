import { queryParameters } from './query-parameters';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import { badInput } from '../../common/errors';
import { CATALOGUE_SHEETS, catalogueSheets, catalogueWorkbook, type CatalogueSheetName } from '../../modules/catalogue/catalogue-export';
import { ALL_ROLES, assertRole } from '../../security/access';
import type { Principal } from '../../security/principal';
import { sendCsv } from '../csv-download';

const PARAMETERS = ['format', 'sheet'];

/**
 * `GET /catalogue/export?format=xlsx` (default) — the catalogue as a workbook with the sheets Programmes, TaskGroups,
 * Tasks, PilotModels and Metrics — and `GET /catalogue/export?format=csv&sheet=Tasks`, one sheet as CSV (UTF-8 with
 * BOM). Headings in Vietnamese with the English column name beside. Readable by every role, like the catalogue.
 */
export function catalogueExportRouter(options: { dataSource: DataSource; timeZone: string; principalOf: (request: Request) => Principal }): Router {
  const router = express.Router();
  router.get('/catalogue/export', async (request: Request, response: Response, next: NextFunction) => {
    try {
      assertRole(options.principalOf(request), ALL_ROLES, 'the catalogue export');
      const given = queryParameters(request, PARAMETERS);
      const format = given('format') ?? 'xlsx';
      if (format !== 'xlsx' && format !== 'csv') throw badInput('format', 'expected xlsx or csv');
      const sheetName = given('sheet');
      if (format === 'csv' && sheetName === undefined) throw badInput('sheet', `required with format=csv: one of ${CATALOGUE_SHEETS.join(', ')}`);
      if (sheetName !== undefined && !(CATALOGUE_SHEETS as readonly string[]).includes(sheetName)) throw badInput('sheet', `expected one of ${CATALOGUE_SHEETS.join(', ')}`);
      if (format === 'xlsx' && sheetName !== undefined) throw badInput('sheet', 'only with format=csv (the workbook holds every sheet)');
      const sheets = await catalogueSheets(options.dataSource, options.timeZone);
      const filename = `catalogue-${todayIn(options.timeZone)}`;
      if (format === 'csv') {
        const sheet = sheets.find((candidate) => candidate.name === (sheetName as CatalogueSheetName))!;
        sendCsv(response, `${filename}-${sheet.name}.csv`, sheet.header, sheet.rows);
        return;
      }
      response.setHeader('content-type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      response.setHeader('content-disposition', `attachment; filename="${filename}.xlsx"`);
      response.setHeader('cache-control', 'no-store');
      response.send(await catalogueWorkbook(sheets));
    } catch (error) {
      next(error);
    }
  });
  return router;
}
