/**
 * Which of a slice's natural keys are stored already, and their stored values: what ingestRows needs to tell new
 * values from changed and unchanged ones.
 */
import type { EntityManager } from 'typeorm';
import { inChunks, parameterList, placeholders, type Sql } from '../database/sql-dialect';
import type { ValidRow } from './validation';

/** Natural keys per existence query (3 parameters each). */
const KEYS_PER_QUERY = 2_000;

export interface ExistingObservation {
  id: number;
  metricId: number;
  unitId: number;
  period: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
  recordedAt: Date | string;
  source: string;
  runId: number | null;
  mappingVersion: number | null;
}

export const keyOf = (metricId: number, unitId: number, period: string): string => `${metricId}|${unitId}|${period}`;

/** The stored observations with the natural keys of `rows`, in set-based chunks. */
export async function loadExisting(manager: EntityManager, sql: Sql, rows: readonly ValidRow[]): Promise<Map<string, ExistingObservation>> {
  const existing = new Map<string, ExistingObservation>();
  const columns = ['id', 'metricId', 'unitId', 'period', 'value', 'numerator', 'denominator', 'recordedAt', 'source', 'runId', 'mappingVersion'];
  const selected = columns.map((column) => `o.${sql.id(column)}`).join(', ');
  await inChunks(rows, KEYS_PER_QUERY, async (chunk) => {
    const parameters: unknown[] = [];
    for (const row of chunk) parameters.push(row.metricId, row.unitId, row.period);
    let statement: string;
    if (sql.dialect === 'sqlite') {
      // A row-value IN list: SQLite searches the unique index once per key.
      statement =
        `SELECT ${selected} FROM ${sql.id('observation')} o ` +
        `WHERE (${sql.list(['metricId', 'unitId', 'period'])}) IN (VALUES ${placeholders(chunk.length, 3)})`;
    } else {
      // The keys as a derived table joined, in that order, to the unique index: one eq_ref lookup per key.
      // (OR-ed key conditions and tuple IN lists let the optimizer pick a range over the unitId index,
      // which reads the whole table once a batch names every unit.)
      // A locking read: a concurrent batch writing the same keys waits here for the other to commit and then
      // reads its values, so the value it replaces is the one kept as a revision (a plain read would see the
      // snapshot from before the other batch, and that batch's value would be lost from the history).
      const keys = ['SELECT ? AS m, ? AS u, ? AS p', ...new Array<string>(chunk.length - 1).fill('SELECT ?, ?, ?')].join(' UNION ALL ');
      statement =
        `SELECT STRAIGHT_JOIN ${selected} FROM (${keys}) k ` +
        `JOIN ${sql.id('observation')} o FORCE INDEX (${sql.id('UQ_observation_metric_unit_period')}) ` +
        `ON o.${sql.id('metricId')} = k.m AND o.${sql.id('unitId')} = k.u AND o.${sql.id('period')} = k.p FOR UPDATE`;
    }
    const found: ExistingObservation[] = await manager.query(statement, parameters);
    for (const row of found) {
      const observation: ExistingObservation = {
        ...row,
        id: Number(row.id),
        metricId: Number(row.metricId),
        unitId: Number(row.unitId),
        value: Number(row.value),
        numerator: row.numerator === null ? null : Number(row.numerator),
        denominator: row.denominator === null ? null : Number(row.denominator),
      };
      existing.set(keyOf(observation.metricId, observation.unitId, observation.period), observation);
    }
  });
  return existing;
}

/**
 * The rows of `rows` whose natural key may be stored already: those whose key one read of the slice's bounding box
 * finds, or all of them when the slice's last key is stored (a batch sent again) or the box holds more
 * observations than a quarter of the slice. The box (the slice's
 * metrics, its units, and the periods from the first to the last in text order: a superset of its keys) is read
 * from the unique index of the natural key alone, without touching the table's rows. A backfill of new periods,
 * the usual first run of a connector, finds none, or only the keys its previous batch ended with, and its keys
 * need not be looked up one by one.
 *
 * A plain read, not a locking one: a key another batch stores after it makes this slice's INSERT fail on the
 * unique key (or wait for that batch, then fail), and the batch's transaction is then run again
 * (retryWriteConflicts), finding that row and revising it as the locking look-up of the candidates does.
 */
export async function possiblyStored(manager: EntityManager, sql: Sql, rows: readonly ValidRow[]): Promise<readonly ValidRow[]> {
  const metricIds = new Set<number>();
  const unitIds = new Set<number>();
  let first = rows[0].period;
  let last = first;
  for (const row of rows) {
    metricIds.add(row.metricId);
    unitIds.add(row.unitId);
    if (row.period < first) first = row.period;
    else if (row.period > last) last = row.period;
  }
  // A box holding more than a quarter of the slice's keys (a batch sent again, a revision of recent values) is read no
  // further: all the keys are then looked up, as the box would save little.
  const most = Math.floor(rows.length / 4);
  // A batch sent again is told by its last key, already stored: one look-up on the unique index, and the box is not read.
  const lastRow = rows[rows.length - 1];
  const lastStored: unknown[] = await manager.query(
    `SELECT 1 AS ${sql.id('found')} FROM ${sql.id('observation')} WHERE ${sql.id('metricId')} = ? AND ${sql.id('unitId')} = ? AND ${sql.id('period')} = ?`,
    [lastRow.metricId, lastRow.unitId, lastRow.period],
  );
  if (lastStored.length > 0) return rows;
  const found: Array<{ metricId: number | string; unitId: number | string; period: string }> = await manager.query(
    // Named on a server database: on a table whose statistics are stale (small, just emptied) the optimizer may scan it.
    `SELECT ${sql.list(['metricId', 'unitId', 'period'])} FROM ${sql.id('observation')}` +
      `${sql.dialect === 'sqlite' ? '' : ` FORCE INDEX (${sql.id('UQ_observation_metric_unit_period')})`} ` +
      `WHERE ${sql.id('metricId')} IN (${parameterList(metricIds.size)}) AND ${sql.id('unitId')} IN (${parameterList(unitIds.size)}) ` +
      `AND ${sql.id('period')} BETWEEN ? AND ? LIMIT ${most + 1}`,
    [...metricIds, ...unitIds, first, last],
  );
  if (found.length > most) return rows;
  if (found.length === 0) return [];
  const stored = new Set(found.map((row) => keyOf(Number(row.metricId), Number(row.unitId), row.period)));
  return rows.filter((row) => stored.has(keyOf(row.metricId, row.unitId, row.period)));
}
