/**
 * testConnector against a source that accepts connections and never answers, and against a closed port: the
 * answer is `ok: false` naming the source problem (a timeout, a refused connection), within the test's limit,
 * for every pulled kind; never an INTERNAL_SERVER_ERROR. Real TCP servers on 127.0.0.1; both databases.
 */
import net from 'node:net';
import { startTestHub, type TestHub } from '../helpers/test-hub';

interface Silent {
  url: string;
  port: number;
  sockets: Set<net.Socket>;
  /** Connections accepted so far. */
  accepted: () => number;
  close(): Promise<void>;
}

/** A TCP server that accepts every connection and never writes a byte. */
async function silentServer(): Promise<Silent> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sockets,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };

function inputs(base: string, port: number): Array<{ kind: string; config: Record<string, unknown>; secrets?: Array<{ name: string; value: string }> }> {
  return [
    { kind: 'http-json', config: { url: `${base}/visits`, recordsPath: 'data' } },
    { kind: 'csv', config: { source: { url: `${base}/visits.csv` } } },
    { kind: 'dhis2', config: { baseUrl: base, dataSet: 'BfMAe6Itzgt' }, secrets: [{ name: 'token', value: 'd2pat_test' }] },
    { kind: 'sql', config: { host: '127.0.0.1', port, database: 'feeds', user: 'reader', query: 'SELECT day, visits FROM visits WHERE day BETWEEN :from AND :to' }, secrets: [{ name: 'password', value: 'pw' }] },
  ];
}

type Tested = { testConnector: { ok: boolean; message: string } };

async function testEach(hub: TestHub, base: string, port: number, label: string): Promise<Array<{ kind: string; ms: number; ok?: boolean; message?: string; errors?: unknown }>> {
  const results = [];
  for (const [index, input] of inputs(base, port).entries()) {
    const registered = await hub.graphql<{ registerConnector: { id: string } }>(
      'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }',
      { input: { name: `${label} ${index} ${input.kind}`, kind: input.kind, department: 'SO_YT', schedule: '0 0 1 1 *', config: input.config, mapping: MAPPING, ...(input.secrets ? { secrets: input.secrets } : {}) } },
    );
    expect(registered.errors).toBeUndefined();
    const started = Date.now();
    const tested = await hub.graphql<Tested>(`mutation { testConnector(id: "${registered.data!.registerConnector.id}") { ok message } }`);
    results.push({ kind: input.kind, ms: Date.now() - started, ok: tested.data?.testConnector.ok, message: tested.data?.testConnector.message, errors: tested.errors });
  }
  return results;
}

describe('testConnector on a source that hangs or refuses', () => {
  let hub: TestHub;
  let silent: Silent;
  let closed: number;

  beforeAll(async () => {
    silent = await silentServer();
    closed = await closedPort();
    // CONNECTOR_TIMEOUT_SECONDS is longer than the request may last: the test keeps within GRAPHQL_TIMEOUT_SECONDS.
    hub = await startTestHub({ environment: { CONNECTOR_TIMEOUT_SECONDS: '120', GRAPHQL_TIMEOUT_SECONDS: '4' }, allowServers: [silent.url, `http://127.0.0.1:${closed}`] });
  });

  afterAll(async () => {
    await hub?.close();
    await silent?.close();
  });

  it('answers ok: false with a timeout message within the request limit when the source accepts and never answers', async () => {
    const results = await testEach(hub, silent.url, silent.port, 'Silent');
    for (const result of results) {
      expect({ kind: result.kind, errors: result.errors, ok: result.ok }).toEqual({ kind: result.kind, errors: undefined, ok: false });
      expect(`${result.kind}: ${result.message}`).toMatch(/time(d)? ?out|no complete response|did not answer/i);
      // Within the GraphQL limit (4 s), answered before it, with room for a busy machine.
      expect(result.ms).toBeLessThan(4_000 + 2_000);
    }
    console.log(`silent source: ${results.map((result) => `${result.kind} ${result.ms} ms`).join(', ')}`);
    // Each kind really connected (the hub did not give up before trying).
    expect(silent.accepted()).toBeGreaterThanOrEqual(results.length);
  }, 60_000);

  it('answers ok: false naming the refused connection on a closed port', async () => {
    const results = await testEach(hub, `http://127.0.0.1:${closed}`, closed, 'Closed');
    for (const result of results) {
      expect({ kind: result.kind, errors: result.errors, ok: result.ok }).toEqual({ kind: result.kind, errors: undefined, ok: false });
      expect(`${result.kind}: ${result.message}`).toMatch(/refused|ECONNREFUSED/i);
      expect(result.ms).toBeLessThan(4_000);
    }
  }, 60_000);
});
