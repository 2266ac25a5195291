import { exceljs } from '../../common/lazy-modules';
import { formatDay, formatNumber } from '../../cli/format';
import type { CsvCell } from '../../http/csv-download';
import { toGlobalId } from '../../graphql/node-id';
import { shown } from '../../security/access';
import type { EvaluationData, EvaluationRowData, RunFigures } from './evaluation';
import { escapeMarkdown } from './report-render';

/** A column of the evaluation table: Vietnamese heading, English beside it, and its cell of a row. */
interface Column {
  vi: string;
  en: string;
  value: (row: EvaluationRowData, runs: RunFigures | null) => CsvCell;
}

const ratio = (value: number | null) => (value === null ? null : Math.round(value * 10_000) / 10_000);
const list = (codes: readonly string[]) => codes.join(' ');

/** The columns of the CSV file and of the XLSX sheet, in order: figures first, then the items behind them. */
export const EVALUATION_COLUMNS: readonly Column[] = [
  { vi: 'Hạng', en: 'rank', value: (row) => row.rank },
  { vi: 'Mã sở', en: 'department_code', value: (row) => row.department.code },
  { vi: 'Sở, ngành', en: 'department', value: (row) => row.department.nameVi },
  { vi: 'Điểm', en: 'score', value: (row) => row.score },
  { vi: 'Nhiệm vụ đến hạn', en: 'tasks_due', value: (row) => row.tasks.due },
  { vi: 'Hoàn thành đúng hạn', en: 'tasks_on_time', value: (row) => row.tasks.onTime.length },
  { vi: 'Hoàn thành trễ hạn', en: 'tasks_late', value: (row) => row.tasks.late.length },
  { vi: 'Hoàn thành, không rõ ngày', en: 'tasks_undated', value: (row) => row.tasks.undated.length },
  { vi: 'Chưa hoàn thành', en: 'tasks_not_done', value: (row) => row.tasks.notDone.length },
  { vi: 'Chưa đến hạn (không tính)', en: 'tasks_not_yet_due', value: (row) => row.tasks.notYetDue.length },
  { vi: 'Điểm nhiệm vụ', en: 'tasks_score', value: (row) => ratio(row.tasks.score) },
  { vi: 'Mô hình', en: 'models', value: (row) => row.pilotModels.total },
  { vi: 'Mô hình hoàn thành', en: 'models_completed', value: (row) => row.pilotModels.completed.length },
  { vi: 'Điểm mô hình', en: 'models_score', value: (row) => ratio(row.pilotModels.score) },
  { vi: 'Chỉ tiêu', en: 'metrics', value: (row) => row.freshness.metrics },
  { vi: 'Báo cáo đúng hạn', en: 'metrics_on_time', value: (row) => row.freshness.onTime.length },
  { vi: 'Báo cáo trễ', en: 'metrics_late', value: (row) => row.freshness.late.length },
  { vi: 'Chưa báo cáo', en: 'metrics_missing', value: (row) => row.freshness.missing.length },
  { vi: 'Báo cáo phải nộp', en: 'reports_expected', value: (row) => row.freshness.reportsExpected },
  { vi: 'Báo cáo nộp đúng hạn', en: 'reports_on_time', value: (row) => row.freshness.reportsOnTime },
  { vi: 'Báo cáo nộp trễ', en: 'reports_late', value: (row) => row.freshness.lateReports.length },
  { vi: 'Báo cáo không nộp', en: 'reports_missing', value: (row) => row.freshness.missingReports.length },
  { vi: 'Điểm kịp thời', en: 'freshness_score', value: (row) => ratio(row.freshness.score) },
  { vi: 'Lượt chạy', en: 'runs', value: (_row, runs) => runs?.runs },
  { vi: 'Lượt chạy lỗi', en: 'failed_runs', value: (_row, runs) => runs?.failedRuns },
  { vi: 'Dòng đã đọc', en: 'rows_fetched', value: (_row, runs) => runs?.fetched },
  { vi: 'Dòng bị từ chối', en: 'rows_rejected', value: (_row, runs) => runs?.rejected },
  { vi: 'Tỷ lệ từ chối', en: 'rejection_rate', value: (_row, runs) => (runs ? ratio(runs.rejectionRate) : null) },
  { vi: 'Điểm chất lượng', en: 'quality_score', value: (row) => ratio(row.dataQuality.score) },
  { vi: 'Nhiệm vụ đúng hạn', en: 'task_codes_on_time', value: (row) => list(row.tasks.onTime) },
  { vi: 'Nhiệm vụ trễ hạn', en: 'task_codes_late', value: (row) => list(row.tasks.late) },
  { vi: 'Nhiệm vụ không rõ ngày', en: 'task_codes_undated', value: (row) => list(row.tasks.undated) },
  { vi: 'Nhiệm vụ chưa hoàn thành', en: 'task_codes_not_done', value: (row) => list(row.tasks.notDone) },
  { vi: 'Mô hình đã hoàn thành', en: 'model_codes_completed', value: (row) => list(row.pilotModels.completed) },
  { vi: 'Mô hình chưa hoàn thành', en: 'model_codes_not_completed', value: (row) => list(row.pilotModels.notCompleted) },
  { vi: 'Chỉ tiêu đúng hạn', en: 'metric_codes_on_time', value: (row) => list(row.freshness.onTime) },
  { vi: 'Chỉ tiêu trễ', en: 'metric_codes_late', value: (row) => list(row.freshness.late) },
  { vi: 'Chỉ tiêu chưa báo cáo', en: 'metric_codes_missing', value: (row) => list(row.freshness.missing) },
  { vi: 'Báo cáo nộp trễ (kỳ)', en: 'late_reports', value: (row) => list(row.freshness.lateReports) },
  { vi: 'Báo cáo không nộp (kỳ)', en: 'missing_reports', value: (row) => list(row.freshness.missingReports) },
  { vi: 'Lượt chạy lỗi (mã)', en: 'failed_run_ids', value: (_row, runs) => (runs ? runs.failed.map((run) => `${run.connector}:${toGlobalId('ConnectorRun', run.runId)}`).join(' ') : null) },
];

