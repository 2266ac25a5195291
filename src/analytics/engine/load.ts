/**
 * Loading the values of a plan: month rollups (observation_rollup) or raw observations (with their revisions for
 * `asOf`), both in one shape, in one statement — or in several over ranges of units when the read is large — and
 * the levels each metric was reported at.
 */
import { yieldToEventLoop } from '../../common/event-loop';
import type { UnitLevel } from '../../common/enums';
import { coarserLevel } from '../value-rules';
import { estimateRows } from '../volume';
import type { Plan } from './plan';
import { dateText, datetimeParameter, dialectOf, parameterList } from '../../database/sql-dialect';
import { guardedSum, readSum } from '../../database/sum-guard';
import { sourcesOf, type RollupFigures } from '../../modules/observations/rollups';
import { num, type Queryable } from './queryable';
import type { AnalyticsMetric } from './types';

/** Month totals of one unit (a rollup row), or one raw observation in the same shape. */
export interface ValueRow extends RollupFigures {
  metricId: number;
  unitId: number;
  level: UnitLevel;
  /** Start of the month (rollups) or of the period (raw): decides the bucket. */
  start: string;
}

const ROLLUP_COLUMNS = 'sources, valueSum, numeratorSum, denominatorSum, observationCount, numeratorCount, latestPeriodStart, latestValue';

/**
 * Values of the plan's metrics. From the rollups, the metrics in `summable` (reported at one level only, so the
 * per-month choice of level is always that level) come with each unit's months already summed in SQL — one row
 * per unit carrying its latest month's latest period and value (for STOCK) — when the answer has a single bucket:
 * far fewer rows to read and combine. The other metrics come month by month. One statement for both.
 */
export async function loadValues(dataSource: Queryable, plan: Plan, summable: ReadonlySet<number> = new Set()): Promise<ValueRow[]> {
  if (plan.metrics.length === 0) return [];
  const ranges = unitRanges(plan);
  const rows: ValueRow[] = [];
  for (const [index, range] of ranges.entries()) {
    if (index > 0) await yieldToEventLoop();
    const part = plan.raw ? await loadRawValues(dataSource, plan, range) : await loadRollupValues(dataSource, plan, summable, range);
    for (const row of part) rows.push(row);
  }
  return rows;
}

/** Estimated rows above which the values are read in several statements (below it: one, whatever the metrics). */
const SPLIT_ABOVE = 25_000;
/** Estimated rows one of those statements reads at most: a few tens of milliseconds of SQLite on the main thread. */
const ROWS_PER_READ = 10_000;

/** Unit ids from `from` (inclusive) to `to` (exclusive); null: unbounded. */
type UnitRange = { from: number | null; to: number | null };

/**
 * The unit-id ranges the values are read in: one unbounded range when the estimated rows fit SPLIT_ABOVE, else
 * consecutive ranges of the units in force during the range, each estimated at ROWS_PER_READ rows at most (the
 * first and last are open-ended, so every row is read exactly once whatever units exist).
 */
function unitRanges(plan: Plan): UnitRange[] {
  const perUnit = estimateRows(plan.metrics.map((metric) => metric.frequency), plan.start, plan.end, plan.raw, 1, plan.today);
  const ids = [...plan.units.byId.values()]
    .filter((unit) => unit.validFrom <= plan.end && (unit.validTo === null || unit.validTo >= plan.start))
    .map((unit) => unit.id)
    .sort((a, b) => a - b);
  if (perUnit * ids.length <= SPLIT_ABOVE) return [{ from: null, to: null }];
  const perRange = Math.max(1, Math.floor(ROWS_PER_READ / Math.max(1, perUnit)));
  const ranges: UnitRange[] = [];
  for (let index = 0; index < ids.length; index += perRange) {
    ranges.push({ from: index === 0 ? null : ids[index], to: index + perRange < ids.length ? ids[index + perRange] : null });
  }
  return ranges;
}

