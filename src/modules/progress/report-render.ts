import type { CsvCell } from '../../http/csv-download';
import { shown } from '../../security/access';
import type { StatusCounts } from '../catalogue/catalogue.types';
import type { DeadlineScore, DepartmentScorecard, ProgressReport } from './progress.types';
import { personTitle, REPORT_WORDS, type ReportLanguage } from './report-language';


const MISSING = '—';

/**
 * Catalogue text (names, responsible persons, notes, authors: anything people typed) as literal Markdown text:
 * every character that Markdown (GitHub's dialect included) or inline HTML acts on mid-line is backslash-escaped,
 * so a name cannot become a link, an autolink (`https:`, `www.`, an e-mail address), an image that calls a
 * server, raw HTML, emphasis, code or a table cell of its own; line breaks become spaces, so nothing starts a
 * line (a heading, a list). Letters, digits, dates, codes (`SO_GTVT`), `.`, `-` and the like are left as they are.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|[\r\n]/g, ' ')
    .replace(/[\\`*{}[\]()<>#!|~&:@$^]/g, (character) => `\\${character}`)
    // An underscore inside a word (SO_GTVT) never emphasises anything; at a word's edge it could.
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/\b(www)\./gi, '$1\\.');
}

/** A Markdown table cell: text escaped, missing values shown as a dash (never 0). */
function cell(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return MISSING;
  return typeof value === 'number' ? String(value) : escapeMarkdown(value);
}

