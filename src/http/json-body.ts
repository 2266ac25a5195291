import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

// eslint-disable-next-line no-control-regex -- JSON whitespace, as body-parser matches it
const FIRST_NON_WHITESPACE = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d]|$)/;

/** A client error the hub's error handler answers with its message (as body-parser's errors are). */
function clientError(status: number, message: string, type: string, cause?: Error): Error {
  const error = cause ?? new Error(message);
  if (cause) error.message = message;
  return Object.assign(error, { status, statusCode: status, expose: true, type });
}

/** body-parser's message for a body that is not an object or an array (strict mode), for the same answer. */
function strictViolation(text: string): Error {
  const first = FIRST_NON_WHITESPACE.exec(text)?.[1] ?? '';
  const index = first ? text.indexOf(first) : -1;
  const partial = index === -1 ? '' : text.slice(0, index) + '#'.repeat(text.length - index);
  try {
    JSON.parse(partial);
    return clientError(400, 'strict violation', 'entity.parse.failed');
  } catch (error) {
    const message = (error as Error).message.replace(/#+/g, (placeholder) => text.substring(index, index + placeholder.length));
    return clientError(400, message, 'entity.parse.failed', error as Error);
  }
}

/** The body as body-parser's strict JSON parser reads it: a BOM dropped, empty means `{}`, only objects and arrays. */
function parseJson(body: Buffer): unknown {
  let text = body.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.length === 0) return {};
  if (text[0] !== '{' && text[0] !== '[') {
    const first = FIRST_NON_WHITESPACE.exec(text)?.[1];
    if (first !== '{' && first !== '[') throw strictViolation(text);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw clientError(400, (error as Error).message, 'entity.parse.failed', error as Error);
  }
}

/** Whether the request is the plain case: a POST of `application/json` (UTF-8), not compressed, of a declared size within `limit`. */
function plainJson(request: Request, limit: number): boolean {
  const { headers } = request;
  const type = headers['content-type'];
  if (type !== 'application/json' && type?.toLowerCase().replace(/\s+/g, '') !== 'application/json;charset=utf-8') return false;
  if (headers['content-encoding'] !== undefined && headers['content-encoding'] !== 'identity') return false;
  if (headers['transfer-encoding'] !== undefined) return false;
  const length = Number(headers['content-length']);
  return request.method === 'POST' && headers['content-length'] !== undefined && Number.isInteger(length) && length <= limit;
}

/**
 * The JSON body parser of POST /graphql. `full` (express.json with the hub's limit and UTF-8 check) handles every
 * request; the plain case (see {@link plainJson}) is read here instead, without body-parser's content negotiation,
 * decoder and stream helpers, which cost a noticeable share of a small operation. Either way the request ends with
 * the same `request.body`, or the same error (400 for invalid UTF-8 or JSON, with body-parser's messages).
 */
export function leanJsonBody(limit: number, full: RequestHandler): RequestHandler {
  return (request: Request, response: Response, next: NextFunction) => {
    if (!plainJson(request, limit)) {
      full(request, response, next);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: unknown) => {
      if (settled) return;
      settled = true;
      request.off('data', onData).off('end', onEnd).off('error', settle).off('close', onClose);
      if (error !== undefined) {
        // What is left unread is dropped, so the connection can serve its next request (as body-parser does).
        request.resume();
        next(error);
      } else next();
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    };
    const onEnd = () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      if (!isUtf8(body)) {
        settle(clientError(400, 'the request body is not valid UTF-8', 'encoding.invalid'));
        return;
      }
      try {
        request.body = parseJson(body);
        (request as Request & { _body?: boolean })._body = true;
      } catch (error) {
        settle(error);
        return;
      }
      settle();
    };
    const onClose = () => settle(clientError(400, 'request aborted', 'request.aborted'));
    request.on('data', onData).on('end', onEnd).on('error', settle).on('close', onClose);
  };
}