/** " AND <column> >= ? AND <column> < ?" for the bounds of the range that are set. */
function unitCondition(column: string, range: UnitRange, parameters: unknown[]): string {
  let condition = '';
  if (range.from !== null) {
    condition += ` AND ${column} >= ?`;
    parameters.push(range.from);
  }
  if (range.to !== null) {
    condition += ` AND ${column} < ?`;
    parameters.push(range.to);
  }
  return condition;
}

/** Rollup rows of one range of units: month by month, or summed over the range for the `summable` metrics. */
async function loadRollupValues(dataSource: Queryable, plan: Plan, summable: ReadonlySet<number>, range: UnitRange): Promise<ValueRow[]> {
  const metricIds = plan.metrics.map((metric) => metric.id);
  const summed = plan.granularity === null ? metricIds.filter((id) => summable.has(id)) : [];
  const monthly = metricIds.filter((id) => !summed.includes(id));
  const firstMonth = plan.start.slice(0, 7);
  const lastMonth = plan.end.slice(0, 7);
  // Month rows count from their first day, which must lie in the range (see bucketIndexer).
  const firstWholeMonth = plan.start.endsWith('-01') ? firstMonth : nextMonth(firstMonth);
  const selects: string[] = [];
  const parameters: unknown[] = [];
  if (monthly.length > 0) {
    parameters.push(...monthly, firstMonth, lastMonth);
    selects.push(
      `SELECT metricId, unitId, \`month\`, \`level\`, ${ROLLUP_COLUMNS} ` +
        `FROM observation_rollup WHERE metricId IN (${parameterList(monthly.length)}) AND \`month\` >= ? AND \`month\` <= ?` +
        unitCondition('unitId', range, parameters),
    );
  }
  if (summed.length > 0 && firstWholeMonth <= lastMonth) {
    parameters.push(...summed, firstWholeMonth, lastMonth);
    const units = unitCondition('unitId', range, parameters);
    selects.push(
      'SELECT s.metricId, s.unitId, s.firstMonth AS `month`, s.`level`, s.sources, s.valueSum, s.numeratorSum, s.denominatorSum, s.observationCount, ' +
        's.numeratorCount, r.latestPeriodStart, r.latestValue ' +
        'FROM (SELECT metricId, unitId, MAX(`level`) AS `level`, MIN(`month`) AS firstMonth, MAX(`month`) AS lastMonth, ' +
        `${sourcesOf(dialectOf(dataSource), 'sources')} AS sources, ` +
        `${guardedSum('valueSum')} AS valueSum, ${guardedSum('numeratorSum')} AS numeratorSum, ${guardedSum('denominatorSum')} AS denominatorSum, ` +
        'SUM(observationCount) AS observationCount, ' +
        'SUM(numeratorCount) AS numeratorCount FROM observation_rollup ' +
        `WHERE metricId IN (${parameterList(summed.length)}) AND \`month\` >= ? AND \`month\` <= ?${units} GROUP BY metricId, unitId) s ` +
        'JOIN observation_rollup r ON r.metricId = s.metricId AND r.unitId = s.unitId AND r.`month` = s.lastMonth',
    );
  }
  if (selects.length === 0) return [];
  const rows: Array<Record<string, unknown>> = await dataSource.query(selects.join(' UNION ALL '), parameters);
  return rows.map((row) => ({
    metricId: Number(row.metricId),
    unitId: Number(row.unitId),
    level: row.level as UnitLevel,
    sources: String(row.sources),
    start: `${String(row.month)}-01`,
    // A sum that overflowed (src/database/sum-guard.ts) reads as Infinity: the measure answers null with an error.
    valueSum: readSum(Number(row.valueSum)),
    numeratorSum: readSum(num(row.numeratorSum)),
    denominatorSum: readSum(num(row.denominatorSum)),
    observationCount: Number(row.observationCount),
    numeratorCount: Number(row.numeratorCount),
    latestPeriodStart: dateText(row.latestPeriodStart),
    latestValue: Number(row.latestValue),
  }));
}

