import { createHash } from 'node:crypto';
import type { RunCoordinator } from 'node-cron';
import type { DataSource } from 'typeorm';
import { isDuplicateKeyError } from '../database/write-conflicts';
import { OWNER_MAX_LENGTH, processOwnerId } from './process-owner';
import { SchedulerLease } from './scheduler-lease.entity';

/** Length of `scheduler_lease.key` (varchar(191): the longest utf8mb4 key InnoDB indexes on old row formats). */
export const LEASE_KEY_MAX_LENGTH = 191;

/**
 * The lease key stored for a node-cron coordination key (`<task name>:<slot ISO time>`). Keys that fit are
 * stored as they are; longer ones keep a readable prefix and end with `#` + the SHA-256 of the whole key, so
 * two different long keys never share a row.
 */
export function leaseKey(key: string): string {
  const characters = Array.from(key);
  if (characters.length <= LEASE_KEY_MAX_LENGTH) return key;
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${characters.slice(0, LEASE_KEY_MAX_LENGTH - digest.length - 1).join('')}#${digest}`;
}

/** Outcome of one claim: `claimed` false with no error means another process holds the fire. */
export interface ClaimResult {
  claimed: boolean;
  key: string;
  error?: unknown;
}

export interface DatabaseRunCoordinatorOptions {
  /** Id written to `owner`; defaults to this process's id (`processOwnerId()`). */
  owner?: string;
  /** Told about failures other than "already claimed" (the fire is then skipped here, never run twice). */
  onError?: (error: unknown, key: string) => void;
}

/**
 * node-cron run coordinator backed by the `scheduler_lease` table: the process whose INSERT of the fire's key
 * succeeds runs the fire; every other process hits the primary key and skips it. The key carries the slot
 * time, so a lease is never taken over: a slot runs at most once, whoever was first.
 *
 * Rows are kept after the fire completes (no `onComplete`): deleting them would let a late process claim the
 * same slot again. `purgeExpired` removes them once they are old.
 */
export class DatabaseRunCoordinator implements RunCoordinator {
  readonly owner: string;
  onError?: (error: unknown, key: string) => void;

  constructor(
    private readonly dataSource: DataSource,
    options: DatabaseRunCoordinatorOptions = {},
  ) {
    this.owner = (options.owner ?? processOwnerId()).slice(0, OWNER_MAX_LENGTH);
    this.onError = options.onError;
  }

  /** node-cron's entry point: true when this process won the fire. Never throws. */
  async shouldRun(key: string, ttlMs: number): Promise<boolean> {
    const result = await this.claim(key, ttlMs);
    if (result.error !== undefined) this.report(result.error, result.key);
    return result.claimed;
  }

  /** Tries to take the fire `key` for `ttlMs`; reports errors in the result instead of throwing. */
  async claim(key: string, ttlMs: number): Promise<ClaimResult> {
    const stored = leaseKey(key);
    const acquiredAt = new Date();
    const lease = Number.isFinite(ttlMs) && ttlMs > 0 ? ttlMs : 0;
    try {
      await this.dataSource
        .createQueryBuilder()
        .insert()
        .into(SchedulerLease)
        .values({ key: stored, owner: this.owner, acquiredAt, expiresAt: new Date(acquiredAt.getTime() + lease) })
        .updateEntity(false)
        .execute();
      return { claimed: true, key: stored };
    } catch (error) {
      if (isDuplicateKeyError(error)) return { claimed: false, key: stored };
      return { claimed: false, key: stored, error };
    }
  }

  /** Deletes leases that expired before `olderThan`; returns how many went. */
  async purgeExpired(olderThan: Date = new Date()): Promise<number> {
    const result = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(SchedulerLease)
      .where('expiresAt < :olderThan', { olderThan })
      .execute();
    return result.affected ?? 0;
  }

  private report(error: unknown, key: string): void {
    try {
      this.onError?.(error, key);
    } catch {
      // A failing error handler must not turn a skipped fire into a coordinator error.
    }
  }
}
