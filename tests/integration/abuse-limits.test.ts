/**
 * Limits that hold across processes and against slow clients: rate-limit counters shared by two hub processes
 * (in the database, or in Redis with REDIS_URL) keep the combined allowance, and thousands of connections that
 * never finish their headers neither exhaust the process's file descriptors nor stop /healthz from answering.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { databaseEnvironment, startHubProcess, waitForUrl, type HubProcess } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';
import { TEST_ADMIN_HEADERS } from '../helpers/test-hub';

// A Redis database per jest worker: the SQLite and MariaDB runs of this file may run at the same time.
const REDIS_URL = `redis://127.0.0.1:6379/${8 + (Number(process.env.JEST_WORKER_ID ?? '1') % 8)}`;
/** Starting hub processes (ts-node) takes a while on a busy machine. */
const PROCESS_TEST_TIMEOUT_MS = 240_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopProcess(hub: HubProcess): Promise<void> {
  if (hub.child.exitCode === null && hub.child.signalCode === null) hub.child.kill('SIGTERM');
  await hub.exited;
}

function get(url: string, options: { headers?: Record<string, string>; from?: string; timeoutMs?: number } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: options.headers, localAddress: options.from, agent: false, timeout: options.timeoutMs ?? 10_000 }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers }));
    });
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', reject);
  });
}

const graphqlGet = (url: string, headers: Record<string, string>) => get(`${url}?query=%7B__typename%7D`, { headers: { ...headers, 'apollo-require-preflight': 'true' } });

describe('limits that hold', () => {
  let folder: string;
  let environment: Record<string, string>;
  const processes: HubProcess[] = [];

  beforeAll(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-limits-'));
    if (testDatabaseConfig().kind !== 'sqlite') {
      const database = await openTestDatabase({ seed: false });
      await database.dataSource.dropDatabase();
      await database.dataSource.destroy();
    }
    environment = { ...databaseEnvironment(path.join(folder, 'hub.sqlite')), PORT: '0', HOST: '127.0.0.1', SEED_ON_START: 'never', SCHEDULE_REFRESH_SECONDS: '3600' };
  });
  afterAll(async () => {
    await Promise.all(processes.map(stopProcess));
    fs.rmSync(folder, { recursive: true, force: true });
  });

  /** Starts two hub processes with `extra` settings, one after the other (the first migrates the database). */
  async function twoHubs(extra: Record<string, string>): Promise<[string, string]> {
    const first = startHubProcess({ ...environment, ...extra });
    processes.push(first);
    const firstUrl = await waitForUrl(first);
    const second = startHubProcess({ ...environment, ...extra });
    processes.push(second);
    return [firstUrl, await waitForUrl(second)];
  }

  async function stopAll(): Promise<void> {
    await Promise.all(processes.splice(0).map(stopProcess));
  }

  /** Sends `count` requests alternately to the two processes; returns the statuses in order. */
  async function alternate(urls: [string, string], count: number, headers: Record<string, string>): Promise<number[]> {
    const statuses: number[] = [];
    for (let index = 0; index < count; index += 1) statuses.push((await graphqlGet(urls[index % 2], headers)).status);
    return statuses;
  }

  const limits = { RATE_LIMIT_PER_MINUTE: '6', RATE_LIMIT_BURST: '0', RATE_LIMIT_AUTH_FAILURES: '4', RATE_LIMIT_AUTH_WINDOW_SECONDS: '60' };
  const badKey = { authorization: 'Bearer ph_wrong-0000000000000000000000000000000000000000' };

  it('two processes on one database share the counters: the combined limit holds (per key and for failed authentications)', async () => {
    // The default store with a server database; the embedded database is shared by naming the store.
    const urls = await twoHubs({ ...limits, ...(testDatabaseConfig().kind === 'sqlite' ? { RATE_LIMIT_STORE: 'database' } : {}) });
    try {
      expect(await alternate(urls, 10, TEST_ADMIN_HEADERS)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
      // Another address, so the key's allowance above is not involved.
      const statuses: number[] = [];
      for (let index = 0; index < 8; index += 1) statuses.push((await get(`${urls[index % 2]}?query=%7B__typename%7D`, { headers: badKey, from: '127.0.0.5' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429, 429, 429]);
    } finally {
      await stopAll();
    }
  }, PROCESS_TEST_TIMEOUT_MS);

  it('with REDIS_URL the counters live in Redis and the combined limit holds', async () => {
    const redis = new Redis(REDIS_URL);
    try {
      // Counters of an earlier run of this test (the same key ids) are removed first.
      const stale = await redis.keys('pilothub:*');
      if (stale.length > 0) await redis.del(...stale);
      const urls = await twoHubs({ ...limits, REDIS_URL });
      try {
        expect(await alternate(urls, 10, TEST_ADMIN_HEADERS)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429]);
        expect((await redis.keys('pilothub:minute:*')).length).toBeGreaterThanOrEqual(1);
      } finally {
        await stopAll();
      }
    } finally {
      redis.disconnect();
    }
  }, PROCESS_TEST_TIMEOUT_MS);

  it('thousands of slow connections from one address neither exhaust the file descriptors nor stop /healthz', async () => {
    // 1,024 descriptors for the hub, 3,000 connections sending headers that never end.
    // The headers timeout is long enough that connections closed before it were closed by the cap, however busy
    // the machine is.
    const headersTimeoutMs = 10_000;
    const hub = startHubProcess(
      { ...environment, HTTP_HEADERS_TIMEOUT_SECONDS: String(headersTimeoutMs / 1000), HTTP_MAX_CONNECTIONS_PER_ADDRESS: '200' },
      { fileLimit: 1024 },
    );
    processes.push(hub);
    const url = await waitForUrl(hub);
    const { port } = new URL(url);
    const sockets: net.Socket[] = [];
    let closedByServer = 0;
    const started = Date.now();
    try {
      await Promise.all(
        Array.from({ length: 3_000 }, () =>
          new Promise<void>((resolve) => {
            const socket = net.connect({ host: '127.0.0.1', port: Number(port) }, () => {
              socket.write('GET /healthz HTTP/1.1\r\nHost: slow\r\nX-Slow: ');
              resolve();
            });
            // Read whatever the server answers (its 408), so its closing is seen.
            socket.resume();
            socket.on('error', () => resolve());
            socket.on('close', () => {
              closedByServer += 1;
              resolve();
            });
            sockets.push(socket);
          }),
        ),
      );
      // Connections past the cap are closed at once, before any headers timeout.
      while (closedByServer < 2_800 && Date.now() - started < headersTimeoutMs - 1_000) await sleep(50);
      expect(closedByServer).toBeGreaterThanOrEqual(2_700);
      expect(Date.now() - started).toBeLessThan(headersTimeoutMs);
      const health = await get(url.replace('/graphql', '/healthz'), { from: '127.0.0.2', timeoutMs: 3_000 });
      expect(health.status).toBe(200);
      // Those within the cap are closed once the headers timeout has passed.
      const deadline = started + headersTimeoutMs + 10_000;
      while (closedByServer < 3_000 && Date.now() < deadline) await sleep(200);
      expect(closedByServer).toBe(3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await stopAll();
    }
  }, PROCESS_TEST_TIMEOUT_MS);
});
