import type { DataSource } from 'typeorm';
import { migrationState } from '../database/migration-lock';
import { describeMissingKeys, secretsUnderMissingKeys } from '../security/secret-keys';

export interface ReadinessCheck {
  ok: boolean;
  /**
   * A failed check that leaves the process ready (200, status `degraded`): part of the hub cannot work (the
   * connectors whose secrets need a key that is not configured), everything else does.
   */
  degraded?: boolean;
  detail?: string;
}

export interface Readiness {
  /** Whether the process should receive traffic: every check ok or only degraded. */
  ready: boolean;
  status: 'ready' | 'degraded' | 'not ready';
  checks: Record<'database' | 'migrations' | 'scheduler', ReadinessCheck> & { secrets?: ReadinessCheck };
}

export interface ReadinessOptions {
  /** Whether the schedules of this process run. */
  schedulerRunning: () => boolean;
  /** The secrets keys configured in this process (SECRETS_KEYS); without them secrets are not checked. */
  secretKeyIds?: readonly string[];
  /** ALLOW_NEWER_SCHEMA: migrations this build does not know are reported, but do not make the process unready. */
  allowNewerSchema?: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS).unref()),
  ]);
}

const reason = (error: unknown) => (error instanceof Error ? error.message.split('\n')[0] : String(error));

/** Pending migrations make the process unready; so do migrations a newer version applied, unless allowed. */
async function migrationsCheck(dataSource: DataSource, allowNewerSchema: boolean): Promise<ReadinessCheck> {
  const state = await withTimeout(migrationState(dataSource), 'the migration check');
  if (state.pending.length > 0) return { ok: false, detail: `migrations are pending: ${state.pending.join(', ')}` };
  if (state.unknown.length === 0) return { ok: true };
  const detail = `the database has migrations this version does not know (a newer version migrated it): ${state.unknown.join(', ')}`;
  return allowNewerSchema ? { ok: true, detail: `${detail}; allowed by ALLOW_NEWER_SCHEMA` } : { ok: false, detail: `${detail}; deploy that version again, or set ALLOW_NEWER_SCHEMA=true if its migrations only expand the schema` };
}

async function secretsCheck(dataSource: DataSource, keyIds: readonly string[]): Promise<ReadinessCheck> {
  const missing = await withTimeout(secretsUnderMissingKeys(dataSource, keyIds), 'the secrets check');
  return missing.size === 0 ? { ok: true } : { ok: false, degraded: true, detail: describeMissingKeys(missing) };
}

/**
 * Whether this process can serve: the database answers, its migrations are exactly this build's, the scheduler
 * runs. Secrets under keys that are not configured leave it ready but `degraded`.
 */
export async function readiness(dataSource: DataSource, options: ReadinessOptions): Promise<Readiness> {
  const checks: Readiness['checks'] = {
    database: { ok: false },
    migrations: { ok: false, detail: 'not checked: the database is unreachable' },
    scheduler: options.schedulerRunning() ? { ok: true } : { ok: false, detail: 'schedules are stopped' },
  };
  try {
    await withTimeout(dataSource.query('SELECT 1'), 'the database');
    checks.database = { ok: true };
    checks.migrations = await migrationsCheck(dataSource, options.allowNewerSchema ?? false).catch((error: unknown) => ({ ok: false, detail: reason(error) }));
    if (options.secretKeyIds) checks.secrets = await secretsCheck(dataSource, options.secretKeyIds).catch((error: unknown) => ({ ok: false, degraded: true, detail: reason(error) }));
  } catch (error) {
    checks.database = { ok: false, detail: reason(error) };
  }
  const failed = Object.values(checks).filter((check) => !check.ok);
  const ready = failed.every((check) => check.degraded === true);
  return { ready, status: !ready ? 'not ready' : failed.length > 0 ? 'degraded' : 'ready', checks };
}
