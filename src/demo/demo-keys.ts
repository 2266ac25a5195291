import type { DataSource } from 'typeorm';
import { ApiKeyService } from '../security/api-key.service';
import { Role } from '../security/principal';

/** Author of the demo keys; every demo start revokes the keys it left before. */
export const DEMO_KEY_AUTHOR = 'demo mode';
/** The department the demo DEPARTMENT_IT key manages: the lead of the demo health connector. */
export const DEMO_DEPARTMENT = 'SO_YT';

export interface DemoKey {
  role: Role;
  departmentCodes: string[];
  key: string;
}

/** Revokes the previous demo keys and creates one fresh key per role. */
export async function issueDemoKeys(dataSource: DataSource): Promise<{ keys: DemoKey[]; revoked: number }> {
  const apiKeys = new ApiKeyService(dataSource);
  const revoked = await apiKeys.revokeCreatedBy(DEMO_KEY_AUTHOR);
  const keys: DemoKey[] = [];
  for (const role of [Role.ADMIN, Role.DEPARTMENT_IT, Role.ANALYST, Role.VIEWER]) {
    const departmentCodes = role === Role.DEPARTMENT_IT ? [DEMO_DEPARTMENT] : [];
    const name = `Demo ${role}${departmentCodes.length > 0 ? ` (${departmentCodes.join(', ')})` : ''}`;
    const { key } = await apiKeys.create({ name, role, departmentCodes }, DEMO_KEY_AUTHOR);
    keys.push({ role, departmentCodes, key });
  }
  return { keys, revoked };
}

/** The start-up banner with the demo keys (printed to stdout, never logged). */
export function demoKeyBanner(keys: readonly DemoKey[], graphqlUrl: string): string {
  const rule = '─'.repeat(100);
  const rows = keys.map(
    (entry) => `   ${entry.role.padEnd(14)} ${entry.key}${entry.departmentCodes.length > 0 ? `   (departments: ${entry.departmentCodes.join(', ')})` : ''}`,
  );
  return [
    rule,
    ' PilotHub demo keys — one per role, new on every start (the previous demo keys are revoked):',
    ...rows,
    ` Try one:  curl -s ${graphqlUrl} -H 'authorization: Bearer <key>' -H 'content-type: application/json' -d '{"query":"{ viewer { name role } }"}'`,
    rule,
    '',
  ].join('\n');
}