function table(header: string[], rows: Array<Array<string | number | null | undefined>>, none = '_None._'): string {
  if (rows.length === 0) return none;
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

const percent = (ratio: number | null) => (ratio == null ? null : `${(ratio * 100).toFixed(1)}%`);
const amount = (value: number | null) => (value == null ? null : Number.isInteger(value) ? String(value) : value.toFixed(2));

function countsRow(label: string, counts: StatusCounts) {
  return [label, counts.total, counts.completed, counts.inProgress, counts.notStarted, counts.overdue];
}

function scoreRow(label: string, score: DeadlineScore) {
  return [label, score.total, score.doneOnTime, score.doneLate, score.doneUndated, score.openOverdue, score.openNotYetDue];
}

const models = (counts: StatusCounts) => `${counts.completed} / ${counts.inProgress} / ${counts.notStarted}`;

/** The item's name in the report's language (the catalogue holds both). */
function named(item: { name: string; nameVi: string }, lang: ReportLanguage): string {
  return lang === 'vi' ? item.nameVi : item.name;
}

/** The report as Markdown: headings, tables and names in Vietnamese (default) or English. */
export function renderMarkdown(report: ProgressReport, lang: ReportLanguage = 'vi'): string {
  const words = REPORT_WORDS[lang];
  const list = (header: string[], rows: Array<Array<string | number | null | undefined>>) => table(header, rows, words.none);
  const kind = (value: string) => (value === 'TASK' ? words.task : words.model);
  const lines: string[] = [
    `# ${words.title(escapeMarkdown(named(report.program, lang)), report.period)}`,
    '',
    words.intro(escapeMarkdown(report.program.code), escapeMarkdown(report.program.decision), report.period, report.asOf),
    '',
    `## ${words.headline}`,
    '',
    list(words.countsHeader, [countsRow(words.tasks, report.tasks), countsRow(words.models, report.pilotModels)]),
    '',
    `### ${words.deadlines}`,
    '',
    list(words.scoreHeader, [scoreRow(words.tasks, report.tasksDueInPeriod), scoreRow(words.models, report.pilotModelsDueInPeriod)]),
    '',
    `## ${words.taskGroups}`,
    '',
    list(words.taskGroupHeader,
      report.taskGroups.map((group) => [
        group.taskGroup.code,
        named(group.taskGroup, lang),
        named(group.leadDepartment, lang),
        group.tasks.total,
        group.tasks.completed,
        group.tasks.overdue,
        models(group.pilotModels),
      ])),
    '',
    `## ${words.overdue}`,
    '',
    list(words.overdueHeader,
      report.overdue.map((item) => [
        kind(item.kind),
        item.code,
        named(item, lang),
        named(item.leadDepartment, lang),
        personTitle(item.responsiblePerson, lang),
        item.deadline,
        item.daysLate,
      ])),
    '',
    `## ${words.departments}`,
    '',
    words.departmentsIntro(report.period, report.asOf),
    '',
    list(words.departmentHeader,
      report.departments.map((scorecard: DepartmentScorecard) => [
        scorecard.department.code,
        named(scorecard.department, lang),
        scorecard.tasks.total,
        scorecard.tasks.doneOnTime,
        scorecard.tasks.doneLate,
        scorecard.tasks.doneUndated,
        scorecard.tasks.openOverdue,
        scorecard.tasks.openNotYetDue,
        models(scorecard.pilotModels),
        shown(scorecard.connectors),
        `${scorecard.freshness.onTime} / ${scorecard.freshness.late} / ${scorecard.freshness.missing}`,
        shown(scorecard.dataQuality)?.runs,
        percent(shown(scorecard.dataQuality)?.rejectionRate ?? null),
      ])),
    '',
    `## ${words.metrics}`,
    '',
    list(words.metricHeader,
      report.metricsNeedingAttention.map((standing) => [
        standing.metric.code,
        named(standing.metric, lang),
        standing.pilotModel.code,
        standing.pilotModelStatus,
        standing.department.code,
        standing.latestPeriod,
        amount(standing.actual),
        amount(standing.target),
        standing.targetDate,
        percent(standing.ratio),
        standing.freshness.status,
      ])),
    '',
    `## ${words.changes}`,
    '',
    list(words.changeHeader,
      report.statusChanges.map((change) => [
        change.changedOn,
        kind(change.kind),
        change.code,
        named(change, lang),
        change.fromStatus,
        change.toStatus,
        change.author,
        change.note,
      ])),
    '',
  ];
  return lines.join('\n');
}

export const CSV_HEADER = ['section', 'kind', 'code', 'name', 'department', 'responsible_person', 'deadline', 'status', 'days_late', 'measure', 'value', 'note'] as const;

/**
 * The report as CSV rows, one per item (long format): `section` says which part of the report a row belongs to
 * (summary, task_group, department, overdue, metric, status_change); figures are in `measure` / `value`.
 */
export function csvRows(report: ProgressReport, lang: ReportLanguage = 'vi'): CsvCell[][] {
  const rows: CsvCell[][] = [];
  const row = (values: Partial<Record<(typeof CSV_HEADER)[number], CsvCell>>) => rows.push(CSV_HEADER.map((column) => values[column]));
  const counts = (section: string, kind: string, code: string, name: string, department: string | null, prefix: string, values: StatusCounts) => {
    for (const [measure, value] of Object.entries({ total: values.total, completed: values.completed, in_progress: values.inProgress, not_started: values.notStarted, overdue: values.overdue })) {
      row({ section, kind, code, name, department, measure: `${prefix}_${measure}`, value });
    }
  };
  const score = (section: string, kind: string, code: string, name: string, department: string | null, prefix: string, values: DeadlineScore) => {
    for (const [measure, value] of Object.entries({ total: values.total, done_on_time: values.doneOnTime, done_late: values.doneLate, done_undated: values.doneUndated, open_overdue: values.openOverdue, open_not_yet_due: values.openNotYetDue })) {
      row({ section, kind, code, name, department, measure: `${prefix}_${measure}`, value });
    }
  };
  const program = report.program;
  row({ section: 'summary', kind: 'PROGRAM', code: program.code, name: named(program, lang), measure: 'period', value: report.period });
  row({ section: 'summary', kind: 'PROGRAM', code: program.code, name: named(program, lang), measure: 'as_of', value: report.asOf });
  counts('summary', 'PROGRAM', program.code, named(program, lang), null, 'tasks', report.tasks);
  counts('summary', 'PROGRAM', program.code, named(program, lang), null, 'pilot_models', report.pilotModels);
  score('summary', 'PROGRAM', program.code, named(program, lang), null, 'tasks_due_in_period', report.tasksDueInPeriod);
  score('summary', 'PROGRAM', program.code, named(program, lang), null, 'pilot_models_due_in_period', report.pilotModelsDueInPeriod);
  for (const group of report.taskGroups) {
    counts('task_group', 'TASK_GROUP', group.taskGroup.code, named(group.taskGroup, lang), group.leadDepartment.code, 'tasks', group.tasks);
    counts('task_group', 'TASK_GROUP', group.taskGroup.code, named(group.taskGroup, lang), group.leadDepartment.code, 'pilot_models', group.pilotModels);
  }
  for (const scorecard of report.departments) {
    const { code } = scorecard.department;
    const nameVi = named(scorecard.department, lang);
    score('department', 'DEPARTMENT', code, nameVi, code, 'tasks', scorecard.tasks);
    counts('department', 'DEPARTMENT', code, nameVi, code, 'pilot_models', scorecard.pilotModels);
    // Figures withheld from the caller are empty cells, like missing values.
    const quality = shown(scorecard.dataQuality);
    for (const [measure, value] of Object.entries({
      connectors: shown(scorecard.connectors),
      metrics_on_time: scorecard.freshness.onTime,
      metrics_late: scorecard.freshness.late,
      metrics_missing: scorecard.freshness.missing,
      runs: quality?.runs,
      failed_runs: quality?.failedRuns,
      rows_fetched: quality?.fetched,
      rows_rejected: quality?.rejected,
      rejection_rate: quality?.rejectionRate,
    })) {
      row({ section: 'department', kind: 'DEPARTMENT', code, name: nameVi, department: code, measure, value });
    }
  }
  for (const item of report.overdue) {
    row({
      section: 'overdue',
      kind: item.kind,
      code: item.code,
      name: named(item, lang),
      department: item.leadDepartment.code,
      responsible_person: item.responsiblePerson == null ? null : personTitle(item.responsiblePerson, lang),
      deadline: item.deadline,
      status: item.status,
      days_late: item.daysLate,
    });
  }
  for (const standing of report.metricsNeedingAttention) {
    const target = standing.target == null ? 'no target' : `target ${standing.target} by ${standing.targetDate}`;
    row({
      section: 'metric',
      kind: 'METRIC',
      code: standing.metric.code,
      name: named(standing.metric, lang),
      department: standing.department.code,
      deadline: standing.targetDate,
      status: standing.freshness.status,
      measure: 'progress_ratio',
      value: standing.ratio,
      note: `pilot model ${standing.pilotModel.code} (${standing.pilotModelStatus}); latest ${standing.latestPeriod ?? 'none'}; actual ${standing.actual ?? 'none'}; ${target}${standing.behindTarget ? '; behind target' : ''}`,
    });
  }
  for (const change of report.statusChanges) {
    row({
      section: 'status_change',
      kind: change.kind,
      code: change.code,
      name: named(change, lang),
      department: change.leadDepartment.code,
      status: change.toStatus,
      measure: 'changed_on',
      value: change.changedOn,
      note: `from ${change.fromStatus} by ${change.author}${change.note ? `: ${change.note}` : ''}`,
    });
  }
  return rows;
}
