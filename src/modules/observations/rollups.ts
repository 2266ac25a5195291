/**
 * Maintenance of observation_rollup, inside the transaction of every writer of observations, so new data is
 * visible to the analytics as soon as the batch commits: new observations are added to their rollup rows with
 * one multi-row upsert (addToRollups); the (metric, unit, month) keys of changed values are re-derived from the
 * raw observations with one set-based INSERT … SELECT … GROUP BY per chunk of keys (refreshRollups).
 * rebuildRollups re-derives everything (migration, seed, benchmarks).
 */
import type { DataSource, EntityManager } from 'typeorm';
import { addDays, parsePeriod, periodContaining, type Frequency } from '../../common/period';
import { inChunks, parameterList, placeholders, Sql, type Dialect } from '../../database/sql-dialect';
import { guardedAddition, guardedSum, sumParameter } from '../../database/sum-guard';

/** The figures a month rollup row keeps of one metric and unit (what the engine reads back). */
export interface RollupFigures {
  /** The sources of the month's observations, comma-separated (see ObservationRollup.sources). */
  sources: string;
  valueSum: number;
  numeratorSum: number | null;
  denominatorSum: number | null;
  observationCount: number;
  numeratorCount: number;
  latestPeriodStart: string;
  latestValue: number;
}

export interface RollupKey {
  metricId: number;
  unitId: number;
  /** 'YYYY-MM' */
  month: string;
  /**
   * First and last period (of the metric's frequency) that can start in the month. Period texts of one
   * frequency sort chronologically, so the observations of the key are one range of the unique
   * (metricId, unitId, period) index.
   */
  firstPeriod: string;
  lastPeriod: string;
}

type Queryable = DataSource | EntityManager;

/** Keys per statement: 5 parameters each, far below SQLite's 32,766 bound parameters. */
const KEYS_PER_STATEMENT = 2_000;

const ROLLUP_COLUMNS = [
  'metricId',
  'unitId',
  'month',
  'level',
  'sources',
  'valueSum',
  'numeratorSum',
  'denominatorSum',
  'observationCount',
  'numeratorCount',
  'latestPeriodStart',
  'latestValue',
];
const KEY = ROLLUP_COLUMNS.slice(0, 3);
const UPDATED = ROLLUP_COLUMNS.slice(3);

/**
 * SQL aggregate: the distinct values of a source column (or of lists of them), comma-separated — sources never
 * contain a comma (ingestRows refuses such an origin). Compared byte for byte, as JavaScript compares them (MySQL's
 * collation would take "Nguồn" and "nguon" for one); on MySQL, in a binary collation, which mixes with the table's.
 */
export function sourcesOf(dialect: Dialect, expression: string): string {
  return dialect === 'sqlite' ? `GROUP_CONCAT(DISTINCT ${expression})` : `CONVERT(GROUP_CONCAT(DISTINCT BINARY ${expression}) USING utf8mb4) COLLATE utf8mb4_bin`;
}

/** The distinct sources of comma-separated lists (as sourcesOf writes them), sorted. */
export function sourceList(...lists: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const list of lists) for (const source of list.split(',')) if (source !== '') sources.add(source);
  return [...sources].sort();
}

/**
 * INSERT … SELECT of rollup rows from `source` (observations `o` with a `month` expression, already filtered),
 * replacing existing rows with the same key.
 */
