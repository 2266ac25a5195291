/**
 * The one ingestion path: every observation the hub stores — pulled by a connector, pushed by a department,
 * backfilled, seeded as demo values — goes through ingestRows. A call is one batch: it validates every row, then writes the accepted
 * rows (new values, changed values with their revision) and the rejections in one transaction, written in slices of
 * ROWS_PER_TRANSACTION rows with a turn of the event loop between them (and during validation), so a batch of a whole
 * feed page (160,000 rows) does not stop the process from answering meanwhile. On the embedded database, whose one
 * connection every request shares and whose statements run on the main thread, each slice is its own transaction.
 *
 * Set-based throughout: the catalogue is read once per call, existing observations are read in chunked
 * set-based statements, and writes are multi-row INSERTs / upserts, never one statement per row. The analytics
 * rollups of the months a batch touched are maintained in the same transaction (modules/observations/rollups.ts).
 */
import { DataSource, type EntityManager } from 'typeorm';
import { rowAsSent, type ObservationRow } from '../../connectors/sdk/mapping';
import { addToRollups, refreshRollups, rollupKeysOf } from '../modules/observations/rollups';
import type { SecretRedactor } from '../security/secret-redactor';
import { Slicer, yieldToEventLoop } from '../common/event-loop';
import { isValidDate } from '../common/period';
import { dateText, inChunks, parameterList, Sql } from '../database/sql-dialect';
import { keyOf, loadExisting, possiblyStored, type ExistingObservation } from './stored-keys';
import { retryWriteConflicts } from '../database/write-conflicts';
import { publishChanges } from '../live/live-updates';
import { observationsChange, type ChangeNames } from '../live/observation-changes';
import { boundedMessage, storedRejection } from './rejections';
import {
  bilingual,
  describe,
  isRejected,
  RejectionReason,
  RowValidator,
  type CatalogueMetric,
  type RowRejection,
  type UnitVersion,
  type ValidRow,
} from './validation';

export { RejectionReason, type RowRejection } from './validation';

export interface IngestionOrigin {
  /** The connector_run the rows belong to; rejections are stored against it when set. */
  runId: number | null;
  /** Stored in observation.source, e.g. 'connector:12' (1-100 characters, no comma). */
  source: string;
  /** Who: a key name or 'scheduler'; stored in revisions. */
  actor: string;
  /** Stored in observation.mappingVersion. */
  mappingVersion: number | null;
  /** When set, metrics of other departments are rejected METRIC_NOT_ALLOWED. */
  departmentIds?: readonly number[];
  /** Added to row indexes (a run reads several batches). */
  rowOffset?: number;
  /** YYYY-MM-DD; a period that starts after today is FUTURE_PERIOD. */
  today: string;
  /** Rows read from a source with secrets: what a rejection keeps of a row (its values, its message) is redacted. */
  redactor?: SecretRedactor;
  /** Stored in observation.isDemo: generated demo values (the demo seed). Default false. */
  isDemo?: boolean;
  /**
   * Stored in observation.recordedAt: when each value was recorded. Default: the time of the call. The demo seed
   * dates its values the morning after their period ended.
   */
  recordedAt?: (row: { period: string; periodStart: string; periodEnd: string }) => Date;
}

export interface ImportSummary {
  fetched: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
  /** The first MAX_REJECTIONS_STORED rejections, in row order. */
  rejections: RowRejection[];
}

/** Rejections stored (and returned) per call; all of them are counted. */
export const MAX_REJECTIONS_STORED = 1_000;
/**
 * Rows per statement. SQLite binds at most 32,766 parameters (observation rows bind 13, revisions 11);
 * on MySQL/MariaDB a statement of 2,000 rows is a few hundred kB, far below max_allowed_packet.
 */
const ROWS_PER_STATEMENT = 2_000;
/**
 * Rejections per statement: a rejection holds up to 4,500 characters (up to 18 kB in utf8mb4), so 100 of them
 * stay under 2 MB, well below MySQL's smallest default max_allowed_packet (4 MB).
 */
