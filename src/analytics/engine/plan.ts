/**
 * Planning a request: its arguments validated and resolved (periods, buckets, metrics within the caller's scope,
 * units, map edition, asOf) and whether the values come from the month rollups or the raw observations.
 */
import type { DataSource } from 'typeorm';
import { UnitLevel, type MetricKind } from '../../common/enums';
import { badInput, notFound } from '../../common/errors';
import { frequencyRank, parsePeriod, periodContaining, periodsBetween, PeriodError, type Frequency, type Period } from '../../common/period';
import { assertDepartmentAccess } from '../../security/access';
import type { Principal } from '../../security/principal';
import { UnitEdition, UnitMap } from '../unit-map';
import { readsRaw } from '../volume';
import { parameterList } from '../../database/sql-dialect';
import type { Queryable } from './queryable';
import { DEFAULT_MAX_AGGREGATE_ROWS, MAX_METRICS, type AnalyticsFilter, type AnalyticsMetric, type AnalyticsOptions } from './types';


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
      // A model may be filed under no task group: its metrics have none.
      `LEFT JOIN task_group g ON g.id = p.taskGroupId WHERE m.code IN (${parameterList(unique.length)})`,
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
        taskGroupId: row.taskGroupId == null ? null : Number(row.taskGroupId),
        taskGroupCode: row.taskGroupCode == null ? null : String(row.taskGroupCode),
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
export interface Plan {
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

/** The plan of a series or aggregate request; `metricsFilter` keeps some of the named metrics (after the scope check). */
export async function planRequest(
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