function upsertStatement(sql: Sql, from: string, month: string): string {
  const q = (name: string) => sql.id(name);
  const columns = sql.list(ROLLUP_COLUMNS);
  // The latest period of the month (a metric has one frequency, whose period texts sort like their starts) is
  // joined back through the unique index for its value.
  const grouped =
    `SELECT o.${q('metricId')} AS ${q('metricId')}, o.${q('unitId')} AS ${q('unitId')}, ${month} AS ${q('month')}, ` +
    `MIN(u.${q('level')}) AS ${q('level')}, ${sourcesOf(sql.dialect, `o.${q('source')}`)} AS ${q('sources')}, ${guardedSum(`o.${q('value')}`)} AS ${q('valueSum')}, ` +
    `${guardedSum(`o.${q('numerator')}`)} AS ${q('numeratorSum')}, ${guardedSum(`o.${q('denominator')}`)} AS ${q('denominatorSum')}, ` +
    `COUNT(*) AS ${q('observationCount')}, COUNT(o.${q('numerator')}) AS ${q('numeratorCount')}, ` +
    `MAX(o.${q('periodStart')}) AS ${q('latestPeriodStart')}, MAX(o.${q('period')}) AS ${q('latestPeriod')} ` +
    `FROM ${from} JOIN ${q('administrative_unit')} u ON u.${q('id')} = o.${q('unitId')} ` +
    `GROUP BY o.${q('metricId')}, o.${q('unitId')}, ${month}`;
  const select =
    `SELECT g.${q('metricId')}, g.${q('unitId')}, g.${q('month')}, g.${q('level')}, g.${q('sources')}, g.${q('valueSum')}, g.${q('numeratorSum')}, ` +
    `g.${q('denominatorSum')}, g.${q('observationCount')}, g.${q('numeratorCount')}, g.${q('latestPeriodStart')}, l.${q('value')} ` +
    `FROM (${grouped}) g JOIN ${q('observation')} l ON l.${q('metricId')} = g.${q('metricId')} ` +
    `AND l.${q('unitId')} = g.${q('unitId')} AND l.${q('period')} = g.${q('latestPeriod')}`;
  const insert = `INSERT INTO ${q('observation_rollup')} (${columns}) ${select}`;
  const set = UPDATED.map((column) => `${q(column)} = ${sql.proposed(column)}`).join(', ');
  // "WHERE true" keeps SQLite from reading ON CONFLICT as part of the join.
  return `${insert}${sql.dialect === 'sqlite' ? ' WHERE true' : ''} ${sql.onConflict(KEY, set)}`;
}

/** First and last period of `frequency` starting in `month`. */
function periodRange(month: string, frequency: Frequency): [string, string] {
  const { start, end } = parsePeriod(month);
  let first = periodContaining(start, frequency);
  if (first.start < start) first = periodContaining(addDays(first.end, 1), frequency);
  return [first.text, periodContaining(end, frequency).text];
}

/** Distinct (metric, unit, month) keys of written observations. */
export function rollupKeysOf(rows: Iterable<{ metricId: number; unitId: number; period: string; periodStart: string }>): RollupKey[] {
  const keys = new Map<string, RollupKey>();
  const ranges = new Map<string, [string, string]>();
  for (const row of rows) {
    const month = row.periodStart.slice(0, 7);
    const id = `${row.metricId}|${row.unitId}|${month}`;
    if (keys.has(id)) continue;
    const frequency = parsePeriod(row.period).frequency;
    let range = ranges.get(`${frequency}|${month}`);
    if (!range) ranges.set(`${frequency}|${month}`, (range = periodRange(month, frequency)));
    keys.set(id, { metricId: row.metricId, unitId: row.unitId, month, firstPeriod: range[0], lastPeriod: range[1] });
  }
  return [...keys.values()];
}

/**
 * Re-derives the rollup rows of `keys` from the raw observations; run it in the transaction that wrote them.
 * Observations are only added or changed, never removed, so an upsert per key is enough.
 */
