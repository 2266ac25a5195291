import type { Request, RequestHandler, Response } from 'express';
import type { DataSource } from 'typeorm';
import { ANONYMOUS_ACTOR, outcomeOf, recordAuditEvent, type AuditActor, type AuditEventInput, type AuditTarget } from './audit';
import type { Principal } from './principal';

/** The caller of an HTTP request: the principal authentication put on `response.locals`, else `fallback`. */
export function requestActor(response: Response, fallback: AuditActor = ANONYMOUS_ACTOR): AuditActor {
  const principal = response.locals.principal as Principal | undefined;
  return principal ?? fallback;
}

/**
 * {@link recordAuditEvent} for an HTTP endpoint (CSV exports, downloads): actor from `response.locals.principal`,
 * the request id and the client address from the request. Never throws.
 */
export function recordRequestAuditEvent(
  dataSource: DataSource,
  request: Request,
  response: Response,
  event: Omit<AuditEventInput, 'actor' | 'requestId' | 'clientIp'> & { actor?: AuditActor },
): Promise<boolean> {
  return recordAuditEvent(dataSource, {
    ...event,
    actor: event.actor ?? requestActor(response),
    requestId: request.id === undefined ? null : String(request.id),
    clientIp: request.ip ?? null,
  });
}

/** The error code of a JSON error body: `{ error: { code } }` (REST) or `{ errors: [{ extensions: { code } }] }`. */
function bodyErrorCode(body: unknown): string | undefined {
  const single = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  if (typeof single === 'string') return single;
  const first = (body as { errors?: Array<{ extensions?: { code?: unknown } }> } | undefined)?.errors?.[0]?.extensions?.code;
  return typeof first === 'string' ? first : undefined;
}

function errorCodeOf(status: number, body: unknown): string | undefined {
  if (status < 400) return undefined;
  return bodyErrorCode(body) ?? (status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : `HTTP_${status}`);
}

export interface RequestAuditOptions {
  dataSource: DataSource;
  action: string;
  target?: (request: Request) => AuditTarget | null;
  /** What to keep of the request and of the JSON body sent (e.g. the run id and summary). */
  details?: (request: Request, body: unknown) => unknown;
  /** The actor when the request carries no principal. */
  fallbackActor?: (request: Request) => AuditActor;
}

/**
 * Middleware recording one audit event per request of the route it is mounted on, outcome from the status
 * (2xx/3xx SUCCESS, 401/403 DENIED, else FAILURE with the body's error code). The event is stored before any
 * body sent with `response.send` or `response.json` leaves (JSON answers, CSV and Markdown downloads): a caller
 * who has the response can find its event, and a download is never out without a trace should the process die.
 * A response ended some other way (`response.end`) is recorded once it has been sent.
 */
export function auditRequests(options: RequestAuditOptions): RequestHandler {
  return (request, response, next) => {
    // Read now: later middleware (a router, its error handler) sees other route parameters.
    const target = options.target?.(request) ?? null;
    let recorded = false;
    let jsonBody: unknown;
    const record = (): Promise<boolean> => {
      recorded = true;
      const errorCode = errorCodeOf(response.statusCode, jsonBody);
      return recordRequestAuditEvent(options.dataSource, request, response, {
        actor: requestActor(response, options.fallbackActor?.(request)),
        action: options.action,
        target,
        outcome: outcomeOf(errorCode),
        errorCode,
        details: options.details?.(request, jsonBody),
      });
    };
    // express's json() serialises the body and hands it to send(): keep the object for the event's details.
    const json = response.json.bind(response);
    response.json = (body: unknown) => {
      if (!recorded) jsonBody = body;
      return json(body);
    };
    const send = response.send.bind(response);
    response.send = (body?: unknown) => {
      if (recorded) return send(body);
      void record().then(() => send(body));
      return response;
    };
    response.once('finish', () => {
      if (!recorded) void record();
    });
    next();
  };
}
