/**
 * The run lock is a lease: a process whose run was closed by another one (its heartbeat was stale: the process
 * was stalled, not dead) stops that run at its next heartbeat, and never overwrites how the run was closed, so two
 * runs of one connector never go on side by side. In-process hub, a real paged HTTP feed; both databases.
 */
import http from 'node:http';
import type net from 'node:net';
import { Writable } from 'node:stream';
import { markInterruptedRuns } from '../../src/scheduler/interrupted-runs';
import { dataOf, databaseIdOf } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

const PAGES = 20;
const PAGE_MS = 250;
const MAPPING = { metric: { constant: 'KCB_BIOMETRIC_VISITS' }, unit: { field: 'communeCode' }, period: { field: 'date' }, value: { field: 'visits' } };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Run = { id: string; status: string; errorClass: string | null; summary: { fetched: number } };

describe('a run closed by another process stops', () => {
  let hub: TestHub;
  let server: http.Server;
  let url: string;
  const lines: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // Page N (1-20) holds two rows of day N of May 2024, after PAGE_MS; page 21 is empty.
    server = http.createServer((request, response) => {
      const page = Number(new URL(request.url ?? '/', 'http://feed').searchParams.get('page') ?? 1);
      const day = String(page).padStart(2, '0');
      const rows = page > PAGES ? [] : ['412', '413'].map((communeCode) => ({ communeCode, date: `2024-05-${day}`, visits: page }));
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: rows })), PAGE_MS);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const logDestination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    hub = await startTestHub({ environment: { RUN_HEARTBEAT_SECONDS: '0.2' }, allowServers: [url], logDestination });
  });

  afterAll(async () => {
    await hub?.close();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  const runOf = async (id: string) => (await dataOf<{ connectorRun: Run }>(hub, `{ connectorRun(id: "${id}") { id status errorClass summary { fetched } } }`)).connectorRun;

  it('stops at its next heartbeat, keeps INTERRUPTED, and the next run reads alone', async () => {
    const { registerConnector } = await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation($input: ConnectorInput!) { registerConnector(input: $input) { id } }', {
      input: { name: 'Paged slow feed', kind: 'http-json', department: 'SO_YT', schedule: '0 0 1 1 *', config: { url: `${url}/visits`, recordsPath: 'data', pagination: { type: 'page', pageParam: 'page' } }, mapping: MAPPING },
    });
    const id = registerConnector.id;
    const first = (await dataOf<{ runConnector: Run }>(hub, `mutation { runConnector(id: "${id}", wait: false) { id status errorClass summary { fetched } } }`)).runConnector;
    for (const deadline = Date.now() + 30_000; (await runOf(first.id)).summary.fetched === 0; await sleep(50)) {
      if (Date.now() > deadline) throw new Error('the first run stored nothing within 30 s');
    }
    // Another process's sweep closes the run, as it does for a run whose heartbeat is stale.
    const [owner] = (await hub.dataSource.query('SELECT owner FROM connector_run WHERE id = ?', [databaseIdOf(first.id)])) as Array<{ owner: string }>;
    expect(await markInterruptedRuns(hub.dataSource, { owner: owner.owner })).toBe(1);
    // The connector's lock is free: a new run starts.
    const second = (await dataOf<{ runConnector: Run }>(hub, `mutation { runConnector(id: "${id}", wait: true) { id status errorClass summary { fetched } } }`)).runConnector;
    expect(second).toMatchObject({ status: 'SUCCEEDED', summary: { fetched: 2 * PAGES } });

    // The first run stopped (it said so, naming the connector and the run) and was not written over.
    for (const deadline = Date.now() + 30_000; !lines.some((line) => line.runId === databaseIdOf(first.id) && typeof line.durationMs === 'number'); await sleep(50)) {
      if (Date.now() > deadline) throw new Error('the first run did not end within 30 s');
    }
    expect(lines.filter((line) => String(line.msg).startsWith('connector run closed by another hub process'))).toEqual([
      expect.objectContaining({ connectorId: databaseIdOf(id), connector: 'Paged slow feed', runId: databaseIdOf(first.id) }),
    ]);
    const closed = await runOf(first.id);
    expect(closed).toMatchObject({ status: 'INTERRUPTED', errorClass: 'INTERNAL' });
    expect(closed.summary.fetched).toBeLessThan(2 * PAGES);
  });
});
