/** Series: one per metric (or one for all with `combine`), for all units or per unit of a level, a point per period. */
import type { DataSource } from 'typeorm';
import { badInput } from '../../common/errors';
import { Slicer, yieldToEventLoop } from '../../common/event-loop';
import type { UnitRecord } from '../unit-map';
import { accumulate, TOTAL } from './accumulate';
import { Expectations } from './expectations';
import { loadValues, reportingLevels } from './load';
import { combineMeasures, measureOf } from './measures';
import { planRequest } from './plan';
import type { UnitLevel } from '../../common/enums';
import { DEFAULT_MAX_AGGREGATE_ROWS, type AnalyticsMetric, type AnalyticsOptions, type Measure, type SeriesPoint, type SeriesRequest, type SeriesResult } from './types';

/**
 * Series of one or more metrics over a period range at a granularity: one series per metric (or one for all
 * of them with `combine`), for all units or per unit of `level`, with a point for every period of the range.
 */
export async function runSeries(dataSource: DataSource, request: SeriesRequest, options: AnalyticsOptions = {}): Promise<SeriesResult[]> {
  if (!request.granularity) throw badInput('granularity', 'is required');
  const planned = await planRequest(dataSource, request, options);
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
      result.push({ metrics, unit: group, points: markBreaks(points) });
    }
  }
  return result;
}

/**
 * Flags each point whose level, or set of sources, differs from that of the nearest earlier point with values (a
 * break in the series). Points without values flag nothing and are skipped over.
 */
function markBreaks(points: ReadonlyArray<Measure & Pick<SeriesPoint, 'period'>>): SeriesPoint[] {
  let previousLevel: UnitLevel | null = null;
  let previousSources: string[] | null = null;
  return points.map((point) => {
    const levelChanged = point.level !== null && previousLevel !== null && point.level !== previousLevel;
    const sourceChanged = point.sources.length > 0 && previousSources !== null && point.sources.join(',') !== previousSources.join(',');
    const marked = {
      ...point,
      levelChanged,
      previousLevel: levelChanged ? previousLevel : null,
      sourceChanged,
      previousSources: sourceChanged ? previousSources : null,
    };
    if (point.level !== null) previousLevel = point.level;
    if (point.sources.length > 0) previousSources = point.sources;
    return marked;
  });
}
