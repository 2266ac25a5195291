import type { GraphQLResponse, TestHub } from './test-hub';

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