export async function refreshRollups(manager: Queryable, keys: readonly RollupKey[]): Promise<void> {
  if (keys.length === 0) return;
  const sql = Sql.of(manager);
  const q = (name: string) => sql.id(name);
  await inChunks(keys, KEYS_PER_STATEMENT, async (chunk) => {
    const parameters: unknown[] = [];
    for (const key of chunk) parameters.push(key.metricId, key.unitId, key.firstPeriod, key.lastPeriod, key.month);
    // The keys as a derived table joined to the unique (metricId, unitId, period) index: one range per key.
    const keyTable =
      sql.dialect === 'sqlite'
        ? `(SELECT column1 AS m, column2 AS u, column3 AS s, column4 AS e, column5 AS mo FROM (VALUES ${placeholders(chunk.length, 5)}))`
        : `(${['SELECT ? AS m, ? AS u, ? AS s, ? AS e, ? AS mo', ...new Array<string>(chunk.length - 1).fill('SELECT ?, ?, ?, ?, ?')].join(' UNION ALL ')})`;
    const from =
      `${keyTable} k JOIN ${q('observation')} o ON o.${q('metricId')} = k.m AND o.${q('unitId')} = k.u ` +
      `AND o.${q('period')} >= k.s AND o.${q('period')} <= k.e`;
    await manager.query(upsertStatement(sql, from, 'k.mo'), parameters);
  });
}

/** A newly inserted observation, as the ingestion path wrote it (the source is that of the whole call). */
export interface InsertedObservation {
  metricId: number;
  unitId: number;
  periodStart: string;
  value: number;
  numerator: number | null;
  denominator: number | null;
}

/** Rows per delta statement: 12 parameters each, below SQLite's bound-parameter limit. */
const DELTAS_PER_STATEMENT = 2_000;

/**
 * Adds newly inserted observations to their rollup rows without re-reading the month: one multi-row upsert
 * that adds the sums and counts and keeps the later of the stored and the new latest period. Only for
 * observations that did not exist before (a changed value goes through refreshRollups), all written with `source`
 * (added to the month's sources when it is not among them yet). The units' levels are read unless `knownLevels`
 * (the caller read them already) gives them.
 */
