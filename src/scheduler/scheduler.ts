import { createTask, schedule, setRunCoordinator, validateDetailed, type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { setLogger } from 'node-cron';
import type { ClaimResult, DatabaseRunCoordinator } from './run-coordinator';

/** Longest cron expression accepted (`connector.schedule` is varchar(100)). */
export const CRON_MAX_LENGTH = 100;

/**
 * Why `expression` cannot be scheduled, or null when it can. Accepts what node-cron 4.6 accepts: 5 fields
 * (minute first) or 6 (second first), names of months and week days, ranges, steps, lists, `L`, `W`, `#`, and
 * the nicknames `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`. Rejects expressions that can never fire
 * (e.g. `0 0 30 2 *`).
 */
export function validateCron(expression: unknown): string | null {
  if (typeof expression !== 'string' || expression.trim() === '') return 'a cron expression is required';
  if (expression.length > CRON_MAX_LENGTH) return `a cron expression has at most ${CRON_MAX_LENGTH} characters`;
  const detailed = validateDetailed(expression);
  if (!detailed.valid) return detailed.errors.map((error) => error.message).join('; ') || 'not a cron expression';
  // Some expressions pass the field checks and still never match (`0 0 L-30 2 *`): node-cron would throw when
  // the task starts. An unstarted task computes its next slot without arming any timer.
  const probe = createTask(expression, () => undefined);
  try {
    probe.getNextRuns(1);
  } catch {
    return 'the expression never fires';
  } finally {
    void probe.destroy();
  }
  return null;
}

/**
 * The shortest time between two consecutive fires of a valid `expression` in `timeZone` (ms), as far as it
 * matters for a floor of `floorMs`: the answer is exact whenever it is at least `floorMs`, and below `floorMs`
 * whenever the schedule ever fires sooner. A schedule that never fires sooner than the floor fires at most
 * 86,400,000 / floorMs times a day, so two days of fires are sampled: every firing day repeats the same hours,
 * minutes and seconds, and two days include the step from one firing day to the next.
 */
export function shortestInterval(expression: string, timeZone: string, floorMs: number): number {
  const probe = createTask(expression, () => undefined, { timezone: timeZone });
  try {
    const shortestOf = (count: number) => {
      const runs = probe.getNextRuns(count);
      let shortest = Number.POSITIVE_INFINITY;
      for (let index = 1; index < runs.length; index += 1) shortest = Math.min(shortest, runs[index].getTime() - runs[index - 1].getTime());
      return shortest;
    };
    // A frequent schedule shows itself in its first fires; only schedules that look slow enough pay for two days.
    const first = shortestOf(20);
    if (first < floorMs) return first;
    return Math.min(first, shortestOf(Math.min(20_000, Math.ceil((2 * 86_400_000) / floorMs) + 2)));
  } finally {
    void probe.destroy();
  }
}

/**
 * The slots of a valid `expression` in `timeZone` after `after` and at or before `until`: the first, the last, and
 * how many (counting stops at `cap`: then `count` is `cap`, and `last` is still the last slot). Null when none.
 */
export function slotsBetween(expression: string, timeZone: string, after: Date, until: Date, cap = 10_000): { first: Date; last: Date; count: number } | null {
  const probe = createTask(expression, () => undefined, { timezone: timeZone });
  try {
    // node-cron walks its own matcher from any instant; it is not exported, so it is reached through the task.
    const matcher = (probe as unknown as { timeMatcher?: { getNextMatch(date: Date): Date } }).timeMatcher;
    if (!matcher) throw new Error('node-cron: the task has no time matcher (slotsBetween needs node-cron 4)');
    const walk = (from: Date) => {
      let first: Date | null = null;
      let last: Date | null = null;
      let count = 0;
      for (let slot = matcher.getNextMatch(from); slot.getTime() <= until.getTime() && count < cap; slot = matcher.getNextMatch(slot)) {
        first ??= slot;
        last = slot;
        count += 1;
      }
      return first && last ? { first, last, count } : null;
    };
    const found = walk(after);
    if (!found || found.count < cap) return found;
    // Too many to count: the last slot is found from a short span before `until`, widened until it holds one.
    for (const spanMs of [60_000, 3_600_000, 86_400_000, 32 * 86_400_000, 400 * 86_400_000]) {
      const tail = walk(new Date(Math.max(after.getTime(), until.getTime() - spanMs)));
      if (tail && tail.count < cap) return { ...found, last: tail.last };
    }
    return found;
  } finally {
    void probe.destroy();
  }
}

/** Why `zone` is not an IANA time zone this runtime knows, or null when it is. */
export function validateTimeZone(zone: unknown): string | null {
  if (typeof zone !== 'string' || zone.trim() === '') return 'a time zone is required';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return null;
  } catch {
    return `unknown time zone "${zone}" (use an IANA name such as Asia/Ho_Chi_Minh)`;
  }
}

