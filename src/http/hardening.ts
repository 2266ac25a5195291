import http from 'node:http';
import type { Socket } from 'node:net';
import type { Express, RequestHandler } from 'express';
import helmet from 'helmet';
import type { HubConfig } from '../config';

/** One year: the usual HSTS lifetime. */
const HSTS_MAX_AGE_SECONDS = 31_536_000;

/**
 * Security headers on every response (helmet): `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and
 * CSP `frame-ancestors 'none'` (no page may frame the hub), `Referrer-Policy: no-referrer`, and helmet's
 * cross-origin isolation defaults. The CSP here holds only `frame-ancestors` (API answers run no code); the
 * console's and GraphiQL's pages carry their own strict policy (src/http/console.ts). `Strict-Transport-Security` only when TRUST_PROXY is set and the request came over
 * https (X-Forwarded-Proto from a trusted proxy): the hub itself speaks plain HTTP, so without a TLS proxy the
 * header would be a lie (and is ignored by browsers on http anyway).
 */
export function securityHeaders(config: Pick<HubConfig, 'http'>): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: helmet.contentSecurityPolicy.dangerouslyDisableDefaultSrc, frameAncestors: ["'none'"] },
    },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: false,
  });
  const behindProxy = config.http.trustProxy !== false;
  return (request, response, next) => {
    if (behindProxy && request.secure) response.setHeader('strict-transport-security', `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`);
    headers(request, response, next);
  };
}

/**
 * Caps the connections open at once from one client address (HTTP_MAX_CONNECTIONS_PER_ADDRESS): past the cap a
 * new connection is closed at once, before any byte of it is read, so slow clients from one address cannot hold
 * every file descriptor of the process. Trusted proxies (TRUST_PROXY) are not capped: every client behind them
 * shares their address. 0 turns the cap off.
 */
export function limitConnectionsPerAddress(server: http.Server, cap: number, trusted: (address: string, hop: number) => boolean): void {
  if (cap <= 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || trusted(address, 0)) return;
    const count = (open.get(address) ?? 0) + 1;
    if (count > cap) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/**
 * The HTTP server of the app. Slow clients are cut off: headers within HTTP_HEADERS_TIMEOUT_SECONDS, the whole
 * request within HTTP_REQUEST_TIMEOUT_SECONDS, both checked every second (Node's default check runs every 30 s).
 * Idle keep-alive connections outlive the clients' and balancers' pools (Node's 5 s default races them: a reset
 * request). Connections per client address are capped ({@link limitConnectionsPerAddress}) by the app's
 * `trust proxy` setting.
 */
export function createHttpServer(config: Pick<HubConfig, 'http'>, app: Express): http.Server {
  const server = http.createServer(
    {
      headersTimeout: config.http.headersTimeoutMs,
      requestTimeout: config.http.requestTimeoutMs,
      keepAliveTimeout: config.http.keepAliveTimeoutMs,
      connectionsCheckingInterval: 1_000,
    },
    app,
  );
  limitConnectionsPerAddress(server, config.http.maxConnectionsPerAddress, app.get('trust proxy fn') as (address: string, hop: number) => boolean);
  return server;
}
