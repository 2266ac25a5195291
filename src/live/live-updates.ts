/**
 * Live updates: what changed, told to the GraphQL subscriptions of every hub process.
 *
 * Writers (the ingestion path, the connector runner) call {@link publishChanges} after their transaction has
 * committed. The process delivers the changes to its own subscribers at once, and hands them to the feed, which
 * tells the other processes:
 * - `database` (default): one row in `live_event` per publication; each process reads the rows after the last id
 *   it has seen every LIVE_UPDATES_POLL_MS (one indexed read) while it has subscribers, skipping its own. Ids taken by transactions
 *   not yet committed when a later id is read (MySQL/MariaDB allocate them before commit) are remembered as gaps
 *   and looked for again for a few seconds, so a row committed out of id order is still delivered, once.
 * - `redis`: PUBLISH on one channel; every process SUBSCRIBEs and skips its own messages.
 * A change is delivered to each subscriber once, by the process the subscriber is connected to.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ioredis } from '../common/lazy-modules';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { LiveUpdatesConfig } from '../config';
import { Sql } from '../database/sql-dialect';

/** What a run's ledger row said when it changed: subscribers see the run as it was at that moment. */
export interface RunSnapshot {
  status: string;
  attempts: number;
  fetched: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** Batches committed by the current attempt. */
  batches: number;
  /** ISO timestamp, or null while running. */
  finishedAt: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  durationMs: number | null;
}

/** A connector run started, committed a batch, or ended. */
export interface RunChange {
  kind: 'run';
  runId: number;
  connectorId: number;
  departmentId: number;
  run: RunSnapshot;
}

/** What one commit changed of one metric. */
export interface MetricChange {
  metricId: number;
  metric: string;
  departmentId: number;
  department: string;
  /** Unit codes with a new or changed value (at most MAX_LISTED; `truncated` when more). */
  units: string[];
  /** Periods with a new or changed value (at most MAX_LISTED). */
  periods: string[];
  /** Whether more units or periods changed than are listed: refetch the whole metric. */
  truncated: boolean;
  imported: number;
  updated: number;
}

/** Observations one commit wrote (new or changed values; unchanged ones are not reported). */
export interface ObservationsChange {
  kind: 'observations';
  committedAt: string;
  metrics: MetricChange[];
}

export type LiveChange = RunChange | ObservationsChange;

/** Units or periods listed per metric in one change. */
export const MAX_LISTED = 200;
/** Longest JSON a change feed row holds (the MySQL `text` column holds 65,535 bytes). */
const MAX_PAYLOAD_CHARS = 60_000;
/** Changes queued for one subscriber that is not reading; beyond it the subscription is ended (the client subscribes again). */
const MAX_QUEUED = 1_000;
/** Rows read per poll. */
const ROWS_PER_POLL = 500;
/** How long an id skipped by a poll is looked for again (a transaction that allocated it may still commit). */
const GAP_WAIT_MS = 10_000;
/** Ids remembered as gaps at most. */
const MAX_GAPS = 1_000;
const PRUNE_EVERY_MS = 30_000;
const REDIS_CHANNEL = 'pilothub:live';

/** Listens to the changes delivered in this process. */
type Listener = (changes: readonly LiveChange[]) => void;

/** How a process tells the others of its changes, and hears theirs. */
interface Feed {
  publish(payload: string): Promise<void>;
  /** Starts hearing the other processes' publications. */
  start(deliver: (changes: LiveChange[]) => void): void;
  /** Resolves once the feed hears publications (called before the first subscriber of a quiet period is counted). */
  ready(): Promise<void>;
  /** Nobody listens any more: a polling feed stops reading. */
  quiet(): void;
  stop(): Promise<void>;
}

/** A change fitted into one feed row: the lists of the largest metric changes shortened until it fits. */
function fitted(changes: readonly LiveChange[]): string {
  let text = JSON.stringify(changes);
  let limit = MAX_LISTED;
  while (text.length > MAX_PAYLOAD_CHARS && limit > 0) {
    limit = Math.floor(limit / 2);
    const shortened = changes.map((change) =>
      change.kind === 'observations'
        ? {
            ...change,
            metrics: change.metrics.map((metric) =>
              metric.units.length > limit || metric.periods.length > limit
                ? { ...metric, units: metric.units.slice(0, limit), periods: metric.periods.slice(0, limit), truncated: true }
                : metric,
            ),
          }
        : change,
    );
    text = JSON.stringify(shortened);
  }
  return text;
}

/**
 * The live updates of one process: delivers published changes to the listeners here, and through the feed to
 * those of the other processes.
 */
export class LiveUpdates {
  /** Identifies this process's publications in the feed. */
  readonly origin = `${process.pid}:${randomUUID()}`;
  private readonly listeners = new Set<Listener>();
  private stopped = false;

  constructor(
    private readonly feed: Feed,
    private readonly logger?: Logger,
  ) {
    feed.start((changes) => this.deliver(changes));
  }

