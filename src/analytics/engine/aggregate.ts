/** Aggregates: measures grouped by any of PERIOD, UNIT, DEPARTMENT, PILOT_MODEL and TASK_GROUP, ordered and limited. */
import type { DataSource } from 'typeorm';
import type { UnitLevel } from '../../common/enums';
import { badInput } from '../../common/errors';
import { Slicer, yieldToEventLoop } from '../../common/event-loop';
import { accumulate, TOTAL, type Cell } from './accumulate';
import { Expectations } from './expectations';
import { loadValues, reportingLevels, type ValueRow } from './load';
import { measureOf } from './measures';
import { planRequest, type Plan } from './plan';
import type { Queryable } from './queryable';
import {
  DEFAULT_MAX_AGGREGATE_ROWS,
  Dimension,
  OrderField,
  type AggregateRequest,
  type AggregateResult,
  type AggregateRow,
  type AnalyticsMetric,
  type AnalyticsOptions,
  type Measure,
  type OrderBy,
} from './types';

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
  const maxRows = options.maxRows ?? DEFAULT_MAX_AGGREGATE_ROWS;
  checkShape(request, groupBy, maxRows);
  const planned = await planRequest(dataSource, request, options, catalogueFilter(request));
  const orderBy = request.orderBy ?? [];
  checkOrder(request, orderBy, groupBy);

  const { values, defaultLevels } = await loadAggregateValues(dataSource, planned);
  // Cells are bounded too: a request that would need far more cells than rows is refused before it is combined.
  const { cells } = await accumulate(planned, values, maxRows * Math.max(1, planned.metrics.length), 'groupBy');
  const context: RowContext = { planned, groupBy, expectations: new Expectations(planned), defaultLevels, maxRows, slicer: new Slicer() };
  const result = await rowsOf(context, await rowsOfCells(context, cells));
  const metricByCode = new Map(planned.metrics.map((metric) => [metric.code, metric]));
  sortRows(result, orderBy, groupBy, metricByCode);
  const totalRows = result.length;
  return { rows: request.limit != null ? result.slice(0, request.limit) : result, totalRows };
}

/** The dimensions name no dimension twice and come with the granularity, level and limit they need. */
function checkShape(request: AggregateRequest, groupBy: readonly Dimension[], maxRows: number): void {
  if (new Set(groupBy).size !== groupBy.length) throw badInput('groupBy', 'a dimension is named twice');
  const byPeriod = groupBy.includes(Dimension.PERIOD);
  const byUnit = groupBy.includes(Dimension.UNIT);
  if (byPeriod && !request.granularity) throw badInput('granularity', 'is required when grouping by PERIOD');
  if (!byPeriod && request.granularity) throw badInput('granularity', 'only applies when grouping by PERIOD');
  if (byUnit && !request.level) throw badInput('level', 'is required when grouping by UNIT');
  if (!byUnit && request.level) throw badInput('level', 'only applies when grouping by UNIT');
  if (request.limit != null && !(Number.isInteger(request.limit) && request.limit >= 0 && request.limit <= maxRows)) {
    throw badInput('limit', `must be between 0 and ${maxRows}`);
  }
}

/** The metrics kept by the departments, pilotModels and taskGroups filters. */
function catalogueFilter(request: AggregateRequest): (metric: AnalyticsMetric) => boolean {
  const codeFilter = (codes: readonly string[] | null | undefined, field: string) => {
    if (codes == null) return null;
    if (codes.length === 0) throw badInput(field, 'give at least one code, or leave it out');
    return new Set(codes);
  };
  const departments = codeFilter(request.departments, 'departments');
  const pilotModels = codeFilter(request.pilotModels, 'pilotModels');
  const taskGroups = codeFilter(request.taskGroups, 'taskGroups');
  return (metric) =>
    (!departments || departments.has(metric.departmentCode)) &&
    (!pilotModels || pilotModels.has(metric.pilotModelCode)) &&
    (!taskGroups || (metric.taskGroupCode !== null && taskGroups.has(metric.taskGroupCode)));
}

/** Rows are ordered by grouped dimensions, or by the value of one of the named metrics. */
function checkOrder(request: AggregateRequest, orderBy: readonly OrderBy[], groupBy: readonly Dimension[]): void {
  orderBy.forEach((order, index) => {
    if (order.field === OrderField.VALUE) {
      if (!order.metric) throw badInput(`orderBy[${index}].metric`, 'is required when ordering by VALUE');
      if (!request.metrics.includes(order.metric)) throw badInput(`orderBy[${index}].metric`, `${order.metric} is not one of the metrics`);
    } else if (!groupBy.includes(order.field as unknown as Dimension)) {
      throw badInput(`orderBy[${index}].field`, `${order.field} is not one of the groupBy dimensions`);
    }
  });
}

