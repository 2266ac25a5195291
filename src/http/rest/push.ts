import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { HubError, httpStatusOf } from '../common/errors';
import { parseConnectorId, type ConnectorService } from '../modules/connectors/connector.service';
import { assertRole, CONNECTOR_WRITE_ROLES } from '../security/access';
import { principalOf } from '../security/authentication';
import { PushedBodyError, readPushedRows } from './pushed-body';

/**
 * `POST /ingest/<connector id>`: a department pushes a JSON array (or `{ "rows": [...] }`) or a CSV file with the
 * columns metric, unit, period, value, numerator, denominator, possibly compressed (gzip, deflate, br). Answers with
 * the same import summary as the `submitObservations` mutation. The caller and the connector are checked before the
 * body is read; the body is then read as a stream with its limits applied as it arrives (see pushed-body.ts).
 */
export function ingestRouter(options: {
  service: ConnectorService;
  maxBodyBytes: number;
  reportError: (error: unknown) => void;
}): Router {
  const router = express.Router();
  router.post(
    '/ingest/:connectorId',
    async (request: Request, response: Response, next: NextFunction) => {
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
    if (error instanceof PushedBodyError) {
      response.status(error.status).json({ error: { code: 'BAD_USER_INPUT', message: error.message, field: error.field } });
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
