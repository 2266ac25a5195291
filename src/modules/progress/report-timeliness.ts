import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import { datetimeFromDatabase } from '../../database/sql-dialect';
import { addDays, nextPeriod, periodContaining, type Period } from '../../common/period';
import { ChangedField } from '../catalogue/change-record';
import { DEFAULT_REPORTING_LAG_DAYS } from '../metrics/freshness';
import { MetricChange, type Metric } from '../metrics/metric.entity';
import { ObservationRevision } from '../observations/observation-revision.entity';
import { Observation } from '../observations/observation.entity';
import { startOfDay, type Judgement } from './progress.service';

/** What became of one expected report by the judgement day. */
export enum ReportTimeliness {
  /** First value for the period recorded by the end of its due day (period end + reporting lag). */
  ON_TIME = 'ON_TIME',
  /** Recorded after its due day, by the judgement day. */
  LATE = 'LATE',
  /** Not recorded by the judgement day. */
  MISSING = 'MISSING',
}

/** One report a metric owed: the period, its due day, when its first value was recorded (any unit) and the verdict. */
export interface ExpectedReport {
  metric: Metric;
  period: string;
  dueDate: string;
  firstRecordedAt: Date | null;
  timeliness: ReportTimeliness;
}

/** Longest reporting lag worth looking back for when reading the first arrivals (a yearly report due the next year). */
const LOOKBACK_DAYS = 800;

/**
 * The reports each metric owed in the window: every period whose due day (its last day + the metric's reporting
 * lag) falls from `window.from` to `window.asOf`, left out once the metric was retired, and before the day it was
 * created through the API (a CREATED record; seeded metrics owe every period). A report is on time when the first
 * value of its period for any unit was recorded by the end of the due day in `timeZone`: the first of the current
 * values' and their earlier revisions' recording times, read in two statements whatever the number of metrics.
 */
export async function expectedReports(dataSource: DataSource, metrics: Metric[], window: Judgement, timeZone: string): Promise<ExpectedReport[]> {
  if (metrics.length === 0 || window.asOf < window.from) return [];
  const since = addDays(window.from, -LOOKBACK_DAYS);
  const [arrivals, created] = await Promise.all([firstArrivals(dataSource, since, window.asOf), creationDays(dataSource, timeZone)]);
  const judgedUntil = startOfDay(addDays(window.asOf, 1), timeZone).getTime();
  const reports: ExpectedReport[] = [];
  for (const metric of metrics) {
    const lag = metric.reportingLagDays ?? DEFAULT_REPORTING_LAG_DAYS[metric.frequency];
    const firstDue = [window.from, created.get(metric.id)].filter((day): day is string => day != null).sort().at(-1)!;
    const lastDue = metric.retiredOn && metric.retiredOn <= window.asOf ? addDays(metric.retiredOn, -1) : window.asOf;
    for (let period: Period = periodContaining(addDays(firstDue, -lag), metric.frequency); addDays(period.end, lag) <= lastDue; period = nextPeriod(period)) {
      const dueDate = addDays(period.end, lag);
      if (dueDate < firstDue) continue;
      const first = arrivals.get(`${metric.id}:${period.text}`) ?? null;
      const timeliness =
        first === null || first.getTime() >= judgedUntil
          ? ReportTimeliness.MISSING
          : first.getTime() < startOfDay(addDays(dueDate, 1), timeZone).getTime()
            ? ReportTimeliness.ON_TIME
            : ReportTimeliness.LATE;
      reports.push({ metric, period: period.text, dueDate, firstRecordedAt: timeliness === ReportTimeliness.MISSING ? null : first, timeliness });
    }
  }
  return reports;
}

/** `metricId:period` → the earliest recording time of any value of that period (current values and revisions). */
async function firstArrivals(dataSource: DataSource, since: string, until: string): Promise<Map<string, Date>> {
  const current = dataSource
    .createQueryBuilder(Observation, 'observation')
    .select('observation.metricId', 'metricId')
    .addSelect('observation.period', 'period')
    .addSelect('MIN(observation.recordedAt)', 'first')
    .where('observation.periodEnd >= :since AND observation.periodEnd <= :until', { since, until })
    .groupBy('observation.metricId')
    .addGroupBy('observation.period');
  const revised = dataSource
    .createQueryBuilder(ObservationRevision, 'revision')
    .innerJoin(Observation, 'observation', 'observation.id = revision.observationId')
    .select('observation.metricId', 'metricId')
    .addSelect('observation.period', 'period')
    .addSelect('MIN(revision.recordedAt)', 'first')
    .where('observation.periodEnd >= :since AND observation.periodEnd <= :until', { since, until })
    .groupBy('observation.metricId')
    .addGroupBy('observation.period');
  type Row = { metricId: number | string; period: string; first: Date | string };
  const [currentRows, revisedRows] = await Promise.all([current.getRawMany<Row>(), revised.getRawMany<Row>()]);
  const arrivals = new Map<string, Date>();
  for (const row of [...currentRows, ...revisedRows]) {
    const key = `${Number(row.metricId)}:${row.period}`;
    const time = datetimeFromDatabase(row.first);
    const known = arrivals.get(key);
    if (!known || time < known) arrivals.set(key, time);
  }
  return arrivals;
}

/** Metric id → the day (in `timeZone`) it was created through the API; seeded metrics have no CREATED record. */
async function creationDays(dataSource: DataSource, timeZone: string): Promise<Map<number, string>> {
  const rows = await dataSource.getRepository(MetricChange).find({ select: { subjectId: true, changedAt: true }, where: { field: ChangedField.CREATED } });
  return new Map(rows.map((row) => [row.subjectId, todayIn(timeZone, row.changedAt)]));
}
