import { createHmac } from 'node:crypto';
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

/** Sign-on settings of a test hub that accepts HS256 tokens (spread into startTestHub's `environment`). */
export const TEST_JWT = {
  JWT_ISSUER: 'https://sso.nghean.gov.vn/realms/pilothub',
  JWT_AUDIENCE: 'pilothub-api',
  JWT_SECRET: 'a-shared-secret-of-at-least-32-characters!',
} as const;

/**
 * A token of the TEST_JWT issuer carrying exactly `claims` besides iss and aud (and, unless given, `sub`, `iat`
 * and an `exp` ten minutes ahead): pass `sub: null`, `exp: …` etc. to send hostile claims.
 */
export async function signToken(claims: Record<string, unknown>, secret: string = TEST_JWT.JWT_SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: TEST_JWT.JWT_ISSUER, aud: TEST_JWT.JWT_AUDIENCE, sub: 'nguyen.van.a', iat: now, exp: now + 600, ...claims };
  return signPayloadText(JSON.stringify(payload), secret);
}

/** A correctly signed HS256 token whose payload is exactly this JSON text (e.g. with `"exp":1e400`). */
export function signPayloadText(payload: string, secret: string = TEST_JWT.JWT_SECRET): string {
  const encode = (text: string) => Buffer.from(text).toString('base64url');
  const body = `${encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${encode(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Headers carrying a token of the TEST_JWT issuer with these claims. */
export async function tokenHeaders(claims: Record<string, unknown>): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await signToken(claims)}` };
}
