import { gzipSync } from 'node:zlib';
import { dataOf, databaseIdOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

/**
 * POST /ingest/<id> reads its body as a stream and applies its limits while reading: bodies built to be expensive
 * to parse (a few KB of gzip holding ten million rows, a header of millions of columns) are refused as soon as they
 * break a limit, and the process keeps answering meanwhile. The CPU bound tells a refusal at the limit (0.2–0.4 s) from
 * a body read in full (over 10 s for the gzip bomb); latency figures are the liveness bench's.
 */
describe('push bodies are limited while they are read', () => {
  let hub: TestHub;
  let connectorId: string;
  let url: string;

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
    const registered = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "push limits", kind: "push", department: "SO_YT", config: { maxRowsPerPush: 3 } }) { id } }',
    );
    connectorId = registered.registerConnector.id;
    url = hub.hub.url.replace('/graphql', `/ingest/${connectorId}`);
  });
  afterAll(async () => {
    await hub.close();
  });

  /**
   * Runs `work` while GET /healthz is asked every 250 ms, each probe expected to answer 200. `cpuMs` is the CPU time
   * this process (which serves the hub) spent while the work ran: a body read in full before being refused (ten
   * million CSV rows, two million header fields) costs seconds of CPU, a refusal at the limit a few hundred milliseconds.
   * CPU time, unlike the probes' latency or the event loop's delay, does not grow when other processes load the
   * machine: a run of the whole suite at load 7 stretched the event-loop delay of a refusal at the limit to 3.4 s.
   */
  const CPU_BOUND_MS = 2_000;
  async function whileProbing<T>(work: () => Promise<T>): Promise<{ result: T; cpuMs: number }> {
    const health = `http://127.0.0.1:${hub.hub.port}/healthz`;
    let running = true;
    let probes = 0;
    const probing = (async () => {
      while (running) {
        const response = await fetch(health);
        await response.arrayBuffer();
        expect(response.status).toBe(200);
        probes += 1;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    const started = process.cpuUsage();
    let result: T;
    try {
      result = await work();
    } finally {
      running = false;
    }
    const used = process.cpuUsage(started);
    await probing;
    expect(probes).toBeGreaterThan(0);
    return { result, cpuMs: (used.user + used.system) / 1000 };
  }

  type RestErrors = Array<{ message: string; extensions: { code: string; field?: string } }>;
  async function push(body: Buffer | string, headers: Record<string, string>, id = connectorId): Promise<{ status: number; errors?: RestErrors }> {
    const response = await fetch(url.replace(/\/ingest\/[^/]+$/, `/ingest/${id}`), { method: 'POST', headers: { ...hub.headers, ...headers }, body });
    const answer = (await response.json()) as { errors?: RestErrors };
    return { status: response.status, errors: answer.errors };
  }

  const runsOf = async (id: string) =>
    Number(((await hub.dataSource.query(`SELECT COUNT(*) AS n FROM connector_run WHERE connectorId = ${databaseIdOf(id)}`)) as Array<{ n: number | string }>)[0].n);

  it('refuses a 20 KB gzip CSV of ten million rows at the connector row limit, answering /healthz meanwhile', async () => {
    const defaultLimit = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "push default limit", kind: "push", department: "SO_YT", config: {} }) { id } }',
    );
    const id = defaultLimit.registerConnector.id;
    const bomb = gzipSync(Buffer.concat([Buffer.from('metric\n'), Buffer.alloc(2 * 10_000_000, '1\n')]), { level: 9 });
    expect(bomb.length).toBeLessThan(40_000);
    const { result, cpuMs } = await whileProbing(() => push(bomb, { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, id));
    expect(result).toEqual({ status: 413, errors: [{ message: 'rows: at most 50000 rows per push; the body has more', extensions: { code: 'PAYLOAD_TOO_LARGE', field: 'rows' } }] });
    expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
    // Refused before a run began.
    expect(await runsOf(id)).toBe(0);
  });

  it('refuses a CSV header of two million columns at its 65th field', async () => {
    const header = `${new Array(2_000_000).fill('metricxx').join(',')}\n`;
    const { result, cpuMs } = await whileProbing(() => push(header, { 'content-type': 'text/csv' }));
    expect(result).toMatchObject({ status: 413, errors: [{ message: 'body: a CSV line has more than 64 fields', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    expect(cpuMs).toBeLessThan(CPU_BOUND_MS);
    expect(await runsOf(connectorId)).toBe(0);
  });

  it('caps the body after decompression, and applies the row limit while parsing JSON', async () => {
    // A single CSV field longer than 64 KiB.
    expect(await push(`metric,unit\n${'x'.repeat(70_000)},1\n`, { 'content-type': 'text/csv' })).toMatchObject({ status: 413, errors: [{ message: 'body: a CSV line is longer than 65536 bytes' }] });
    const inflating = gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(21 * 1024 * 1024, ' '), Buffer.from(']')]));
    expect(await push(inflating, { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toMatchObject({
      status: 413,
      errors: [{ message: `body: larger than ${20 * 1024 * 1024} bytes once decompressed` }],
    });
    const row = (day: number) => ({ metric: 'KCB_BIOMETRIC_VISITS', unit: '413', period: `2024-05-0${day}`, value: day });
    expect(await push(JSON.stringify({ rows: [1, 2, 3, 4].map(row) }), { 'content-type': 'application/json' })).toMatchObject({
      status: 413,
      errors: [{ message: 'rows: at most 3 rows per push; the body has more' }],
    });
    expect(await runsOf(connectorId)).toBe(0);
    // Within the limits, compressed or not, CSV or JSON, the rows are ingested.
    expect(await push(gzipSync(JSON.stringify([1, 2, 3].map(row))), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toEqual({ status: 200, errors: undefined });
    expect(await push('metric,unit,period,value\nKCB_BIOMETRIC_VISITS,413,2024-05-04,4\n', { 'content-type': 'text/csv; charset=utf-8' })).toEqual({ status: 200, errors: undefined });
    const stored = (await hub.dataSource.query(`SELECT period, value FROM observation WHERE source = 'connector:${databaseIdOf(connectorId)}' ORDER BY period`)) as Array<{ period: string; value: number }>;
    expect(stored.map((observation) => [observation.period, Number(observation.value)])).toEqual([
      ['2024-05-01', 1],
      ['2024-05-02', 2],
      ['2024-05-03', 3],
      ['2024-05-04', 4],
    ]);
    // Malformed bodies and unknown encodings are refused as before.
    expect((await push('{"rows": [', { 'content-type': 'application/json' })).status).toBe(400);
    expect((await push('{"data": []}', { 'content-type': 'application/json' })).errors?.[0].message).toBe('rows: send a JSON array of rows, or { "rows": [...] }');
    expect((await push('[]', { 'content-type': 'application/json', 'content-encoding': 'compress' })).status).toBe(415);
    expect((await push(Buffer.from('not gzip'), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
  }, 180_000);
});