const REJECTIONS_PER_STATEMENT = 100;
/**
 * Accepted rows written between turns of the event loop: a few tens of milliseconds of SQLite work. On SQLite a larger
 * batch commits slice by slice; if the database fails, the slices already committed stay, and sending the batch
 * again is safe (their rows are then unchanged and skipped). A server database commits the batch whole.
 */
export const ROWS_PER_TRANSACTION = 5_000;
/** Unit codes per lookup query. */
const CODES_PER_QUERY = 2_000;
/** Longest code the administrative_unit table holds (varchar(10)). */
const UNIT_CODE_LENGTH = 10;

const OBSERVATION_COLUMNS = [
  'metricId',
  'unitId',
  'period',
  'periodStart',
  'periodEnd',
  'value',
  'numerator',
  'denominator',
  'recordedAt',
  'source',
  'runId',
  'mappingVersion',
  'isDemo',
] as const;
/** Columns an update replaces (the natural key stays). */
const UPDATED_COLUMNS = OBSERVATION_COLUMNS.filter((column) => column !== 'metricId' && column !== 'unitId' && column !== 'period');

const REVISION_COLUMNS = [
  'observationId',
  'value',
  'numerator',
  'denominator',
  'recordedAt',
  'source',
  'runId',
  'mappingVersion',
  'revisedAt',
  'revisedBy',
  'revisedByRunId',
] as const;

const REJECTION_COLUMNS = ['runId', 'rowIndex', 'reason', 'message', 'raw'] as const;

/** Metrics are few: all of them, with their department's code for messages. */
async function loadMetrics(dataSource: DataSource | EntityManager, sql: Sql): Promise<Map<string, CatalogueMetric>> {
  const rows: Array<Omit<CatalogueMetric, 'minValue' | 'maxValue' | 'retiredOn' | 'levels'> & { minValue: unknown; maxValue: unknown; retiredOn: unknown; levels: string }> =
    await dataSource.query(
      `SELECT m.${sql.id('id')} AS ${sql.id('id')}, m.${sql.id('code')} AS ${sql.id('code')}, m.${sql.id('kind')} AS ${sql.id('kind')}, ` +
        `m.${sql.id('frequency')} AS ${sql.id('frequency')}, m.${sql.id('departmentId')} AS ${sql.id('departmentId')}, ` +
        `m.${sql.id('minValue')} AS ${sql.id('minValue')}, m.${sql.id('maxValue')} AS ${sql.id('maxValue')}, ` +
        `m.${sql.id('retiredOn')} AS ${sql.id('retiredOn')}, m.${sql.id('levels')} AS ${sql.id('levels')}, ` +
        `d.${sql.id('code')} AS ${sql.id('departmentCode')} ` +
        `FROM ${sql.id('metric')} m LEFT JOIN ${sql.id('department')} d ON d.${sql.id('id')} = m.${sql.id('departmentId')}`,
    );
  const bound = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
  return new Map(
    rows.map((row) => [
      row.code,
      {
        ...row,
        id: Number(row.id),
        departmentId: Number(row.departmentId),
        minValue: bound(row.minValue),
        maxValue: bound(row.maxValue),
        retiredOn: row.retiredOn == null ? null : String(row.retiredOn),
        levels: row.levels.split(',') as CatalogueMetric['levels'],
      },
    ]),
  );
}

/** Every edition of the unit codes the rows name, in one statement per CODES_PER_QUERY codes. */
async function loadUnits(dataSource: DataSource | EntityManager, sql: Sql, rows: readonly ObservationRow[]): Promise<Map<string, UnitVersion[]>> {
  const codes = new Set<string>();
  for (const row of rows) {
    const unit = row?.unit;
    const code = typeof unit === 'string' ? unit : typeof unit === 'number' && Number.isSafeInteger(unit) ? String(unit) : null;
    if (code !== null && code.length > 0 && code.length <= UNIT_CODE_LENGTH) codes.add(code);
  }
  const byCode = new Map<string, UnitVersion[]>();
  await inChunks([...codes], CODES_PER_QUERY, async (chunk) => {
    const found: Array<{ id: number; code: string; name: string; level: UnitVersion['level']; validFrom: unknown; validTo: unknown }> = await dataSource.query(
      `SELECT ${sql.list(['id', 'code', 'name', 'level', 'validFrom', 'validTo'])} FROM ${sql.id('administrative_unit')} ` +
        `WHERE ${sql.id('code')} IN (${parameterList(chunk.length)})`,
      [...chunk],
    );
    for (const unit of found) {
      if (!codes.has(unit.code)) continue; // MySQL collations match more than the exact code
      const version: UnitVersion = {
        id: Number(unit.id),
        code: unit.code,
        name: unit.name,
        level: unit.level,
        validFrom: dateText(unit.validFrom),
        validTo: unit.validTo === null || unit.validTo === undefined ? null : dateText(unit.validTo),
      };
      const versions = byCode.get(unit.code);
      if (versions) versions.push(version);
      else byCode.set(unit.code, [version]);
    }
  });
  return byCode;
}