/** Column headings: Vietnamese first, the English column name beside it. */
export const EVALUATION_HEADER = EVALUATION_COLUMNS.map((column) => `${column.vi} (${column.en})`);

/** One row per department, ranked; figures withheld from the caller are empty cells. */
export function evaluationRows(evaluation: EvaluationData): CsvCell[][] {
  return evaluation.rows.map((row) => {
    const runs = shown(row.dataQuality.runs);
    return EVALUATION_COLUMNS.map((column) => column.value(row, runs));
  });
}

const percent = (value: number | null) => (value === null ? '—' : `${formatNumber(Math.round(value * 1000) / 10)}%`);
const number = (value: number | null | undefined) => formatNumber(value == null ? null : Math.round(value * 100) / 100);
const codes = (values: readonly string[]) => (values.length === 0 ? '—' : values.map(escapeMarkdown).join(', '));

function weightsLine(evaluation: EvaluationData): string {
  const { tasks, models, freshness, quality, lateCredit } = evaluation.weights;
  return (
    `Trọng số (weights): nhiệm vụ/tasks ${formatNumber(tasks)}, mô hình/models ${formatNumber(models)}, ` +
    `kịp thời/freshness ${formatNumber(freshness)}, chất lượng/quality ${formatNumber(quality)}; ` +
    `nhiệm vụ trễ hạn được tính/late task credit ${formatNumber(lateCredit)}.`
  );
}

