import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MetricFrequency } from '../../common/enums';
import { addDays, nextPeriod, parsePeriod, periodContaining, type Period } from '../../common/period';
import { CalendarDateScalar, PeriodScalar } from '../../common/scalars';

export enum FreshnessStatus {
  /** The latest period that is due has been reported. */
  ON_TIME = 'ON_TIME',
  /** Some period past its due date has not been reported. */
  LATE = 'LATE',
  /** Nothing has ever been reported. */
  MISSING = 'MISSING',
}
registerEnumType(FreshnessStatus, {
  name: 'FreshnessStatus',
  description: 'Whether a metric\'s values arrive when due.',
  valuesConfig: {
    ON_TIME: { description: 'The latest period that is due has been reported.' },
    LATE: { description: 'Some period past its due date has not been reported.' },
    MISSING: { description: 'Nothing has ever been reported.' },
  },
});

/** Days after a period ends by which its value is due, when the metric does not say. */
export const DEFAULT_REPORTING_LAG_DAYS: Record<MetricFrequency, number> = {
  DAY: 1,
  WEEK: 3,
  MONTH: 10,
  QUARTER: 20,
  YEAR: 45,
};

@ObjectType({ description: 'Whether a metric’s reports arrive on time.' })
export class MetricFreshness {
  @Field(() => FreshnessStatus, { description: 'ON_TIME, LATE (a due period is unreported) or MISSING (never reported).' })
  status: FreshnessStatus;

  @Field(() => PeriodScalar, { nullable: true, description: 'Latest period with data.' })
  latestPeriod: string | null;

  @Field(() => PeriodScalar, { description: 'Latest period whose report is due by today.' })
  expectedPeriod: string;

  @Field(() => CalendarDateScalar, { description: 'When the next missing report is (or was) due.' })
  nextDueDate: string;

  @Field(() => Int, { description: 'Days after a period ends by which its value is due.' })
  reportingLagDays: number;
}

@ObjectType({ description: 'Freshness of a group of metrics (a pilot model’s or a department’s).' })
export class FreshnessSummary {
  @Field(() => FreshnessStatus, { nullable: true, description: 'The worst status among the metrics; null when there are none.' })
  status: FreshnessStatus | null;

  @Field(() => Int, { description: 'Metrics whose latest due period is reported.' })
  onTime: number;

  @Field(() => Int, { description: 'Metrics with a period past its due date unreported.' })
  late: number;

  @Field(() => Int, { description: 'Metrics never reported.' })
  missing: number;
}

function previousPeriod(period: Period): Period {
  return periodContaining(addDays(period.start, -1), period.frequency);
}

/** Freshness of one metric on `today` given its latest reported period. */
export function metricFreshness(
  metric: { frequency: MetricFrequency; reportingLagDays: number | null },
  latestPeriod: string | null,
  today: string,
): MetricFreshness {
  const lag = metric.reportingLagDays ?? DEFAULT_REPORTING_LAG_DAYS[metric.frequency];
  // A period is due on end + lag; it is expected once that day has passed.
  const lastOverdueDay = addDays(today, -lag - 1);
  const containing = periodContaining(lastOverdueDay, metric.frequency);
  const expected = containing.end <= lastOverdueDay ? containing : previousPeriod(containing);
  const latest = latestPeriod ? parsePeriod(latestPeriod) : null;
  const status = !latest ? FreshnessStatus.MISSING : latest.start >= expected.start ? FreshnessStatus.ON_TIME : FreshnessStatus.LATE;
  const nextMissing = latest ? nextPeriod(latest) : expected;
  return {
    status,
    latestPeriod: latest?.text ?? null,
    expectedPeriod: expected.text,
    nextDueDate: addDays(nextMissing.end, lag),
    reportingLagDays: lag,
  };
}

const SEVERITY = [FreshnessStatus.ON_TIME, FreshnessStatus.LATE, FreshnessStatus.MISSING];

export function summarize(statuses: FreshnessStatus[]): FreshnessSummary {
  const count = (status: FreshnessStatus) => statuses.filter((candidate) => candidate === status).length;
  const worst = statuses.reduce<FreshnessStatus | null>(
    (current, status) => (current === null || SEVERITY.indexOf(status) > SEVERITY.indexOf(current) ? status : current),
    null,
  );
  return { status: worst, onTime: count(FreshnessStatus.ON_TIME), late: count(FreshnessStatus.LATE), missing: count(FreshnessStatus.MISSING) };
}
