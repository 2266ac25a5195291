/**
 * How much data an analytics request reads, estimated from its arguments alone: metrics × units × periods at the
 * granularity the engine must read. Current answers over whole months at MONTH granularity or coarser (or without
 * periods) read the month rollups: one row per (metric, unit, month). Everything else — DAY and WEEK granularity,
 * a range that starts or ends inside a month, `asOf` — reads the raw observations: one row per (metric, unit,
 * period of the metric's frequency). The engine reads every unit in force during the range (the unit filter and
 * the grouping level are applied after reading), so the units counted are those.
 *
 * The GraphQL volume limit (MAX_QUERY_ROWS) sums this over every aliased analytics field of an operation before
 * anything runs; the engine uses the same figures to read a large answer in chunks, yielding to the event loop
 * between them.
 */
import type { DataSource } from 'typeorm';
import { frequencyRank, periodContaining, type Frequency, type Period } from '../common/period';
import { dateText } from '../database/sql-dialect';

/** Whether a read of [start, end] must use the raw observations rather than the month rollups. */
export function readsRaw(range: { start: string; end: string }, granularity: Frequency | null, asOf: Date | null, source: 'auto' | 'raw' = 'auto'): boolean {
  const wholeMonths = periodContaining(range.start, 'MONTH').start === range.start && periodContaining(range.end, 'MONTH').end === range.end;
  return source === 'raw' || asOf !== null || !wholeMonths || (granularity !== null && frequencyRank(granularity) < frequencyRank('MONTH'));
}

/** The range read: from the start of `from` to the end of `to`, widened to whole buckets of the granularity. */
export function readRange(from: Period, to: Period, granularity: Frequency | null): { start: string; end: string } {
  if (!granularity) return { start: from.start, end: to.end };
  return { start: periodContaining(from.start, granularity).start, end: periodContaining(to.end, granularity).end };
}

const DAY_MS = 86_400_000;
const days = (start: string, end: string) => Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS) + 1;
const monthIndex = (date: string) => Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1;

/** Rows one unit contributes for one metric: its periods (raw) or its months (rollups) in [start, end]. */
export function rowsPerUnit(frequency: Frequency, start: string, end: string, raw: boolean): number {
  if (end < start) return 0;
  const months = monthIndex(end) - monthIndex(start) + 1;
  if (!raw) return months;
  switch (frequency) {
    case 'DAY':
      return days(start, end);
    case 'WEEK':
      return Math.ceil(days(start, end) / 7) + 1;
    case 'MONTH':
      return months;
    case 'QUARTER':
      return Math.ceil(months / 3) + 1;
    default:
      return Number(end.slice(0, 4)) - Number(start.slice(0, 4)) + 1;
  }
}

/** A read's estimated rows: per metric, its rows per unit × the units; the end is capped at today (nothing later exists). */
export function estimateRows(frequencies: readonly Frequency[], start: string, end: string, raw: boolean, units: number, today: string): number {
  const last = end < today ? end : today;
  return frequencies.reduce((sum, frequency) => sum + rowsPerUnit(frequency, start, last, raw) * units, 0);
}

/**
 * What the estimate needs to know of the catalogue, held in memory so a request is measured without any SQL:
 * each metric's frequency and each unit's validity. Loaded when the hub starts; a metric code it does not know
 * (created since) counts as daily, the finest frequency, and has the snapshot reloaded in the background.
 */
export class AnalyticsCatalogue {
  private loading?: Promise<void>;
  private loadedAt = 0;

  private constructor(
    private readonly dataSource: Pick<DataSource, 'query'>,
    private frequencies: Map<string, Frequency>,
    private units: Array<{ validFrom: string; validTo: string | null }>,
  ) {}

  static async load(dataSource: Pick<DataSource, 'query'>): Promise<AnalyticsCatalogue> {
    const catalogue = new AnalyticsCatalogue(dataSource, new Map(), []);
    await catalogue.reload();
    return catalogue;
  }

  private async reload(): Promise<void> {
    this.loadedAt = Date.now();
    const [metrics, units] = await Promise.all([
      this.dataSource.query('SELECT code, frequency FROM metric') as Promise<Array<{ code: string; frequency: Frequency }>>,
      this.dataSource.query('SELECT validFrom, validTo FROM administrative_unit') as Promise<Array<{ validFrom: unknown; validTo: unknown }>>,
    ]);
    this.frequencies = new Map(metrics.map((metric) => [String(metric.code), metric.frequency]));
    this.units = units.map((unit) => ({ validFrom: dateText(unit.validFrom), validTo: unit.validTo == null ? null : dateText(unit.validTo) }));
  }

  /** The metric's frequency; DAY (the most rows) for a code not in the snapshot, which is then refreshed (at most every 30 s). */
  frequencyOf(code: string): Frequency {
    const frequency = this.frequencies.get(code);
    if (frequency) return frequency;
    if (!this.loading && Date.now() - this.loadedAt > 30_000) {
      this.loading = this.reload()
        .catch(() => undefined)
        .finally(() => (this.loading = undefined));
    }
    return 'DAY';
  }

  /** Units in force at some time in [start, end]. */
  unitsDuring(start: string, end: string): number {
    let count = 0;
    for (const unit of this.units) if (unit.validFrom <= end && (unit.validTo === null || unit.validTo >= start)) count += 1;
    return count;
  }
}

/** The arguments of `series` and `aggregate` the estimate reads (as GraphQL coerced them). */
export interface AnalyticsArguments {
  metrics?: readonly string[] | null;
  from?: Period | null;
  to?: Period | null;
  granularity?: Frequency | null;
  asOf?: Date | null;
}

/** Estimated rows an analytics field reads, or null when its arguments are incomplete (execution refuses them). */
export function estimateFieldRows(catalogue: AnalyticsCatalogue, args: AnalyticsArguments, today: string): { rows: number; raw: boolean } | null {
  const { metrics, from, to } = args;
  if (!Array.isArray(metrics) || !from || !to || typeof from !== 'object' || typeof to !== 'object') return null;
  if (from.start > to.end) return { rows: 0, raw: false };
  const granularity = args.granularity ?? null;
  const range = readRange(from, to, granularity);
  const raw = readsRaw(range, granularity, args.asOf ?? null);
  const units = catalogue.unitsDuring(range.start, range.end);
  const frequencies = [...new Set(metrics)].map((code) => catalogue.frequencyOf(code));
  return { rows: estimateRows(frequencies, range.start, range.end, raw, units, today), raw };
}
