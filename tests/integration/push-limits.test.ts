import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { dataOf, databaseIdOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

/**
 * POST /ingest/<id> reads its body as a stream and applies its limits while reading: bodies built to be expensive
 * to parse (a few KB of gzip holding ten million rows, a header of millions of columns) are refused as soon as they
 * break a limit (the answer comes while the rest of the body has not been sent), and the process keeps answering
 * meanwhile; latency figures are the liveness bench's.
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

  /** Runs `work` while GET /healthz is asked every 250 ms, each probe expected to answer 200. */
  async function whileProbing<T>(work: () => Promise<T>): Promise<T> {
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
    let result: T;
    try {
      result = await work();
    } finally {
      running = false;
    }
    await probing;
    expect(probes).toBeGreaterThan(0);
    return result;
  }

  type RestErrors = Array<{ message: string; extensions: { code: string; field?: string } }>;
  async function push(body: Buffer | string, headers: Record<string, string>, id = connectorId): Promise<{ status: number; errors?: RestErrors }> {
    const response = await fetch(url.replace(/\/ingest\/[^/]+$/, `/ingest/${id}`), { method: 'POST', headers: { ...hub.headers, ...headers }, body });
    const answer = (await response.json()) as { errors?: RestErrors };
    return { status: response.status, errors: answer.errors };
  }

  /**
   * Sends the first `sent` bytes of `body` (declaring its whole length) and waits for the answer without sending the
   * rest: a hub that reads a body to its end before refusing it never answers, one that applies its limits while
   * reading answers from the part it has. Whether it does depends on nothing but the hub's code, not on how loaded
   * the machine is (a bound on the time or CPU a refusal costs does). The connection is closed afterwards.
   */
  async function pushPart(body: Buffer, sent: number, headers: Record<string, string>, id = connectorId): Promise<{ status: number; errors?: RestErrors } | 'no answer'> {
    const request = http.request(url.replace(/\/ingest\/[^/]+$/, `/ingest/${id}`), {
      method: 'POST',
      headers: { ...hub.headers, ...headers, 'content-length': String(body.length) },
    });
    request.on('error', () => undefined);
    const answered = new Promise<{ status: number; errors?: RestErrors }>((resolve, reject) => {
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode!, errors: (JSON.parse(Buffer.concat(chunks).toString()) as { errors?: RestErrors }).errors }));
        response.on('error', reject);
      });
    });
    request.write(body.subarray(0, sent));
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([answered, new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), NO_ANSWER_MS)))]);
    } finally {
      clearTimeout(timer);
      request.destroy();
    }
  }
  /** Long enough for a hub on a loaded machine to answer from the part of a body it has. */
  const NO_ANSWER_MS = 30_000;

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
    // Half of the compressed body (about five million rows) is sent; the answer must come from it.
    const result = await whileProbing(() => pushPart(bomb, Math.floor(bomb.length / 2), { 'content-type': 'text/csv', 'content-encoding': 'gzip' }, id));
    expect(result).toEqual({ status: 413, errors: [{ message: 'rows: at most 50000 rows per push; the body has more', extensions: { code: 'PAYLOAD_TOO_LARGE', field: 'rows' } }] });
    // Refused before a run began.
    expect(await runsOf(id)).toBe(0);
  });

  it('refuses a CSV header of two million columns at its 65th field', async () => {
    const header = Buffer.from(`${new Array(2_000_000).fill('metricxx').join(',')}\n`);
    // The first MiB (about 116,000 fields) is sent; the answer must come from it.
    const result = await whileProbing(() => pushPart(header, 1024 * 1024, { 'content-type': 'text/csv' }));
    expect(result).toMatchObject({ status: 413, errors: [{ message: 'body: a CSV line has more than 64 fields', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
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
