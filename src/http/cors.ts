import cors from 'cors';
import type { RequestHandler } from 'express';

/**
 * One entry of CORS_ORIGINS: every origin (`*`), one exact origin (`https://dashboard.nghean.gov.vn`,
 * `http://localhost:5173`), or every subdomain of a domain with one scheme and port (`https://*.nghean.gov.vn`).
 */
export type OriginRule = { kind: 'any' } | { kind: 'exact'; origin: string } | { kind: 'subdomains'; protocol: string; suffix: string; port: string };

const SUBDOMAIN_PATTERN = /^(https?):\/\/\*\.([^/:*]+)(:\d+)?\/?$/i;

function webOrigin(text: string): URL | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function parseOriginRule(entry: string): OriginRule {
  if (entry === '*') return { kind: 'any' };
  const pattern = SUBDOMAIN_PATTERN.exec(entry);
  if (pattern) {
    const [, scheme, domain, port = ''] = pattern;
    const url = webOrigin(`${scheme}://${domain}${port}`);
    if (!url || url.hostname !== domain.toLowerCase() || !url.hostname.includes('.')) {
      throw new Error(`"${entry}": the part after "*." must be a domain with at least two labels, e.g. https://*.nghean.gov.vn`);
    }
    return { kind: 'subdomains', protocol: url.protocol, suffix: `.${url.hostname}`, port: url.port };
  }
  if (entry.includes('*')) throw new Error(`"${entry}": a wildcard is allowed only as the first label of the host, e.g. https://*.nghean.gov.vn`);
  const url = webOrigin(entry);
  if (!url || url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new Error(`"${entry}" is not an origin: scheme http or https, host and optional port, nothing else (e.g. https://dashboard.nghean.gov.vn)`);
  }
  return { kind: 'exact', origin: url.origin };
}

/** CORS_ORIGINS: comma-separated origins, `https://*.domain` patterns, or `*`; empty = no cross-origin access. */
export function parseCorsOrigins(text: string): OriginRule[] {
  const rules = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map(parseOriginRule);
  if (rules.some((rule) => rule.kind === 'any') && rules.length > 1) throw new Error('"*" allows every origin: give it alone');
  return rules;
}

/** Whether a request's Origin header names an origin the rules allow (exactly as browsers send it). */
export function originAllowed(rules: readonly OriginRule[], origin: string | undefined): boolean {
  if (origin === undefined) return false;
  if (rules.some((rule) => rule.kind === 'any')) return true;
  const url = webOrigin(origin);
  if (!url || url.origin !== origin) return false;
  return rules.some((rule) =>
    rule.kind === 'exact'
      ? rule.origin === origin
      : rule.kind === 'subdomains' && url.protocol === rule.protocol && url.port === rule.port && url.hostname.endsWith(rule.suffix) && url.hostname.length > rule.suffix.length,
  );
}

/**
 * Whether a WebSocket upgrade may proceed. Browsers apply no CORS to WebSockets: a page of any origin may open one
 * to the hub (from inside the network, with ANONYMOUS_READ, it would read what anonymous callers are told), so the
 * Origin is checked here: none (not a browser), the hub's own (its host is the request's Host: the console), or
 * one CORS_ORIGINS allows.
 */
export function webSocketOriginAllowed(rules: readonly OriginRule[], headers: { origin?: string; host?: string }): boolean {
  const { origin, host } = headers;
  if (origin === undefined || originAllowed(rules, origin)) return true;
  const url = webOrigin(origin);
  return url !== null && url.origin === origin && host !== undefined && url.host === host.toLowerCase();
}

/** Request headers a browser client of the hub sends: Bearer credentials, JSON, Apollo's CSRF and operation headers, request ids, compressed pushes. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'content-encoding', 'x-request-id', 'apollo-require-preflight', 'x-apollo-operation-name'];
/** Response headers a browser client may read besides the CORS-safelisted ones: rate limits, retries, request ids, download names. */
const EXPOSED_HEADERS = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after', 'x-request-id', 'content-disposition', 'www-authenticate'];
/** How long a browser may reuse a preflight answer (Chromium caps it at two hours). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

function isPreflight(method: string, headers: Record<string, unknown>): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

/**
 * Cross-origin access for the origins of CORS_ORIGINS, on every route (GraphQL, pushes, exports, reports).
 * Mounted before authentication: a preflight carries no credentials, and refusals (401, 429) must carry the CORS
 * headers too, or the browser hides them from the page. Credentials are Bearer headers, never cookies, so
 * `Access-Control-Allow-Credentials` is not sent. A preflight from an unlisted origin is answered 204 with no CORS
 * header (the browser then refuses the request): it is not an authentication failure of the address.
 */
export function crossOriginAccess(rules: readonly OriginRule[]): RequestHandler {
  const any = rules.some((rule) => rule.kind === 'any');
  const allow = cors({
    origin: any ? '*' : (origin, callback) => callback(null, originAllowed(rules, origin)),
    methods: ['GET', 'POST'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_SECONDS,
    optionsSuccessStatus: 204,
  });
  return (request, response, next) => {
    // Answers differ by Origin: caches must key on it (also the answers that carry no CORS header).
    if (!any) response.vary('Origin');
    if (isPreflight(request.method, request.headers) && !originAllowed(rules, request.headers.origin)) {
      response.status(204).end();
      return;
    }
    allow(request, response, next);
  };
}
