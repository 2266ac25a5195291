/** Expectations: how many reports a measure rests on were expected, from the units' validity and today (or asOf). */
import type { UnitLevel } from '../../common/enums';
import { periodContaining, type Frequency, type Period } from '../../common/period';
import type { UnitRecord } from '../unit-map';
import { TOTAL } from './accumulate';
import type { Plan } from './plan';
import type { AnalyticsMetric } from './types';

/**
 * Expected reports of a metric in a bucket and group: for each period of the metric's frequency starting in the
 * bucket (and by today), the units of the month's reporting level valid on its first day that fall in the group.
 */
export class Expectations {
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

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

