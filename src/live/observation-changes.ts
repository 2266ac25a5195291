import type { CatalogueMetric, ValidRow } from '../ingestion/validation';
import { MAX_LISTED, type MetricChange, type ObservationsChange } from './live-updates';

/** Names of the catalogue rows a change names, by id. */
export interface ChangeNames {
  metrics: ReadonlyMap<number, CatalogueMetric>;
  units: ReadonlyMap<number, string>;
}

/** What one commit wrote, per metric, as live updates report it (null when it wrote no value). */
export function observationsChange(written: { inserted: readonly ValidRow[]; updated: readonly ValidRow[] }, names: ChangeNames): ObservationsChange | null {
  const byMetric = new Map<number, { change: MetricChange; units: Set<string>; periods: Set<string> }>();
  const add = (row: ValidRow, inserted: boolean) => {
    let entry = byMetric.get(row.metricId);
    if (!entry) {
      const metric = names.metrics.get(row.metricId);
      if (!metric) return;
      entry = {
        change: { metricId: metric.id, metric: metric.code, departmentId: metric.departmentId, department: metric.departmentCode ?? '', units: [], periods: [], truncated: false, imported: 0, updated: 0 },
        units: new Set(),
        periods: new Set(),
      };
      byMetric.set(row.metricId, entry);
    }
    if (inserted) entry.change.imported += 1;
    else entry.change.updated += 1;
    const unit = names.units.get(row.unitId);
    if (unit !== undefined) entry.units.add(unit);
    entry.periods.add(row.period);
  };
  for (const row of written.inserted) add(row, true);
  for (const row of written.updated) add(row, false);
  if (byMetric.size === 0) return null;
  const metrics = [...byMetric.values()].map(({ change, units, periods }) => {
    const sortedUnits = [...units].sort();
    const sortedPeriods = [...periods].sort();
    return {
      ...change,
      units: sortedUnits.slice(0, MAX_LISTED),
      periods: sortedPeriods.slice(0, MAX_LISTED),
      truncated: sortedUnits.length > MAX_LISTED || sortedPeriods.length > MAX_LISTED,
    };
  });
  return { kind: 'observations', committedAt: new Date().toISOString(), metrics };
}
