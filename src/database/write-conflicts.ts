import { HubError } from '../common/errors';

const DUPLICATE_KEY_CODES = new Set(['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE', 'ER_DUP_ENTRY']);
const MYSQL_DUPLICATE_ENTRY = 1062;
/**
 * InnoDB chose this transaction as the victim of a deadlock (ER_LOCK_DEADLOCK), a row lock was not granted in time
 * (ER_LOCK_WAIT_TIMEOUT), or, with MariaDB's innodb_snapshot_isolation (the default from 11.8), a locking read met
 * a row another transaction changed after this one's snapshot (ER_CHECKREAD, "Record has changed since last read"):
 * a plain read of ingestion followed by its locking look-up can meet it, and the batch run again reads afresh.
 */
const LOCK_CONFLICT_CODES = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'ER_CHECKREAD']);
const MYSQL_LOCK_CONFLICT_ERRNOS = new Set([1213, 1205, 1020]);

/** The error, then the driver errors it wraps (TypeORM's QueryFailedError keeps the original as `driverError`). */
function* causes(error: unknown): Generator<{ code?: unknown; errno?: unknown }> {
  for (let candidate = error, depth = 0; candidate && typeof candidate === 'object' && depth < 3; depth += 1) {
    yield candidate as { code?: unknown; errno?: unknown };
    candidate = (candidate as { driverError?: unknown }).driverError;
  }
}

/**
 * Whether an error is a primary-key / unique violation: better-sqlite3 reports
 * `SQLITE_CONSTRAINT_PRIMARYKEY`, mysql2 (MySQL and MariaDB) `ER_DUP_ENTRY` / errno 1062. TypeORM wraps both
 * in a QueryFailedError that copies the driver's fields and keeps the original as `driverError`.
 */
export function isDuplicateKeyError(error: unknown): boolean {
  for (const { code, errno } of causes(error)) {
    if (typeof code === 'string' && DUPLICATE_KEY_CODES.has(code)) return true;
    if (errno === MYSQL_DUPLICATE_ENTRY) return true;
  }
  return false;
}

/** Whether MySQL/MariaDB rolled the transaction (or its statement) back over a lock: a deadlock, a lock wait timeout or a changed record. */
export function isLockConflictError(error: unknown): boolean {
  for (const { code, errno } of causes(error)) {
    if (typeof code === 'string' && LOCK_CONFLICT_CODES.has(code)) return true;
    if (typeof errno === 'number' && MYSQL_LOCK_CONFLICT_ERRNOS.has(errno)) return true;
  }
  return false;
}

export interface WriteRetryOptions {
  /** Attempts in all, counting the first (default 5). */
  attempts?: number;
  /**
   * Also retry duplicate-key errors: for writers that read which keys exist and insert the others, where a
   * duplicate means a concurrent writer inserted the same key first (a retry reads it and updates it).
   */
  duplicateKeys?: boolean;
  /** What is being written, for the CONFLICT message when every attempt lost. */
  what: string;
  /** Pause before attempt n + 1 (ms); default 20 × 2^(n-1) ms with full jitter, at most 1 s. */
  delay?: (attempt: number) => number;
}

const defaultDelay = (attempt: number) => Math.random() * Math.min(1_000, 20 * 2 ** (attempt - 1));

/**
 * Runs `work` (one whole transaction: it must read what it depends on again on every attempt) and runs it again
 * when the database refused it over a concurrent writer: a deadlock or lock wait timeout on MySQL/MariaDB and,
 * with `duplicateKeys`, a unique-key race. Attempts are bounded and spaced with jitter so two writers that
 * collided do not collide again; when they are used up the caller gets CONFLICT (send again), never an
 * internal error.
 */
export async function retryWriteConflicts<T>(work: () => Promise<T>, options: WriteRetryOptions): Promise<T> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work();
    } catch (error) {
      const conflict = isLockConflictError(error) || (options.duplicateKeys === true && isDuplicateKeyError(error));
      if (!conflict) throw error;
      if (attempt >= attempts) {
        throw new HubError('CONFLICT', `${options.what}: concurrent writers kept changing the same rows (${attempts} attempts); nothing was stored, send it again`);
      }
      await new Promise((resolve) => setTimeout(resolve, (options.delay ?? defaultDelay)(attempt)));
    }
  }
}