export interface ScheduledJob {
  id: string;
  cron: string;
  /** IANA zone the cron is read in; empty or missing → the scheduler's default zone. */
  timeZone?: string | null;
}

/** node-cron's logger interface (per task: its notices then name the job). */
export type CronLogger = Parameters<typeof setLogger>[0];

export interface SchedulerOptions {
  coordinator: DatabaseRunCoordinator;
  /** The logger of a job's node-cron task (its notices, such as an overlapping fire blocked, then name the job). */
  taskLogger?: (jobId: string) => CronLogger;
  /**
   * A fire node-cron did not run because the job's previous fire is still running in this process (no claim was
   * made for it: claim it through the coordinator to record it once across processes).
   */
  onOverlap?: (jobId: string, slot: Date, coordinationKey: string) => void;
  /** Runs one fire; `slot` is the scheduled time of the fire (whole seconds), not the moment it started. */
  onFire: (jobId: string, slot: Date) => Promise<void>;
  /** Failed fires, rejected jobs, coordinator and purge failures. Default: console.error. */
  onError?: (error: unknown, jobId?: string) => void;
  defaultTimeZone: string;
  /** How long a claimed fire's lease row counts as held (node-cron `distributedLease`). Default 5 minutes. */
  leaseMs?: number;
  /** How often old lease rows are purged; 0 turns purging off. Default 15 minutes. */
  purgeIntervalMs?: number;
  /** How long lease rows are kept after they expire. Default 1 hour. */
  leaseRetentionMs?: number;
  /**
   * How long a fire whose claim failed for another reason than "already claimed" (the database is unreachable)
   * keeps trying to claim its slot, with backoff. 0 skips such a fire at once. Default 1 minute.
   */
  claimRetryMs?: number;
}

export interface PlanResult {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  rejected: Array<{ id: string; message: string }>;
}

export interface StopOptions {
  /** Longest wait for fires in progress. Default 30 s. */
  deadlineMs?: number;
}

interface Entry {
  id: string;
  name: string;
  cron: string;
  timeZone: string;
  task?: ScheduledTask;
  /** False once the job is removed, replanned or the scheduler stops: no new fire is claimed for it. */
  active: boolean;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_PURGE_INTERVAL_MS = 15 * 60_000;
const DEFAULT_LEASE_RETENTION_MS = 60 * 60_000;
const DEFAULT_STOP_DEADLINE_MS = 30_000;
const DEFAULT_CLAIM_RETRY_MS = 60_000;
/** Pauses between claim attempts: 0.5 s, 1 s, 2 s, 4 s, then every 5 s (frequent schedules recover quickly). */
const CLAIM_RETRY_FIRST_DELAY_MS = 500;
const CLAIM_RETRY_MAX_DELAY_MS = 5_000;

/**
 * Runs jobs on cron schedules with node-cron, each fire exactly once across every process that shares the
 * database: each job is a node-cron task named `job:<id>` with `distributed: true`, and a fire runs only in
 * the process whose `scheduler_lease` insert for `job:<id>:<slot ISO time>` succeeds.
 *
 * Coordinator registration: node-cron resolves a task's coordinator when the task is created (per-task
 * `runCoordinator` option, else the process-wide one from `setRunCoordinator`, else an env-var coordinator
 * that throws unless NODE_CRON_RUN is 'true'/'false'). The constructor registers `coordinator` process-wide
 * with `setRunCoordinator` once, so any other `distributed` task in this process is coordinated through the
 * database too (the last Scheduler constructed wins that slot). The tasks of this scheduler also pass a
 * per-task gate in front of the same coordinator, so they stop claiming fires once removed or stopping, and
 * `stop()` can wait for claimed fires.
 */
export class Scheduler {
  private readonly coordinator: DatabaseRunCoordinator;
  private readonly onFire: SchedulerOptions['onFire'];
  private readonly taskLogger?: SchedulerOptions['taskLogger'];
  private readonly onOverlap?: SchedulerOptions['onOverlap'];
  private readonly onError: NonNullable<SchedulerOptions['onError']>;
  private readonly defaultTimeZone: string;
  private readonly leaseMs: number;
  private readonly leaseRetentionMs: number;
  private readonly claimRetryMs: number;
  /** Wakes claims waiting to retry (stop() calls them). */
  private readonly retryWaits = new Set<() => void>();
  private readonly entries = new Map<string, Entry>();
  /** Claims being decided and fires being run; `stop()` waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Fires claimed but not yet finished, by node-cron key. */
  private readonly claimed = new Map<string, () => void>();
  private readonly purgeTimer?: NodeJS.Timeout;
  private stopping = false;