/** Writes `rows` with one multi-row statement per `perStatement` rows. */
async function writeRows<T>(
  manager: EntityManager,
  rows: readonly T[],
  perStatement: number,
  columns: number,
  statement: (count: number) => string,
  parameters: (row: T, into: unknown[]) => void,
): Promise<void> {
  let cached: { count: number; text: string } | null = null;
  await inChunks(rows, perStatement, async (chunk) => {
    if (!cached || cached.count !== chunk.length) cached = { count: chunk.length, text: statement(chunk.length) };
    const values: unknown[] = [];
    for (const row of chunk) parameters(row, values);
    if (values.length !== chunk.length * columns) throw new Error('internal error: parameter count does not match the statement');
    await manager.query(cached.text, values);
  });
}

/** A wrong origin is the caller's bug: refused before anything is read or written. */
function checkOrigin(origin: IngestionOrigin): void {
  const problem = (what: string) => new Error(`ingestRows: origin.${what}`);
  if (!isValidDate(origin.today)) throw problem(`today must be a date YYYY-MM-DD, got ${JSON.stringify(origin.today)}`);
  if (typeof origin.source !== 'string' || origin.source.length === 0 || origin.source.length > 100) throw problem('source must be 1-100 characters');
  // The month rollups keep a month's sources as a comma-separated list.
  if (origin.source.includes(',')) throw problem('source must not contain a comma');
  if (typeof origin.actor !== 'string' || origin.actor.length === 0 || origin.actor.length > 200) throw problem('actor must be 1-200 characters');
  if (origin.runId !== null && !Number.isSafeInteger(origin.runId)) throw problem('runId must be an integer or null');
  if (origin.mappingVersion !== null && !Number.isSafeInteger(origin.mappingVersion)) throw problem('mappingVersion must be an integer or null');
  if (origin.rowOffset !== undefined && !(Number.isSafeInteger(origin.rowOffset) && origin.rowOffset >= 0)) throw problem('rowOffset must be a whole number');
  if (origin.recordedAt !== undefined && typeof origin.recordedAt !== 'function') throw problem('recordedAt must be a function of the row');
}

/** What the writes of one call share. */
interface WriteContext {
  sql: Sql;
  origin: IngestionOrigin;
  /** The time of the call, as a statement parameter. */
  nowParameter: unknown;
  /** Pushes the parameters of one observation row (OBSERVATION_COLUMNS). */
  pushObservation: (row: ValidRow, into: unknown[]) => void;
  /** The level of each unit the rows name (read with them for validation), for the rollups. */
  unitLevels?: ReadonlyMap<number, string>;
  /** Rows the transaction in progress inserted or changed (told to live updates once it commits). */
  written: { inserted: ValidRow[]; updated: ValidRow[] };
}

interface WriteCounts {
  imported: number;
  updated: number;
  unchanged: number;
}

function writeContext(sql: Sql, origin: IngestionOrigin): WriteContext {
  const nowParameter = sql.datetime(new Date());
  const { recordedAt, source, runId, mappingVersion } = origin;
  const isDemo = origin.isDemo ? 1 : 0;
  return {
    sql,
    origin,
    nowParameter,
    written: { inserted: [], updated: [] },
    pushObservation: (row, into) => {
      into.push(
        row.metricId,
        row.unitId,
        row.period,
        row.periodStart,
        row.periodEnd,
        row.value,
        row.numerator,
        row.denominator,
        recordedAt ? sql.datetime(recordedAt(row)) : nowParameter,
        source,
        runId,
        mappingVersion,
        isDemo,
      );
    },
  };
}

