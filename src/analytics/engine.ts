/**
 * The analytics engine: series and group-by aggregates of metric values, by period, administrative unit,
 * department, pilot model and task group, on either map edition and as known at any time.
 *
 * Aggregation rules (per metric kind):
 * - COUNT sums over time and over units.
 * - STOCK takes, for each unit, its latest value in the period, and sums those over units.
 * - RATE is sum(numerator) / sum(denominator) × 100 over time and units, never an average of percentages.
 *
 * One level per month: when a metric was reported at several levels (a province figure and district figures),
 * each (metric, group, month) uses only the coarsest level that reported in it, the rule `metric.latest` follows,
 * so nothing is counted twice; a unit coarser than the grouping level belongs to no group.
 *
 * Sources: current answers at MONTH, QUARTER and YEAR granularity read the month rollups (observation_rollup,
 * maintained by the ingestion path); DAY and WEEK granularity (weeks cross months) and every `asOf` answer
 * read the raw observations (and their revisions). Both feed the same accumulation, so they agree.
 *
 * A request costs a fixed number of statements whatever the number of metrics, units and periods: metrics,
 * units, predecessor links, reporting levels, values — except that a large read (more than SPLIT_ABOVE, 25,000
 * estimated rows, see volume.ts) is split into values statements of 10,000 estimated rows over ranges of units,
 * with a turn of the event loop between them, and values are combined in slices of 10 ms with turns between them
 * too: on the embedded database every statement runs on the main thread, and the process must keep answering.
 */
import type { DataSource } from 'typeorm';
import { MetricKind, UnitLevel } from '../common/enums';
import { badInput, notFound } from '../common/errors';
import {
  frequencyRank,
  parsePeriod,
  periodContaining,
  periodsBetween,
  PeriodError,
  type Frequency,
  type Period,
} from '../common/period';
import { Slicer, yieldToEventLoop } from '../common/event-loop';
import { sqliteDatetime } from '../database/sql-dialect';
import { assertDepartmentAccess } from '../security/access';
import type { Principal } from '../security/principal';
import { levelRank, UnitEdition, UnitMap, type UnitRecord } from './unit-map';
import { estimateRows, readsRaw } from './volume';

export { UnitEdition } from './unit-map';

/** Default largest number of rows (aggregate) or points (series) one request may produce. */
export const DEFAULT_MAX_AGGREGATE_ROWS = 10_000;
/** Most metrics one request may name. */
export const MAX_METRICS = 50;

export enum Dimension {
  PERIOD = 'PERIOD',
  UNIT = 'UNIT',
  DEPARTMENT = 'DEPARTMENT',
  PILOT_MODEL = 'PILOT_MODEL',
  TASK_GROUP = 'TASK_GROUP',
}

/** What rows can be ordered by: a dimension, or the value of one of the measures. */
export enum OrderField {
  PERIOD = 'PERIOD',
  UNIT = 'UNIT',
  DEPARTMENT = 'DEPARTMENT',
  PILOT_MODEL = 'PILOT_MODEL',
  TASK_GROUP = 'TASK_GROUP',
  VALUE = 'VALUE',
}

export interface AnalyticsOptions {
  /** The caller: metrics of departments outside its scope are refused. Default: no restriction. */
  principal?: Principal;
  /** Bound on rows / points; default DEFAULT_MAX_AGGREGATE_ROWS. */
  maxRows?: number;
  /** Today (YYYY-MM-DD): periods starting later are not expected yet. Default: today in UTC. */
  today?: string;
  /** 'rollup' refuses nothing but reads raw observations only when it must; 'raw' always reads them. */
  source?: 'auto' | 'raw';
}

/** Arguments shared by series and aggregates; periods may be given as text ('2024-Q1') or parsed. */
export interface AnalyticsFilter {
  metrics: readonly string[];
  from: Period | string;
  to: Period | string;
  /** Units whose values are included (with everything under them); codes, read in unitEdition when given. */
  units?: readonly string[] | null;
  /** Re-express values on this map; null: each value stays on the map it was reported on. */
  unitEdition?: UnitEdition | null;
  /** What was known at this time (revisions replaced later are used); null: current values. */
  asOf?: Date | null;
}

export interface SeriesRequest extends AnalyticsFilter {
  granularity: Frequency;
  /** One series per unit of this level; null: one series for all units. */
  level?: UnitLevel | null;
  /** Combine all metrics into one series (they must share kind and unit of measure). */
  combine?: boolean | null;
}

export interface OrderBy {
  field: OrderField;
  /** Metric code whose measure orders the rows (VALUE only). */
  metric?: string | null;
  direction?: 'ASC' | 'DESC' | null;
}

export interface AggregateRequest extends AnalyticsFilter {
  groupBy: readonly Dimension[];
  /** Required with PERIOD. */
  granularity?: Frequency | null;
  /** Required with UNIT. */
  level?: UnitLevel | null;
  departments?: readonly string[] | null;
  pilotModels?: readonly string[] | null;
  taskGroups?: readonly string[] | null;
  orderBy?: readonly OrderBy[] | null;
  /** Rows returned (after ordering); default all, at most the row bound. */
  limit?: number | null;
}

/** A combined value and how much of what was expected it rests on. */
export interface Measure {
  /** Null when nothing was reported (missing, never zero) or a RATE has no usable denominator. */
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  /** Reports expected: units at the reporting level × periods of the metric's frequency (started by today/asOf). */
  expected: number;
  /** Reports that arrived. */
  reported: number;
  complete: boolean;
  /** Part of the value was re-expressed from another map edition by a PARTIAL share (split evenly). */
  approximate: boolean;
  /** Level of the units whose reports were used (the coarsest that reported); null when none did. */
  level: UnitLevel | null;
}