/** The evaluation as Markdown: Vietnamese headings with English beside, Vietnamese numbers and dates. */
export function renderEvaluationMarkdown(evaluation: EvaluationData): string {
  const table = (header: string[], rows: string[][]) =>
    rows.length === 0
      ? '_Không có (none)._'
      : [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
  const lines = [
    `# Đánh giá cuối năm ${evaluation.year} — Year-end evaluation ${evaluation.year}`,
    '',
    `Chương trình/Programme **${escapeMarkdown(evaluation.program.code)}** — ${escapeMarkdown(evaluation.program.nameVi)}. ` +
      `Số liệu đến ngày/as of **${formatDay(evaluation.asOf)}**.`,
    '',
    weightsLine(evaluation),
    'Điểm/Score = 100 × Σ (trọng số × điểm thành phần) / Σ trọng số của các thành phần có số liệu (components with data).',
    '',
    '## Xếp hạng — Ranking',
    '',
    table(
      ['Hạng (rank)', 'Mã (code)', 'Sở, ngành (department)', 'Điểm (score)', 'Nhiệm vụ (tasks)', 'Mô hình (models)', 'Kịp thời (freshness)', 'Chất lượng (quality)'],
      evaluation.rows.map((row) => [
        row.rank === null ? '—' : String(row.rank),
        escapeMarkdown(row.department.code),
        escapeMarkdown(row.department.nameVi),
        number(row.score),
        percent(row.tasks.score),
        percent(row.pilotModels.score),
        percent(row.freshness.score),
        percent(row.dataQuality.score),
      ]),
    ),
    '',
    '## Chi tiết theo sở — Details by department',
  ];
  for (const row of evaluation.rows) {
    const runs = shown(row.dataQuality.runs);
    const { tasks, pilotModels: models, freshness } = row;
    lines.push(
      '',
      `### ${escapeMarkdown(row.department.code)} — ${escapeMarkdown(row.department.nameVi)}`,
      '',
      `- Nhiệm vụ đến hạn (tasks due): ${formatNumber(tasks.due)}; đúng hạn (on time) ${formatNumber(tasks.onTime.length)}: ${codes(tasks.onTime)}; ` +
        `trễ hạn (late) ${formatNumber(tasks.late.length)}: ${codes(tasks.late)}; không rõ ngày (undated) ${formatNumber(tasks.undated.length)}: ${codes(tasks.undated)}; ` +
        `chưa hoàn thành (not done) ${formatNumber(tasks.notDone.length)}: ${codes(tasks.notDone)}; chưa đến hạn (not yet due) ${formatNumber(tasks.notYetDue.length)}: ${codes(tasks.notYetDue)}.`,
      `- Mô hình (pilot models): ${formatNumber(models.total)}; hoàn thành (completed) ${formatNumber(models.completed.length)}: ${codes(models.completed)}; ` +
        `chưa hoàn thành (not completed): ${codes(models.notCompleted)}.`,
      `- Báo cáo phải nộp (reports due): ${formatNumber(freshness.reportsExpected)}; đúng hạn (on time) ${formatNumber(freshness.reportsOnTime)}; ` +
        `trễ (late) ${formatNumber(freshness.lateReports.length)}: ${codes(freshness.lateReports)}; ` +
        `không nộp (missing) ${formatNumber(freshness.missingReports.length)}: ${codes(freshness.missingReports)}.`,
      `- Chỉ tiêu (metrics) ngày (on) ${formatDay(evaluation.asOf)}: ${formatNumber(freshness.metrics)}; đúng hạn (on time): ${codes(freshness.onTime)}; trễ (late): ${codes(freshness.late)}; ` +
        `chưa báo cáo (missing): ${codes(freshness.missing)}.`,
      runs
        ? `- Kết nối (connector runs): ${formatNumber(runs.runs)} lượt/runs, ${formatNumber(runs.failedRuns)} lỗi/failed` +
            `${runs.failed.length > 0 ? ` (${runs.failed.map((run) => `${escapeMarkdown(run.connector)} ${toGlobalId('ConnectorRun', run.runId)}`).join(', ')})` : ''}; ` +
            `${formatNumber(runs.fetched)} dòng đọc/rows read, ${formatNumber(runs.rejected)} bị từ chối/rejected (${percent(runs.rejectionRate)}).`
        : '- Kết nối (connector runs): — (không được xem/not visible to this caller).',
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** The evaluation as an XLSX workbook: the CSV's table (same headings, same figures) and a sheet of the weights. */
export async function evaluationWorkbook(evaluation: EvaluationData): Promise<Buffer> {
  const workbook = new (exceljs().Workbook)();
  workbook.creator = 'PilotHub';
  const sheet = workbook.addWorksheet('Danh gia (Evaluation)');
  sheet.addRow(EVALUATION_HEADER);
  sheet.getRow(1).font = { bold: true };
  for (const row of evaluationRows(evaluation)) sheet.addRow(row.map((cell) => (cell === undefined ? null : cell)));
  sheet.views = [{ state: 'frozen', xSplit: 3, ySplit: 1 }];
  const weights = workbook.addWorksheet('Trong so (Weights)');
  weights.addRow(['Mục (item)', 'Giá trị (value)']);
  weights.getRow(1).font = { bold: true };
  weights.addRows([
    ['Năm (year)', evaluation.year],
    ['Chương trình (programme)', evaluation.program.code],
    ['Đến ngày (as of)', evaluation.asOf],
    ['Trọng số nhiệm vụ (tasks weight)', evaluation.weights.tasks],
    ['Trọng số mô hình (models weight)', evaluation.weights.models],
    ['Trọng số kịp thời (freshness weight)', evaluation.weights.freshness],
    ['Trọng số chất lượng (quality weight)', evaluation.weights.quality],
    ['Tính nhiệm vụ trễ hạn (late task credit)', evaluation.weights.lateCredit],
  ]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}
