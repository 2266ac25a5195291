/** Measures: a cell combined by the value rules (src/analytics/value-rules.ts), with the reports it rests on. */
import { MetricKind, type UnitLevel } from '../../common/enums';
import type { Period } from '../../common/period';
import { coarserLevel, coarsestLevel, combineParts, combineReports, keepLatest, latestTotal, type LatestByUnit } from '../value-rules';
import type { Cell, LevelSums } from './accumulate';
import type { Expectations } from './expectations';
import type { AnalyticsMetric, Measure } from './types';

/** Combines a cell: per month the coarsest level that reported, then over months by the metric's kind. */
export function measureOf(
  metric: AnalyticsMetric,
  cell: Cell | undefined,
  bucket: Period,
  groupId: number,
  expectations: Expectations,
  defaultLevel: UnitLevel | null,
): Measure {
  const chosen = new Map<string, { level: UnitLevel; sums: LevelSums }>();
  for (const [month, levels] of cell ?? []) {
    const coarsest = coarsestLevel(levels.keys());
    if (coarsest) chosen.set(month, { level: coarsest, sums: levels.get(coarsest)! });
  }
  const expected = expectations.count(metric, bucket, groupId, (month) => chosen.get(month)?.level ?? defaultLevel);
  if (chosen.size === 0) {
    return { value: null, numerator: null, denominator: null, expected, reported: 0, complete: false, approximate: false, level: null, sources: [] };
  }
  let value = 0;
  let numerator = 0;
  let denominator = 0;
  let reports = 0;
  let numerators = 0;
  let approximate = false;
  let level: UnitLevel | null = null;
  const sources = new Set<string>();
  const latest: LatestByUnit | null = metric.kind === MetricKind.STOCK ? new Map() : null;
  for (const { level: monthLevel, sums } of chosen.values()) {
    value += sums.value;
    numerator += sums.numerator;
    denominator += sums.denominator;
    reports += sums.reports;
    numerators += sums.numerators;
    approximate ||= sums.approximate;
    level = coarserLevel(level, monthLevel);
    for (const source of sums.sources) sources.add(source);
    if (latest) for (const [unitId, entry] of sums.latest ?? []) keepLatest(latest, unitId, entry);
  }
  const combined = combineReports(metric.kind, { value: latest ? latestTotal(latest) : value, numerator, denominator, reports, numerators });
  return {
    value: combined.value,
    numerator: combined.numerator,
    denominator: combined.denominator,
    expected,
    reported: reports,
    complete: expected > 0 && reports >= expected,
    approximate,
    level,
    sources: [...sources].sort(),
  };
}

/** Several metrics' measures as one (see combineParts); complete when every part is. */
export function combineMeasures(kind: MetricKind, parts: readonly Measure[]): Measure {
  const reportedParts = parts.filter((part) => part.value !== null || part.reported > 0);
  const expected = parts.reduce((sum, part) => sum + part.expected, 0);
  const reported = parts.reduce((sum, part) => sum + part.reported, 0);
  const approximate = parts.some((part) => part.approximate);
  const level = coarsestLevel(reportedParts.map((part) => part.level).filter((partLevel): partLevel is UnitLevel => partLevel !== null));
  const complete = reportedParts.length > 0 && parts.every((part) => part.complete);
  const { value, numerator, denominator } = combineParts(kind, reportedParts);
  const sources = [...new Set(reportedParts.flatMap((part) => part.sources))].sort();
  return { value, numerator, denominator, expected, reported, complete, approximate, level, sources };
}
