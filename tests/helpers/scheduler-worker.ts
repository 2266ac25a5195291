/**
 * One "hub process" of the multi-process scheduler test: runs the real Scheduler + DatabaseRunCoordinator on
 * the database named by its environment and records every fire it runs in the `fire_log` table the test made.
 *
 *   WORKER_NAME          owner written to fire_log
 *   WORKER_DB_KIND       sqlite | mariadb | mysql
 *   WORKER_DB_LOCATION   SQLite file, or the server URL
 *   WORKER_JOB_ID        job id (shared by every worker)
 *   WORKER_CRON          cron of the job
 *
 * Prints `ready` once its task is planned and `fire <slot ISO>` per fire; on SIGTERM it stops the scheduler
 * (waiting for a fire in progress), closes the database and exits 0.
 */
import 'reflect-metadata';
import type { DatabaseKind } from '../../src/config';
import { createDataSource } from '../../src/database/data-source';
import { DatabaseRunCoordinator } from '../../src/scheduler/run-coordinator';
import { Scheduler } from '../../src/scheduler/scheduler';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

async function main(): Promise<void> {
  const name = required('WORKER_NAME');
  const kind = required('WORKER_DB_KIND') as DatabaseKind;
  const dataSource = createDataSource({ kind, location: required('WORKER_DB_LOCATION'), poolSize: 4 });
  await dataSource.initialize();

  const coordinator = new DatabaseRunCoordinator(dataSource, { owner: `${name}:${process.pid}` });
  const scheduler = new Scheduler({
    coordinator,
    defaultTimeZone: 'Asia/Ho_Chi_Minh',
    purgeIntervalMs: 0,
    onError: (error, jobId) => process.stderr.write(`error ${jobId ?? '-'}: ${String(error)}\n`),
    onFire: async (_jobId, slot) => {
      await dataSource.query('INSERT INTO fire_log (slot, owner) VALUES (?, ?)', [slot.toISOString(), name]);
      process.stdout.write(`fire ${slot.toISOString()}\n`);
    },
  });
  scheduler.plan([{ id: required('WORKER_JOB_ID'), cron: required('WORKER_CRON'), timeZone: 'Asia/Ho_Chi_Minh' }]);

  // The scheduler's timers are unref'd: this keeps the process alive until it is told to stop.
  const keepAlive = setInterval(() => undefined, 60_000);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await scheduler.stop({ deadlineMs: 5_000 });
    await dataSource.destroy();
    clearInterval(keepAlive);
    process.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