export async function addToRollups(manager: Queryable, rows: readonly InsertedObservation[], source: string, knownLevels?: ReadonlyMap<number, string>): Promise<void> {
  if (rows.length === 0) return;
  const sql = Sql.of(manager);
  const q = (name: string) => sql.id(name);
  const levels = new Map<number, string>();
  const unitIds: number[] = [];
  for (const unitId of new Set(rows.map((row) => row.unitId))) {
    const level = knownLevels?.get(unitId);
    if (level === undefined) unitIds.push(unitId);
    else levels.set(unitId, level);
  }
  await inChunks(unitIds, KEYS_PER_STATEMENT, async (chunk) => {
    const found: Array<{ id: number | string; level: string }> = await manager.query(
      `SELECT ${q('id')}, ${q('level')} FROM ${q('administrative_unit')} WHERE ${q('id')} IN (${parameterList(chunk.length)})`,
      [...chunk],
    );
    for (const unit of found) levels.set(Number(unit.id), unit.level);
  });
  interface Delta extends RollupFigures {
    metricId: number;
    unitId: number;
    month: string;
  }
  const deltas = new Map<string, Delta>();
  for (const row of rows) {
    const month = row.periodStart.slice(0, 7);
    const key = `${row.metricId}|${row.unitId}|${month}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = { metricId: row.metricId, unitId: row.unitId, month, sources: source, valueSum: 0, numeratorSum: null, denominatorSum: null, observationCount: 0, numeratorCount: 0, latestPeriodStart: row.periodStart, latestValue: row.value };
      deltas.set(key, delta);
    }
    delta.valueSum += row.value;
    if (row.numerator !== null) delta.numeratorSum = (delta.numeratorSum ?? 0) + row.numerator;
    if (row.denominator !== null) delta.denominatorSum = (delta.denominatorSum ?? 0) + row.denominator;
    delta.observationCount += 1;
    if (row.numerator !== null) delta.numeratorCount += 1;
    if (row.periodStart > delta.latestPeriodStart) {
      delta.latestPeriodStart = row.periodStart;
      delta.latestValue = row.value;
    }
  }
  const stored = (column: string) => sql.stored('observation_rollup', column);
  const added = (column: string) => sql.proposed(column);
  // A sum stays null only while every report lacked it (as SUM does).
  const nullableSum = (column: string) =>
    `${q(column)} = CASE WHEN ${stored(column)} IS NULL AND ${added(column)} IS NULL THEN NULL ELSE ` +
    `${guardedAddition(`COALESCE(${stored(column)}, 0)`, `COALESCE(${added(column)}, 0)`)} END`;
  // MySQL assigns left to right (later expressions see earlier assignments): latestValue before latestPeriodStart.
  const binary = sql.dialect === 'sqlite' ? '' : 'BINARY ';
  const set = [
    // A source joins the list once (the proposed list is the one source of the call).
    `${q('sources')} = CASE WHEN INSTR(${binary}CONCAT(',', ${stored('sources')}, ','), ${binary}CONCAT(',', ${added('sources')}, ',')) > 0 ` +
      `THEN ${stored('sources')} ELSE CONCAT(${stored('sources')}, ',', ${added('sources')}) END`,
    // Sums guarded against overflow (src/database/sum-guard.ts).
    `${q('valueSum')} = ${guardedAddition(stored('valueSum'), added('valueSum'))}`,
    nullableSum('numeratorSum'),
    nullableSum('denominatorSum'),
    `${q('observationCount')} = ${stored('observationCount')} + ${added('observationCount')}`,
    `${q('numeratorCount')} = ${stored('numeratorCount')} + ${added('numeratorCount')}`,
    `${q('latestValue')} = CASE WHEN ${added('latestPeriodStart')} > ${stored('latestPeriodStart')} THEN ${added('latestValue')} ELSE ${stored('latestValue')} END`,
    `${q('latestPeriodStart')} = CASE WHEN ${added('latestPeriodStart')} > ${stored('latestPeriodStart')} THEN ${added('latestPeriodStart')} ELSE ${stored('latestPeriodStart')} END`,
  ].join(', ');
  await inChunks([...deltas.values()], DELTAS_PER_STATEMENT, async (chunk) => {
    const parameters: unknown[] = [];
    for (const delta of chunk) {
      const level = levels.get(delta.unitId);
      if (!level) throw new Error(`administrative unit ${delta.unitId} is referenced but missing`);
      parameters.push(
        delta.metricId, delta.unitId, delta.month, level, delta.sources, sumParameter(delta.valueSum), sumParameter(delta.numeratorSum), sumParameter(delta.denominatorSum),
        delta.observationCount, delta.numeratorCount, delta.latestPeriodStart, delta.latestValue,
      );
    }
    await manager.query(`${sql.insert('observation_rollup', ROLLUP_COLUMNS, chunk.length)} ${sql.onConflict(KEY, set)}`, parameters);
  });
}

/** Re-derives every rollup row (of the given metrics only, when given) from the raw observations. */
export async function rebuildRollups(queryable: Queryable, metricIds?: readonly number[]): Promise<void> {
  const sql = Sql.of(queryable);
  const q = (name: string) => sql.id(name);
  const month = sql.monthOf(`o.${q('periodStart')}`);
  if (metricIds && metricIds.length === 0) return;
  const only = metricIds ? ` WHERE ${q('metricId')} IN (${parameterList(metricIds.length)})` : '';
  const parameters = metricIds ? [...metricIds] : [];
  await queryable.query(`DELETE FROM ${q('observation_rollup')}${only}`, parameters);
  const from = `${q('observation')} o${metricIds ? ` WHERE o.${q('metricId')} IN (${parameterList(metricIds.length)})` : ''}`;
  // The WHERE must follow the join to administrative_unit: wrap the filtered observations.
  const source = metricIds ? `(SELECT * FROM ${from}) o` : `${q('observation')} o`;
  await queryable.query(upsertStatement(sql, source, month), parameters);
}
