import { queryParameters } from './query-parameters';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import { badInput, HubError } from '../../common/errors';
import { DEFAULT_IMPORT_NOTE, importCatalogueFile } from '../../modules/catalogue/catalogue-import';
import { bilingual, MAX_IMPORT_BYTES } from '../../modules/catalogue/catalogue-import-read';
import { assertRole } from '../../security/access';
import { Role, type Principal } from '../../security/principal';
import { restErrorBody } from './errors';

const PARAMETERS = ['format', 'sheet', 'apply', 'note'];

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/**
 * `POST /catalogue/import` (ADMIN): the body is the file — an XLSX workbook (the export's sheets) or, with
 * `format=csv&sheet=<name>`, one sheet as CSV. A dry run by default: the answer lists every problem (sheet, row,
 * column) and every row's change; `apply=true` writes the changes in one transaction when there is no problem, and
 * answers 400 with the same lists (nothing written) when there is. `note` is kept in the history of each change.
 */
export function catalogueImportRouter(options: { dataSource: DataSource; timeZone: string; principalOf: (request: Request) => Principal }): Router {
  const router = express.Router();
  const checkCaller = (request: Request, _response: Response, next: NextFunction) => {
    try {
      assertRole(options.principalOf(request), [Role.ADMIN], 'importing the catalogue');
      next();
    } catch (error) {
      next(error);
    }
  };
  // Read whole (up to the limit) once the caller may import; a larger body is 413 PAYLOAD_TOO_LARGE.
  const readBody = express.raw({ type: () => true, limit: MAX_IMPORT_BYTES });
  router.post('/catalogue/import', checkCaller, readBody, async (request: Request, response: Response, next: NextFunction) => {
    try {
      const given = queryParameters(request, PARAMETERS);
      const contentType = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const format = given('format') ?? (contentType === 'text/csv' ? 'csv' : 'xlsx');
      if (format !== 'xlsx' && format !== 'csv') throw badInput('format', 'expected xlsx or csv');
      const sheet = given('sheet');
      if (format === 'xlsx' && sheet !== undefined) throw badInput('sheet', 'only with format=csv (a workbook names its sheets)');
      const applyText = given('apply') ?? 'false';
      if (applyText !== 'true' && applyText !== 'false') throw badInput('apply', 'expected true or false');
      const content = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (content.length === 0) throw new HubError('BAD_USER_INPUT', `body: ${bilingual('tệp rỗng', `send the file as the body (${XLSX_TYPE} or text/csv)`)}`, 'body');
      const principal = options.principalOf(request);
      const result = await importCatalogueFile(options.dataSource, { content, format, sheet }, {
        apply: applyText === 'true',
        author: principal.name,
        note: given('note') ?? DEFAULT_IMPORT_NOTE,
        today: todayIn(options.timeZone),
        timeZone: options.timeZone,
      });
      const answer = { applied: result.applied, summary: result.summary, problems: result.problems, changes: result.changes };
      if (applyText === 'true' && !result.applied) {
        const message = bilingual(`Tệp có ${result.problems.length} lỗi, không ghi gì`, `the file has ${result.problems.length} problem(s); nothing was written`);
        response.status(400).json({ ...restErrorBody('BAD_USER_INPUT', `body: ${message}`, { field: 'body' }), ...answer });
        return;
      }
      response.json(answer);
    } catch (error) {
      next(error);
    }
  });
  return router;
}
