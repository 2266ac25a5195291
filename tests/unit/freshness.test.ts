import { MetricFrequency } from '../../src/common/enums';
import { FreshnessStatus, metricFreshness, summarize } from '../../src/modules/metrics/freshness';

const daily = { frequency: MetricFrequency.DAY, reportingLagDays: null };
const monthly = { frequency: MetricFrequency.MONTH, reportingLagDays: null };
const weekly = { frequency: MetricFrequency.WEEK, reportingLagDays: 2 };

describe('metric freshness', () => {
  it('a daily metric is due the day after; yesterday’s value may still arrive today', () => {
    // On 2024-04-10 with a lag of 1 day, 2024-04-08 is the latest period past its due date (2024-04-09).
    expect(metricFreshness(daily, '2024-04-08', '2024-04-10')).toEqual({
      status: FreshnessStatus.ON_TIME,
      latestPeriod: '2024-04-08',
      expectedPeriod: '2024-04-08',
      nextDueDate: '2024-04-10',
      reportingLagDays: 1,
    });
    expect(metricFreshness(daily, '2024-04-07', '2024-04-10')).toMatchObject({ status: FreshnessStatus.LATE, nextDueDate: '2024-04-09' });
  });

  it('a monthly metric is due 10 days after the month ends', () => {
    // March is due on 2024-04-10: on the 10th February is still enough, on the 11th March is required.
    expect(metricFreshness(monthly, '2024-02', '2024-04-10')).toMatchObject({ status: FreshnessStatus.ON_TIME, expectedPeriod: '2024-02', nextDueDate: '2024-04-10' });
    expect(metricFreshness(monthly, '2024-02', '2024-04-11')).toMatchObject({ status: FreshnessStatus.LATE, expectedPeriod: '2024-03' });
    expect(metricFreshness(monthly, '2024-03', '2024-04-11')).toMatchObject({ status: FreshnessStatus.ON_TIME, nextDueDate: '2024-05-10' });
  });

  it('uses the metric’s own lag and ISO weeks', () => {
    // 2024-W14 ends Sunday 2024-04-07 and is due on 2024-04-09 with a lag of 2.
    expect(metricFreshness(weekly, '2024-W13', '2024-04-09')).toMatchObject({ status: FreshnessStatus.ON_TIME, expectedPeriod: '2024-W13' });
    expect(metricFreshness(weekly, '2024-W13', '2024-04-10')).toMatchObject({ status: FreshnessStatus.LATE, expectedPeriod: '2024-W14', reportingLagDays: 2 });
  });

  it('a metric without any value is MISSING, with its first expected period due already', () => {
    expect(metricFreshness(monthly, null, '2024-04-11')).toMatchObject({ status: FreshnessStatus.MISSING, latestPeriod: null, nextDueDate: '2024-04-10' });
  });

  it('summaries count each status and report the worst', () => {
    expect(summarize([FreshnessStatus.ON_TIME, FreshnessStatus.LATE, FreshnessStatus.ON_TIME])).toEqual({ status: FreshnessStatus.LATE, onTime: 2, late: 1, missing: 0 });
    expect(summarize([])).toEqual({ status: null, onTime: 0, late: 0, missing: 0 });
  });
});
