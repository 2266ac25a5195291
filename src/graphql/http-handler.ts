import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** A content type that already names UTF-8, as express would complete it. */
const UTF8_TYPE = /;\s*charset=utf-8$/i;

/** The query string of a request URL (`?…`, without a fragment), '' when it has none: what `url.parse(…).search` gives. */
export function searchOf(url: string): string {
  const start = url.indexOf('?');
  if (start === -1) return '';
  const end = url.indexOf('#', start);
  return end === -1 ? url.slice(start) : url.slice(start, end);
}

/** A strong entity tag of a body: its SHA-256, base64url. */
export function entityTag(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

/** Whether an If-None-Match header names `tag` (weak comparison, as RFC 9110 wants for If-None-Match; `*` matches any). */
export function noneMatch(header: string | undefined, tag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const given = candidate.trim();
    return given === '*' || given === tag || given === `W/${tag}`;
  });
}

/** Whether an answer is one without errors (only those are given an entity tag). */
function withoutErrors(body: string): boolean {
  try {
    return (JSON.parse(body) as { errors?: unknown }).errors === undefined;
  } catch {
    return false;
  }
}

/**
 * Revalidation of GET answers (queries sent as `?query=` or Apollo persisted queries, `extensions.persistedQuery`),
 * for clients that poll: a successful answer carries a strong ETag of its body and `Cache-Control: private,
 * no-cache` (kept, but asked again each time), varies on Authorization (an answer for one key is never
 * revalidated for another), and a request whose If-None-Match names the ETag of the answer it would get is
 * answered 304 without a body. The query runs either way: the answer is what tells whether anything changed.
 * Errors get no ETag (and stay no-store).
 */
function revalidated(request: Request, response: Response, body: string): boolean {
  if (request.method !== 'GET' || response.statusCode !== 200 || !withoutErrors(body)) return false;
  const tag = entityTag(body);
  response.setHeader('etag', tag);
  response.setHeader('cache-control', 'private, no-cache');
  const vary = response.getHeader('vary');
  response.setHeader('vary', vary ? `${String(vary)}, Authorization` : 'Authorization');
  if (!noneMatch(request.headers['if-none-match'], tag)) return false;
  response.statusCode = 304;
  response.removeHeader('content-type');
  response.removeHeader('content-length');
  response.end();
  return true;
}

/**
 * Writes Apollo's answer: a complete JSON body at once, without express's `send` (type sniffing, ETag, freshness);
 * returns a promise only for an incremental answer, written as it comes. GET answers are revalidated (see revalidated).
 */
function writeAnswer(request: Request, response: Response, answer: HTTPGraphQLResponse): Promise<void> | undefined {
  for (const [name, value] of answer.headers) response.setHeader(name, value);
  response.statusCode = answer.status || 200;
  if (answer.body.kind === 'chunked') return writeChunks(response, answer.body.asyncIterator);
  const body = answer.body.string;
  if (revalidated(request, response, body)) return undefined;
  const type = response.getHeader('content-type');
  if (request.method === 'HEAD' || typeof type !== 'string' || !UTF8_TYPE.test(type)) {
    // Anything else (a landing page, a HEAD request) exactly as express sends it.
    response.send(body);
    return undefined;
  }
  response.setHeader('content-length', Buffer.byteLength(body));
  response.end(body);
  return undefined;
}

async function writeChunks(response: Response, chunks: AsyncIterableIterator<string>): Promise<void> {
  for await (const chunk of chunks) {
    response.write(chunk);
    const flushing = response as Response & { flush?: () => void };
    if (typeof flushing.flush === 'function') flushing.flush();
  }
  response.end();
}

/**
 * Apollo behind express, as `@as-integrations/express5` mounts it, in less work per request: the request's
 * headers and query string handed over without `url.parse`, and the answer written with one `end`. Needs
 * `request.body` (the JSON body parser runs first); errors go to express's error handlers.
 */
export function apolloHandler<Context extends object>(server: ApolloServer<Context>, contextOf: (request: Request) => Promise<Context>): RequestHandler {
  server.assertStarted('apolloHandler()');
  return (request: Request, response: Response, next: NextFunction) => {
    if (!('body' in request)) {
      next(new Error('request.body is not set: the JSON body parser must run before the GraphQL handler'));
      return;
    }
    const headers = new HeaderMap();
    const given = request.headers;
    for (const name in given) {
      const value = given[name];
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    server
      .executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: request.method.toUpperCase(), headers, search: searchOf(request.url), body: request.body },
        context: () => contextOf(request),
      })
      .then((answer) => writeAnswer(request, response, answer))
      .catch(next);
  };
}
