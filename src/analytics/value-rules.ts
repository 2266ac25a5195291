/**
 * How metric values combine: the one place the rules live, used by the analytics engine (series, aggregates),
 * by `metric.latest` and by progress against targets (`metric.progress`, progress and scorecards).
 *
 * - COUNT (a flow) sums over time and over units.
 * - STOCK (a level) takes, for each unit, its latest value in the period, and sums those over units.
 * - RATE is Σ numerator / Σ denominator × 100 over time and units, never an average of percentages; reports
 *   without numerator and denominator cannot be summed that way, so such a rate is missing (null), except a
 *   single report, which is its own value.
 * - One level: when a metric was reported at several administrative levels (a province figure and district
 *   figures), each group and period uses only the coarsest level that reported in it, so nothing counts twice.
 * - Progress: a COUNT with a target date is measured by its total from 1 January of the target year, anything
 *   else by its latest value; the ratio is actual / target, and 1 or more reaches the target.
 */
import { MetricKind, UnitLevel } from '../common/enums';
import { levelRank } from './unit-map';

// ---------------------------------------------------------------------------------------------------------------
// Levels

/** The coarser of two levels (`current` when they are the same); `current` null: `level`. */
export function coarserLevel(current: UnitLevel | null, level: UnitLevel): UnitLevel {
  return current === null || levelRank(level) < levelRank(current) ? level : current;
}

/** The coarsest of the levels that reported; null when none did. */
export function coarsestLevel(levels: Iterable<UnitLevel>): UnitLevel | null {
  let coarsest: UnitLevel | null = null;
  for (const level of levels) coarsest = coarserLevel(coarsest, level);
  return coarsest;
}

/** Of sums made at several levels, those of the coarsest level (the first of them); undefined when there are none. */
export function pickCoarsest<T extends { level: UnitLevel }>(sums: Iterable<T>): T | undefined {
  let chosen: T | undefined;
  for (const sum of sums) if (chosen === undefined || levelRank(sum.level) < levelRank(chosen.level)) chosen = sum;
  return chosen;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** A combined value; numerator and denominator are those of a RATE whose reports all gave them, else null. */
export interface Combined {
  /** Null when nothing can be said: a RATE without a usable denominator. */
  value: number | null;
  numerator: number | null;
  denominator: number | null;
}

/** What the reports of one level add up to. */
export interface ReportSums {
  /** Σ value; for STOCK, Σ over units of each unit's latest value (see `latestTotal`). */
  value: number;
  /** Σ numerator and Σ denominator of the reports that gave them. */
  numerator: number;
  denominator: number;
  /** Reports, and how many of them gave numerator and denominator. */
  reports: number;
  numerators: number;
}

/** numerator / denominator × 100; null without a positive denominator. */
export function rate(numerator: number, denominator: number): number | null {
  return denominator > 0 ? (100 * numerator) / denominator : null;
}

/** The value of one level's reports, by the metric's kind. */
export function combineReports(kind: MetricKind, sums: ReportSums): Combined {
  if (kind !== MetricKind.RATE) return { value: sums.value, numerator: null, denominator: null };
  // Numerators and denominators only add up when every report gave them; a single report is its own value.
  if (sums.numerators !== sums.reports) return { value: sums.reports === 1 ? sums.value : null, numerator: null, denominator: null };
  return { value: rate(sums.numerator, sums.denominator), numerator: sums.numerator, denominator: sums.denominator };
}

/**
 * Several combined values (of metrics of one kind) as one: their sum, and for RATE the rate of the summed
 * numerators and denominators, missing when a part has none. No parts: missing.
 */
export function combineParts(kind: MetricKind, parts: readonly Combined[]): Combined {
  if (parts.length === 0) return { value: null, numerator: null, denominator: null };
  if (kind === MetricKind.RATE) {
    if (parts.some((part) => part.numerator === null || part.denominator === null)) return { value: null, numerator: null, denominator: null };
    const numerator = parts.reduce((sum, part) => sum + part.numerator!, 0);
    const denominator = parts.reduce((sum, part) => sum + part.denominator!, 0);
    return { value: rate(numerator, denominator), numerator, denominator };
  }
  return { value: parts.reduce((sum, part) => sum + (part.value ?? 0), 0), numerator: null, denominator: null };
}

/** STOCK: per unit, the start of its latest period and its value then. */
export type LatestByUnit = Map<number, { start: string; value: number }>;

/** Whether a value for the period starting on `start` replaces `known` as its unit's latest: a later period does, of equals the first stays. */
export function replacesLatest(known: { start: string } | undefined, start: string): boolean {
  return known === undefined || known.start < start;
}

/** Records `entry` as its unit's latest value unless a later one is known. */
export function keepLatest(latest: LatestByUnit, unitId: number, entry: { start: string; value: number }): void {
  if (replacesLatest(latest.get(unitId), entry.start)) latest.set(unitId, entry);
}

/** STOCK: the units' latest values summed. */
export function latestTotal(latest: LatestByUnit): number {
  let total = 0;
  for (const entry of latest.values()) total += entry.value;
  return total;
}

// ---------------------------------------------------------------------------------------------------------------
// Progress against a target

/** Whether a target is measured by the cumulative total (a COUNT with a target date) rather than the latest value. */
export function targetIsCumulative(kind: MetricKind, targetDate: string | null | undefined): boolean {
  return kind === MetricKind.COUNT && Boolean(targetDate);
}

/** actual / target (1 = reached); a zero target is reached by any non-negative actual; null without actual or target. */
export function progressRatio(actual: number | null, target: number | null): number | null {
  if (actual == null || target == null) return null;
  if (target === 0) return actual >= 0 ? 1 : 0;
  return actual / target;
}

/** Whether a progress ratio reaches the target. */
export function targetReached(ratio: number | null): boolean {
  return ratio != null && ratio >= 1;
}