export interface AnalyticsMetric {
  id: number;
  code: string;
  name: string;
  nameVi: string;
  unit: string;
  kind: MetricKind;
  frequency: Frequency;
  departmentId: number;
  departmentCode: string;
  pilotModelId: number;
  pilotModelCode: string;
  taskGroupId: number;
  taskGroupCode: string;
}

export interface SeriesPoint extends Measure {
  period: Period;
}

export interface SeriesResult {
  metrics: AnalyticsMetric[];
  /** The unit of a per-unit series; null for all units. */
  unit: UnitRecord | null;
  points: SeriesPoint[];
}

export interface AggregateMeasure extends Measure {
  metric: AnalyticsMetric;
}

export interface AggregateRow {
  period: Period | null;
  unit: UnitRecord | null;
  departmentId: number | null;
  pilotModelId: number | null;
  taskGroupId: number | null;
  measures: AggregateMeasure[];
  approximate: boolean;
}

export interface AggregateResult {
  rows: AggregateRow[];
  /** Rows before `limit`. */
  totalRows: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Input

type Queryable = Pick<DataSource, 'query' | 'options'>;
const isSqlite = (dataSource: Queryable) => dataSource.options.type === 'better-sqlite3';

function toPeriod(value: Period | string, field: string): Period {
  if (typeof value !== 'string') return value;
  try {
    return parsePeriod(value);
  } catch (error) {
    if (error instanceof PeriodError) throw badInput(field, error.message);
    throw error;
  }
}

/**
 * The named metrics, each within the caller's departments (FORBIDDEN otherwise): the one scope check of series,
 * aggregates and their CSV exports. Every total is made of the named metrics only, so no grouping (DEPARTMENT,
 * PILOT_MODEL, TASK_GROUP) can fold another department's values into a scoped caller's answer.
 */
async function loadMetrics(dataSource: Queryable, codes: readonly string[], principal: Principal | undefined): Promise<AnalyticsMetric[]> {
  if (!Array.isArray(codes) || codes.length === 0) throw badInput('metrics', 'name at least one metric');
  if (codes.length > MAX_METRICS) throw badInput('metrics', `at most ${MAX_METRICS} metrics per request`);
  const unique = [...new Set(codes)];
  if (unique.length !== codes.length) throw badInput('metrics', 'a metric is named twice');
  const rows: Array<Record<string, unknown>> = await dataSource.query(
    'SELECT m.id, m.code, m.name, m.nameVi, m.unit, m.kind, m.frequency, m.departmentId, d.code AS departmentCode, ' +
      'm.pilotModelId, p.code AS pilotModelCode, p.taskGroupId, g.code AS taskGroupCode ' +
      'FROM metric m JOIN department d ON d.id = m.departmentId JOIN pilot_model p ON p.id = m.pilotModelId ' +
      `JOIN task_group g ON g.id = p.taskGroupId WHERE m.code IN (${unique.map(() => '?').join(', ')})`,
    unique,
  );
  const byCode = new Map(
    rows.map((row) => [
      String(row.code),
      {
        id: Number(row.id),
        code: String(row.code),
        name: String(row.name),
        nameVi: String(row.nameVi),
        unit: String(row.unit),
        kind: row.kind as MetricKind,
        frequency: row.frequency as Frequency,
        departmentId: Number(row.departmentId),
        departmentCode: String(row.departmentCode),
        pilotModelId: Number(row.pilotModelId),
        pilotModelCode: String(row.pilotModelCode),
        taskGroupId: Number(row.taskGroupId),
        taskGroupCode: String(row.taskGroupCode),
      } satisfies AnalyticsMetric,
    ]),
  );
  return unique.map((code) => {
    const metric = byCode.get(code);
    if (!metric) throw notFound('metric', code);
    if (principal) assertDepartmentAccess(principal, metric.departmentId, `metric ${code}`);
    return metric;
  });
}

/** Validated, resolved arguments. */
interface Plan {
  metrics: AnalyticsMetric[];
  /** Buckets of the answer; a single bucket covering the range when values are not split by period. */
  buckets: Period[];
  granularity: Frequency | null;
  start: string;
  end: string;
  level: UnitLevel | null;
  edition: UnitEdition | null;
  filterIds: Set<number> | null;
  asOf: Date | null;
  units: UnitMap;
  today: string;
  raw: boolean;
}

async function plan(
  dataSource: Queryable,
  request: AnalyticsFilter & { granularity?: Frequency | null; level?: UnitLevel | null },
  options: AnalyticsOptions,
  metricsFilter?: (metric: AnalyticsMetric) => boolean,
): Promise<Plan> {
  const from = toPeriod(request.from, 'from');
  const to = toPeriod(request.to, 'to');
  if (from.start > to.end) throw badInput('from', `${from.text} is after to ${to.text}: the range is empty`);
  const granularity = request.granularity ?? null;
  const edition = request.unitEdition ?? null;
  const level = request.level ?? null;
  if (edition === UnitEdition.E2025 && level === UnitLevel.DISTRICT) {
    throw badInput('level', 'the 2025 map (unitEdition E2025) has no districts');
  }
  if (request.asOf != null && !(request.asOf instanceof Date && !Number.isNaN(request.asOf.getTime()))) {
    throw badInput('asOf', 'must be a date-time');
  }
  const maxRows = options.maxRows ?? DEFAULT_MAX_AGGREGATE_ROWS;

  let buckets: Period[];
  let start = from.start;
  let end = to.end;
  if (granularity) {
    try {
      buckets = periodsBetween(periodContaining(from.start, granularity), periodContaining(to.end, granularity));
    } catch (error) {
      if (error instanceof PeriodError) throw badInput('granularity', error.message);
      throw error;
    }
    if (buckets.length > maxRows) throw badInput('granularity', `${buckets.length} ${granularity} periods exceed the limit of ${maxRows} rows`);
    // Whole buckets: a range that starts or ends inside one is widened to it.
    start = buckets[0].start;
    end = buckets[buckets.length - 1].end;
  } else {
    buckets = [{ text: from.text === to.text ? from.text : `${from.text}/${to.text}`, frequency: from.frequency, start, end }];
  }

  const [metrics, units] = await Promise.all([loadMetrics(dataSource, request.metrics, options.principal), UnitMap.load(dataSource as DataSource)]);
  if (granularity) {
    for (const metric of metrics) {
      if (frequencyRank(granularity) < frequencyRank(metric.frequency)) {
        throw badInput('granularity', `${granularity} is finer than the ${metric.frequency} frequency of metric ${metric.code}`);
      }
    }
  }
  let filterIds: Set<number> | null = null;
  if (request.units != null) {
    if (request.units.length === 0) throw badInput('units', 'give at least one unit code, or leave units out');
    filterIds = new Set(
      request.units.map((code) => {
        const unit = units.findByCode(code, edition);
        if (!unit) throw notFound('administrative unit', edition ? `${code}" in the ${edition} map "` : code);
        return unit.id;
      }),
    );
  }
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const asOf = request.asOf ?? null;
  // Rollups hold whole months: a range that starts or ends inside a month is read from the observations.
  const raw = readsRaw({ start, end }, granularity, asOf, options.source);
  return {
    metrics: metricsFilter ? metrics.filter(metricsFilter) : metrics,
    buckets,
    granularity,
    start,
    end,
    level,
    edition,
    filterIds,
    asOf,
    units,
    today: asOf ? asOf.toISOString().slice(0, 10) : today,
    raw,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** Month totals of one unit (a rollup row), or one raw observation in the same shape. */
interface ValueRow {
  metricId: number;
  unitId: number;
  level: UnitLevel;
  /** Start of the month (rollups) or of the period (raw): decides the bucket. */
  start: string;
  valueSum: number;
  numeratorSum: number | null;
  denominatorSum: number | null;
  observationCount: number;
  numeratorCount: number;
  latestPeriodStart: string;
  latestValue: number;
}

const num = (value: unknown): number | null => (value == null ? null : Number(value));
const dateText = (value: unknown): string => (value instanceof Date ? value.toISOString().slice(0, 10) : String(value));

const ROLLUP_COLUMNS = 'valueSum, numeratorSum, denominatorSum, observationCount, numeratorCount, latestPeriodStart, latestValue';

/**
 * Values of the plan's metrics. From the rollups, the metrics in `summable` (reported at one level only, so the
 * per-month choice of level is always that level) come with each unit's months already summed in SQL — one row
 * per unit carrying its latest month's latest period and value (for STOCK) — when the answer has a single bucket:
 * far fewer rows to read and combine. The other metrics come month by month. One statement for both.
 */
async function loadValues(dataSource: Queryable, plan: Plan, summable: ReadonlySet<number> = new Set()): Promise<ValueRow[]> {
  if (plan.metrics.length === 0) return [];
  const ranges = unitRanges(plan);
  const rows: ValueRow[] = [];
  for (const [index, range] of ranges.entries()) {
    if (index > 0) await yieldToEventLoop();
    for (const row of await loadValuesOf(dataSource, plan, summable, range)) rows.push(row);
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

async function loadValuesOf(dataSource: Queryable, plan: Plan, summable: ReadonlySet<number>, range: UnitRange): Promise<ValueRow[]> {
  const metricIds = plan.metrics.map((metric) => metric.id);
  const inList = metricIds.map(() => '?').join(', ');
  if (!plan.raw) {
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
          `FROM observation_rollup WHERE metricId IN (${monthly.map(() => '?').join(', ')}) AND \`month\` >= ? AND \`month\` <= ?` +
          unitCondition('unitId', range, parameters),
      );
    }
    if (summed.length > 0 && firstWholeMonth <= lastMonth) {
      parameters.push(...summed, firstWholeMonth, lastMonth);
      const units = unitCondition('unitId', range, parameters);
      selects.push(
        'SELECT s.metricId, s.unitId, s.firstMonth AS `month`, s.`level`, s.valueSum, s.numeratorSum, s.denominatorSum, s.observationCount, ' +
          's.numeratorCount, r.latestPeriodStart, r.latestValue ' +
          'FROM (SELECT metricId, unitId, MAX(`level`) AS `level`, MIN(`month`) AS firstMonth, MAX(`month`) AS lastMonth, SUM(valueSum) AS valueSum, ' +
          'SUM(numeratorSum) AS numeratorSum, SUM(denominatorSum) AS denominatorSum, SUM(observationCount) AS observationCount, ' +
          'SUM(numeratorCount) AS numeratorCount FROM observation_rollup ' +
          `WHERE metricId IN (${summed.map(() => '?').join(', ')}) AND \`month\` >= ? AND \`month\` <= ?${units} GROUP BY metricId, unitId) s ` +
          'JOIN observation_rollup r ON r.metricId = s.metricId AND r.unitId = s.unitId AND r.`month` = s.lastMonth',
      );
    }
    if (selects.length === 0) return [];
    const rows: Array<Record<string, unknown>> = await dataSource.query(selects.join(' UNION ALL '), parameters);
    return rows.map((row) => ({
      metricId: Number(row.metricId),
      unitId: Number(row.unitId),
      level: row.level as UnitLevel,
      start: `${String(row.month)}-01`,
      valueSum: Number(row.valueSum),
      numeratorSum: num(row.numeratorSum),
      denominatorSum: num(row.denominatorSum),
      observationCount: Number(row.observationCount),
      numeratorCount: Number(row.numeratorCount),
      latestPeriodStart: dateText(row.latestPeriodStart),
      latestValue: Number(row.latestValue),
    }));
  }
  let statement: string;
  const parameters: unknown[] = [];
  if (plan.asOf) {
    // The value known at asOf: the current one if it was recorded by then, otherwise the revision that was current
    // then (recorded by asOf, replaced after it). Observations first recorded after asOf are left out.
    const at = isSqlite(dataSource) ? sqliteDatetime(plan.asOf) : plan.asOf;
    statement =
      'SELECT o.metricId, o.unitId, o.periodStart, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.value ELSE r.value END AS value, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.numerator ELSE r.numerator END AS numerator, ' +
      'CASE WHEN o.recordedAt <= ? THEN o.denominator ELSE r.denominator END AS denominator ' +
      'FROM observation o LEFT JOIN observation_revision r ON r.observationId = o.id AND o.recordedAt > ? AND r.recordedAt <= ? AND r.revisedAt > ? ' +
      `WHERE o.metricId IN (${inList}) AND o.periodStart >= ? AND o.periodStart <= ? AND (o.recordedAt <= ? OR r.id IS NOT NULL)`;
    parameters.push(at, at, at, at, at, at, ...metricIds, plan.start, plan.end, at);
    statement += unitCondition('o.unitId', range, parameters);
  } else {
    statement =
      'SELECT o.metricId, o.unitId, o.periodStart, o.value, o.numerator, o.denominator FROM observation o ' +
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

interface ReportingLevels {
  /** The coarsest level each metric was ever reported at: what `expected` counts when a period has no data. */
  coarsest: Map<number, UnitLevel>;
  /** Metrics only ever reported at one level: their months can be summed before they are combined. */
  singleLevel: Set<number>;
}

async function reportingLevels(dataSource: Queryable, metrics: readonly AnalyticsMetric[]): Promise<ReportingLevels> {
  const coarsest = new Map<number, UnitLevel>();
  const levelCounts = new Map<number, number>();
  if (metrics.length === 0) return { coarsest, singleLevel: new Set() };
  const rows: Array<{ metricId: number | string; level: UnitLevel }> = await dataSource.query(
    `SELECT DISTINCT metricId, \`level\` FROM observation_rollup WHERE metricId IN (${metrics.map(() => '?').join(', ')})`,
    metrics.map((metric) => metric.id),
  );
  for (const row of rows) {
    const id = Number(row.metricId);
    const known = coarsest.get(id);
    if (!known || levelRank(row.level) < levelRank(known)) coarsest.set(id, row.level);
    levelCounts.set(id, (levelCounts.get(id) ?? 0) + 1);
  }
  return { coarsest, singleLevel: new Set([...levelCounts].filter(([, count]) => count === 1).map(([id]) => id)) };
}

// ---------------------------------------------------------------------------------------------------------------
// Accumulation

/** Sums of one level in one month of one cell. */
interface LevelSums {
  value: number;
  numerator: number;
  denominator: number;
  observations: number;
  numerators: number;
  approximate: boolean;
  /** STOCK only: per unit, its latest period start and weighted value. */
  latest: Map<number, { start: string; value: number }> | null;
}

/** One (metric, bucket, group): month → level → sums. */
type Cell = Map<string, Map<UnitLevel, LevelSums>>;

const TOTAL = -1;

interface Accumulated {
  /** key `${metricId}|${bucketIndex}|${groupId}` */
  cells: Map<string, Cell>;
}

function bucketIndexer(plan: Plan): (start: string) => number {
  if (!plan.granularity) return (start) => (start >= plan.start && start <= plan.end ? 0 : -1);
  const index = new Map(plan.buckets.map((bucket, position) => [bucket.text, position]));
  const granularity = plan.granularity;
  const cache = new Map<string, number>();
  return (start) => {
    let found = cache.get(start);
    if (found === undefined) {
      found = index.get(periodContaining(start, granularity).text) ?? -1;
      cache.set(start, found);
    }
    return found;
  };
}

async function accumulate(plan: Plan, rows: readonly ValueRow[], maxCells: number, groupsField: string): Promise<Accumulated> {
  const cells = new Map<string, Cell>();
  const slicer = new Slicer();
  const bucketOf = bucketIndexer(plan);
  const kinds = new Map(plan.metrics.map((metric) => [metric.id, metric.kind]));
  const included = new Map<number, boolean>();
  for (const row of rows) {
    if (slicer.due()) await yieldToEventLoop();
    const bucket = bucketOf(row.start);
    if (bucket < 0) continue;
    let inFilter = included.get(row.unitId);
    if (inFilter === undefined) included.set(row.unitId, (inFilter = plan.units.inFilter(row.unitId, plan.filterIds, plan.edition)));
    if (!inFilter) continue;
    const placement = plan.level ? plan.units.place(row.unitId, plan.level, plan.edition) : { groups: [{ groupId: TOTAL, weight: 1 }], approximate: false };
    if (!placement) continue;
    const month = row.start.slice(0, 7);
    for (const { groupId, weight } of placement.groups) {
      const key = `${row.metricId}|${bucket}|${groupId}`;
      let cell = cells.get(key);
      if (!cell) {
        if (cells.size >= maxCells) throw badInput(groupsField, `the answer has more than ${maxCells} rows; filter it or group it less finely`);
        cell = new Map();
        cells.set(key, cell);
      }
      let levels = cell.get(month);
      if (!levels) cell.set(month, (levels = new Map()));
      let sums = levels.get(row.level);
      if (!sums) {
        const stock = kinds.get(row.metricId) === MetricKind.STOCK;
        sums = { value: 0, numerator: 0, denominator: 0, observations: 0, numerators: 0, approximate: false, latest: stock ? new Map() : null };
        levels.set(row.level, sums);
      }
      sums.value += weight * row.valueSum;
      sums.numerator += weight * (row.numeratorSum ?? 0);
      sums.denominator += weight * (row.denominatorSum ?? 0);
      sums.observations += row.observationCount;
      sums.numerators += row.numeratorCount;
      sums.approximate ||= placement.approximate;
      if (sums.latest) {
        const latest = sums.latest.get(row.unitId);
        if (!latest || latest.start < row.latestPeriodStart) sums.latest.set(row.unitId, { start: row.latestPeriodStart, value: weight * row.latestValue });
      }
    }
  }
  return { cells };
}

/**
 * Expected reports of a metric in a bucket and group: for each period of the metric's frequency starting in the
 * bucket (and by today), the units of the month's reporting level valid on its first day that fall in the group.
 */
class Expectations {
  private readonly unitsByLevelGroup = new Map<string, UnitRecord[]>();

  constructor(private readonly plan: Plan) {
    for (const unit of plan.units.byId.values()) {
      if (!plan.units.inFilter(unit.id, plan.filterIds, plan.edition)) continue;
      const groups = plan.level ? plan.units.place(unit.id, plan.level, plan.edition)?.groups.map((group) => group.groupId) ?? [] : [TOTAL];
      for (const groupId of groups) {
        const key = `${unit.level}|${groupId}`;
        const list = this.unitsByLevelGroup.get(key) ?? [];
        list.push(unit);
        this.unitsByLevelGroup.set(key, list);
      }
    }
  }

  count(metric: AnalyticsMetric, bucket: Period, groupId: number, levelOfMonth: (month: string) => UnitLevel | null): number {
    const byMonth = this.periodStartsByMonth(metric.frequency, bucket);
    // Usually every month has the same level: the bucket's total for that level is then counted once per group.
    let uniform: UnitLevel | null | undefined;
    for (const month of byMonth.keys()) {
      const level = levelOfMonth(month);
      if (uniform === undefined) uniform = level;
      else if (level !== uniform) {
        uniform = undefined;
        break;
      }
    }
    const countMonths = (levelOf: (month: string) => UnitLevel | null) => {
      let expected = 0;
      for (const [month, starts] of byMonth) {
        const level = levelOf(month);
        if (level) expected += this.monthCount(metric.frequency, month, starts, level, groupId);
      }
      return expected;
    };
    if (uniform === undefined) return countMonths(levelOfMonth);
    const level = uniform;
    if (level === null) return 0;
    const key = `${metric.frequency}|${bucket.start}|${bucket.end}|${level}|${groupId}`;
    let expected = this.bucketCounts.get(key);
    if (expected === undefined) this.bucketCounts.set(key, (expected = countMonths(() => level)));
    return expected;
  }

  /** Expected reports of a whole bucket for one (frequency, level, group). */
  private readonly bucketCounts = new Map<string, number>();

  /** Expected reports of one month for one (frequency, level, group): counted once, shared by every metric and cell. */
  private readonly monthCounts = new Map<string, number>();

  private monthCount(frequency: Frequency, month: string, starts: readonly string[], level: UnitLevel, groupId: number): number {
    const key = `${frequency}|${month}|${starts[0]}|${starts.length}|${level}|${groupId}`;
    let count = this.monthCounts.get(key);
    if (count === undefined) {
      count = 0;
      const units = this.unitsByLevelGroup.get(`${level}|${groupId}`) ?? [];
      for (const start of starts) {
        for (const unit of units) if (this.plan.units.validOn(unit, start)) count += 1;
      }
      this.monthCounts.set(key, count);
    }
    return count;
  }

  private readonly starts = new Map<string, Map<string, string[]>>();

  /** First days of the periods of `frequency` that start in the bucket, by today (or asOf), by month. */
  private periodStartsByMonth(frequency: Frequency, bucket: Period): Map<string, string[]> {
    const key = `${frequency}|${bucket.start}|${bucket.end}`;
    let byMonth = this.starts.get(key);
    if (!byMonth) {
      byMonth = new Map();
      const last = bucket.end < this.plan.today ? bucket.end : this.plan.today;
      let period = periodContaining(bucket.start, frequency);
      // A period belongs to the bucket it starts in.
      if (period.start < bucket.start) period = periodContaining(nextDay(period.end), frequency);
      for (; period.start <= last; period = periodContaining(nextDay(period.end), frequency)) {
        const month = period.start.slice(0, 7);
        const list = byMonth.get(month) ?? [];
        list.push(period.start);
        byMonth.set(month, list);
      }
      this.starts.set(key, byMonth);
    }
    return byMonth;
  }
}

function nextMonth(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number);
  return monthNumber === 12 ? `${year + 1}-01` : `${year}-${String(monthNumber + 1).padStart(2, '0')}`;
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Combines a cell: per month the coarsest level that reported, then over months by the metric's kind. */
function measureOf(
  metric: AnalyticsMetric,
  cell: Cell | undefined,
  bucket: Period,
  groupId: number,
  expectations: Expectations,
  defaultLevel: UnitLevel | null,
): Measure {
  const chosen = new Map<string, { level: UnitLevel; sums: LevelSums }>();
  for (const [month, levels] of cell ?? []) {
    let best: UnitLevel | null = null;
    for (const level of levels.keys()) if (best === null || levelRank(level) < levelRank(best)) best = level;
    if (best) chosen.set(month, { level: best, sums: levels.get(best)! });
  }
  const expected = expectations.count(metric, bucket, groupId, (month) => chosen.get(month)?.level ?? defaultLevel);
  if (chosen.size === 0) {
    return { value: null, numerator: null, denominator: null, expected, reported: 0, complete: false, approximate: false, level: null };
  }
  let value = 0;
  let numerator = 0;
  let denominator = 0;
  let observations = 0;
  let numerators = 0;
  let approximate = false;
  let level: UnitLevel | null = null;
  const latest = metric.kind === MetricKind.STOCK ? new Map<number, { start: string; value: number }>() : null;
  for (const { level: monthLevel, sums } of chosen.values()) {
    value += sums.value;
    numerator += sums.numerator;
    denominator += sums.denominator;
    observations += sums.observations;
    numerators += sums.numerators;
    approximate ||= sums.approximate;
    if (level === null || levelRank(monthLevel) < levelRank(level)) level = monthLevel;
    for (const [unitId, entry] of sums.latest ?? []) {
      const known = latest?.get(unitId);
      if (!known || known.start < entry.start) latest?.set(unitId, entry);
    }
  }
  const reported = observations;
  const base = { expected, reported, complete: expected > 0 && reported >= expected, approximate, level };
  switch (metric.kind) {
    case MetricKind.RATE: {
      const usable = numerators === observations;
      if (!usable) return { ...base, value: observations === 1 ? value : null, numerator: null, denominator: null };
      return { ...base, value: denominator > 0 ? (100 * numerator) / denominator : null, numerator, denominator };
    }
    case MetricKind.STOCK: {
      let total = 0;
      for (const entry of latest?.values() ?? []) total += entry.value;
      return { ...base, value: total, numerator: null, denominator: null };
    }
    default:
      return { ...base, value, numerator: null, denominator: null };
  }
}

/** Several metrics' measures as one: sums (and a rate of sums for RATE); complete when every part is. */
function combineMeasures(kind: MetricKind, parts: readonly Measure[]): Measure {
  const reportedParts = parts.filter((part) => part.value !== null || part.reported > 0);
  const expected = parts.reduce((sum, part) => sum + part.expected, 0);
  const reported = parts.reduce((sum, part) => sum + part.reported, 0);
  const approximate = parts.some((part) => part.approximate);
  const complete = parts.every((part) => part.complete);
  const levels = reportedParts.map((part) => part.level).filter((level): level is UnitLevel => level !== null);
  const level = levels.sort((a, b) => levelRank(a) - levelRank(b))[0] ?? null;
  if (reportedParts.length === 0) return { value: null, numerator: null, denominator: null, expected, reported, complete: false, approximate, level };
  if (kind === MetricKind.RATE) {
    if (reportedParts.some((part) => part.numerator === null || part.denominator === null)) {
      return { value: null, numerator: null, denominator: null, expected, reported, complete, approximate, level };
    }
    const numerator = reportedParts.reduce((sum, part) => sum + part.numerator!, 0);
    const denominator = reportedParts.reduce((sum, part) => sum + part.denominator!, 0);
    return { value: denominator > 0 ? (100 * numerator) / denominator : null, numerator, denominator, expected, reported, complete, approximate, level };
  }
  const value = reportedParts.reduce((sum, part) => sum + (part.value ?? 0), 0);
  return { value, numerator: null, denominator: null, expected, reported, complete, approximate, level };
}

// ---------------------------------------------------------------------------------------------------------------
// Public API

/**
 * Series of one or more metrics over a period range at a granularity: one series per metric (or one for all
 * of them with `combine`), for all units or per unit of `level`, with a point for every period of the range.
 */
export async function runSeries(dataSource: DataSource, request: SeriesRequest, options: AnalyticsOptions = {}): Promise<SeriesResult[]> {
  if (!request.granularity) throw badInput('granularity', 'is required');
  const planned = await plan(dataSource, request, options);
  const maxRows = options.maxRows ?? DEFAULT_MAX_AGGREGATE_ROWS;
  if (request.combine) {
    const kinds = new Set(planned.metrics.map((metric) => metric.kind));
    const units = new Set(planned.metrics.map((metric) => metric.unit));
    if (kinds.size > 1) throw badInput('metrics', `metrics of kinds ${[...kinds].join(' and ')} cannot be combined`);
    if (units.size > 1) throw badInput('metrics', `metrics measured in ${[...units].join(' and ')} cannot be combined`);
  }
  const groups: Array<UnitRecord | null> = planned.level
    ? planned.units
        .unitsAt(planned.level, planned.edition, planned.start, planned.end)
        .filter((unit) => planned.filterIds === null || [...planned.filterIds].some((id) => planned.units.isWithin(unit.id, id) || planned.units.isWithin(id, unit.id)))
    : [null];
  const seriesCount = (request.combine ? 1 : planned.metrics.length) * groups.length;
  if (seriesCount * planned.buckets.length > maxRows) {
    throw badInput('level', `${seriesCount} series × ${planned.buckets.length} periods exceed the limit of ${maxRows} points`);
  }
  const [rows, { coarsest: defaultLevels }] = await Promise.all([loadValues(dataSource, planned), reportingLevels(dataSource, planned.metrics)]);
  const { cells } = await accumulate(planned, rows, Number.MAX_SAFE_INTEGER, 'level');
  const expectations = new Expectations(planned);
  const measure = (metric: AnalyticsMetric, bucketIndex: number, groupId: number) =>
    measureOf(metric, cells.get(`${metric.id}|${bucketIndex}|${groupId}`), planned.buckets[bucketIndex], groupId, expectations, defaultLevels.get(metric.id) ?? null);
  const result: SeriesResult[] = [];
  const slicer = new Slicer();
  for (const group of groups) {
    if (slicer.due()) await yieldToEventLoop();
    const groupId = group ? group.id : TOTAL;
    const metricSets = request.combine ? [planned.metrics] : planned.metrics.map((metric) => [metric]);
    for (const metrics of metricSets) {
      const points = planned.buckets.map((period, bucketIndex) => {
        const parts = metrics.map((metric) => measure(metric, bucketIndex, groupId));
        return { period, ...(parts.length === 1 ? parts[0] : combineMeasures(metrics[0].kind, parts)) };
      });
      result.push({ metrics, unit: group, points });
    }
  }
  return result;
}

const METRIC_DIMENSIONS: Record<string, keyof AnalyticsMetric> = {
  [Dimension.DEPARTMENT]: 'departmentId',
  [Dimension.PILOT_MODEL]: 'pilotModelId',
  [Dimension.TASK_GROUP]: 'taskGroupId',
};

/**
 * Measures of the chosen metrics grouped by any of PERIOD, UNIT, DEPARTMENT, PILOT_MODEL and TASK_GROUP. Rows
 * are the groups with at least one report; a measure without reports in its row is null (missing).
 */
export async function runAggregate(dataSource: DataSource, request: AggregateRequest, options: AnalyticsOptions = {}): Promise<AggregateResult> {
  const groupBy = request.groupBy ?? [];
  if (new Set(groupBy).size !== groupBy.length) throw badInput('groupBy', 'a dimension is named twice');
  const byPeriod = groupBy.includes(Dimension.PERIOD);
  const byUnit = groupBy.includes(Dimension.UNIT);
  if (byPeriod && !request.granularity) throw badInput('granularity', 'is required when grouping by PERIOD');
  if (!byPeriod && request.granularity) throw badInput('granularity', 'only applies when grouping by PERIOD');
  if (byUnit && !request.level) throw badInput('level', 'is required when grouping by UNIT');
  if (!byUnit && request.level) throw badInput('level', 'only applies when grouping by UNIT');
  const maxRows = options.maxRows ?? DEFAULT_MAX_AGGREGATE_ROWS;
  if (request.limit != null && !(Number.isInteger(request.limit) && request.limit >= 0 && request.limit <= maxRows)) {
    throw badInput('limit', `must be between 0 and ${maxRows}`);
  }

  const codeFilter = (codes: readonly string[] | null | undefined, field: string) => {
    if (codes == null) return null;
    if (codes.length === 0) throw badInput(field, 'give at least one code, or leave it out');
    return new Set(codes);
  };
  const departments = codeFilter(request.departments, 'departments');
  const pilotModels = codeFilter(request.pilotModels, 'pilotModels');
  const taskGroups = codeFilter(request.taskGroups, 'taskGroups');
  const planned = await plan(dataSource, request, options, (metric) =>
    (!departments || departments.has(metric.departmentCode)) &&
    (!pilotModels || pilotModels.has(metric.pilotModelCode)) &&
    (!taskGroups || taskGroups.has(metric.taskGroupCode)),
  );
  const orderBy = request.orderBy ?? [];
  const metricByCode = new Map(planned.metrics.map((metric) => [metric.code, metric]));
  orderBy.forEach((order, index) => {
    if (order.field === OrderField.VALUE) {
      if (!order.metric) throw badInput(`orderBy[${index}].metric`, 'is required when ordering by VALUE');
      if (!request.metrics.includes(order.metric)) throw badInput(`orderBy[${index}].metric`, `${order.metric} is not one of the metrics`);
    } else if (!groupBy.includes(order.field as unknown as Dimension)) {
      throw badInput(`orderBy[${index}].field`, `${order.field} is not one of the groupBy dimensions`);
    }
  });

  // Without periods the single-level metrics are read with their months summed, which needs their levels first.
  const summing = !planned.raw && planned.granularity === null;
  let levels = summing ? await reportingLevels(dataSource, planned.metrics) : undefined;
  let [values, { coarsest: defaultLevels }] = await Promise.all([
    loadValues(dataSource, planned, levels?.singleLevel),
    levels ?? reportingLevels(dataSource, planned.metrics),
  ]);
  // A level first reported between the two statements would mix levels in a summed metric: read month by month.
  if (levels && values.some((row) => levels!.singleLevel.has(row.metricId) && row.level !== levels!.coarsest.get(row.metricId))) {
    [values, levels] = await Promise.all([loadValues(dataSource, planned), reportingLevels(dataSource, planned.metrics)]);
    defaultLevels = levels.coarsest;
  }
  // Cells are bounded too: a request that would need far more cells than rows is refused before it is combined.
  const { cells } = await accumulate(planned, values, maxRows * Math.max(1, planned.metrics.length), 'groupBy');
  const expectations = new Expectations(planned);

  // Rows: the cells' (bucket, group) combined with the dimensions of their metric.
  const rows = new Map<string, AggregateRow & { cells: Map<number, Measure> }>();
  const slicer = new Slicer();
  for (const key of cells.keys()) {
    if (slicer.due()) await yieldToEventLoop();
    const [metricId, bucketIndex, groupId] = key.split('|').map(Number);
    const metric = planned.metrics.find((candidate) => candidate.id === metricId)!;
    const measure = measureOf(metric, cells.get(key), planned.buckets[bucketIndex], groupId, expectations, defaultLevels.get(metricId) ?? null);
    const dims = groupBy.map((dimension) =>
      dimension === Dimension.PERIOD ? bucketIndex : dimension === Dimension.UNIT ? groupId : (metric[METRIC_DIMENSIONS[dimension]] as number),
    );
    const rowKey = dims.join('|');
    let row = rows.get(rowKey);
    if (!row) {
      if (rows.size >= maxRows) throw badInput('groupBy', `the answer has more than ${maxRows} rows; filter it or group it less finely`);
      row = {
        period: byPeriod ? planned.buckets[bucketIndex] : null,
        unit: byUnit ? planned.units.unit(groupId) : null,
        departmentId: groupBy.includes(Dimension.DEPARTMENT) ? metric.departmentId : null,
        pilotModelId: groupBy.includes(Dimension.PILOT_MODEL) ? metric.pilotModelId : null,
        taskGroupId: groupBy.includes(Dimension.TASK_GROUP) ? metric.taskGroupId : null,
        measures: [],
        approximate: false,
        cells: new Map(),
      };
      rows.set(rowKey, row);
    }
    row.cells.set(metricId, measure);
  }
  const result: AggregateRow[] = [];
  for (const row of rows.values()) {
    if (slicer.due()) await yieldToEventLoop();
    // Every metric of the request that belongs to the row's department / model / task group has a measure.
    const belongs = (metric: AnalyticsMetric) =>
      (row.departmentId === null || metric.departmentId === row.departmentId) &&
      (row.pilotModelId === null || metric.pilotModelId === row.pilotModelId) &&
      (row.taskGroupId === null || metric.taskGroupId === row.taskGroupId);
    const bucketIndex = row.period ? planned.buckets.indexOf(row.period) : 0;
    const groupId = row.unit ? row.unit.id : TOTAL;
    row.measures = planned.metrics.filter(belongs).map((metric) => ({
      metric,
      ...(row.cells.get(metric.id) ?? measureOf(metric, undefined, planned.buckets[bucketIndex], groupId, expectations, defaultLevels.get(metric.id) ?? null)),
    }));
    row.approximate = row.measures.some((measure) => measure.approximate);
    result.push({
      period: row.period,
      unit: row.unit,
      departmentId: row.departmentId,
      pilotModelId: row.pilotModelId,
      taskGroupId: row.taskGroupId,
      measures: row.measures,
      approximate: row.approximate,
    });
  }
  sortRows(result, orderBy, groupBy, metricByCode);
  const totalRows = result.length;
  return { rows: request.limit != null ? result.slice(0, request.limit) : result, totalRows };
}

function sortRows(rows: AggregateRow[], orderBy: readonly OrderBy[], groupBy: readonly Dimension[], metricByCode: Map<string, AnalyticsMetric>): void {
  const codes = new Map<string, string>();
  for (const metric of metricByCode.values()) {
    codes.set(`D${metric.departmentId}`, metric.departmentCode);
    codes.set(`P${metric.pilotModelId}`, metric.pilotModelCode);
    codes.set(`T${metric.taskGroupId}`, metric.taskGroupCode);
  }
  const keyOf = (row: AggregateRow, field: OrderField, metric?: string | null): string | number | null => {
    switch (field) {
      case OrderField.PERIOD:
        return row.period?.start ?? null;
      case OrderField.UNIT:
        return row.unit ? `${row.unit.code}@${row.unit.validFrom}` : null;
      case OrderField.DEPARTMENT:
        return codes.get(`D${row.departmentId}`) ?? null;
      case OrderField.PILOT_MODEL:
        return codes.get(`P${row.pilotModelId}`) ?? null;
      case OrderField.TASK_GROUP:
        return codes.get(`T${row.taskGroupId}`) ?? null;
      default:
        return row.measures.find((measure) => measure.metric.code === metric)?.value ?? null;
    }
  };
  // Explicit order first, then every dimension ascending, so the order is always total and stable.
  const keys: OrderBy[] = [...orderBy, ...groupBy.map((dimension) => ({ field: dimension as unknown as OrderField, direction: 'ASC' as const }))];
  rows.sort((a, b) => {
    for (const order of keys) {
      const left = keyOf(a, order.field, order.metric);
      const right = keyOf(b, order.field, order.metric);
      if (left === right) continue;
      // Missing values last, whatever the direction.
      if (left === null) return 1;
      if (right === null) return -1;
      const sign = order.direction === 'DESC' ? -1 : 1;
      return (left < right ? -1 : 1) * sign;
    }
    return 0;
  });
}
