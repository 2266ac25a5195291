/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, `graphql-transport-ws`) on `/graphql`, the path
 * queries and mutations are sent to over HTTP.
 *
 * - Authentication at connection init: `connectionParams: { authorization: "Bearer <API key or token>" }` (a
 *   browser cannot set headers on a WebSocket), resolved exactly as the HTTP `Authorization` header is. Missing or
 *   refused credentials close the connection with 4403 (graphql-ws's Forbidden); failures count against the
 *   address's RATE_LIMIT_AUTH_FAILURES like HTTP 401s, and a blocked address is refused the upgrade with 429. The
 *   credentials are checked again every LIVE_UPDATES_AUTH_RECHECK_SECONDS: a key revoked (or a token expired)
 *   meanwhile closes the connection with 4403; a key whose role or departments changed carries on with the new scope.
 * - Only subscription operations are served here (queries and mutations go over HTTP, with their audit and
 *   deadlines); each is parsed with the token limit and validated with the depth, alias, directive and
 *   introspection rules, its cost and input text checked as over HTTP, and counted against the caller's
 *   RATE_LIMIT_PER_MINUTE. At most LIVE_UPDATES_MAX_SUBSCRIPTIONS run at once on one connection.
 * - Errors are formatted as over HTTP (codes, no internals).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { getOperationAST, GraphQLError, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context, type SubscribePayload } from 'graphql-ws';
import type { Logger } from 'pino';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HubConfig } from '../config';
import { requestContextValue, type ConnectorOperations, type HubContext } from '../graphql/context';
import { nonTextInput, operationCost, validationRules } from '../graphql/limits';
import { rejection } from '../graphql/query-rejection';
import type { HubMetrics } from '../observability/metrics';
import { AuthenticationUnavailable, type Authenticator } from '../security/authentication';
import type { Principal } from '../security/principal';
import type { AuthenticationFailures, LimiterStore } from '../security/rate-limit';

/** Pings a connection this often; a peer that has not answered the previous ping by then is dropped. */
const KEEP_ALIVE_MS = 12_000;

/** What one WebSocket connection knows once it is authenticated. */
interface ConnectionState {
  principal: Principal;
  authorization: string | undefined;
  address: string;
  /** Contexts of its open subscriptions, by operation id. */
  operations: Map<string, HubContext>;
  recheck: NodeJS.Timeout | null;
}

type WsExtra = { socket: WebSocket; request: http.IncomingMessage; state?: ConnectionState };

export interface SubscriptionServerOptions {
  config: HubConfig;
  dataSource: DataSource;
  schema: GraphQLSchema;
  authenticator: Authenticator;
  failures: AuthenticationFailures;
  limiterStore: LimiterStore;
  metrics: HubMetrics;
  logger: Logger;
  connectors?: ConnectorOperations;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The client address of an upgrade request (TRUST_PROXY applied), as HTTP requests are counted. */
  addressOf: (request: http.IncomingMessage) => string;
}

export interface SubscriptionServer {
  /** Closes every connection (1001 Going Away: the client reconnects elsewhere) and stops accepting upgrades. */
  close(): Promise<void>;
}

function refuseUpgrade(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ errors: [{ message: reason, extensions: { code: status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : 'BAD_REQUEST' } }] });
  const lines = [`HTTP/1.1 ${status} ${status === 429 ? 'Too Many Requests' : status === 404 ? 'Not Found' : 'Bad Request'}`, 'Connection: close', 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}

function error(code: string, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code, ...extensions } });
}

/** What checking a subscription operation needs, built once. */
interface OperationChecks {
  schema: GraphQLSchema;
  rules: ValidationRule[];
  pages: { defaultPageSize: number; maxPageSize: number };
  rateLimiter: RateLimiterAbstract | null;
  metrics: HubMetrics;
}

/**
 * A subscription operation of an authenticated connection, checked as an HTTP operation is (rate limit, token
 * limit, validation rules, input text, cost) and with its context; or the errors that refuse it.
 */
