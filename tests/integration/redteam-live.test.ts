/**
 * Attacks on the live updates from outside (graphql-ws on /graphql): credentials revoked between two periodic
 * checks, the WebSocket behind a proxy that forwards PUBLIC_BASE_PATH, and pages of other origins (browsers apply
 * no CORS to WebSockets).
 */
import { Role } from '../../src/security/principal';
import { dataOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import WebSocket from 'ws';
import { liveClient, openSubscriptions, subscribed, waitFor, webSocketUrl, type LiveClient } from '../helpers/subscriptions';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const OBSERVATIONS = 'subscription { observationsChanged { committedAt metrics { metric } } }';
const FRESHNESS = 'subscription { freshnessChanged { metric { code } } }';

describe('live updates under attack', () => {
  let hub: TestHub;
  const clients: LiveClient[] = [];
  const open = (authorization: string, url = hub.hub.url) => {
    const client = liveClient(url, authorization);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    // Periodic checks far apart: only the check at each subscription's start can catch a revoked key.
    hub = await startTestHub({ environment: { LIVE_UPDATES_AUTH_RECHECK_SECONDS: '3600', LIVE_UPDATES_POLL_MS: '100', PUBLIC_BASE_PATH: '/hub', ANONYMOUS_READ: 'true', CORS_ORIGINS: 'https://dashboard.example' } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await hub.close();
  });

  it('a key revoked while its connection stays open starts no further subscription (the connection ends with 4403)', async () => {
    const key = await createKey(hub, Role.ANALYST, [], 'redteam revoked');
    const client = open(key.headers.authorization);
    const first = client.subscribe(OBSERVATIONS);
    await subscribed(hub.hub.url, 'observationsChanged');
    await dataOf(hub, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: key.id });
    const second = client.subscribe(FRESHNESS);
    const closed = await client.waitClosed(20_000);
    expect(closed.code).toBe(4403);
    expect(second.results.filter((result) => result.data)).toEqual([]);
    expect(first.results.filter((result) => result.data)).toEqual([]);
  });

  it('serves subscriptions on <PUBLIC_BASE_PATH>/graphql, as it serves HTTP requests there', async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
    await waitFor('no open subscription', async () => (await openSubscriptions(hub.hub.url, 'observationsChanged')) === 0);
    const client = open((await createKey(hub, Role.ANALYST, [], 'redteam base path')).headers.authorization, hub.hub.url.replace(/\/graphql$/, '/hub/graphql'));
    client.subscribe(OBSERVATIONS);
    await subscribed(hub.hub.url, 'observationsChanged');
    expect(client.closed()).toBeNull();
    // Other paths under the prefix are still refused.
    const other = open((await createKey(hub, Role.ANALYST, [], 'redteam other path')).headers.authorization, hub.hub.url.replace(/\/graphql$/, '/hub/other'));
    other.subscribe(OBSERVATIONS);
    await waitFor('the refusal of /hub/other', () => other.closed());
  });

  it('a page of another origin cannot open the socket (anonymous reads stay the hub’s pages’ and CORS_ORIGINS’); no Origin, the hub’s own and listed ones can', async () => {
    const upgrade = (origin?: string) =>
      new Promise<number | 'open'>((resolve) => {
        const socket = new WebSocket(webSocketUrl(hub.hub.url), 'graphql-transport-ws', origin === undefined ? {} : { origin });
        socket.on('open', () => {
          resolve('open');
          socket.close();
        });
        socket.on('unexpected-response', (request, response) => {
          resolve(response.statusCode ?? 0);
          request.destroy();
        });
        socket.on('error', () => undefined);
      });
    expect(await upgrade('https://evil.example')).toBe(403);
    expect(await upgrade('null')).toBe(403);
    expect(await upgrade(`http://127.0.0.1:${hub.hub.port}.evil.example`)).toBe(403);
    expect(await upgrade(`http://127.0.0.1:${hub.hub.port}`)).toBe('open');
    expect(await upgrade('https://dashboard.example')).toBe('open');
    expect(await upgrade()).toBe('open');
  });
});