/**
 * Validates every row, then drops duplicates within the call (the first valid occurrence of a natural key is
 * kept): returns the accepted rows; the rejections are counted (and the first ones kept) in `summary`.
 */
type CheckOrigin = Pick<IngestionOrigin, 'departmentIds' | 'today' | 'redactor' | 'rowOffset'>;

async function acceptRows(
  validator: RowValidator,
  rows: readonly ObservationRow[],
  origin: CheckOrigin,
  summary: ImportSummary,
): Promise<ValidRow[]> {
  const offset = origin.rowOffset ?? 0;
  const accepted: ValidRow[] = [];
  const firstIndex = new Map<string, number>();
  const refuse = (index: number, reason: RejectionReason, message: string) => {
    summary.rejected += 1;
    if (summary.rejections.length < MAX_REJECTIONS_STORED) {
      // A rejection is where values from the source are kept as text: the one place they are redacted.
      const { redactor } = origin;
      summary.rejections.push({
        rowIndex: index + offset,
        reason,
        message: boundedMessage(redactor ? redactor.text(message) : message),
        raw: redactor ? redactor.value(rowAsSent(rows[index])) : rowAsSent(rows[index]),
      });
    }
  };
  const slicer = new Slicer();
  for (let index = 0; index < rows.length; index += 1) {
    if (slicer.due()) await yieldToEventLoop();
    const result = validator.validate(rows[index], index);
    if (isRejected(result)) {
      refuse(index, result.reason, result.message);
      continue;
    }
    const key = keyOf(result.metricId, result.unitId, result.period);
    const first = firstIndex.get(key);
    if (first !== undefined) {
      refuse(
        index,
        RejectionReason.DUPLICATE_KEY,
        bilingual(
          `trùng với dòng ${first + offset}: cùng chỉ tiêu, đơn vị và kỳ "${result.period}" xuất hiện nhiều lần trong lô; giữ lần xuất hiện đầu tiên`,
          `duplicate of row ${first + offset}: metric ${describe(rows[index].metric)}, unit ${describe(rows[index].unit)}, ` +
            `period "${result.period}" appear more than once in this batch; the first occurrence is kept`,
        ),
      );
      continue;
    }
    firstIndex.set(key, index);
    accepted.push(result);
  }
  return accepted;
}

/** Stores the rejections of a call against its run. */
async function writeRejections(manager: EntityManager, context: WriteContext, rejections: readonly RowRejection[]): Promise<void> {
  const { sql, origin } = context;
  await writeRows(
    manager,
    rejections,
    REJECTIONS_PER_STATEMENT,
    REJECTION_COLUMNS.length,
    (count) => sql.insert('run_rejection', REJECTION_COLUMNS, count),
    (rejection, into) => {
      const stored = storedRejection(rejection);
      into.push(origin.runId, stored.rowIndex, stored.reason, stored.message, stored.raw);
    },
  );
}

/** Keeps the stored values of `updates` as revisions, then replaces them. */
async function writeUpdates(
  manager: EntityManager,
  context: WriteContext,
  updates: ReadonlyArray<{ row: ValidRow; previous: ExistingObservation }>,
): Promise<void> {
  const { sql, origin, nowParameter } = context;
  await writeRows(
    manager,
    updates,
    ROWS_PER_STATEMENT,
    REVISION_COLUMNS.length,
    (count) => sql.insert('observation_revision', REVISION_COLUMNS, count),
    ({ previous }, into) =>
      into.push(
        previous.id,
        previous.value,
        previous.numerator,
        previous.denominator,
        previous.recordedAt, // passed back in the form the driver returned it
        previous.source,
        previous.runId,
        previous.mappingVersion,
        nowParameter,
        origin.actor,
        origin.runId,
      ),
  );
  await writeRows(
    manager,
    updates.map(({ row }) => row),
    ROWS_PER_STATEMENT,
    OBSERVATION_COLUMNS.length,
    (count) => sql.upsert('observation', OBSERVATION_COLUMNS, ['metricId', 'unitId', 'period'], UPDATED_COLUMNS, count),
    context.pushObservation,
  );
}