async function checkedOperation(
  options: SubscriptionServerOptions,
  { schema, rules, pages, rateLimiter, metrics }: OperationChecks,
  state: ConnectionState,
  id: string,
  payload: SubscribePayload,
): Promise<ExecutionArgs | readonly GraphQLError[]> {
  const { config } = options;
  const limits = config.graphql;
  const live = config.live;
  if (state.operations.size >= live.maxSubscriptions) {
    return [error('TOO_MANY_SUBSCRIPTIONS', `at most ${live.maxSubscriptions} subscriptions at once on one connection (LIVE_UPDATES_MAX_SUBSCRIPTIONS)`, { limit: { setting: 'LIVE_UPDATES_MAX_SUBSCRIPTIONS', maximum: live.maxSubscriptions } })];
  }
  if (rateLimiter) {
    const key = state.principal.subject === 'anonymous' ? `ip:${state.address}` : `subject:${state.principal.subject}`;
    try {
      await rateLimiter.consume(key);
    } catch (refusal) {
      if (refusal instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
        metrics.rateLimited.inc({ limit: 'minute' });
        return [error('RATE_LIMITED', `rate limit exceeded: at most ${config.rateLimit.perMinute} subscriptions started per minute for this caller; retry in ${retryAfter} s`, { retryAfterSeconds: retryAfter })];
      }
    }
  }
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens: limits.maxTokens });
  } catch (problem) {
    return [problem instanceof GraphQLError ? problem : error('GRAPHQL_PARSE_FAILED', String(problem))];
  }
  const operation = getOperationAST(document, payload.operationName ?? undefined);
  if (!operation) return [error('BAD_REQUEST', 'the document has no operation of that name (or several operations and no operationName)')];
  if (operation.operation !== 'subscription') {
    return [error('BAD_REQUEST', `only subscriptions are served on the WebSocket; send ${operation.operation === 'query' ? 'queries' : 'mutations'} over HTTP (POST /graphql)`)];
  }
  const invalid = validate(schema, document, rules);
  if (invalid.length > 0) return invalid;
  const request = { operationName: payload.operationName ?? undefined, variables: payload.variables ?? undefined };
  const badText = nonTextInput({ document, request });
  if (badText) return [badText];
  const cost = operationCost(schema, { document, request }, pages);
  if (cost !== undefined && cost > limits.maxCost) {
    return [rejection('QUERY_TOO_COMPLEX', 'estimated cost', { setting: 'GRAPHQL_MAX_COST', maximum: limits.maxCost, actual: Number.isFinite(cost) ? cost : undefined })];
  }
  const contextValue = requestContextValue({
    dataSource: options.dataSource,
    config,
    principal: state.principal,
    actor: state.principal.name,
    requestId: `ws:${id}`,
    clientIp: state.address,
    connectors: options.connectors,
    apiKeys: options.authenticator.apiKeys,
  });
  state.operations.set(id, contextValue);
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
}

/**
 * One WebSocket connection served by graphql-ws: graphql-ws's `useServer` for `ws` (graphql-ws/use/ws), with
 * the hub's logger instead of the console, and keep-alive pings (a peer that does not answer is dropped).
 */
function serveSocket(
  server: ReturnType<typeof makeServer<Record<string, unknown> | undefined, WsExtra>>,
  socket: WebSocket,
  request: http.IncomingMessage,
  logger: Logger,
  ended: (extra: WsExtra) => void,
): void {
  socket.once('error', (problem) => socket.close(CloseCode.InternalServerError, String(problem).slice(0, 100)));
  let pong = true;
  const keepAlive = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    if (!pong) {
      socket.terminate();
      return;
    }
    pong = false;
    socket.ping();
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  socket.on('pong', () => (pong = true));
  const extra: WsExtra = { socket, request };
  const closed = server.opened(
    {
      protocol: socket.protocol,
      send: (data) =>
        new Promise((resolve, reject) => {
          if (socket.readyState !== socket.OPEN) return resolve();
          socket.send(data, (problem) => (problem ? reject(problem) : resolve()));
        }),
      close: (code, reason) => socket.close(code, reason),
      onMessage: (handle) =>
        socket.on('message', (data) => {
          handle(String(data)).catch((problem: unknown) => {
            logger.warn({ err: problem }, 'a subscription message could not be handled');
            socket.close(CloseCode.InternalServerError, 'Internal server error');
          });
        }),
    },
    extra,
  );
  socket.once('close', (code, reason) => {
    clearInterval(keepAlive);
    ended(extra);
    void closed(code, String(reason));
  });
}

/** Closes every connection with 1001 Going Away (those that do not close within 2 s are dropped), then the server. */
async function closeConnections(wss: WebSocketServer): Promise<void> {
  for (const client of wss.clients) client.close(1001, 'Going away: the server is shutting down');
  await new Promise<void>((resolve) => {
    const deadline = setTimeout(() => {
      for (const client of wss.clients) client.terminate();
      resolve();
    }, 2_000);
    deadline.unref();
    const check = () => {
      if (wss.clients.size === 0) {
        clearTimeout(deadline);
        resolve();
      } else setTimeout(check, 20).unref();
    };
    check();
  });
  await new Promise<void>((resolve) => wss.close(() => resolve()));
}

