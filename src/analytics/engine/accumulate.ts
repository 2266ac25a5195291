/**
 * Accumulation: the plan's value rows summed into cells — one per (metric, bucket, group) — keeping each month's
 * levels apart, so that the measures can then use only the coarsest level that reported in each month.
 */
import { MetricKind, type UnitLevel } from '../../common/enums';
import { badInput } from '../../common/errors';
import { Slicer, yieldToEventLoop } from '../../common/event-loop';
import { periodContaining } from '../../common/period';
import { replacesLatest, type LatestByUnit, type ReportSums } from '../value-rules';
import { sourceList } from '../../modules/observations/rollups';
import type { ValueRow } from './load';
import type { Plan } from './plan';

/** Sums of one level in one month of one cell (`value` is Σ value, also for STOCK: its total is taken from `latest`). */
export interface LevelSums extends ReportSums {
  approximate: boolean;
  /** STOCK only: per unit, its latest period start and weighted value. */
  latest: LatestByUnit | null;
  /** The sources of the rows summed. */
  sources: Set<string>;
}

/** One (metric, bucket, group): month → level → sums. */
export type Cell = Map<string, Map<UnitLevel, LevelSums>>;

/** The group of a series or aggregate that is not split by unit. */
export const TOTAL = -1;

export interface Accumulated {
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

/**
 * Sums the rows into cells (at most `maxCells`, else BAD_USER_INPUT on `groupsField`): rows outside the buckets or
 * the unit filter are left out, and a row counts in every group its unit is placed in, with the placement's weight.
 */
export async function accumulate(plan: Plan, rows: readonly ValueRow[], maxCells: number, groupsField: string): Promise<Accumulated> {
  const cells = new Map<string, Cell>();
  const slicer = new Slicer();
  const bucketOf = bucketIndexer(plan);
  const kinds = new Map(plan.metrics.map((metric) => [metric.id, metric.kind]));
  const included = new Map<number, boolean>();
  // Rows repeat a few source lists: each is split once.
  const sourceLists = new Map<string, string[]>();
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
    let sources = sourceLists.get(row.sources);
    if (!sources) sourceLists.set(row.sources, (sources = sourceList(row.sources)));
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
        sums = { value: 0, numerator: 0, denominator: 0, reports: 0, numerators: 0, approximate: false, latest: stock ? new Map() : null, sources: new Set() };
        levels.set(row.level, sums);
      }
      sums.value += weight * row.valueSum;
      sums.numerator += weight * (row.numeratorSum ?? 0);
      sums.denominator += weight * (row.denominatorSum ?? 0);
      sums.reports += row.observationCount;
      sums.numerators += row.numeratorCount;
      sums.approximate ||= placement.approximate;
      for (const source of sources) sums.sources.add(source);
      if (sums.latest && replacesLatest(sums.latest.get(row.unitId), row.latestPeriodStart)) {
        sums.latest.set(row.unitId, { start: row.latestPeriodStart, value: weight * row.latestValue });
      }
    }
  }
  return { cells };
}