  constructor(options: SchedulerOptions) {
    const zoneError = validateTimeZone(options.defaultTimeZone);
    if (zoneError) throw new Error(`defaultTimeZone: ${zoneError}`);
    this.coordinator = options.coordinator;
    this.onFire = options.onFire;
    this.taskLogger = options.taskLogger;
    this.onOverlap = options.onOverlap;
    this.onError = options.onError ?? ((error, jobId) => console.error(`scheduler${jobId ? ` (job ${jobId})` : ''}:`, error));
    this.defaultTimeZone = options.defaultTimeZone;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.leaseRetentionMs = options.leaseRetentionMs ?? DEFAULT_LEASE_RETENTION_MS;
    this.claimRetryMs = options.claimRetryMs ?? DEFAULT_CLAIM_RETRY_MS;
    // Process-wide and read at task creation: set before any task exists (see the class comment).
    setRunCoordinator(this.coordinator);
    const purgeIntervalMs = options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS;
    if (purgeIntervalMs > 0) {
      this.purgeTimer = setInterval(() => void this.purgeLeases(), purgeIntervalMs);
      this.purgeTimer.unref();
    }
  }

  /**
   * Makes the running tasks match `jobs`: new jobs get a task, removed jobs lose theirs, jobs whose cron or
   * zone changed get a new task, unchanged jobs keep theirs (and their place in the current second). Invalid
   * jobs are reported through onError, listed as rejected and not scheduled.
   */
  plan(jobs: readonly ScheduledJob[]): PlanResult {
    if (this.stopping) throw new Error('the scheduler is stopped');
    const result: PlanResult = { added: [], changed: [], removed: [], unchanged: [], rejected: [] };
    const wanted = new Map<string, { id: string; cron: string; timeZone: string }>();
    const reject = (id: string, message: string) => {
      result.rejected.push({ id, message });
      this.report(new Error(`job ${id}: ${message}`), id);
    };
    for (const job of jobs) {
      if (wanted.has(job.id)) {
        reject(job.id, 'the job is listed twice; the first entry is used');
        continue;
      }
      const timeZone = job.timeZone || this.defaultTimeZone;
      const message = validateCron(job.cron) ?? validateTimeZone(timeZone);
      if (message) {
        reject(job.id, message);
        continue;
      }
      wanted.set(job.id, { id: job.id, cron: job.cron.trim(), timeZone });
    }

    for (const [id, entry] of this.entries) {
      if (wanted.has(id)) continue;
      this.retire(entry);
      this.entries.delete(id);
      result.removed.push(id);
    }
    for (const job of wanted.values()) {
      const existing = this.entries.get(job.id);
      if (existing && existing.cron === job.cron && existing.timeZone === job.timeZone) {
        result.unchanged.push(job.id);
        continue;
      }
      if (existing) {
        this.retire(existing);
        this.entries.delete(job.id);
      }
      try {
        this.entries.set(job.id, this.start(job));
        (existing ? result.changed : result.added).push(job.id);
      } catch (error) {
        if (existing) result.removed.push(job.id);
        reject(job.id, error instanceof Error ? error.message : String(error));
      }
    }
    return result;
  }

  /** Next slot of a planned job in this process, or null for a job that is not planned. */
  nextRunAt(jobId: string): Date | null {
    return this.entries.get(jobId)?.task?.getNextRun() ?? null;
  }

  /** Ids of the jobs that have a task. */
  plannedJobIds(): string[] {
    return [...this.entries.keys()];
  }

  /** Deletes lease rows that expired more than `leaseRetentionMs` ago (also run on a timer). */
  async purgeLeases(): Promise<number> {
    try {
      return await this.coordinator.purgeExpired(new Date(Date.now() - this.leaseRetentionMs));
    } catch (error) {
      this.report(error);
      return 0;
    }
  }

