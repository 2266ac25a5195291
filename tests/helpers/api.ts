import http from 'node:http';
import type { GraphQLResponse, TestHub } from './test-hub';
import { fromGlobalId } from '../../src/graphql/node-id';

export type GraphQLError = NonNullable<GraphQLResponse['errors']>[number];

export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

export interface Page<T> {
  totalCount: number;
  pageInfo: PageInfo;
  edges: Array<{ cursor: string; node: T }>;
}

/** Runs an operation that must succeed and returns its data. */
export async function dataOf<T>(
  hub: TestHub,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<T> {
  const response = await hub.graphql<T>(query, variables, headers);
  expect(response.errors).toBeUndefined();
  expect(response.data).toBeTruthy();
  return response.data!;
}

/** Runs an operation that must fail with exactly one error and returns it. */
export async function errorOf(
  hub: TestHub,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<GraphQLError> {
  const response = await hub.graphql(query, variables, headers);
  expect(response.errors).toHaveLength(1);
  return response.errors![0];
}

/**
 * A header value carrying UTF-8 text: HTTP header values travel as bytes, and fetch only accepts byte strings,
 * so the UTF-8 bytes are passed as a Latin-1 string (what curl or a browser sends for "Sở Y tế").
 */
export function utf8Header(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** Model codes M01 … M38 in catalogue order. */
export const MODEL_CODES = Array.from({ length: 38 }, (_, index) => `M${String(index + 1).padStart(2, '0')}`);

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request to a local server (any method, path and headers; `from` picks the source address), on a connection of its own. */
export function sendRaw(port: number, method: string, path: string, options: { body?: string; headers?: Record<string, string>; from?: string } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sent = http.request({ host: '127.0.0.1', port, method, path, localAddress: options.from, agent: false, headers: options.headers }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    sent.on('error', reject);
    sent.end(options.body);
  });
}

/**
 * The database number behind an id the API answered: a global id (`id` fields) is decoded, a database number
 * (`databaseId`, `runId`, or a number read with SQL) passes through. For tests that read the tables directly.
 */
export function databaseIdOf(id: string | number): number {
  if (typeof id === 'number') return id;
  if (/^\d+$/.test(id)) return Number(id);
  const parsed = fromGlobalId(id);
  if (!parsed) throw new Error(`"${id}" is neither a global id nor a database number`);
  return parsed.key;
}
