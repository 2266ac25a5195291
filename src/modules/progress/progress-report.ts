import type { DataSource } from 'typeorm';
import { todayIn } from '../../common/clock';
import { badInput } from '../../common/errors';
import { isValidDate, tryParsePeriod, type Period } from '../../common/period';
import { requireByCode } from '../../database/by-code';
import type { Principal } from '../../security/principal';
import { Program } from '../catalogue/program.entity';
import { judgement, ProgressSnapshot, type Judgement } from './progress.service';
import type { ProgressReport } from './progress.types';

export const DEFAULT_PROGRAM = 'DA06';
const REPORT_FREQUENCIES = ['MONTH', 'QUARTER', 'YEAR'];

/** A report period must be a month, a quarter or a year. */
export function reportPeriod(period: Period | string | undefined, field = 'period'): Period {
  const parsed = typeof period === 'string' ? tryParsePeriod(period) : period;
  if (!parsed) throw badInput(field, 'expected a month (2024-03), a quarter (2024-Q1) or a year (2024)');
  if (!REPORT_FREQUENCIES.includes(parsed.frequency)) {
    throw badInput(field, `a report covers a month, a quarter or a year, not a ${parsed.frequency.toLowerCase()}`);
  }
  return parsed;
}

/** The report's day: the one given (not before the period starts), else the period's last day or today if earlier. */
export function reportJudgement(period: Period, asOf: string | null | undefined, timeZone: string): Judgement {
  if (asOf != null) {
    if (!isValidDate(asOf)) throw badInput('asOf', 'expected a calendar date YYYY-MM-DD');
    if (asOf < period.start) throw badInput('asOf', `must not be before the period starts (${period.start})`);
    return judgement(asOf, period.start, period.end);
  }
  const today = todayIn(timeZone);
  return judgement(period.end < today ? period.end : today, period.start, period.end);
}

function downloadPath(format: 'csv' | 'md', program: string, period: Period, asOf: string, planYear: number | null): string {
  const query = new URLSearchParams({ period: period.text, asOf, program, ...(planYear == null ? {} : { planYear: String(planYear) }) });
  return `/reports/progress.${format}?${query.toString()}`;
}

/** The periodic report of a programme as `options.principal` may see it, from a snapshot judged on the report's window. */
export async function buildProgressReport(
  dataSource: DataSource,
  timeZone: string,
  options: { program?: string | null; period: Period; asOf?: string | null; planYear?: number | null; principal: Principal },
  snapshotFor: (window: Judgement) => Promise<ProgressSnapshot> = (window) => ProgressSnapshot.load(dataSource, window, timeZone),
): Promise<ProgressReport> {
  const programCode = options.program ?? DEFAULT_PROGRAM;
  const window = reportJudgement(options.period, options.asOf, timeZone);
  const program = await requireByCode(dataSource, Program, 'programme', programCode);
  const snapshot = await snapshotFor(window);
  const planYear = options.planYear ?? null;
  return snapshot.report(program, options.period, {
    csvUrl: downloadPath('csv', programCode, options.period, window.asOf, planYear),
    markdownUrl: downloadPath('md', programCode, options.period, window.asOf, planYear),
  }, options.principal, planYear);
}