/** Raw observations of one range of units, each as a row of its own; with asOf, the values known then. */
async function loadRawValues(dataSource: Queryable, plan: Plan, range: UnitRange): Promise<ValueRow[]> {
  const metricIds = plan.metrics.map((metric) => metric.id);
  const inList = parameterList(metricIds.length);
  let statement: string;
  const parameters: unknown[] = [];
  if (plan.asOf) {
    // The value known at asOf: the current one if it was recorded by then, otherwise the revision that was current
    // then (recorded by asOf, replaced after it). Observations first recorded after asOf are left out.
    const at = datetimeParameter(dialectOf(dataSource), plan.asOf);
    statement =
      'SELECT o.metricId, o.unitId, o.periodStart, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.source ELSE r.source END AS source, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.value ELSE r.value END AS value, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.numerator ELSE r.numerator END AS numerator, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.denominator ELSE r.denominator END AS denominator ' +
      'FROM observation o LEFT JOIN observation_revision r ON r.observationId = o.id AND o.recordedAt > ? AND r.recordedAt <= ? AND r.revisedAt > ? ' +
      `WHERE o.metricId IN (${inList}) AND o.periodStart >= ? AND o.periodStart <= ? AND (o.recordedAt <= ? OR r.id IS NOT NULL)`;
    parameters.push(at, at, at, at, at, at, at, ...metricIds, plan.start, plan.end, at);
    statement += unitCondition('o.unitId', range, parameters);
  } else {
    statement =
      'SELECT o.metricId, o.unitId, o.periodStart, o.source, o.value, o.numerator, o.denominator FROM observation o ' +
      `WHERE o.metricId IN (${inList}) AND o.periodStart >= ? AND o.periodStart <= ?`;
    parameters.push(...metricIds, plan.start, plan.end);
    statement += unitCondition('o.unitId', range, parameters);
  }
  const rows: Array<Record<string, unknown>> = await dataSource.query(statement, parameters);
  return rows.map((row) => {
    const periodStart = dateText(row.periodStart);
    const value = Number(row.value);
    const numerator = num(row.numerator);
    const unitId = Number(row.unitId);
    return {
      metricId: Number(row.metricId),
      unitId,
      level: plan.units.unit(unitId).level,
      sources: String(row.source),
      start: periodStart,
      valueSum: value,
      numeratorSum: numerator,
      denominatorSum: num(row.denominator),
      observationCount: 1,
      numeratorCount: numerator === null ? 0 : 1,
      latestPeriodStart: periodStart,
      latestValue: value,
    };
  });
}

export interface ReportingLevels {
  /** The coarsest level each metric was ever reported at: what `expected` counts when a period has no data. */
  coarsest: Map<number, UnitLevel>;
  /** Metrics only ever reported at one level: their months can be summed before they are combined. */
  singleLevel: Set<number>;
}

export async function reportingLevels(dataSource: Queryable, metrics: readonly AnalyticsMetric[]): Promise<ReportingLevels> {
  const coarsest = new Map<number, UnitLevel>();
  const levelCounts = new Map<number, number>();
  if (metrics.length === 0) return { coarsest, singleLevel: new Set() };
  const rows: Array<{ metricId: number | string; level: UnitLevel }> = await dataSource.query(
    `SELECT DISTINCT metricId, \`level\` FROM observation_rollup WHERE metricId IN (${parameterList(metrics.length)})`,
    metrics.map((metric) => metric.id),
  );
  for (const row of rows) {
    const id = Number(row.metricId);
    coarsest.set(id, coarserLevel(coarsest.get(id) ?? null, row.level));
    levelCounts.set(id, (levelCounts.get(id) ?? 0) + 1);
  }
  return { coarsest, singleLevel: new Set([...levelCounts].filter(([, count]) => count === 1).map(([id]) => id)) };
}

function nextMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  return monthNumber === 12 ? `${year + 1}-01` : `${year}-${String(monthNumber + 1).padStart(2, '0')}`;
}