/**
 * Writes one slice of accepted rows (and the rejections that go with it) with the caller's manager: new keys are
 * inserted, changed values revised, identical ones skipped; the rollups of the months touched are maintained.
 */
async function writeSlice(
  manager: EntityManager,
  context: WriteContext,
  sliceRows: readonly ValidRow[],
  sliceRejections: readonly RowRejection[],
): Promise<WriteCounts> {
  const { sql } = context;
  const candidates = sliceRows.length > 0 ? await possiblyStored(manager, sql, sliceRows) : [];
  const existing = candidates.length > 0 ? await loadExisting(manager, sql, candidates) : new Map<string, ExistingObservation>();
  let unchangedRows = 0;
  const inserts: ValidRow[] = [];
  const updates: Array<{ row: ValidRow; previous: ExistingObservation }> = [];
  for (const row of sliceRows) {
    const previous = existing.get(keyOf(row.metricId, row.unitId, row.period));
    if (!previous) inserts.push(row);
    else if (previous.value === row.value && previous.numerator === row.numerator && previous.denominator === row.denominator) unchangedRows += 1;
    else updates.push({ row, previous });
  }

  if (sliceRejections.length > 0) await writeRejections(manager, context, sliceRejections);
  if (updates.length > 0) await writeUpdates(manager, context, updates);
  if (inserts.length > 0) {
    await writeRows(
      manager,
      inserts,
      ROWS_PER_STATEMENT,
      OBSERVATION_COLUMNS.length,
      (count) => sql.insert('observation', OBSERVATION_COLUMNS, count),
      context.pushObservation,
    );
  }
  // Analytics rollups, in this transaction: months with a changed value are re-derived from the observations;
  // new values elsewhere are added to their months.
  const changed = rollupKeysOf(updates.map(({ row }) => row));
  const rederived = new Set(changed.map((key) => `${key.metricId}|${key.unitId}|${key.month}`));
  await refreshRollups(manager, changed);
  await addToRollups(
    manager,
    inserts.filter((row) => !rederived.has(`${row.metricId}|${row.unitId}|${row.periodStart.slice(0, 7)}`)),
    context.origin.source,
    context.unitLevels,
  );
  for (const row of inserts) context.written.inserted.push(row);
  for (const { row } of updates) context.written.updated.push(row);
  return { imported: inserts.length, updated: updates.length, unchanged: unchangedRows };
}

/**
 * Writes the accepted rows in slices of ROWS_PER_TRANSACTION, the rejections with the first slice. A server
 * database keeps the whole batch in one transaction, yielding between slices: other requests have connections of
 * their own meanwhile. The embedded database has a single connection that every request would share with an open
 * transaction, so there each slice commits on its own. Given a manager, every slice is written in its transaction.
 */
async function writeAccepted(
  target: DataSource | EntityManager,
  context: WriteContext,
  accepted: readonly ValidRow[],
  storedRejections: readonly RowRejection[],
  names: ChangeNames,
): Promise<WriteCounts> {
  const slices: ValidRow[][] = [];
  for (let start = 0; start === 0 || start < accepted.length; start += ROWS_PER_TRANSACTION) slices.push(accepted.slice(start, start + ROWS_PER_TRANSACTION));
  const slicesPerTransaction = context.sql.dialect === 'sqlite' ? 1 : slices.length;
  const writeSlices = async (manager: EntityManager, first: number, end: number): Promise<WriteCounts> => {
    const totals = { imported: 0, updated: 0, unchanged: 0 };
    for (let index = first; index < end; index += 1) {
      if (index > first) await yieldToEventLoop();
      const written = await writeSlice(manager, context, slices[index], index === 0 ? storedRejections : []);
      totals.imported += written.imported;
      totals.updated += written.updated;
      totals.unchanged += written.unchanged;
    }
    return totals;
  };
  if (!(target instanceof DataSource)) return writeSlices(target, 0, slices.length);
  // Concurrent batches of the same keys: on MySQL/MariaDB two writers inserting one new key collide (a duplicate
  // key, or a deadlock over the index gap both locked); the loser's slice transaction is run again and then
  // finds the key and updates it. SQLite runs one write transaction at a time (database/sqlite-transactions.ts).
  // Counts are added once their transaction has committed.
  const totals = { imported: 0, updated: 0, unchanged: 0 };
  for (let first = 0; first < slices.length; first += slicesPerTransaction) {
    if (first > 0) await yieldToEventLoop();
    const end = Math.min(first + slicesPerTransaction, slices.length);
    const written = await retryWriteConflicts(
      () =>
        target.transaction((manager) => {
          // What an attempt rolled back is not reported: each attempt collects its own rows.
          context.written = { inserted: [], updated: [] };
          return writeSlices(manager, first, end);
        }),
      { duplicateKeys: true, what: 'the batch' },
    );
    // Committed: subscribers hear of it (live updates).
    const change = observationsChange(context.written, names);
    if (change) publishChanges(target, [change]);
    totals.imported += written.imported;
    totals.updated += written.updated;
    totals.unchanged += written.unchanged;
  }
  return totals;
}

