import { parse as parseCsv } from 'csv-parse/sync';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { ObservationRow } from '../../connectors/sdk/mapping';
import { HubError, httpStatusOf } from '../common/errors';
import { parseConnectorId, type ConnectorService } from '../modules/connectors/connector.service';
import { assertRole, CONNECTOR_WRITE_ROLES } from '../security/access';
import { principalOf } from '../security/authentication';

const CSV_COLUMNS = ['metric', 'unit', 'period', 'value', 'numerator', 'denominator'];

function rowsFromJson(body: unknown): ObservationRow[] {
  const rows = Array.isArray(body) ? body : body && typeof body === 'object' ? (body as { rows?: unknown }).rows : undefined;
  if (!Array.isArray(rows)) throw new HubError('BAD_USER_INPUT', 'rows: send a JSON array of rows, or { "rows": [...] }', 'rows');
  return rows.map((row: unknown) => (row && typeof row === 'object' ? (row as ObservationRow) : ({ metric: row } as ObservationRow)));
}

function rowsFromCsv(body: string): ObservationRow[] {
  let records: Array<Record<string, string>>;
  try {
    records = parseCsv(body, { columns: true, bom: true, skip_empty_lines: true, trim: true, delimiter: [',', ';', '\t'] });
  } catch (error) {
    throw new HubError('BAD_USER_INPUT', `body: malformed CSV: ${error instanceof Error ? error.message : String(error)}`, 'body');
  }
  const header = records.length > 0 ? Object.keys(records[0]) : [];
  const unknown = header.filter((column) => !CSV_COLUMNS.includes(column));
  if (unknown.length > 0) {
    throw new HubError('BAD_USER_INPUT', `body: unknown CSV columns ${unknown.join(', ')}; expected ${CSV_COLUMNS.join(', ')}`, 'body');
  }
  // Empty cells are absent values, not empty strings.
  return records.map((record) =>
    Object.fromEntries(Object.entries(record).filter(([, value]) => value !== '')) as unknown as ObservationRow,
  );
}

/**
 * `POST /ingest/<connector id>`: a department pushes a JSON array (or `{ "rows": [...] }`) or a CSV file with the
 * columns metric, unit, period, value, numerator, denominator. Answers with the same import summary as the
 * `submitObservations` mutation.
 */
export function ingestRouter(options: {
  service: ConnectorService;
  maxBodyBytes: number;
  reportError: (error: unknown) => void;
}): Router {
  const router = express.Router();
  router.post(
    '/ingest/:connectorId',
    express.json({ limit: options.maxBodyBytes }),
    express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit: options.maxBodyBytes }),
    async (request: Request, response: Response, next: NextFunction) => {
      try {
        const principal = principalOf(response);
        assertRole(principal, CONNECTOR_WRITE_ROLES, 'pushing values');
        const contentType = request.headers['content-type'] ?? '';
        let rows: ObservationRow[];
        if (contentType.includes('json')) rows = rowsFromJson(request.body);
        else if (typeof request.body === 'string') rows = rowsFromCsv(request.body);
        else throw new HubError('BAD_USER_INPUT', 'body: send application/json or text/csv', 'body');
        const connectorId = parseConnectorId(String(request.params.connectorId), 'connectorId');
        const result = await options.service.push(connectorId, rows, principal, String(request.id));
        response.json({
          run: { id: String(result.run.id), status: result.run.status },
          summary: {
            fetched: result.summary.fetched,
            imported: result.summary.imported,
            updated: result.summary.updated,
            unchanged: result.summary.unchanged,
            rejected: result.summary.rejected,
          },
          rejections: result.rejections.map((rejection) => ({
            rowIndex: rejection.rowIndex,
            reason: rejection.reason,
            message: rejection.message,
            raw: JSON.parse(rejection.raw) as unknown,
          })),
        });
      } catch (error) {
        next(error);
      }
    },
  );
  router.use('/ingest', (error: unknown, _request: Request, response: Response, _next: NextFunction) => {
    if (error instanceof HubError) {
      response.status(httpStatusOf(error.code)).json({ error: { code: error.code, message: error.message, field: error.field } });
      return;
    }
    const status = (error as { status?: number }).status;
    if (status === 413) {
      response.status(413).json({ error: { code: 'BAD_USER_INPUT', message: `body: larger than ${options.maxBodyBytes} bytes` } });
      return;
    }
    if (status === 400) {
      response.status(400).json({ error: { code: 'BAD_USER_INPUT', message: 'body: malformed JSON' } });
      return;
    }
    if (status === 415) {
      // The body parsers refuse a charset they cannot decode (e.g. `application/json; charset=koi8-zz`).
      response.status(415).json({ error: { code: 'BAD_USER_INPUT', message: 'body: unsupported charset or content encoding' } });
      return;
    }
    options.reportError(error);
    response.status(500).json({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
  });
  return router;
}
