/**
 * A shutdown that always ends. Logging never holds the process: a hub whose standard output is a pipe nobody
 * reads (a stuck log shipper) or a closed one (`… | head -1`) keeps serving while its log lines pile up or go
 * nowhere, and exits within its deadline on SIGTERM. A second signal while requests are still draining exits at
 * once. Real hub processes (JSON logs and the development format), on a SQLite file and on the server database.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { databaseEnvironment, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { TEST_ADMIN_HEADERS } from '../helpers/test-hub';
import { compiledBuild, compiledHub, type CompiledBuild } from '../helpers/compiled-build';

// The compiled build is made by the first file of a run that needs it (about 20 s of compiling).
jest.setTimeout(240_000);

/** Bytes of log lines the requests below make the hub write: far beyond any pipe or socket buffer. */
const LOG_BYTES = 4 * 1024 * 1024;
/** Each 404 request is logged with its URL (cut at 2 KB), so ~2.5 KB a line. */
const LONG_QUERY = `?padding=${'x'.repeat(2_000)}`;

describe('a hub whose standard output is blocked or closed', () => {
  let folder: string;
  let hub: HubProcess | undefined;

  let build: CompiledBuild;
  beforeAll(async () => {
    // The compiled build, as the image runs it.
    build = compiledBuild();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-output-'));
  });
  afterEach(async () => {
    if (hub && hub.child.exitCode === null && hub.child.signalCode === null) {
      hub.child.kill('SIGKILL');
      await hub.exited;
    }
    hub = undefined;
  });
  afterAll(() => {
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /** Sends requests that each write one long log line, `concurrency` at a time, until LOG_BYTES were logged; returns the time it took. */
  async function floodLog(url: string, concurrency = 8): Promise<number> {
    const started = Date.now();
    const target = new URL(`/not-a-route${LONG_QUERY}`, url).toString();
    let sent = 0;
    const count = Math.ceil(LOG_BYTES / LONG_QUERY.length);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < count) {
          sent += 1;
          const response = await fetch(target, { headers: TEST_ADMIN_HEADERS, signal: AbortSignal.timeout(20_000) });
          expect(response.status).toBe(404);
          await response.arrayBuffer();
        }
      }),
    );
    return Date.now() - started;
  }

  /** SIGTERM; resolves the exit code and how long the exit took. */
  async function terminate(process: HubProcess): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    process.child.kill('SIGTERM');
    const code = await process.exited;
    return { code, ms: Date.now() - started };
  }

  it.each([
    ['json', { LOG_FORMAT: 'json' }],
    ['pretty', { LOG_FORMAT: 'pretty' }],
  ])('with a pipe nobody reads (%s logs): keeps serving, and SIGTERM exits within the deadline', async (_format, logFormat) => {
    hub = startHubProcess({ ...databaseEnvironment(path.join(folder, 'hub.sqlite')), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', SHUTDOWN_DELAY_SECONDS: '0', ...logFormat }, { compiled: compiledHub(build) });
    const url = await waitForUrl(hub);
    // From now on nobody reads the pipe: once its buffers are full, every write to it would wait.
    hub.child.stdout!.removeAllListeners('data');
    hub.child.stdout!.pause();
    await floodLog(url);
    // Still serving with the output stuck (a blocking write would hang every request from the first full buffer).
    const health = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(10_000) });
    expect(health.status).toBe(200);
    const { code, ms } = await terminate(hub);
    // The lines still queued get a bounded wait (2 s), then the process exits as a clean shutdown.
    expect(code).toBe(0);
    expect(ms).toBeLessThan(15_000);
  }, 180_000);

  // (The previous output, pino's own, also dropped lines on EPIPE: this guards the same for the output that replaced it.)
  it('with its output closed (the reader gone): keeps serving, and SIGTERM exits at once', async () => {
    hub = startHubProcess({ ...databaseEnvironment(path.join(folder, 'hub.sqlite')), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', SHUTDOWN_DELAY_SECONDS: '0', LOG_FORMAT: 'json' }, { compiled: compiledHub(build) });
    const url = await waitForUrl(hub);
    hub.child.stdout!.destroy();
    await floodLog(url);
    expect((await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
    const { code, ms } = await terminate(hub);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(10_000);
    expect(hub.stderr()).toBe('');
  }, 180_000);

  it('a second SIGTERM while a request is still draining exits at once', async () => {
    hub = startHubProcess({ ...databaseEnvironment(path.join(folder, 'hub.sqlite')), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', SHUTDOWN_DELAY_SECONDS: '0', LOG_FORMAT: 'json' }, { compiled: compiledHub(build) });
    const url = new URL(await waitForUrl(hub));
    // A request whose body never ends: the drain waits for it (up to its grace period).
    const client = net.connect(Number(url.port), url.hostname);
    await new Promise((resolve) => client.once('connect', resolve));
    const headers = Object.entries(TEST_ADMIN_HEADERS).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    // Expect: 100-continue: the hub answers "100 Continue" once it has read the headers (the request is in flight).
    const continued = new Promise((resolve) => client.on('data', (chunk: Buffer) => chunk.toString().includes('100 Continue') && resolve(undefined)));
    client.write(`POST /graphql HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nexpect: 100-continue\r\n${headers}\r\n`);
    client.on('error', () => undefined);
    try {
      const stopping = hub;
      await continued;
      client.write('{"query":');
      stopping.child.kill('SIGTERM');
      for (const deadline = Date.now() + 30_000; !stopping.stdout().includes('closing the listener') && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stopping.stdout()).toContain('closing the listener');
      const { code, ms } = await terminate(stopping);
      expect(code).toBe(1);
      expect(ms).toBeLessThan(3_000);
      expect(stopping.stdout()).toContain('SIGTERM received again: exiting without waiting for the shutdown to finish');
    } finally {
      client.destroy();
    }
  }, 120_000);
});