/** Hands upgrade requests to /graphql to graphql-ws; refuses others, and addresses blocked for failed authentications (429). */
function upgradeHandler(
  wss: WebSocketServer,
  live: HubConfig['live'],
  failures: AuthenticationFailures,
  addressOf: (request: http.IncomingMessage) => string,
  basePath: string,
): (request: http.IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (request, socket, head) => {
    const path = (request.url ?? '').split('?')[0];
    // Behind a proxy that keeps PUBLIC_BASE_PATH, as HTTP requests are answered with it kept.
    if (path !== '/graphql' && path !== `${basePath}/graphql`) {
      refuseUpgrade(socket, 404, 'not found: subscriptions are served on /graphql');
      return;
    }
    if (live.maxSubscriptions === 0) {
      refuseUpgrade(socket, 400, 'subscriptions are turned off on this server (LIVE_UPDATES_MAX_SUBSCRIPTIONS=0)');
      return;
    }
    const wait = failures.blocked(addressOf(request));
    if (wait > 0) {
      refuseUpgrade(socket, 429, `too many failed authentications from this address; retry in ${wait} s`, { 'Retry-After': String(wait) });
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
}

/** Serves graphql-ws on the `upgrade` requests of `httpServer` to /graphql. */
export function startSubscriptionServer(httpServer: http.Server, options: SubscriptionServerOptions): SubscriptionServer {
  const { config, schema, authenticator, failures, metrics, logger } = options;
  const limits = config.graphql;
  const live = config.live;
  const rules = [...specifiedRules, ...validationRules(limits)];
  const pages = { defaultPageSize: config.defaultPageSize, maxPageSize: config.maxPageSize };
  const rateLimiter: RateLimiterAbstract | null =
    config.rateLimit.perMinute > 0 ? options.limiterStore.limiter({ keyPrefix: 'subscribe', points: config.rateLimit.perMinute, duration: 60 }) : null;
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxBodyBytes, handleProtocols: (protocols) => handleProtocols(protocols) });
  const states = new Set<ConnectionState>();

  const format = (errors: readonly GraphQLError[]) => errors.map((item) => options.formatError(item.toJSON(), item));

  const endState = (state: ConnectionState) => {
    if (state.recheck) clearInterval(state.recheck);
    state.recheck = null;
    state.operations.clear();
    if (states.delete(state)) metrics.subscriptionConnections.dec();
  };

  /** Checks the connection's credentials again: revoked or expired ends it, a changed scope applies from now on. */
  const recheck = async (state: ConnectionState, socket: WebSocket) => {
    try {
      const result = await authenticator.authenticate(state.authorization);
      if ('principal' in result) {
        if (result.principal !== state.principal) {
          state.principal = result.principal;
          for (const context of state.operations.values()) Object.assign(context, { principal: result.principal, actor: result.principal.name });
        }
        return;
      }
      logger.info({ reason: result.refused, clientIp: state.address }, 'subscription connection closed: its credentials are no longer valid');
      socket.close(CloseCode.Forbidden, 'Forbidden: the credentials are no longer valid');
    } catch (problem) {
      // The database cannot be reached: the connection carries on until the next check.
      if (!(problem instanceof AuthenticationUnavailable)) logger.warn({ err: problem }, 'subscription credentials could not be checked again');
    }
  };

  const server = makeServer<Record<string, unknown> | undefined, WsExtra>({
    schema,
    connectionInitWaitTimeout: 10_000,
    async onConnect(ctx: Context<Record<string, unknown> | undefined, WsExtra>) {
      const { socket, request } = ctx.extra;
      const address = options.addressOf(request);
      const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
      const authorization = typeof given === 'string' ? given : undefined;
      let result;
      try {
        result = await authenticator.authenticate(authorization);
      } catch (problem) {
        if (problem instanceof AuthenticationUnavailable) {
          socket.close(1013, 'Try again later: the credentials cannot be checked now');
          return false;
        }
        throw problem;
      }
      if (!('principal' in result)) {
        const verdict = await failures.fail(address);
        if (verdict.first && !verdict.limited) logger.warn({ reason: result.refused, clientIp: address }, 'subscription connection refused: not authenticated');
        if (verdict.limited) socket.close(CloseCode.TooManyInitialisationRequests, `Too many failed authentications from this address; retry in ${verdict.retryAfterSeconds} s`);
        return false;
      }
      const state: ConnectionState = { principal: result.principal, authorization, address, operations: new Map(), recheck: null };
      state.recheck = setInterval(() => void recheck(state, socket), live.authRecheckMs);
      state.recheck.unref();
      ctx.extra.state = state;
      states.add(state);
      metrics.subscriptionConnections.inc();
      return true;
    },
    onSubscribe: (ctx, id, payload) => {
      const state = ctx.extra.state;
      if (!state) return [error('UNAUTHENTICATED', 'authentication required')];
      return checkedOperation(options, { schema, rules, pages, rateLimiter, metrics }, state, id, payload);
    },
    onNext(_ctx, _id, _payload, _args, result: ExecutionResult) {
      if (!result.errors) return undefined;
      return { ...result, errors: format(result.errors) };
    },
    onError(_ctx, _id, _payload, errors) {
      return format(errors);
    },
    onComplete(ctx, id) {
      ctx.extra.state?.operations.delete(id);
    },
  });

  wss.on('connection', (socket: WebSocket, request: http.IncomingMessage) =>
    serveSocket(server, socket, request, logger, (extra) => {
      if (extra.state) endState(extra.state);
    }),
  );

  const onUpgrade = upgradeHandler(wss, live, failures, options.addressOf, config.http.publicBasePath);
  httpServer.on('upgrade', onUpgrade);

  return {
    async close() {
      httpServer.off('upgrade', onUpgrade);
      await closeConnections(wss);
      for (const state of states) endState(state);
    },
  };
}
