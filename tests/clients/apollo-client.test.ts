/**
 * A dashboard built with Apollo Client 4 and its default InMemoryCache, against a real hub: the examples run as
 * they are, entities are normalized by their global ids with no cache configuration, objects that share a code or
 * a database number stay apart, and a mutation's answer updates every cached list that holds the entity.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApolloClient, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { dataOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const EXAMPLES = path.join(__dirname, '..', '..', 'schema', 'examples');
const example = (name: string) => gql(fs.readFileSync(path.join(EXAMPLES, `${name}.graphql`), 'utf8'));

interface PilotModelsData {
  pilotModels: { edges: Array<{ node: { id: string; code: string; status: string; leadDepartment: { id: string; code: string } } }> };
}

describe('Apollo Client 4 with a default InMemoryCache', () => {
  let hub: TestHub;
  let client: ApolloClient;

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    client = new ApolloClient({ link: new HttpLink({ uri: hub.hub.url, headers: hub.headers, fetch }), cache: new InMemoryCache() });
  });
  afterAll(async () => {
    client?.stop();
    await hub?.close();
  });

  it('runs every example as sent by Apollo Client (with __typename added everywhere), within the limits', async () => {
    const files = fs.readdirSync(EXAMPLES).filter((file) => file.endsWith('.graphql'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const result = await client.query({ query: example(path.basename(file, '.graphql')), fetchPolicy: 'network-only' });
      expect({ file, error: result.error?.message }).toEqual({ file, error: undefined });
      expect(Object.keys(result.data as object).length).toBeGreaterThan(0);
    }
  });

  it('normalizes entities by their global ids: one cache entry per model and department, shared by every list', async () => {
    const result = await client.query<PilotModelsData>({ query: example('PilotModels'), fetchPolicy: 'network-only' });
    const models = result.data!.pilotModels.edges.map((edge) => edge.node);
    expect(models).toHaveLength(20);
    const cache = client.extract() as Record<string, { __typename?: string; code?: string }>;
    for (const model of models) expect(cache[`PilotModel:${model.id}`]).toMatchObject({ __typename: 'PilotModel', code: model.code });
    // Models led by one department point at one Department entry.
    const departments = Object.values(cache).filter((entry) => entry.__typename === 'Department');
    expect(new Set(departments.map((entry) => entry.code)).size).toBe(departments.length);
  });

  it('updates a cached list from a mutation\'s answer, without refetching', async () => {
    const before = client.readQuery<PilotModelsData>({ query: example('PilotModels') })!;
    const m05 = before.pilotModels.edges.find((edge) => edge.node.code === 'M05')!.node;
    expect(m05.status).toBe('IN_PROGRESS');
    await client.mutate({
      mutation: gql`mutation { updatePilotModelStatus(code: "M05", status: COMPLETED, note: "Hoàn thành / completed") { id status } }`,
    });
    const after = client.readQuery<PilotModelsData>({ query: example('PilotModels') })!;
    expect(after.pilotModels.edges.find((edge) => edge.node.code === 'M05')!.node.status).toBe('COMPLETED');
  });

  it('keeps the 2024 and 2025 units sharing code 16681, and a connector and a run sharing a database number, apart', async () => {
    const units = await client.query<{ current: { id: string; name: string }; former: { id: string; name: string } }>({
      query: gql`{ current: administrativeUnit(code: "16681") { id name validFrom } former: administrativeUnit(code: "16681", asOf: "2024-06-01") { id name validFrom } }`,
    });
    expect(units.data!.current.name).not.toBe(units.data!.former.name);
    const cache = client.extract() as Record<string, { name?: string }>;
    expect(cache[`AdministrativeUnit:${units.data!.current.id}`].name).toBe(units.data!.current.name);
    expect(cache[`AdministrativeUnit:${units.data!.former.id}`].name).toBe(units.data!.former.name);

    const registered = await dataOf<{ registerConnector: { id: string; databaseId: number } }>(
      hub,
      'mutation { registerConnector(input: { name: "Cache check push", kind: "push", department: "SO_YT", config: {} }) { id databaseId } }',
    );
    const pushed = await dataOf<{ submitObservations: { run: { id: string; databaseId: number } } }>(
      hub,
      'mutation($id: ID!) { submitObservations(connectorId: $id, rows: [{ metric: "KCB_BIOMETRIC_VISITS", unit: "412", period: "2024-06-01", value: 3 }]) { run { id databaseId } } }',
      { id: registered.registerConnector.id },
    );
    const both = await client.query<{ connector: { id: string; name: string }; connectorRun: { id: string; trigger: string } }>({
      query: gql`query($connector: ID!, $run: ID!) { connector(id: $connector) { id name } connectorRun(id: $run) { id trigger } }`,
      variables: { connector: registered.registerConnector.id, run: pushed.submitObservations.run.id },
    });
    expect(both.data!.connector.id).not.toBe(both.data!.connectorRun.id);
    const entries = client.extract() as Record<string, { name?: string; trigger?: string }>;
    expect(entries[`Connector:${both.data!.connector.id}`].name).toBe('Cache check push');
    expect(entries[`ConnectorRun:${both.data!.connectorRun.id}`].trigger).toBe('PUSH');
  });
});