/** ingestRows' checks (catalogue, scope, duplicates) writing nothing: the rejections, and the rows that would be written (previewConnector). */
export async function validateRows(target: DataSource | EntityManager, rows: readonly ObservationRow[], origin: CheckOrigin): Promise<{ summary: ImportSummary; accepted: ValidRow[]; metricsByCode: Map<string, CatalogueMetric>; unitsByCode: Map<string, UnitVersion[]> }> {
  const summary: ImportSummary = { fetched: rows.length, imported: 0, updated: 0, unchanged: 0, rejected: 0, rejections: [] };
  if (rows.length === 0) return { summary, accepted: [], metricsByCode: new Map(), unitsByCode: new Map() };
  const sql = Sql.of(target);
  const metricsByCode = await loadMetrics(target, sql);
  const unitsByCode = await loadUnits(target, sql, rows);
  const validator = new RowValidator({
    metricsByCode,
    unitsByCode,
    departmentIds: origin.departmentIds ? new Set(origin.departmentIds) : undefined,
    today: origin.today,
  });
  const accepted = await acceptRows(validator, rows, origin, summary);
  return { summary, accepted, metricsByCode, unitsByCode };
}

/**
 * Validates `rows` and stores the accepted ones in one transaction (one per ROWS_PER_TRANSACTION accepted rows):
 * new natural keys are inserted, changed values replace the stored one after its revision is kept, identical
 * values are left untouched. Rejections are stored against origin.runId when it is set. If the database fails,
 * nothing of the call remains (on SQLite, of a call larger than one slice: nothing of the slice that failed nor of
 * those after it).
 *
 * Given an entity manager instead of the data source, the call reads and writes in the caller's transaction (the
 * demo seed's): it commits or rolls back with it, and write conflicts are the caller's to handle.
 */
export async function ingestRows(
  target: DataSource | EntityManager,
  rows: readonly ObservationRow[],
  origin: IngestionOrigin,
): Promise<ImportSummary> {
  checkOrigin(origin);
  if (!(target instanceof DataSource) && !target.queryRunner?.isTransactionActive) {
    throw new Error('ingestRows: an entity manager must be one of a transaction (or pass the data source)');
  }
  const sql = Sql.of(target);
  const { summary, accepted, metricsByCode, unitsByCode } = await validateRows(target, rows, origin);
  if (rows.length === 0) return summary;

  const storedRejections = origin.runId === null ? [] : summary.rejections;
  if (accepted.length === 0 && storedRejections.length === 0) return summary;

  const names: ChangeNames = {
    metrics: new Map([...metricsByCode.values()].map((metric) => [metric.id, metric])),
    units: new Map([...unitsByCode.values()].flat().map((unit) => [unit.id, unit.code])),
  };
  const context = writeContext(sql, origin);
  context.unitLevels = new Map([...unitsByCode.values()].flat().flatMap((unit) => (unit.level ? [[unit.id, unit.level] as const] : [])));
  const written = await writeAccepted(target, context, accepted, storedRejections, names);
  summary.imported = written.imported;
  summary.updated = written.updated;
  summary.unchanged = written.unchanged;
  return summary;
}
