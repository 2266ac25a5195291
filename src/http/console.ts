import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { sendRestError } from './rest/errors';

/** web/dist: the console as `web/build.mjs` builds it (next to package.json, from src/ and from dist/src/ alike). */
export function consoleDirectory(): string {
  let directory = __dirname;
  while (!fs.existsSync(path.join(directory, 'package.json')) && path.dirname(directory) !== directory) directory = path.dirname(directory);
  return path.join(directory, 'web', 'dist');
}

/**
 * The pages' policy: scripts, styles, fonts, images, workers and connections from the hub only; no inline script,
 * no plugin, no framing. GraphiQL's page also allows inline styles, because its editor (Monaco) writes `<style>`
 * elements at run time (theme colours, decorations) and offers no nonce for them, and `data:` fonts, because
 * GraphiQL's own stylesheet (served by the hub) embeds its fonts as data URLs. Neither runs code or leaves the machine.
 */
const POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
];
export const CONSOLE_POLICY = POLICY.join('; ');
const GRAPHIQL_RELAXED: Record<string, string> = { "style-src 'self'": "style-src 'self' 'unsafe-inline'", "font-src 'self'": "font-src 'self' data:" };
export const GRAPHIQL_POLICY = POLICY.map((directive) => GRAPHIQL_RELAXED[directive] ?? directive).join('; ');

/** What a browser's navigation asks for: HTML preferred to every type the GraphQL endpoint answers. */
export function wantsHtml(request: Request): boolean {
  return request.accepts(['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html']) === 'text/html';
}

/**
 * A hub path as browsers and scripts must ask for it, under PUBLIC_BASE_PATH (`/reports/x?y` → `/prefix/reports/x?y`):
 * every path the API hands out (download links) goes through here.
 */
export function withBasePath(prefix: string, path: string): string {
  return `${prefix}${path}`;
}

/** A request URL without PUBLIC_BASE_PATH at its start (`/prefix/graphql?x` → `/graphql?x`); others as they are. */
export function withoutBasePath(prefix: string, url: string): string {
  return prefix !== '' && url.split('?')[0].startsWith(`${prefix}/`) ? url.slice(prefix.length) : url;
}

/**
 * Removes PUBLIC_BASE_PATH from the start of request paths, so the hub answers both behind a proxy that strips
 * the prefix and behind one that forwards it; the prefix alone redirects to `<prefix>/`, where the console's
 * relative links resolve.
 */
export function basePath(prefix: string): RequestHandler {
  return (request, response, next) => {
    if (prefix === '') return next();
    const [pathname, query] = [request.url.split('?')[0], request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : ''];
    if (pathname === prefix) {
      // Express writes a small HTML page for browsers: it carries the console's policy, as every HTML answer does.
      response.setHeader('content-security-policy', CONSOLE_POLICY);
      response.redirect(301, `${prefix}/${query}`);
      return;
    }
    request.url = withoutBasePath(prefix, request.url);
    next();
  };
}

const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * An asset as web/build.mjs gzipped it (`name.gz`), to a browser that accepts gzip; others get the file itself
 * (express.static). Either way the answer varies with Accept-Encoding, for caches between.
 */
function precompressed(directory: string): RequestHandler {
  return (request, response, next) => {
    response.vary('Accept-Encoding');
    const compressed = path.join(directory, `${request.path}.gz`);
    if (!/^\/[\w.-]+\.(js|css|ttf)$/.test(request.path) || !request.acceptsEncodings('gzip') || !fs.existsSync(compressed)) return next();
    response.setHeader('content-encoding', 'gzip');
    response.setHeader('cache-control', ASSET_CACHE);
    // Set before sendFile, which then keeps it (not the type of a .gz file).
    response.type(path.extname(request.path));
    response.sendFile(compressed);
  };
}

/**
 * The web console and GraphiQL, from web/dist, needing no credentials (they are static; every operation they
 * send carries the signed-in person's key): `/` the console, `GET /graphql` from a browser the GraphiQL page,
 * `/assets/*` the hashed scripts, styles, fonts and workers (cached for a year: a new build has new names; gzipped
 * when the browser accepts it).
 * Without a build, the pages answer 503 naming the command that builds it.
 */
export function webConsole(directory = consoleDirectory()): Router {
  const router = express.Router();
  const page = (file: string, policy: string) => (request: Request, response: Response) => {
    const full = path.join(directory, file);
    response.setHeader('content-security-policy', policy);
    response.setHeader('cache-control', 'no-cache');
    if (!fs.existsSync(full)) {
      response.status(503).type('text/plain; charset=utf-8').send('Bảng điều khiển chưa được dựng: chạy `npm run build:web`.\nThe console is not built: run `npm run build:web`.\n');
      return;
    }
    response.sendFile(full);
  };
  const consolePage = page('index.html', CONSOLE_POLICY);
  const graphiqlPage = page('graphiql.html', GRAPHIQL_POLICY);
  router.get('/', consolePage);
  router.get('/index.html', consolePage);
  router.get('/graphql', (request, response, next) => (wantsHtml(request) ? graphiqlPage(request, response) : next()));
  router.use('/assets', precompressed(path.join(directory, 'assets')), express.static(path.join(directory, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true, redirect: false }));
  router.use('/assets', (_request, response) => sendRestError(response, 'NOT_FOUND', 'not found'));
  router.get('/favicon.svg', (_request, response) => {
    response.setHeader('cache-control', 'public, max-age=86400');
    response.sendFile(path.join(directory, 'favicon.svg'));
  });
  return router;
}
