/**
 * Test servers listen on 127.0.0.1, which connectors may only reach through an exact host:port allowlist entry
 * added with allowPrivate. Tests add one per server, through the API as an administrator would; the guard
 * itself stays on everywhere.
 */
import type { DataSource } from 'typeorm';
import { ensureOutboundHost } from '../../src/modules/outbound/outbound-host.service';
import { TEST_ADMIN_HEADERS } from './test-hub';

/** A fixed key for test hubs (SECRETS_KEYS), so spawned processes and the test share it. */
export const TEST_SECRETS_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;

const ADD = 'mutation($input: OutboundHostInput!) { addOutboundHost(input: $input) { id pattern } }';

/** `host:port` of a server URL such as http://127.0.0.1:41234/feeds. */
export function hostOf(url: string): string {
  return new URL(url).host;
}

/** Adds the server at `serverUrl` to the allowlist of the hub whose GraphQL endpoint is `graphqlUrl` (as the test administrator by default). */
export async function allowServer(graphqlUrl: string, serverUrl: string, headers: Record<string, string> = TEST_ADMIN_HEADERS): Promise<void> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: ADD, variables: { input: { pattern: hostOf(serverUrl), allowPrivate: true, note: 'test server' } } }),
  });
  const body = (await response.json()) as { errors?: Array<{ message: string; extensions?: { code?: string } }> };
  // Already there (e.g. a second process of the same test): fine.
  if (body.errors && body.errors[0]?.extensions?.code !== 'CONFLICT') throw new Error(`addOutboundHost failed: ${JSON.stringify(body.errors)}`);
}

/**
 * Adds the server at `serverUrl` to the allowlist directly in the database (before a hub runs), granted to
 * `departments` (none: only connectors an administrator configured may use it).
 */
export async function allowServerIn(dataSource: DataSource, serverUrl: string, departments: string[] = []): Promise<void> {
  await ensureOutboundHost(dataSource, { pattern: hostOf(serverUrl), allowPrivate: true, note: 'test server', departments }, 'test');
}