  static open(config: LiveUpdatesConfig, dataSource: DataSource, logger?: Logger): LiveUpdates {
    const feed = config.feed === 'redis' ? new RedisFeed(config.redisUrl!, logger) : new DatabaseFeed(dataSource, config, logger);
    const live = new LiveUpdates(feed, logger);
    (feed as { origin?: string }).origin = live.origin;
    return live;
  }

  /** Subscribers listening in this process. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Delivers here at once, then tells the other processes (a failure is logged: the change itself is committed). */
  publish(changes: readonly LiveChange[]): void {
    if (changes.length === 0 || this.stopped) return;
    this.deliver(changes);
    this.feed.publish(fitted(changes)).catch((error: unknown) => this.logger?.warn({ err: error }, 'live update could not be passed to the other hub processes'));
  }

  private deliver(changes: readonly LiveChange[]): void {
    for (const listener of this.listeners) listener(changes);
  }

  /**
   * The changes from now on, transformed for one subscriber (`transform` answers null for changes it does not
   * report), in order; ends when `return()` is called, when the process stops, or when the subscriber falls
   * MAX_QUEUED changes behind.
   */
  async subscribe<T>(label: string, transform: (change: LiveChange) => Promise<T | null> | T | null): Promise<AsyncIterableIterator<T>> {
    // Once the feed reads (a quiet database feed starts from its newest row), every later commit reaches this subscriber.
    await this.feed.ready();
    const queue: LiveChange[] = [];
    let waiting: (() => void) | null = null;
    let ended = false;
    const wake = () => {
      const resume = waiting;
      waiting = null;
      resume?.();
    };
    const listener: Listener = (changes) => {
      if (ended) return;
      if (queue.length + changes.length > MAX_QUEUED) {
        this.logger?.warn({ queued: queue.length }, 'a subscriber fell too far behind: its subscription is ended');
        end();
        return;
      }
      queue.push(...changes);
      wake();
    };
    const end = () => {
      if (ended) return;
      ended = true;
      queue.length = 0;
      this.listeners.delete(listener);
      this.endAll.delete(end);
      this.counts.set(label, (this.counts.get(label) ?? 1) - 1);
      if (this.listeners.size === 0) this.feed.quiet();
      wake();
    };
    this.listeners.add(listener);
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
    const iterator: AsyncIterableIterator<T> = {
      next: async () => {
        for (;;) {
          if (ended) return { done: true, value: undefined };
          const change = queue.shift();
          if (change === undefined) {
            await new Promise<void>((resolve) => (waiting = resolve));
            continue;
          }
          const value = await transform(change);
          if (value !== null && !ended) return { done: false, value };
        }
      },
      return: async () => {
        end();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    this.endAll.add(end);
    return iterator;
  }

  private readonly endAll = new Set<() => void>();
  /** Subscribers listening, by label (the subscription field): /metrics reports them. */
  readonly counts = new Map<string, number>();

  /** Ends every subscription of this process and stops the feed. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const end of [...this.endAll]) end();
    await this.feed.stop();
  }
}

/** The change feed table, polled while this process has subscribers. */
class DatabaseFeed implements Feed {
  origin = '';
  private last: number | null = null;
  /** Ids skipped by a poll, with when they were first missed. */
  private readonly gaps = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;
  private stopped = false;
  private polling: Promise<void> | null = null;
  private readonly sql: Sql;

  constructor(
    private readonly dataSource: DataSource,
    private readonly config: LiveUpdatesConfig,
    private readonly logger?: Logger,
  ) {
    this.sql = Sql.of(dataSource);
  }

  async publish(payload: string): Promise<void> {
    const { sql } = this;
    await this.dataSource.query(`INSERT INTO ${sql.id('live_event')} (${sql.list(['origin', 'payload', 'createdAt'])}) VALUES (?, ?, ?)`, [
      this.origin,
      payload,
      sql.datetime(new Date()),
    ]);
  }

  private deliver: (changes: LiveChange[]) => void = () => undefined;
  private listening = false;

  start(deliver: (changes: LiveChange[]) => void): void {
    this.deliver = deliver;
  }

  /** Starts reading (from the newest row) unless already reading; resolves once the newest row is known. */
  async ready(): Promise<void> {
    if (this.stopped) return;
    if (!this.listening) {
      this.listening = true;
      if (!this.polling && !this.timer) this.tick();
    }
    while (this.last === null && this.listening && !this.stopped) await (this.polling ?? new Promise((resolve) => setTimeout(resolve, 10)));
  }

  quiet(): void {
    this.listening = false;
  }

  private tick(): void {
    this.timer = null;
    if (this.stopped) return;
    if (!this.listening) {
      // Nobody listens: nothing is read until somebody subscribes again (then from the newest row on).
      this.last = null;
      this.gaps.clear();
      return;
    }
    this.polling = this.poll(this.deliver)
      .catch((error: unknown) => this.logger?.warn({ err: error }, 'the live updates feed could not be read; trying again'))
      .finally(() => {
        this.polling = null;
        if (!this.stopped) {
          this.timer = setTimeout(() => this.tick(), this.last === null ? 50 : this.config.pollMs);
          this.timer.unref();
        }
      });
  }

  private async poll(deliver: (changes: LiveChange[]) => void): Promise<void> {
    const { sql } = this;
    const table = sql.id('live_event');
    if (this.last === null) {
      // A listening period starts after the newest row: earlier changes were committed before anybody here subscribed.
      const [row] = (await this.dataSource.query(`SELECT MAX(${sql.id('id')}) AS ${sql.id('last')} FROM ${table}`)) as Array<{ last: unknown }>;
      this.last = row?.last === null || row?.last === undefined ? 0 : Number(row.last);
      return;
    }
    const now = Date.now();
    for (const [id, since] of this.gaps) if (now - since > GAP_WAIT_MS) this.gaps.delete(id);
    const gapIds = [...this.gaps.keys()];
    const columns = sql.list(['id', 'origin', 'payload']);
    const rows = (await this.dataSource.query(
      `SELECT ${columns} FROM ${table} WHERE ${sql.id('id')} > ?${gapIds.length > 0 ? ` OR ${sql.id('id')} IN (${gapIds.map(() => '?').join(', ')})` : ''} ORDER BY ${sql.id('id')} LIMIT ${ROWS_PER_POLL}`,
      [this.last, ...gapIds],
    )) as Array<{ id: unknown; origin: string; payload: string }>;
    for (const row of rows) {
      const id = Number(row.id);
      if (this.gaps.delete(id)) {
        // Committed after a later id was read: delivered now.
      } else if (id > this.last) {
        for (let missing = this.last + 1; missing < id && this.gaps.size < MAX_GAPS; missing += 1) this.gaps.set(missing, now);
        this.last = id;
      } else {
        continue;
      }
      if (row.origin === this.origin) continue;
      try {
        deliver(JSON.parse(row.payload) as LiveChange[]);
      } catch (error) {
        this.logger?.warn({ err: error, id }, 'an unreadable live updates feed row was skipped');
      }
    }
    if (now - this.lastPrune > PRUNE_EVERY_MS) {
      this.lastPrune = now;
      await this.dataSource.query(`DELETE FROM ${table} WHERE ${sql.id('createdAt')} < ?`, [sql.datetime(new Date(now - this.config.retentionMs))]);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }
}

/** Redis pub/sub: one connection publishes, another (in subscriber mode) listens. */
class RedisFeed implements Feed {
  origin = '';
  private readonly publisher: Redis;
  private readonly subscriber: Redis;

  constructor(url: string, logger?: Logger) {
    this.publisher = new (ioredis().Redis)(url, { maxRetriesPerRequest: 1 });
    this.subscriber = new (ioredis().Redis)(url);
    let reported = false;
    const warn = (error: unknown) => {
      if (!reported) logger?.warn({ err: error }, 'live updates: Redis is unreachable; retrying');
      reported = true;
    };
    this.publisher.on('error', warn);
    this.subscriber.on('error', warn);
    this.subscriber.on('ready', () => (reported = false));
  }

  async publish(payload: string): Promise<void> {
    await this.publisher.publish(REDIS_CHANNEL, JSON.stringify({ origin: this.origin, changes: payload }));
  }

  start(deliver: (changes: LiveChange[]) => void): void {
    this.subscribed = this.subscriber.subscribe(REDIS_CHANNEL).then(() => undefined, () => undefined);
    this.subscriber.on('message', (_channel: string, message: string) => {
      const parsed = JSON.parse(message) as { origin: string; changes: string };
      if (parsed.origin !== this.origin) deliver(JSON.parse(parsed.changes) as LiveChange[]);
    });
  }

  private subscribed: Promise<void> = Promise.resolve();

  /** Subscribed for as long as the process runs (a Redis subscription costs nothing while quiet). */
  quiet(): void {}

  /** Resolves once the subscription is made (or failed: ioredis subscribes again when it reconnects). */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  async stop(): Promise<void> {
    await Promise.all([this.publisher.quit().catch(() => this.publisher.disconnect()), this.subscriber.quit().catch(() => this.subscriber.disconnect())]);
  }
}

// ---- Where writers publish -----------------------------------------------------------------------------------

const attached = new WeakMap<DataSource, LiveUpdates>();

/** Makes `live` the live updates of the writes made through `dataSource` in this process. */
export function attachLiveUpdates(dataSource: DataSource, live: LiveUpdates): void {
  attached.set(dataSource, live);
}

export function detachLiveUpdates(dataSource: DataSource): void {
  attached.delete(dataSource);
}

/** The live updates of the writes made through `dataSource`, if the process serves any. */
export function liveUpdatesOf(dataSource: DataSource): LiveUpdates | undefined {
  return attached.get(dataSource);
}

/** Tells subscribers of committed changes; nothing when the process serves no subscriptions (a command-line tool). */
export function publishChanges(dataSource: DataSource, changes: readonly LiveChange[]): void {
  attached.get(dataSource)?.publish(changes);
}
