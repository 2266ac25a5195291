/**
 * GraphQL subscriptions from a test: a graphql-ws client (the package's own createClient over `ws`) connected to a
 * hub on a real port, whose events are collected and waited for with deadlines.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { parseMetrics } from './prometheus-text';
import { TEST_ADMIN_HEADERS } from './test-hub';

export interface Received<T> {
  /** Results received so far (`data` and `errors` as sent). */
  results: Array<{ data?: T | null; errors?: Array<{ message: string; extensions?: { code?: string } }> }>;
  /** Set when the subscription ended: completed by the server, or failed with an error. */
  ended: { completed: boolean; error?: unknown } | null;
  /** Waits (up to `timeoutMs`) for a result matching `predicate`, and returns it. */
  next(predicate?: (data: T) => boolean, timeoutMs?: number): Promise<T>;
  unsubscribe(): void;
}

export interface LiveClient {
  client: Client;
  /** The close event of the socket, once closed (code and reason). */
  closed: () => { code: number; reason: string } | null;
  subscribe<T>(query: string, variables?: Record<string, unknown>): Received<T>;
  /** Waits for the socket to close; returns its close code. */
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** Polls `condition` until it holds (or fails after `timeoutMs`, naming `what`). */
export async function waitFor<T>(what: string, condition: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** ws://…/graphql of a hub's http://…/graphql. */
export function webSocketUrl(graphqlUrl: string): string {
  return graphqlUrl.replace(/^http/, 'ws');
}

/** A graphql-ws client of the hub at `graphqlUrl`, authenticated with `authorization` (default: the test administrator; null: none sent). */
export function liveClient(graphqlUrl: string, authorization: string | null = TEST_ADMIN_HEADERS.authorization): LiveClient {
  let closeEvent: { code: number; reason: string } | null = null;
  const client = createClient({
    url: webSocketUrl(graphqlUrl),
    webSocketImpl: WebSocket,
    connectionParams: authorization === null ? {} : { authorization },
    lazy: false,
    retryAttempts: 0,
    // Errors are seen through `closed` and the sinks.
    onNonLazyError: () => undefined,
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closeEvent = { code, reason: String(reason) };
      },
    },
  });
  return {
    client,
    closed: () => closeEvent,
    subscribe<T>(query: string, variables?: Record<string, unknown>): Received<T> {
      const received: Received<T> = {
        results: [],
        ended: null,
        async next(predicate = () => true, timeoutMs = 30_000) {
          let seen = 0;
          return waitFor(`a subscription event (${query.slice(0, 60)}…)`, () => {
            for (; seen < received.results.length; seen += 1) {
              const data = received.results[seen].data;
              if (data && predicate(data)) {
                seen += 1;
                return { data };
              }
            }
            if (received.ended) throw new Error(`the subscription ended: ${JSON.stringify(received.ended)} after ${JSON.stringify(received.results)}`);
            return null;
          }, timeoutMs).then(({ data }) => data);
        },
        unsubscribe: () => undefined,
      };
      received.unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => received.results.push(result as Received<T>['results'][number]),
          error: (error) => (received.ended = { completed: false, error }),
          complete: () => (received.ended ??= { completed: true }),
        },
      );
      return received;
    },
    waitClosed: (timeoutMs = 30_000) => waitFor('the socket to close', () => closeEvent, timeoutMs),
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** Open subscriptions of `field` on the hub at `graphqlUrl`, from its /metrics (as the administrator, or with `headers`). */
export async function openSubscriptions(graphqlUrl: string, field: string, headers: Record<string, string> = TEST_ADMIN_HEADERS): Promise<number> {
  const response = await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'), { headers });
  const samples = parseMetrics(await response.text());
  return samples.find((sample) => sample.name === 'pilothub_graphql_subscriptions_open' && sample.labels.field === field)?.value ?? 0;
}

/** Waits until the hub serves at least `count` subscriptions of `field` (events published from then on reach them). */
export async function subscribed(graphqlUrl: string, field: string, count = 1, headers: Record<string, string> = TEST_ADMIN_HEADERS): Promise<void> {
  await waitFor(`${count} open ${field} subscription(s)`, async () => (await openSubscriptions(graphqlUrl, field, headers)) >= count);
}
