import type { Logger } from 'pino';
import { In, Not, type DataSource } from 'typeorm';
import { connectorKind } from '../../connectors/registry';
import { ConnectorError, type ConnectorContext, type ReadBatch, type ReadWindow } from '../../connectors/sdk/contract';
import { backoffDelay, createHttpClient, type HttpClientOptions } from '../../connectors/sdk/http-client';
import { applyConnectorMapping, connectorMappingSchema, type ObservationRow } from '../../connectors/sdk/mapping';
import { HubError, isDatabaseUnavailable } from '../common/errors';
import { addDays } from '../common/period';
import { todayIn } from '../common/clock';
import type { Frequency } from '../common/period';
import { ConnectorRun, ConnectorRunLock } from '../modules/connectors/connector-run.entity';
import { Connector, RunErrorClass, RunStatus, RunTrigger } from '../modules/connectors/connector.entity';
import { RunRejection } from '../modules/connectors/connector-run.entity';
import { Department } from '../modules/departments/department.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { withLogContext } from '../observability/logger';
import { secretDestination, type ConnectorSecretStore } from '../security/connector-secrets';
import { SecretRedactor } from '../security/secret-redactor';
import type { OutboundGuard, OutboundSession } from '../security/outbound-guard';
import { OutboundBlockedError, type ConnectorReach } from '../security/outbound-policy';
import { isDuplicateKeyError } from '../database/write-conflicts';
import { ingestRows, type ImportSummary, type IngestionOrigin } from './ingest';
import { readAhead } from './read-ahead';
import { publishChanges } from '../live/live-updates';

export interface RunRequest {
  connectorId: number;
  trigger: RunTrigger;
  /** Days to read; default: the connector's look-back window ending today. */
  window?: ReadWindow;
  /** Who started it: a key name, or "scheduler". */
  actor: string;
  /** The schedule slot, for scheduled runs. */
  scheduledFor?: Date;
  requestId?: string;
  /** The run interrupted by a shutdown that this run does again. */
  rerunOf?: number;
}

export interface RunnerOptions {
  /** Identifies this process in the ledger (runs it owns while RUNNING). */
  owner: string;
  timeZone: string;
  /** Attempts per run, counting the first; only transient failures are retried. */
  maxAttempts?: number;
  /** Timeouts, size limit and retries of the connectors' HTTP client (the SDK's defaults otherwise). */
  http?: Omit<HttpClientOptions, 'dispatcher'>;
  /** Where connectors may connect to: every run, test and connection goes through it. */
  outbound: OutboundGuard;
  /** The connectors' secrets, decrypted for runs. */
  secrets: ConnectorSecretStore;
  /** Pause between attempts (ms) for attempt n (1-based); default exponential backoff with jitter. */
  retryDelay?: (attempt: number) => number;
  reportError?: (error: unknown) => void;
  /** How often a running run's heartbeat is refreshed (ms). */
  heartbeatMs: number;
  /** How often a run in progress logs a progress line (rows so far, attempt, waiting to retry); default 60 s. */
  progressLogMs?: number;
  logger?: Logger;
  /**
   * Told of every finished run (pulled or pushed), e.g. to count it in metrics, with its duration measured in
   * this process (the ledger's timestamps have whole-second precision on MySQL/MariaDB).
   */
  observeRun?: (run: ConnectorRun, kind: string, durationSeconds: number) => void;
}

/** A pulled run refused because another pulled run of the same connector is RUNNING (CONFLICT, naming that run). */
export class RunInProgressError extends HubError {
  constructor(
    readonly connectorId: number,
    readonly running: Pick<ConnectorRun, 'id' | 'trigger' | 'startedAt'> | null,
  ) {
    super(
      'CONFLICT',
      running
        ? `connector ${connectorId} is already running: run ${running.id} (${running.trigger}, started ${running.startedAt.toISOString()}); wait until it ends`
        : `connector ${connectorId} is already running; wait until its run ends`,
      'id',
      running ? { runningRunId: String(running.id) } : undefined,
    );
  }
}

/** How a run stopped by the shutdown of its process ends: not a failure; another process runs it again. */
const SHUTDOWN_OUTCOME = {
  status: RunStatus.INTERRUPTED,
  errorClass: RunErrorClass.SHUTDOWN,
  errorMessage: 'stopped before it finished: the hub process was shutting down (another hub process runs the connector again)',
} as const;

