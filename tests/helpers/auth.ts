import { Role } from '../../src/security/principal';
import { dataOf } from './api';
import type { TestHub } from './test-hub';

export interface CreatedKey {
  id: string;
  key: string;
  /** `{ authorization: 'Bearer <key>' }`, to pass to hub.graphql or spread into a raw request. */
  headers: Record<string, string>;
}

const CREATE_API_KEY = `mutation($input: ApiKeyInput!) { createApiKey(input: $input) { key apiKey { id } } }`;

/** Creates an API key of `role` (scoped to `departmentCodes` for DEPARTMENT_IT) as the test administrator. */
export async function createKey(hub: TestHub, role: Role, departmentCodes: string[] = [], name = `${role} ${departmentCodes.join(',')}`.trim()): Promise<CreatedKey> {
  const data = await dataOf<{ createApiKey: { key: string; apiKey: { id: string } } }>(hub, CREATE_API_KEY, {
    input: { name, role, departmentCodes },
  });
  const { key, apiKey } = data.createApiKey;
  return { id: apiKey.id, key, headers: { authorization: `Bearer ${key}` } };
}

/** Headers of a new key of `role`. */
export async function keyHeaders(hub: TestHub, role: Role, departmentCodes: string[] = []): Promise<Record<string, string>> {
  return (await createKey(hub, role, departmentCodes)).headers;
}
