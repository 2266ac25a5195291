/**
 * The one error answer of every REST endpoint (push, exports, report downloads), shaped like GraphQL errors so a
 * client of the hub reads every refusal the same way, whichever endpoint sent it:
 *
 *     HTTP 400  {"errors":[{"message":"period: required …","extensions":{"code":"BAD_USER_INPUT","field":"period"}}]}
 *
 * The status follows from `extensions.code` alone ({@link httpStatusOf}): BAD_USER_INPUT 400, UNAUTHENTICATED 401,
 * FORBIDDEN 403, NOT_FOUND 404, CONFLICT 409, PAYLOAD_TOO_LARGE 413, UNSUPPORTED_MEDIA_TYPE 415, RATE_LIMITED 429,
 * INTERNAL_SERVER_ERROR 500, SERVICE_UNAVAILABLE 503 (with `Retry-After`), TIMEOUT 504. Authentication (401),
 * rate limits (429) and unknown paths (404) answer the same shape before any endpoint runs.
 */
import type { NextFunction, Request, Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { HubError, httpStatusOf, isDatabaseUnavailable } from '../../common/errors';

/** `extensions` of an error answered: the code, the field at fault if any, and more facts for programs. */
export type RestErrorExtensions = { code: string; field?: string } & Record<string, unknown>;

export interface RestErrorBody {
  errors: Array<{ message: string; extensions: RestErrorExtensions }>;
}

/** Seconds a client waits before trying again when the database cannot be reached. */
const RETRY_AFTER_SECONDS = 5;

/** The body of one error. */
export function restErrorBody(code: string, message: string, extensions: Record<string, unknown> = {}): RestErrorBody {
  return { errors: [{ message, extensions: withCode(code, extensions) }] };
}

/** The extensions with `code` first (and never overridden by them). */
function withCode(code: string, extensions: Readonly<Record<string, unknown>> | undefined): RestErrorExtensions {
  return Object.assign({ code }, extensions, { code });
}

/** Answers one error, status from its code. */
export function sendRestError(response: Response, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  const status = httpStatusOf(code);
  if (status === 503) response.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  response.status(status).json(restErrorBody(code, message, extensions));
}

/** Answers the errors of a GraphQL operation run for a REST request (exports), status from the first one's code. */
export function sendGraphQLErrors(response: Response, errors: readonly GraphQLFormattedError[]): void {
  const code = String(errors[0].extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  const status = httpStatusOf(code);
  if (status === 503) response.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
  response.status(status).json({
    errors: errors.map((error) => ({ message: error.message, extensions: withCode(String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'), error.extensions) })),
  });
}

/** Codes of the errors express's body parsers raise (`status` set, `type` e.g. `entity.too.large`). */
const BODY_PARSER_CODES: Record<number, string> = { 400: 'BAD_USER_INPUT', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** What a body parser's refusal says, without its internals. */
function bodyParserMessage(status: number, type: unknown, limit: unknown): string {
  if (status === 413) return typeof limit === 'number' ? `body: larger than ${limit} bytes` : 'body: too large';
  if (status === 415) return 'body: unsupported charset or content encoding';
  if (type === 'entity.parse.failed') return 'body: malformed JSON';
  if (type === 'encoding.invalid') return 'body: not valid UTF-8';
  return 'body: unreadable';
}

/**
 * The error handler of the REST endpoints: a {@link HubError} (what the caller got wrong, or may not do) is
 * answered with its code, field and details; a body parser's refusal with its status; a database that cannot
 * be reached with SERVICE_UNAVAILABLE (503, `Retry-After`); anything else is reported and answered
 * INTERNAL_SERVER_ERROR without details.
 */
export function restErrorHandler(reportError: (error: unknown) => void) {
  return (error: unknown, _request: Request, response: Response, next: NextFunction): void => {
    if (response.headersSent) {
      next(error);
      return;
    }
    if (error instanceof HubError) {
      sendRestError(response, error.code, error.message, { ...(error.field === undefined ? {} : { field: error.field }), ...error.details });
      return;
    }
    const graphqlCode = (error as { extensions?: { code?: unknown } }).extensions?.code;
    if (error instanceof Error && error.name === 'GraphQLError' && typeof graphqlCode === 'string') {
      sendRestError(response, graphqlCode, error.message);
      return;
    }
    if (isDatabaseUnavailable(error)) {
      sendRestError(response, 'SERVICE_UNAVAILABLE', 'the database cannot be reached; try again shortly');
      return;
    }
    const parser = error as { status?: unknown; type?: unknown; limit?: unknown };
    const code = typeof parser.status === 'number' ? BODY_PARSER_CODES[parser.status] : undefined;
    if (code) {
      sendRestError(response, code, bodyParserMessage(parser.status as number, parser.type, parser.limit), { field: 'body' });
      return;
    }
    reportError(error);
    sendRestError(response, 'INTERNAL_SERVER_ERROR', 'internal error');
  };
}
