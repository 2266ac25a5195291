import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Like, type DataSource } from 'typeorm';
import { createDataSource, migrate } from '../../src/database/data-source';
import { SchedulerLease } from '../../src/scheduler/scheduler-lease.entity';
import { TYPESCRIPT_NODE_ARGUMENTS } from '../helpers/hub-process';
import { openTestDatabase, testDatabaseConfig } from '../helpers/test-database';

/**
 * Exactly-once across processes: two worker processes run the real Scheduler + DatabaseRunCoordinator with
 * the same every-second job on one database (the server database of the run, or a shared SQLite file) and log
 * every fire they run into `fire_log`. One worker is stopped half-way; the other must carry on alone.
 */

jest.setTimeout(120_000);

const ROOT = path.join(__dirname, '..', '..');
const WORKER = path.join('tests', 'helpers', 'scheduler-worker.ts');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Worker {
  name: string;
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startWorker(name: string, environment: Record<string, string>): Worker {
  const child = spawn(process.execPath, [...TYPESCRIPT_NODE_ARGUMENTS, WORKER], {
    cwd: ROOT,
    env: { ...process.env, ...environment, WORKER_NAME: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { name, child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function waitReady(worker: Worker): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!/^ready$/m.test(worker.stdout())) {
    if (worker.child.exitCode !== null) throw new Error(`${worker.name} exited early: ${worker.stderr()}`);
    if (Date.now() > deadline) throw new Error(`${worker.name} did not start: ${worker.stdout()} ${worker.stderr()}`);
    await sleep(50);
  }
}

/** SIGTERM, then the exit code; SIGKILL (and a failure) when the worker does not exit in time. */
async function stopWorker(worker: Worker, timeoutMs = 15_000): Promise<number | null> {
  if (worker.child.exitCode !== null || worker.child.signalCode !== null) return worker.child.exitCode;
  worker.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    worker.exited,
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (code === 'timeout') {
    worker.child.kill('SIGKILL');
    await worker.exited;
    throw new Error(`${worker.name} did not exit within ${timeoutMs} ms of SIGTERM`);
  }
  return code;
}

/** Slot times (ms) of the fires a worker has printed. */
function firesOf(worker: Worker): number[] {
  return [...worker.stdout().matchAll(/^fire (\S+)$/gm)].map((match) => new Date(match[1]).getTime());
}

/** Polls `condition` (every 50 ms) until it holds; fails, showing the workers' output, after 60 s. */
async function waitUntil(condition: () => boolean, what: string, workers: Worker[]): Promise<void> {
  for (const deadline = Date.now() + 60_000; !condition(); await sleep(50)) {
    if (Date.now() > deadline) throw new Error(`no ${what} within 60 s: ${workers.map((worker) => `${worker.name}: ${worker.stdout()} ${worker.stderr()}`).join('; ')}`);
  }
}

describe('scheduler across processes', () => {
  let dataSource: DataSource;
  let folder: string | undefined;
  let databaseEnvironment: Record<string, string>;
  const workers: Worker[] = [];

  beforeAll(async () => {
    const config = testDatabaseConfig();
    if (config.kind === 'sqlite') {
      // Both processes need the same database: a file, not :memory:.
      folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-scheduler-'));
      const location = path.join(folder, 'hub.sqlite');
      dataSource = createDataSource({ kind: 'sqlite', location, poolSize: 1 });
      await dataSource.initialize();
      await migrate(dataSource);
      databaseEnvironment = { WORKER_DB_KIND: 'sqlite', WORKER_DB_LOCATION: location };
    } else {
      ({ dataSource } = await openTestDatabase({ seed: false }));
      databaseEnvironment = { WORKER_DB_KIND: config.kind, WORKER_DB_LOCATION: config.location };
    }
    await dataSource.query('DROP TABLE IF EXISTS fire_log');
    await dataSource.query('CREATE TABLE fire_log (slot varchar(40) NOT NULL, owner varchar(100) NOT NULL)');
  });

  afterAll(async () => {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill('SIGKILL');
        await worker.exited;
      }
    }
    await dataSource?.destroy();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('runs every slot exactly once, and one process carries on when the other stops', async () => {
    const jobId = `multi-${randomUUID().slice(0, 8)}`;
    const environment = { ...databaseEnvironment, WORKER_JOB_ID: jobId, WORKER_CRON: '* * * * * *' };
    const a = startWorker('A', environment);
    const b = startWorker('B', environment);
    workers.push(a, b);
    await Promise.all([waitReady(a), waitReady(b)]);

    // Both run until five slots have fired (between them); then A stops, and B runs on until it has fired the
    // slots of more than five seconds after that on its own. Waiting for the fires, not for a time, keeps the
    // counts below true on a busy machine.
    await waitUntil(() => firesOf(a).length + firesOf(b).length >= 5, 'five fires from A and B', [a, b]);
    expect(await stopWorker(a)).toBe(0);
    const aStoppedAt = Date.now();
    const firedAfterA = () => firesOf(b).filter((slot) => slot > aStoppedAt);
    await waitUntil(() => firedAfterA().length >= 5 && firedAfterA().some((slot) => slot > aStoppedAt + 5_000), 'five fires from B after A stopped', [b]);
    expect(await stopWorker(b)).toBe(0);

    for (const worker of [a, b]) {
      expect(worker.stdout()).toMatch(/^stopped$/m);
      expect(worker.stderr()).not.toMatch(/^(error|worker failed)/m);
    }

    const rows = (await dataSource.query('SELECT slot, owner FROM fire_log')) as Array<{ slot: string; owner: string }>;
    const bySlot = new Map<string, string[]>();
    for (const row of rows) bySlot.set(row.slot, [...(bySlot.get(row.slot) ?? []), row.owner]);
    const slots = [...bySlot.keys()].sort();
    const perProcess = { A: rows.filter((row) => row.owner === 'A').length, B: rows.filter((row) => row.owner === 'B').length };
    console.log(`${testDatabaseConfig().kind}: ${slots.length} slots, fires per process ${JSON.stringify(perProcess)}`);

    // Exactly once: every slot ran in one process, once.
    expect(slots.length).toBeGreaterThanOrEqual(10);
    expect([...bySlot.entries()].filter(([, owners]) => owners.length !== 1)).toEqual([]);
    expect(perProcess.A + perProcess.B).toBe(slots.length);
    for (const slot of slots) expect(new Date(slot).getMilliseconds()).toBe(0);

    // Each fire was claimed through the lease table by the process that ran it.
    const prefix = `job:${jobId}:`;
    const leases = await dataSource.getRepository(SchedulerLease).findBy({ key: Like(`${prefix}%`) });
    const leaseOwner = new Map(leases.map((lease) => [lease.key.slice(prefix.length), lease.owner]));
    expect([...leaseOwner.keys()].sort()).toEqual(slots);
    for (const slot of slots) expect(leaseOwner.get(slot)!.startsWith(`${bySlot.get(slot)![0]}:`)).toBe(true);

    // No holes: consecutive slots at most 2 s apart, before and after A stopped.
    const times = slots.map((slot) => new Date(slot).getTime());
    for (let index = 1; index < times.length; index += 1) expect(times[index] - times[index - 1]).toBeLessThanOrEqual(2_000);

    // After A exited, B alone runs the job, and keeps the pace.
    const afterA = rows.filter((row) => new Date(row.slot).getTime() > aStoppedAt);
    expect(afterA.length).toBeGreaterThanOrEqual(5);
    expect(afterA.every((row) => row.owner === 'B')).toBe(true);
    expect(times[times.length - 1]).toBeGreaterThan(aStoppedAt + 5_000);
    if (perProcess.A === 0) console.log('A never won a claim while both ran: still exactly once');
  });
});
