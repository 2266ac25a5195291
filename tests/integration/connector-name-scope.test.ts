/**
 * Connector names are unique within a department, not across the hub: with a hub-wide check, a department's IT
 * caller could learn the names of other departments' connectors by trying names (a CONFLICT answered "a connector
 * named … exists" for a connector it may not see).
 */
import { Role } from '../../src/security/principal';
import { createKey, TEST_JWT, tokenHeaders } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const REGISTER = `mutation($name: String!, $department: String!) {
  registerConnector(input: { name: $name, kind: "push", department: $department, config: {} }) { id name department { code } }
}`;
const RENAME = `mutation($id: ID!, $name: String!) { updateConnector(id: $id, input: { name: $name }) { id name } }`;

describe('connector names and department scope', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ environment: { ...TEST_JWT } });
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  const register = (name: string, department: string, headers?: Record<string, string>) =>
    hub.graphql<{ registerConnector: { id: string; name: string; department: { code: string } } }>(REGISTER, { name, department }, headers);

  test.each([
    ['API key', async () => (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'])).headers],
    ['token', async () => tokenHeaders({ sub: 'it.yt', pilothub_role: 'DEPARTMENT_IT', pilothub_departments: ['SO_YT'] })],
  ])('a health IT caller (%s) cannot tell which names other departments use; its own names stay unique', async (how, headersOf) => {
    const headers = await headersOf();
    const justiceNames = [`Sở Tư pháp — công chứng (${how})`, `Sở Tư pháp — hộ tịch (${how})`];
    for (const name of justiceNames) expect((await register(name, 'SO_TP')).errors).toBeUndefined();

    // A name used by the justice department is as free to the health team as a name nobody uses.
    const taken = await register(justiceNames[0], 'SO_YT', headers);
    expect(taken.errors).toBeUndefined();
    expect(taken.data!.registerConnector).toMatchObject({ name: justiceNames[0], department: { code: 'SO_YT' } });
    const own = await register(`Sở Y tế — đẩy (${how})`, 'SO_YT', headers);
    expect(own.errors).toBeUndefined();
    const renamed = await hub.graphql<{ updateConnector: { name: string } }>(RENAME, { id: own.data!.registerConnector.id, name: justiceNames[1] }, headers);
    expect(renamed.errors).toBeUndefined();
    expect(renamed.data!.updateConnector.name).toBe(justiceNames[1]);

    // Within its department a name is still unique, for registering and for renaming.
    const twice = await register(justiceNames[0], 'SO_YT', headers);
    expect(twice.errors?.map((error) => [error.extensions?.code, error.extensions?.field, error.message])).toEqual([
      ['CONFLICT', 'input.name', `this department already has a connector named "${justiceNames[0]}"`],
    ]);
    const renamedAgain = await hub.graphql(RENAME, { id: own.data!.registerConnector.id, name: justiceNames[0] }, headers);
    expect(renamedAgain.errors?.map((error) => error.extensions?.code)).toEqual(['CONFLICT']);
  });
});