  /**
   * Destroys every task, then waits (up to the deadline) for claims being decided and fires in progress.
   * Fires still running at the deadline are reported through onError and left to finish on their own.
   * The process-wide node-cron coordinator stays registered.
   */
  async stop(options: StopOptions = {}): Promise<void> {
    this.stopping = true;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    for (const entry of this.entries.values()) this.retire(entry);
    this.entries.clear();
    for (const wake of this.retryWaits) wake();

    const deadline = Date.now() + (options.deadlineMs ?? DEFAULT_STOP_DEADLINE_MS);
    while (this.inFlight.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        this.report(new Error(`${this.inFlight.size} scheduled fire(s) still running when the stop deadline passed`));
        return;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private start(job: { id: string; cron: string; timeZone: string }): Entry {
    const entry: Entry = { ...job, name: `job:${job.id}`, active: true };
    const gate: RunCoordinator = { shouldRun: (key, ttlMs) => this.claim(entry, key, ttlMs) };
    entry.task = schedule(job.cron, (context) => this.fire(entry, context.date), {
      name: entry.name,
      timezone: job.timeZone,
      distributed: true,
      runCoordinator: gate,
      distributedLease: this.leaseMs,
      noOverlap: true,
      unref: true,
      ...(this.taskLogger ? { logger: this.taskLogger(job.id) } : {}),
    });
    const onOverlap = this.onOverlap;
    if (onOverlap) {
      entry.task.on('execution:overlap', (context) => {
        if (entry.active && !this.stopping) onOverlap(entry.id, context.date, `${entry.name}:${context.date.toISOString()}`);
      });
    }
    return entry;
  }

  private retire(entry: Entry): void {
    entry.active = false;
    const task = entry.task;
    if (!task) return;
    try {
      Promise.resolve(task.destroy()).catch((error: unknown) => this.report(error, entry.id));
    } catch (error) {
      this.report(error, entry.id);
    }
  }

  private async claim(entry: Entry, key: string, ttlMs: number): Promise<boolean> {
    if (!entry.active || this.stopping) return false;
    const claiming = this.claimWithRetry(entry, key, ttlMs);
    this.inFlight.add(claiming);
    try {
      const result = await claiming;
      if (result.error !== undefined) this.report(result.error, entry.id);
      if (result.claimed) {
        // Registered before the claim leaves inFlight, so stop() cannot miss a fire node-cron is about to run.
        let finished!: () => void;
        const done = new Promise<void>((resolve) => (finished = resolve));
        this.inFlight.add(done);
        this.claimed.set(key, () => {
          this.inFlight.delete(done);
          finished();
        });
      }
      return result.claimed;
    } finally {
      this.inFlight.delete(claiming);
    }
  }

  /**
   * Claims a fire; when the claim fails for another reason than "already claimed" (typically: the database is
   * unreachable), the slot is retried with backoff for up to `claimRetryMs`, so a fire that falls in a short
   * outage still runs once the database is back. node-cron waits for the claim, and `noOverlap` keeps the
   * job's later fires from piling up meanwhile. Whoever inserts the lease first still wins: exactly once holds.
   */
  private async claimWithRetry(entry: Entry, key: string, ttlMs: number): Promise<ClaimResult> {
    const giveUpAt = Date.now() + this.claimRetryMs;
    for (let attempt = 1; ; attempt += 1) {
      const result = await this.coordinator.claim(key, ttlMs);
      if (result.error === undefined) return result;
      if (!entry.active || this.stopping) return { claimed: false, key: result.key };
      const delay = Math.min(CLAIM_RETRY_MAX_DELAY_MS, CLAIM_RETRY_FIRST_DELAY_MS * 2 ** (attempt - 1));
      if (Date.now() + delay > giveUpAt) return result;
      if (attempt === 1) {
        const reason = result.error instanceof Error ? result.error.message : String(result.error);
        this.report(new Error(`job ${entry.id}: the fire ${key} could not be claimed (${reason}); retrying for up to ${Math.round(this.claimRetryMs / 1000)} s`), entry.id);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.retryWaits.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, delay);
        timer.unref();
        this.retryWaits.add(wake);
      });
      if (!entry.active || this.stopping) return { claimed: false, key: result.key };
    }
  }

  private async fire(entry: Entry, slot: Date): Promise<void> {
    const key = `${entry.name}:${slot.toISOString()}`;
    try {
      await this.onFire(entry.id, slot);
    } catch (error) {
      this.report(error, entry.id);
    } finally {
      this.claimed.get(key)?.();
      this.claimed.delete(key);
    }
  }

  private report(error: unknown, jobId?: string): void {
    try {
      this.onError(error, jobId);
    } catch {
      // The error handler failing must not break the schedule.
    }
  }
}
