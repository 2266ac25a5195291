import { HeaderMap, type ApolloServer, type HTTPGraphQLResponse } from '@apollo/server';
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

/**
 * Writes Apollo's answer: a complete JSON body at once, without express's `send` (type sniffing, ETag, freshness);
 * returns a promise only for an incremental answer, written as it comes.
 */
function writeAnswer(request: Request, response: Response, answer: HTTPGraphQLResponse): Promise<void> | undefined {
  for (const [name, value] of answer.headers) response.setHeader(name, value);
  response.statusCode = answer.status || 200;
  if (answer.body.kind === 'chunked') return writeChunks(response, answer.body.asyncIterator);
  const body = answer.body.string;
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
