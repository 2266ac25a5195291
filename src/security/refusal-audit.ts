import express, { type Request, type RequestHandler, type Response } from 'express';
import { getOperationAST, parse, type GraphQLSchema } from 'graphql';
import type { DataSource } from 'typeorm';
import { UNAUTHENTICATED_ACTOR, AuditOutcome, type AuditActor } from './audit';
import { recordRequestAuditEvent } from './audit-http';
import { describeRefusedFields } from './audit-plugin';
import type { AuthenticationResult, Refusal } from './authentication';
import { targetKey } from './audit-plugin';

export interface RefusalAuditOptions {
  dataSource: DataSource;
  schema: GraphQLSchema;
  /** GRAPHQL_MAX_BODY_KB: the body of a refused GraphQL request is read up to this size to see what it asked. */
  maxBodyBytes: number;
  /** GRAPHQL_MAX_TOKENS: parsing stops there. */
  maxTokens: number;
}

const INGEST_PATH = /^\/ingest\/([^/]{1,40})$/;

/** Reads a JSON body with express's own parser (size-limited); undefined when it cannot be read. */
function readJson(parser: RequestHandler, request: Request): Promise<unknown> {
  return new Promise((resolve) => {
    parser(request, {} as Response, (error?: unknown) => resolve(error ? undefined : (request.body as unknown)));
  });
}

/** The mutation a GraphQL request (POST body or GET query string) sends, or null when it sends none. */
function mutationOf(body: unknown, maxTokens: number) {
  const { query, operationName } = (body ?? {}) as { query?: unknown; operationName?: unknown };
  if (typeof query !== 'string') return null;
  try {
    const operation = getOperationAST(parse(query, { maxTokens }), typeof operationName === 'string' ? operationName : undefined);
    return operation?.operation === 'mutation' ? operation : null;
  } catch {
    return null;
  }
}

/**
 * Records writes refused at authentication: a GraphQL mutation (POST or GET) or a push to `/ingest/<id>` sent
 * without a valid credential gets one DENIED record (`errorCode` UNAUTHENTICATED), like a mutation refused by a
 * role. The actor is the key that was used when it exists but is revoked or expired (`key:<id>`, its name and
 * role: a revoked key still in use is worth seeing), else `unauthenticated`. Reads are not recorded. The number
 * of records is bounded by the failed-authentication limit of each address (refusals answered 429 are neither
 * recorded nor logged).
 */
export function auditRefusedWrites(options: RefusalAuditOptions): (request: Request, result: Extract<AuthenticationResult, { refused: Refusal }>) => Promise<unknown> {
  const parser = express.json({ limit: options.maxBodyBytes });
  return async (request, result) => {
    const actor: AuditActor = result.key ? { subject: `key:${result.key.id}`, name: result.key.name, role: result.key.role } : UNAUTHENTICATED_ACTOR;
    const refusal = { actor, outcome: AuditOutcome.DENIED, errorCode: 'UNAUTHENTICATED' };
    const ingest = request.method === 'POST' ? INGEST_PATH.exec(request.path) : null;
    if (ingest) {
      return recordRequestAuditEvent(options.dataSource, request, request.res!, {
        ...refusal,
        action: 'ingest.push',
        target: { type: 'connector', id: targetKey(ingest[1]) },
        details: { reason: result.refused },
      });
    }
    if (request.path !== '/graphql' || (request.method !== 'POST' && request.method !== 'GET')) return;
    const body = request.method === 'POST' ? await readJson(parser, request) : request.query;
    const operation = mutationOf(body, options.maxTokens);
    if (!operation) return;
    const refused = describeRefusedFields(options.schema, operation.selectionSet);
    return recordRequestAuditEvent(options.dataSource, request, request.res!, {
      ...refusal,
      action: refused.action,
      target: null,
      details: { notExecuted: true, reason: result.refused, ...refused.details },
    });
  };
}