/** What a run in progress has done so far, for its progress log lines. */
interface RunProgress {
  attempt: number;
  counts: Counts;
  batches: number;
  /** Set while waiting before the next attempt. */
  retryAt: Date | null;
}

/** Longest pause between attempts to record how a run ended while the database is unreachable. */
const RECORD_RETRY_MAX_DELAY_MS = 5_000;
const SUMMARY_FIELDS = ['fetched', 'imported', 'updated', 'unchanged', 'rejected'] as const;
type Counts = Pick<ImportSummary, (typeof SUMMARY_FIELDS)[number]>;

const emptyCounts = (): Counts => ({ fetched: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0 });

/**
 * The counts of the last attempt, with the values earlier attempts of the run wrote counted as imported or updated
 * (the last attempt found them unchanged): `fetched = imported + updated + unchanged + rejected` still holds.
 */
export function withEarlierWrites(last: Counts, written: { imported: number; updated: number }): Counts {
  const carried = Math.min(last.unchanged, written.imported + written.updated);
  const imported = Math.min(carried, written.imported);
  return { ...last, imported: last.imported + imported, updated: last.updated + (carried - imported), unchanged: last.unchanged - carried };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * Executes connector runs: reads the source batch by batch through the connector's kind, maps each record,
 * sends every batch through the ingestion path, and keeps the run's ledger row current. Transient failures
 * are retried with exponential backoff and jitter; a failed run never writes anything beyond the batches
 * it had already committed, and never zeros.
 */
export class ConnectorRunner {
  private readonly active = new Map<number, { controller: AbortController; done: Promise<ConnectorRun> }>();
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: RunnerOptions,
  ) {}

  /**
   * What a connector call gets: its decrypted secrets, and an HTTP client and TCP address check bound to an
   * outbound session (the allowlist as it is now); and the redactor every text from the source goes through
   * before the hub shows or stores it. Close the session when the call is over.
   *
   * Secrets are bound to the destination they were set for: when the configuration now reaches another
   * host or port, this fails (CONFIG) before anything is sent; with a configuration that is no longer
   * valid, no secret is handed out at all. `given` (previewConnector's, never stored) replace stored ones of the
   * same names (an empty value: not set); a connector not saved yet (id 0) has only those.
   */
  async connectorContext(connector: Connector, signal: AbortSignal, given: ReadonlyArray<{ name: string; value: string }> = []): Promise<{ context: ConnectorContext; session: OutboundSession; redactor: SecretRedactor }> {
    const kind = connectorKind(connector.kind);
    const config = kind?.configSchema.safeParse(JSON.parse(connector.config));
    const stored = kind && config?.success && connector.id !== 0 ? await this.options.secrets.read(connector.id, secretDestination(kind, config.data), new Set(given.map((secret) => secret.name))) : {};
    const secrets = { ...stored, ...Object.fromEntries(given.filter((secret) => secret.value !== '').map((secret) => [secret.name, secret.value])) };
    const session = await this.options.outbound.session(await this.reachOf(connector));
    const context: ConnectorContext = {
      signal,
      http: createHttpClient({ ...this.options.http, dispatcher: session.dispatcher }),
      secrets,
      connectAddress: (host, port) => session.connectAddress(host, port),
      metricFrequencies: await this.metricFrequencies(),
    };
    return { context, session, redactor: SecretRedactor.of(secrets) };
  }

  /** Whose connector this is, for the allowlist: its department, and whether an administrator configured it. */
  async reachOf(connector: Pick<Connector, 'departmentId' | 'configuredByAdmin'>): Promise<ConnectorReach> {
    const department = await this.dataSource.getRepository(Department).findOneByOrFail({ id: connector.departmentId });
    return { departmentId: department.id, departmentCode: department.code, configuredByAdmin: connector.configuredByAdmin };
  }

  get owner(): string {
    return this.options.owner;
  }

  /**
   * Records a RUNNING run; the caller then executes it with {@link execute}. A pulled run (any trigger but PUSH)
   * takes the connector's run lock in the same transaction: while another pulled run of the connector is RUNNING,
   * in this process or another, it is refused with {@link RunInProgressError}.
   */
  async begin(request: RunRequest, connector: Connector): Promise<ConnectorRun> {
    const today = todayIn(this.options.timeZone);
    const window = request.window ?? { from: addDays(today, -connector.lookbackDays), to: today };
    const fields: Partial<ConnectorRun> = {
      connectorId: connector.id,
      trigger: request.trigger,
      status: RunStatus.RUNNING,
      attempts: 0,
      scheduledFor: request.scheduledFor ?? null,
      startedAt: new Date(),
      heartbeatAt: new Date(),
      finishedAt: null,
      windowFrom: request.trigger === RunTrigger.PUSH ? null : window.from,
      windowTo: request.trigger === RunTrigger.PUSH ? null : window.to,
      mappingVersion: connector.mappingVersion,
      owner: this.options.owner,
      requestId: request.requestId ?? null,
      startedBy: request.actor,
      rerunOf: request.rerunOf ?? null,
    };
    if (request.trigger === RunTrigger.PUSH) {
      const run = await this.dataSource.getRepository(ConnectorRun).save(fields);
      this.runChanged(run, connector);
      return run;
    }
    for (let attempt = 1; ; attempt += 1) {
      try {
        const run = await this.dataSource.transaction(async (manager) => {
          const started = await manager.getRepository(ConnectorRun).save(fields);
          await manager.getRepository(ConnectorRunLock).insert({ connectorId: connector.id, runId: started.id, acquiredAt: new Date() });
          return started;
        });
        this.runChanged(run, connector);
        return run;
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
        const lock = await this.dataSource.getRepository(ConnectorRunLock).findOneBy({ connectorId: connector.id });
        const holder = lock ? await this.dataSource.getRepository(ConnectorRun).findOneBy({ id: lock.runId }) : null;
        if (holder?.status === RunStatus.RUNNING && holder.owner === this.options.owner && !this.active.has(holder.id)) {
          // Ours, yet not executing here: its start was recorded but reported as failed (the connection dropped
          // while committing), so nobody will ever end it. Closed, and its lock taken over below.
          await this.dataSource
            .getRepository(ConnectorRun)
            .update({ id: holder.id, status: RunStatus.RUNNING }, { status: RunStatus.INTERRUPTED, errorClass: RunErrorClass.INTERNAL, errorMessage: 'its start could not be confirmed', finishedAt: new Date() });
        } else if (holder?.status === RunStatus.RUNNING || attempt === 3) {
          throw new RunInProgressError(connector.id, holder);
        }
        // Left behind by a run that has ended (its process died before releasing it, and the run was marked
        // INTERRUPTED): taken over. Only that very lock row is deleted, so two takers cannot both win.
        if (lock) await this.dataSource.getRepository(ConnectorRunLock).delete({ connectorId: connector.id, runId: lock.runId });
      }
    }
  }

  /**
   * Tells subscribers (connectorRunUpdated) that a run's ledger row changed, with what it now says (`changed`
   * overrides the fields of `run` that moved); called once the change is committed.
   */
  private runChanged(run: ConnectorRun, connector: Pick<Connector, 'id' | 'departmentId'>, changed: Partial<ConnectorRun> = {}): void {
    const now = { ...run, ...changed };
    publishChanges(this.dataSource, [
      {
        kind: 'run',
        runId: run.id,
        connectorId: connector.id,
        departmentId: connector.departmentId,
        run: {
          status: now.status,
          attempts: now.attempts,
          fetched: now.fetched ?? 0,
          imported: now.imported ?? 0,
          updated: now.updated ?? 0,
          unchanged: now.unchanged ?? 0,
          rejected: now.rejected ?? 0,
          batches: now.batches ?? 0,
          finishedAt: now.finishedAt ? now.finishedAt.toISOString() : null,
          errorClass: now.errorClass ?? null,
          errorMessage: now.errorMessage ?? null,
          durationMs: now.durationMs ?? null,
        },
      },
    ]);
  }

  /** Frees the connector's run lock held by `run` (a lock left behind is taken over by the next run, see begin). */
  private async release(run: ConnectorRun): Promise<void> {
    await this.dataSource
      .getRepository(ConnectorRunLock)
      .delete({ connectorId: run.connectorId, runId: run.id })
      .catch((error: unknown) => this.options.reportError?.(error));
  }

  /** Starts a pull run and returns its RUNNING ledger row; the run goes on in the background. */
  async start(request: RunRequest): Promise<{ run: ConnectorRun; finished: Promise<ConnectorRun> }> {
    const connector = await this.dataSource.getRepository(Connector).findOneByOrFail({ id: request.connectorId });
    const run = await this.begin(request, connector);
    const controller = new AbortController();
    const finished = withLogContext({ runId: run.id, connectorId: connector.id, requestId: request.requestId }, () =>
      this.execute(run, connector, controller.signal),
    ).finally(async () => {
      this.active.delete(run.id);
      await this.release(run);
    });
    this.active.set(run.id, { controller, done: finished });
    return { run, finished };
  }

  /** Aborts every run in progress and waits (up to `deadlineMs`) for them to record how they ended. */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.stopping = true;
    const runs = [...this.active.values()];
    for (const { controller } of runs) controller.abort();
    await Promise.race([
      Promise.allSettled(runs.map(({ done }) => done)),
      new Promise((resolve) => setTimeout(resolve, deadlineMs).unref()),
    ]);
  }

  private async execute(run: ConnectorRun, connector: Connector, stopSignal: AbortSignal): Promise<ConnectorRun> {
    const repository = this.dataSource.getRepository(ConnectorRun);
    const names = { connectorId: connector.id, connector: connector.name, runId: run.id };
    // The run goes on while this process holds it: until the process stops, or until another process has closed
    // the run because its heartbeat was stale (this process was stalled: the connector's run lock is then free
    // for another run, and this one must not go on beside it).
    const holding = new AbortController();
    const stop = () => holding.abort(stopSignal.reason);
    if (stopSignal.aborted) stop();
    else stopSignal.addEventListener('abort', stop, { once: true });
    // The heartbeat tells other processes this run is alive; a stale one marks it INTERRUPTED at their start-up.
    const heartbeat = setInterval(() => {
      repository
        .update({ id: run.id, status: RunStatus.RUNNING }, { heartbeatAt: new Date() })
        .then(async (result) => {
          if (result.affected !== 0 || holding.signal.aborted) return;
          // No longer RUNNING: closed by another process (INTERRUPTED), or ended here by a write just before this tick.
          const now = await repository.findOne({ where: { id: run.id }, select: { id: true, status: true } });
          if (now?.status !== RunStatus.INTERRUPTED || holding.signal.aborted) return;
          this.options.logger?.warn(names, 'connector run closed by another hub process (its heartbeat was late): stopping it here');
          holding.abort(new Error('the run was closed by another process'));
        })
        .catch((error: unknown) => this.options.reportError?.(error));
    }, this.options.heartbeatMs);
    heartbeat.unref();
    this.options.logger?.info({ ...names, trigger: run.trigger, windowFrom: run.windowFrom, windowTo: run.windowTo, rerunOf: run.rerunOf ?? undefined }, 'connector run started');
    // A long run (or one waiting to retry) says how far it is, so an operator sees it is alive and what it does.
    const progress: RunProgress = { attempt: 0, counts: emptyCounts(), batches: 0, retryAt: null };
    const progressLog = setInterval(() => {
      this.options.logger?.info(
        {
          ...names,
          attempt: progress.attempt,
          batches: progress.batches,
          ...progress.counts,
          elapsedMs: Date.now() - run.startedAt.getTime(),
          ...(progress.retryAt ? { waiting: 'retry', retryAt: progress.retryAt.toISOString() } : {}),
        },
        progress.retryAt ? 'connector run progress: waiting to retry' : 'connector run progress',
      );
    }, this.options.progressLogMs ?? 60_000);
    progressLog.unref();
    try {
      const finished = await this.executeAttempts(run, connector, holding.signal, progress);
      this.runChanged(finished, connector);
      this.finished(finished, connector, run.startedAt);
      return finished;
    } finally {
      clearInterval(heartbeat);
      clearInterval(progressLog);
      stopSignal.removeEventListener('abort', stop);
    }
  }

  private async executeAttempts(run: ConnectorRun, connector: Connector, signal: AbortSignal, progress: RunProgress): Promise<ConnectorRun> {
    const repository = this.dataSource.getRepository(ConnectorRun);
    // The counts of the attempt in progress; each attempt reads the source from the start.
    let counts: Counts = emptyCounts();
    progress.counts = counts;
    // Values an attempt that failed wrote (they stay: every batch commits), so the attempt that finishes reads
    // them back as unchanged; it reports them as what they were for the run: imported or updated.
    const written = { imported: 0, updated: 0 };
    const maxAttempts = this.options.maxAttempts ?? 3;
    let outcome: Pick<ConnectorRun, 'status' | 'errorClass' | 'errorMessage'> = {
      status: RunStatus.FAILED,
      errorClass: RunErrorClass.INTERNAL,
      errorMessage: 'the run did not start',
    };
    // Incremental state resumes only routine runs; a backfill reads its whole window and leaves the state alone.
    const routine = run.trigger !== RunTrigger.BACKFILL;
    let redactor = new SecretRedactor([]);
    let state: unknown;
    let session: OutboundSession | undefined;

    try {
      const prepared = await this.connectorContext(connector, signal);
      session = prepared.session;
      redactor = prepared.redactor;
      state = routine ? await this.previousState(connector.id) : undefined;
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        if (attempt > 1) {
          // A retry reads the source again from a clean state: the run's counts and rejections become those of
          // this attempt, so every source row is counted once and no rejected row is listed twice.
          written.imported += counts.imported;
          written.updated += counts.updated;
          counts = emptyCounts();
          Object.assign(progress, { counts, batches: 0 });
          await this.dataSource.getRepository(RunRejection).delete({ runId: run.id });
          await repository.update(run.id, { ...counts, batches: 0, attempts: attempt });
          this.runChanged(run, connector, { ...counts, batches: 0, attempts: attempt });
        } else {
          await repository.update(run.id, { attempts: attempt });
        }
        progress.attempt = attempt;
        try {
          state = await this.readAll(run, connector, prepared.context, session, state, counts, redactor, progress);
          outcome = { status: counts.rejected > 0 ? RunStatus.PARTIAL : RunStatus.SUCCEEDED, errorClass: null, errorMessage: null };
          break;
        } catch (error) {
          if (signal.aborted) {
            outcome = SHUTDOWN_OUTCOME;
            break;
          }
          const failure = classify(error);
          outcome = { status: RunStatus.FAILED, errorClass: failure.errorClass, errorMessage: failure.message };
          if (failure.errorClass === RunErrorClass.INTERNAL) this.options.reportError?.(redactor.error(error));
          if (!failure.retryable || attempt === maxAttempts) break;
          const delay = (this.options.retryDelay ?? backoffDelay)(attempt);
          this.options.logger?.warn(
            { connectorId: connector.id, connector: connector.name, runId: run.id, attempt, maxAttempts, retryInMs: Math.round(delay), errorClass: failure.errorClass, error: redactor.text(failure.message), ...counts },
            'connector run attempt failed; retrying',
          );
          progress.retryAt = new Date(Date.now() + delay);
          await sleep(delay, signal);
          progress.retryAt = null;
          if (signal.aborted) {
            outcome = SHUTDOWN_OUTCOME;
            break;
          }
        }
      }
    } catch (error) {
      const failure = classify(error);
      if (error instanceof ConnectorError) {
        // The run could not be prepared (a secret that cannot be decrypted or is bound elsewhere): a configuration problem.
        outcome = { status: RunStatus.FAILED, errorClass: failure.errorClass, errorMessage: failure.message };
      } else {
        // The ledger itself could not be read or written (e.g. the database went away): the run failed.
        this.options.reportError?.(redactor.error(error));
        outcome = { status: RunStatus.FAILED, errorClass: RunErrorClass.INTERNAL, errorMessage: failure.message };
      }
    } finally {
      await session?.close().catch((error: unknown) => this.options.reportError?.(error));
    }
    counts = withEarlierWrites(counts, written);
    return this.recordOutcome(run.id, {
      ...outcome,
      // The ledger's error is what health (lastError), the API and the logs show: redacted here, once.
      errorMessage: outcome.errorMessage === null ? null : redactor.text(outcome.errorMessage).slice(0, 2000),
      ...counts,
      // The state is built from what the source sent (a cursor, a newest timestamp): redacted like any of it.
      ...(routine && state !== undefined ? { state: JSON.stringify(redactor.value(state)) } : {}),
      finishedAt: new Date(),
      durationMs: Math.max(0, Date.now() - run.startedAt.getTime()),
    });
  }

  /**
   * Writes how a run ended. A run must never stay RUNNING because the database was unreachable at that moment
   * (nothing else closes a live process's own runs): while the database is unreachable the write is retried
   * with backoff until it succeeds, or until the runner is stopped (the next process start closes what is left).
   */
  private async recordOutcome(runId: number, fields: Partial<ConnectorRun>): Promise<ConnectorRun> {
    const repository = this.dataSource.getRepository(ConnectorRun);
    for (let attempt = 1; ; attempt += 1) {
      try {
        // Only while RUNNING: a run another process has closed (its heartbeat was stale) keeps how it was closed.
        await repository.update({ id: runId, status: RunStatus.RUNNING }, fields);
        return await repository.findOneByOrFail({ id: runId });
      } catch (error) {
        if (this.stopping || !this.dataSource.isInitialized || !isDatabaseUnavailable(error)) throw error;
        if (attempt === 1) {
          const reason = error instanceof Error ? error.message : String(error);
          this.options.reportError?.(new Error(`connector run ${runId}: could not record how it ended (${reason}); retrying until the database answers`));
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(RECORD_RETRY_MAX_DELAY_MS, 250 * 2 ** (attempt - 1))).unref());
      }
    }
  }

  /** Reads every batch of the run's window and ingests it; returns the final incremental state. */
  private async readAll(
    run: ConnectorRun,
    connector: Connector,
    context: ConnectorContext,
    session: OutboundSession,
    previousState: unknown,
    counts: Counts,
    redactor: SecretRedactor,
    progress: RunProgress,
  ): Promise<unknown> {
    const { signal } = context;
    const kind = connectorKind(connector.kind);
    if (!kind) throw new ConnectorError('CONFIG', `unknown connector kind "${connector.kind}"`, false);
    const config = kind.configSchema.safeParse(JSON.parse(connector.config));
    if (!config.success) throw new ConnectorError('CONFIG', `invalid configuration: ${config.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, false);
    const mapping = connectorMappingSchema.safeParse(JSON.parse(connector.mapping));
    if (!mapping.success) throw new ConnectorError('CONFIG', `invalid mapping: ${mapping.error.issues.map((issue) => issue.message).join('; ')}`, false);
    // A host removed from the allowlist since the connector was registered fails the run before any request.
    for (const endpoint of kind.endpoints(config.data)) {
      try {
        session.policy.requireAllowed(endpoint.host, endpoint.port);
      } catch (error) {
        throw new OutboundBlockedError(`config.${endpoint.field}: ${(error as Error).message}`);
      }
    }
    const frequencies = context.metricFrequencies;
    const mapped = (batch: ReadBatch) => ({ batch, rows: batch.records.flatMap((record) => applyConnectorMapping(record, mapping.data, frequencies, { timeZone: connector.timeZone })) });
    let state = previousState;
    for (const window of windowChunks({ from: run.windowFrom!, to: run.windowTo! }, connector.maxWindowDays)) {
      for await (const { batch, rows } of readAhead(kind.read(config.data, window, state, context), mapped)) {
        const summary = await this.ingest(run, connector, rows, counts.fetched, redactor);
        for (const field of SUMMARY_FIELDS) counts[field] += summary[field];
        if (batch.state !== undefined) state = batch.state;
        progress.batches += 1;
        await this.dataSource.getRepository(ConnectorRun).update(run.id, { ...counts, batches: progress.batches, heartbeatAt: new Date() });
        this.runChanged(run, connector, { ...counts, batches: progress.batches, attempts: progress.attempt });
        if (signal.aborted) throw new Error('aborted');
      }
    }
    return state;
  }

  /** Sends one batch through the ingestion path on behalf of a run (pulled or pushed rows alike). */
  ingest(run: ConnectorRun, connector: Connector, rows: readonly ObservationRow[], rowOffset = 0, redactor?: SecretRedactor): Promise<ImportSummary> {
    const origin: IngestionOrigin = {
      redactor,
      runId: run.id,
      source: `connector:${connector.id}`,
      actor: run.startedBy,
      mappingVersion: run.mappingVersion,
      departmentIds: [connector.departmentId],
      rowOffset,
      today: todayIn(this.options.timeZone),
    };
    return ingestRows(this.dataSource, rows, origin);
  }

  /** Records how a push run of `connector` ended. */
  async finishPush(run: ConnectorRun, connector: Pick<Connector, 'id' | 'name' | 'kind' | 'departmentId'>, summary: ImportSummary | null, error?: unknown): Promise<ConnectorRun> {
    const repository = this.dataSource.getRepository(ConnectorRun);
    const counts = summary ? Object.fromEntries(SUMMARY_FIELDS.map((field) => [field, summary[field]])) : {};
    const failure = error === undefined ? null : classify(error);
    await repository.update(run.id, {
      ...counts,
      batches: summary ? 1 : 0,
      attempts: 1,
      status: failure ? RunStatus.FAILED : summary && summary.rejected > 0 ? RunStatus.PARTIAL : RunStatus.SUCCEEDED,
      errorClass: failure?.errorClass ?? null,
      errorMessage: failure?.message.slice(0, 2000) ?? null,
      finishedAt: new Date(),
      durationMs: Math.max(0, Date.now() - run.startedAt.getTime()),
    });
    if (failure?.errorClass === RunErrorClass.INTERNAL) this.options.reportError?.(error);
    const finished = await repository.findOneByOrFail({ id: run.id });
    this.runChanged(finished, connector);
    this.finished(finished, connector, run.startedAt);
    return finished;
  }

  /** Logs and reports a finished run; `startedAt` is the start time as this process recorded it (full precision). */
  private finished(run: ConnectorRun, connector: Pick<Connector, 'id' | 'name' | 'kind'>, startedAt: Date): void {
    const summary = { fetched: run.fetched, imported: run.imported, updated: run.updated, unchanged: run.unchanged, rejected: run.rejected };
    const durationMs = run.durationMs ?? Math.max(0, Date.now() - startedAt.getTime());
    const fields = { runId: run.id, connectorId: run.connectorId, connector: connector.name, status: run.status, attempts: run.attempts, durationMs, ...summary, errorClass: run.errorClass };
    if (run.errorClass === RunErrorClass.SHUTDOWN) this.options.logger?.info({ ...fields, reason: run.errorMessage }, 'connector run interrupted by the shutdown');
    else if (run.status === RunStatus.FAILED || run.status === RunStatus.INTERRUPTED) this.options.logger?.warn({ ...fields, error: run.errorMessage }, 'connector run failed');
    else this.options.logger?.info(fields, 'connector run finished');
    this.options.observeRun?.(run, connector.kind, durationMs / 1000);
  }

  private async previousState(connectorId: number): Promise<unknown> {
    const last = await this.dataSource.getRepository(ConnectorRun).findOne({
      where: { connectorId, status: In([RunStatus.SUCCEEDED, RunStatus.PARTIAL]), trigger: Not(RunTrigger.BACKFILL) },
      order: { startedAt: 'DESC', id: 'DESC' },
      select: { id: true, state: true },
    });
    return last?.state ? JSON.parse(last.state) : undefined;
  }

  async metricFrequencies(): Promise<Map<string, Frequency>> {
    const metrics = await this.dataSource.getRepository(Metric).find({ select: { code: true, frequency: true } });
    return new Map(metrics.map((metric) => [metric.code, metric.frequency as Frequency]));
  }
}

/** Splits a window into consecutive windows of at most `maxDays` days (all of it when no limit). */
export function windowChunks(window: ReadWindow, maxDays: number | null): ReadWindow[] {
  if (!maxDays) return [window];
  const chunks: ReadWindow[] = [];
  for (let from = window.from; from <= window.to; from = addDays(from, maxDays)) {
    const to = addDays(from, maxDays - 1);
    chunks.push({ from, to: to < window.to ? to : window.to });
  }
  return chunks;
}

/** Maps any error to the ledger's failure classes. */
export function classify(error: unknown): { errorClass: RunErrorClass; message: string; retryable: boolean } {
  if (error instanceof ConnectorError) {
    return { errorClass: error.errorClass as RunErrorClass, message: error.message, retryable: error.retryable };
  }
  // The ingestion path retried a write that kept colliding with other writers: a later attempt may pass.
  if (error instanceof HubError && error.code === 'CONFLICT') return { errorClass: RunErrorClass.CONFLICT, message: error.message, retryable: true };
  const message = error instanceof Error ? error.message : String(error);
  return { errorClass: RunErrorClass.INTERNAL, message, retryable: false };
}
