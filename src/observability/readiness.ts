import type { DataSource } from 'typeorm';

export interface ReadinessCheck {
  ok: boolean;
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: Record<'database' | 'migrations' | 'scheduler', ReadinessCheck>;
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

const reason = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error));

/** Whether this process can serve: the database answers, no migration is pending, the scheduler runs. */
export async function readiness(dataSource: DataSource, schedulerRunning: () => boolean): Promise<Readiness> {
  const checks: Readiness['checks'] = {
    database: { ok: false },
    migrations: { ok: false, detail: 'not checked: the database is unreachable' },
    scheduler: schedulerRunning() ? { ok: true } : { ok: false, detail: 'schedules are stopped' },
  };
  try {
    await withTimeout(dataSource.query('SELECT 1'), 'the database');
    checks.database = { ok: true };
    const pending = await withTimeout(dataSource.showMigrations(), 'the migration check');
    checks.migrations = pending ? { ok: false, detail: 'migrations are pending' } : { ok: true };
  } catch (error) {
    if (!checks.database.ok) checks.database = { ok: false, detail: reason(error) };
    else checks.migrations = { ok: false, detail: reason(error) };
  }
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}
