import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { parseConnectorId, type ConnectorService } from '../../modules/connectors/connector.service';
import { assertRole, CONNECTOR_WRITE_ROLES } from '../../security/access';
import { principalOf } from '../../security/authentication';
import { readPushedRows } from './pushed-body';
import { parseStoredRaw } from '../../ingestion/rejections';

/**
 * `POST /ingest/<connector id>`: a department pushes a JSON array (or `{ "rows": [...] }`) or a CSV file with the
 * columns metric, unit, period, value, numerator, denominator, possibly compressed (gzip, deflate, br). Answers with
 * the same import summary as the `submitObservations` mutation. The caller and the connector are checked before the
 * body is read; the body is then read as a stream with its limits applied as it arrives (see pushed-body.ts).
 * Errors go to the REST error handler (errors.ts).
 */
export function pushRouter(options: { service: ConnectorService; maxBodyBytes: number }): Router {
  const router = express.Router();
  router.post('/ingest/:connectorId', async (request: Request, response: Response, next: NextFunction) => {
    try {
      const principal = principalOf(response);
      assertRole(principal, CONNECTOR_WRITE_ROLES, 'pushing values');
      const connectorId = parseConnectorId(String(request.params.connectorId), 'connectorId');
      const { maxRows } = await options.service.pushTarget(connectorId, principal);
      const rows = await readPushedRows(request, { maxBytes: options.maxBodyBytes, maxRows });
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
          raw: parseStoredRaw(rejection.raw),
        })),
      });
    } catch (error) {
      next(error);
    }
  });
  return router;
}
