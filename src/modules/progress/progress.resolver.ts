import { Arg, Authorized, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { listCost } from '../../graphql/limits';
import type { Period } from '../../common/period';
import { CalendarDateScalar, PeriodScalar } from '../../common/scalars';
import { scopeOf, type HubContext } from '../../graphql/context';
import { ALL_ROLES, reveal } from '../../security/access';
import { Department } from '../departments/department.entity';
import { DEFAULT_PROGRAM } from './progress-report';
import { departmentScorecard, departmentScorecards, programProgress, progressReport } from './progress.queries';
import { DataQuality, DepartmentScorecard, ProgramProgress, ProgressReport, ReportLanguageChoice } from './progress.types';
import { renderMarkdown } from './report-render';
import { withBasePath } from '../../http/console';

const PLAN_YEAR =
  'Plan year reported (its tasks; models filed up to it and not retired by it); default the plan in force on asOf (its year, or the latest plan before).';

@Resolver()
export class ProgressResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ProgramProgress, { description: 'A programme’s progress on asOf (default today): counts, task groups, overdue items, metrics needing attention.' })
  async progress(
    @Ctx() context: HubContext,
    @Arg('program', () => String, { defaultValue: DEFAULT_PROGRAM, description: 'Code of the programme; default DA06.' }) programCode: string,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Day to judge on (YYYY-MM-DD); default today in the hub\'s time zone.' }) asOf?: string | null,
    @Arg('planYear', () => Int, { nullable: true, description: PLAN_YEAR }) planYear?: number | null,
  ): Promise<ProgramProgress> {
    return programProgress(scopeOf(context), programCode, asOf, planYear);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => [DepartmentScorecard], {
    complexity: listCost,
    description:
      'Scorecards of every department in force during the window (default: the year of asOf), by code: the material of ' +
      'the year-end performance evaluation.',
  })
  async departmentScorecards(
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Day statuses and freshness are judged on; default today.' }) asOf?: string | null,
    @Arg('from', () => CalendarDateScalar, { nullable: true, description: 'First day of the window; default 1 January of asOf’s year.' }) from?: string | null,
    @Arg('to', () => CalendarDateScalar, { nullable: true, description: 'Last day of the window; default 31 December of asOf’s year.' }) to?: string | null,
    @Arg('departments', () => [String], { nullable: true, description: 'Only these department codes.' }) codes?: string[] | null,
  ): Promise<DepartmentScorecard[]> {
    return departmentScorecards(scopeOf(context), { asOf, from, to }, codes);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => ProgressReport, {
    description:
      'The periodic report to the People’s Committee chairman for a month, quarter or year, as of the period’s last day ' +
      '(or today if earlier, or asOf); also downloadable as CSV and Markdown (csvUrl, markdownUrl).',
  })
  progressReport(
    @Arg('period', () => PeriodScalar, { description: 'The period reported on, any frequency, e.g. 2024-Q1 or 2024-03; as of its last day, or today if earlier.' }) period: Period,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Report later than the period’s end, e.g. on the meeting day.' }) asOf?: string | null,
    @Arg('program', () => String, { defaultValue: DEFAULT_PROGRAM, description: 'Code of the programme; default DA06.' }) program?: string,
    @Arg('planYear', () => Int, { nullable: true, description: PLAN_YEAR }) planYear?: number | null,
  ): Promise<ProgressReport> {
    return progressReport(scopeOf(context), period, asOf, program, planYear);
  }
}

const LANG = { defaultValue: ReportLanguageChoice.vi, description: 'Language of the headings, names and responsible persons\' titles; default vi.' };

/** A download path of the report in `lang`, under PUBLIC_BASE_PATH. */
function downloadUrl(context: HubContext, path: string, lang: ReportLanguageChoice): string {
  return withBasePath(context.config.http.publicBasePath, `${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
}

@Resolver(() => ProgressReport)
export class ProgressReportResolver {
  @FieldResolver(() => String, { description: 'The report as Markdown, in lang (as the Markdown download).' })
  markdown(@Root() report: ProgressReport, @Arg('lang', () => ReportLanguageChoice, LANG) lang: ReportLanguageChoice): string {
    return renderMarkdown(report, lang);
  }

  @FieldResolver(() => String, { description: 'Path of the CSV download of this report in lang (one row per item, `section` column), under PUBLIC_BASE_PATH.' })
  csvUrl(@Root() report: ProgressReport, @Ctx() context: HubContext, @Arg('lang', () => ReportLanguageChoice, LANG) lang: ReportLanguageChoice): string {
    return downloadUrl(context, report.csvUrl, lang);
  }

  @FieldResolver(() => String, { description: 'Path of the Markdown download of this report in lang, under PUBLIC_BASE_PATH.' })
  markdownUrl(@Root() report: ProgressReport, @Ctx() context: HubContext, @Arg('lang', () => ReportLanguageChoice, LANG) lang: ReportLanguageChoice): string {
    return downloadUrl(context, report.markdownUrl, lang);
  }
}

@Resolver(() => Department)
export class DepartmentScorecardResolver {
  @FieldResolver(() => DepartmentScorecard, { description: 'The department’s scorecard; the window defaults to the year of asOf (default today).' })
  async scorecard(
    @Root() department: Department,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Day statuses and freshness are judged on (YYYY-MM-DD); default today.' }) asOf?: string | null,
    @Arg('from', () => CalendarDateScalar, { nullable: true, description: 'First day of the window (YYYY-MM-DD); default 1 January of asOf\'s year.' }) from?: string | null,
    @Arg('to', () => CalendarDateScalar, { nullable: true, description: 'Last day of the window (YYYY-MM-DD); default 31 December of asOf\'s year.' }) to?: string | null,
  ): Promise<DepartmentScorecard> {
    return departmentScorecard(scopeOf(context), department, { asOf, from, to });
  }
}

/** The operational figures of a scorecard: FORBIDDEN (null) where they were withheld from the caller. */
@Resolver(() => DepartmentScorecard)
export class DepartmentScorecardFieldsResolver {
  @FieldResolver(() => Int, { nullable: true })
  connectors(@Root() scorecard: DepartmentScorecard): number {
    return reveal(scorecard.connectors);
  }

  @FieldResolver(() => DataQuality, { nullable: true })
  dataQuality(@Root() scorecard: DepartmentScorecard): DataQuality {
    return reveal(scorecard.dataQuality);
  }
}