/** The values and each metric's coarsest reporting level (what `expected` counts in a group without reports). */
async function loadAggregateValues(dataSource: Queryable, planned: Plan): Promise<{ values: ValueRow[]; defaultLevels: Map<number, UnitLevel> }> {
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
  return { values, defaultLevels };
}

interface RowContext {
  planned: Plan;
  groupBy: readonly Dimension[];
  expectations: Expectations;
  defaultLevels: Map<number, UnitLevel>;
  maxRows: number;
  /** One slice clock for the whole combination: a turn of the event loop every 10 ms. */
  slicer: Slicer;
}

type PendingRow = AggregateRow & { cells: Map<number, Measure> };

const measureIn = (context: RowContext, metric: AnalyticsMetric, cell: Cell | undefined, bucketIndex: number, groupId: number): Measure =>
  measureOf(metric, cell, context.planned.buckets[bucketIndex], groupId, context.expectations, context.defaultLevels.get(metric.id) ?? null);

/** Rows: the cells' (bucket, group) combined with the dimensions of their metric, each with its cells' measures. */
async function rowsOfCells(context: RowContext, cells: Map<string, Cell>): Promise<Map<string, PendingRow>> {
  const { planned, groupBy, maxRows, slicer } = context;
  const rows = new Map<string, PendingRow>();
  for (const key of cells.keys()) {
    if (slicer.due()) await yieldToEventLoop();
    const [metricId, bucketIndex, groupId] = key.split('|').map(Number);
    const metric = planned.metrics.find((candidate) => candidate.id === metricId)!;
    const measure = measureIn(context, metric, cells.get(key), bucketIndex, groupId);
    const dims = groupBy.map((dimension) =>
      dimension === Dimension.PERIOD ? bucketIndex : dimension === Dimension.UNIT ? groupId : (metric[METRIC_DIMENSIONS[dimension]] as number),
    );
    const rowKey = dims.join('|');
    let row = rows.get(rowKey);
    if (!row) {
      if (rows.size >= maxRows) throw badInput('groupBy', `the answer has more than ${maxRows} rows; filter it or group it less finely`);
      row = {
        period: groupBy.includes(Dimension.PERIOD) ? planned.buckets[bucketIndex] : null,
        unit: groupBy.includes(Dimension.UNIT) ? planned.units.unit(groupId) : null,
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
  return rows;
}

/** The finished rows: every metric of the request that belongs to a row's department / model / task group has a measure. */
async function rowsOf(context: RowContext, rows: Map<string, PendingRow>): Promise<AggregateRow[]> {
  const { planned, slicer, groupBy } = context;
  const byTaskGroup = groupBy.includes(Dimension.TASK_GROUP);
  const result: AggregateRow[] = [];
  for (const row of rows.values()) {
    if (slicer.due()) await yieldToEventLoop();
    // Grouped by task group, the row of no group (models filed under none) holds only the metrics of those models.
    const belongs = (metric: AnalyticsMetric) =>
      (row.departmentId === null || metric.departmentId === row.departmentId) &&
      (row.pilotModelId === null || metric.pilotModelId === row.pilotModelId) &&
      (!byTaskGroup || metric.taskGroupId === row.taskGroupId);
    const bucketIndex = row.period ? planned.buckets.indexOf(row.period) : 0;
    const groupId = row.unit ? row.unit.id : TOTAL;
    row.measures = planned.metrics.filter(belongs).map((metric) => ({
      metric,
      ...(row.cells.get(metric.id) ?? measureIn(context, metric, undefined, bucketIndex, groupId)),
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
  return result;
}

/** Orders the rows: the explicit order, then every dimension ascending; missing values last. */
function sortRows(rows: AggregateRow[], orderBy: readonly OrderBy[], groupBy: readonly Dimension[], metricByCode: Map<string, AnalyticsMetric>): void {
  const codes = new Map<string, string>();
  for (const metric of metricByCode.values()) {
    codes.set(`D${metric.departmentId}`, metric.departmentCode);
    codes.set(`P${metric.pilotModelId}`, metric.pilotModelCode);
    if (metric.taskGroupCode !== null) codes.set(`T${metric.taskGroupId}`, metric.taskGroupCode);
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
