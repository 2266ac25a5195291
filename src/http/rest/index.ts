/**
 * The REST endpoints, next to GraphQL and behind the same authentication and rate limits: the push
 * (`POST /ingest/<connector id>`, push.ts), the CSV exports (`/export/series|aggregate`, export.ts) and the
 * progress report and year-end evaluation downloads (`/reports/progress.csv|.md`, `/reports/evaluation`, reports.ts) the catalogue export (`/catalogue/export`, catalogue-export.ts) and import (`POST /catalogue/import`, catalogue-import.ts). Each request leaves an audit record
 * (stored before the answer leaves); every error is answered in the one GraphQL-shaped form of errors.ts.
 */
import type { ApolloServer } from '@apollo/server';
import express, { type Request, type Router } from 'express';
import type { DataSource } from 'typeorm';
import type { HubContext } from '../../graphql/context';
import type { ConnectorService } from '../../modules/connectors/connector.service';
import { auditRequests } from '../../security/audit-http';
import { principalOf } from '../../security/authentication';
import { restErrorHandler } from './errors';
import { exportRouter } from './export';
import { pushRouter } from './push';
import { evaluationReportRouter, progressReportRouter } from './reports';
import { catalogueExportRouter } from './catalogue-export';
import { catalogueImportRouter } from './catalogue-import';
import type { EvaluationWeights } from '../../modules/progress/evaluation';
import { targetKey } from '../../security/audit-plugin';

/** Largest body accepted by the push endpoint. */
export const MAX_PUSH_BODY_BYTES = 20 * 1024 * 1024;

export interface RestOptions {
  dataSource: DataSource;
  timeZone: string;
  /** Default weights of the year-end evaluation (settings). */
  evaluationWeights: EvaluationWeights;
  /** The GraphQL server the exports run their operations on, and the context they run them with. */
  server: ApolloServer<HubContext>;
  contextOf: (request: Request) => Promise<HubContext>;
  /** The push endpoint exists only when the connector registry runs in this process. */
  connectors?: ConnectorService;
  reportError: (error: unknown) => void;
}

/** The push, export and report routes with their audit records, and the REST error handler. */
export function restRouter(options: RestOptions): Router {
  const { dataSource } = options;
  const router = express.Router();
  router.get(
    '/reports/progress.:format',
    auditRequests({
      dataSource,
      action: 'export.progressReport',
      target: (request) => ({ type: 'report', id: typeof request.query.period === 'string' ? request.query.period.slice(0, 20) : null }),
      details: (request) => ({ format: request.params.format, query: request.query }),
    }),
  );
  router.use(progressReportRouter({ dataSource, timeZone: options.timeZone, principalOf: (request) => principalOf(request.res!) }));
  router.get(
    '/reports/evaluation',
    auditRequests({
      dataSource,
      action: 'export.evaluation',
      target: (request) => ({ type: 'report', id: typeof request.query.year === 'string' ? request.query.year.slice(0, 20) : null }),
      details: (request) => ({ query: request.query }),
    }),
  );
  router.get(
    '/catalogue/export',
    auditRequests({
      dataSource,
      action: 'export.catalogue',
      target: () => ({ type: 'catalogue', id: null }),
      details: (request) => ({ query: request.query }),
    }),
  );
  router.use(catalogueExportRouter({ dataSource, timeZone: options.timeZone, principalOf: (request) => principalOf(request.res!) }));
  router.post(
    '/catalogue/import',
    auditRequests({
      dataSource,
      action: 'catalogue.import',
      target: () => ({ type: 'catalogue', id: null }),
      details: (request, body) => {
        const sent = body as { applied?: boolean; summary?: unknown; problems?: unknown[] } | undefined;
        return { query: request.query, bytes: Number(request.headers['content-length'] ?? 0), applied: sent?.applied, summary: sent?.summary, problems: sent?.problems?.length };
      },
    }),
  );
  router.use(catalogueImportRouter({ dataSource, timeZone: options.timeZone, principalOf: (request) => principalOf(request.res!) }));
  router.use(evaluationReportRouter({ dataSource, timeZone: options.timeZone, weights: options.evaluationWeights, principalOf: (request) => principalOf(request.res!) }));
  // CSV downloads of series and aggregates run the same GraphQL operations with the same context.
  router.all(
    '/export/:name',
    auditRequests({
      dataSource,
      action: 'export.analytics',
      target: (request) => ({ type: 'export', id: String(request.params.name).slice(0, 40) }),
      // A POST export carries its arguments in the JSON body (parsed by the export router before it answers).
      details: (request) => ({ method: request.method, query: request.query, ...(request.method === 'POST' ? { arguments: request.body as unknown } : {}) }),
    }),
  );
  router.use(exportRouter({ server: options.server, contextOf: options.contextOf }));
  if (options.connectors) {
    router.post(
      '/ingest/:connectorId',
      auditRequests({
        dataSource,
        action: 'ingest.push',
        target: (request) => ({ type: 'connector', id: String(targetKey(String(request.params.connectorId))) }),
        details: (request, body) => {
          const sent = body as { run?: { id?: string; status?: string }; summary?: unknown; errors?: Array<{ message?: string }> } | undefined;
          return { contentType: request.headers['content-type'] ?? null, runId: sent?.run?.id, runStatus: sent?.run?.status, summary: sent?.summary, message: sent?.errors?.[0]?.message };
        },
      }),
    );
    router.use(pushRouter({ service: options.connectors, maxBodyBytes: MAX_PUSH_BODY_BYTES }));
  }
  // Errors of these routes only: a router's error handler never sees errors raised before it (GraphQL's).
  router.use(restErrorHandler(options.reportError));
  return router;
}
