/** `connectors run` with its progress, `runs` and `rejections`. */
import { Command } from 'commander';
import { fields, formatDay, formatDuration, formatNumber, formatTime, output, table, type OutputFormat } from '../format';
import { findConnector, type HubConnector } from '../hub-connectors';
import { progressFor } from '../progress';
import { clientOf, outputOption, sleep } from '../shared';

const RUN_FIELDS = 'id databaseId trigger status attempts batches startedAt finishedAt windowFrom windowTo errorClass errorMessage durationMs mappingVersion summary { fetched imported updated unchanged rejected }';

interface Run {
  id: string;
  databaseId: number;
  trigger: string;
  status: string;
  attempts: number;
  batches: number;
  startedAt: string;
  finishedAt: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  errorClass: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  mappingVersion: number | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
}

const STATUS_WORDS: Record<string, string> = {
  RUNNING: 'đang chạy / RUNNING',
  SUCCEEDED: 'thành công / SUCCEEDED',
  PARTIAL: 'có dòng bị từ chối / PARTIAL',
  FAILED: 'thất bại / FAILED',
  INTERRUPTED: 'bị ngắt / INTERRUPTED',
};

function runJson(run: Run): unknown {
  return {
    id: run.id,
    databaseId: run.databaseId,
    trigger: run.trigger,
    status: run.status,
    attempts: run.attempts,
    batches: run.batches,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    windowFrom: run.windowFrom,
    windowTo: run.windowTo,
    durationMs: run.durationMs,
    mappingVersion: run.mappingVersion,
    summary: run.summary,
    errorClass: run.errorClass,
    errorMessage: run.errorMessage,
  };
}

function runSummaryText(connector: HubConnector, run: Run): string {
  const { summary } = run;
  return fields([
    ['Bộ kết nối / Connector', `${connector.department.code} / ${connector.name}`],
    ['Lần chạy / Run', `${run.databaseId} (${run.trigger})`],
    ['Trạng thái / Status', STATUS_WORDS[run.status] ?? run.status],
    ['Khoảng dữ liệu / Window', `${formatDay(run.windowFrom)} – ${formatDay(run.windowTo)}`],
    ['Dòng đọc / Fetched', formatNumber(summary.fetched)],
    ['Lô / Batches', formatNumber(run.batches)],
    ['Nhập mới / Imported', formatNumber(summary.imported)],
    ['Cập nhật / Updated', formatNumber(summary.updated)],
    ['Không đổi / Unchanged', formatNumber(summary.unchanged)],
    ['Bị từ chối / Rejected', formatNumber(summary.rejected)],
    ['Thời gian / Duration', formatDuration(run.durationMs)],
    ...(run.errorClass ? ([['Lỗi / Error', `${run.errorClass}: ${run.errorMessage ?? ''}`]] as Array<[string, string]>) : []),
  ]);
}



export function addRunCommands(program: Command, connectors: Command): void {
  connectors
    .command('run <name>')
    .description('Chạy ngay (cửa sổ thường lệ, hoặc --from/--to để nạp lại) với thanh tiến độ — run now (routine window, or a backfill with --from/--to) with a progress bar')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('--from <date>', 'ngày đầu của đợt nạp lại / first day of a backfill (YYYY-MM-DD)')
    .option('--to <date>', 'ngày cuối / last day of a backfill (YYYY-MM-DD)')
    .option('--no-wait', 'không chờ kết thúc / do not wait for the run to finish')
    .option('--poll <ms>', 'khoảng hỏi tiến độ / progress poll interval in ms', (value) => Number(value), 500)
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; from?: string; to?: string; wait: boolean; poll: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      const { runConnector: started } = await client.graphql<{ runConnector: Run }>(
        `mutation Run($id: ID!, $from: Date, $to: Date) { runConnector(id: $id, from: $from, to: $to) { ${RUN_FIELDS} } }`,
        { id: connector.id, from: options.from ?? null, to: options.to ?? null },
      );
      if (!options.wait) {
        output(options.output, runJson(started), () => runSummaryText(connector, started));
        return;
      }
      process.stderr.write(`Đang chạy / running ${connector.name}: lần chạy / run ${started.databaseId}, ${formatDay(started.windowFrom)} – ${formatDay(started.windowTo)}\n`);
      const progress = progressFor(process.stderr, {
        format: '{bar} {fetched} dòng đọc / rows fetched | {batches} lô / batches | {imported} nhập mới / imported | {updated} cập nhật / updated | {rejected} từ chối / rejected | {elapsed}',
        quiet: options.output === 'json' && !process.stderr.isTTY,
        initial: { fetched: 0, batches: 0, imported: 0, updated: 0, rejected: 0 },
      });
      // A RUNNING run's counts are written after every committed batch: polling the run shows them as they grow.
      let run = started;
      for (;;) {
        const { fetched, imported, updated, unchanged, rejected } = run.summary;
        progress.update(
          { value: fetched, fetched, batches: run.batches, imported, updated, unchanged, rejected },
          `${formatTime(new Date())} ${STATUS_WORDS[run.status] ?? run.status}: ${formatNumber(fetched)} dòng đọc / rows fetched, ${formatNumber(run.batches)} lô / batches, ${formatNumber(imported)} nhập / imported, ${formatNumber(updated)} cập nhật / updated, ${formatNumber(unchanged)} không đổi / unchanged, ${formatNumber(rejected)} từ chối / rejected`,
        );
        if (run.status !== 'RUNNING') break;
        await sleep(options.poll);
        const { connectorRun } = await client.graphql<{ connectorRun: Run }>(`query Run($id: ID!) { connectorRun(id: $id) { ${RUN_FIELDS} } }`, { id: run.id });
        run = connectorRun;
      }
      // Finished: the bar shows the whole run.
      progress.update({ value: run.summary.fetched, total: Math.max(1, run.summary.fetched), batches: run.batches, ...run.summary }, '');
      progress.stop();
      output(options.output, runJson(run), () => runSummaryText(connector, run));
      if (run.status === 'FAILED' || run.status === 'INTERRUPTED') process.exitCode = 1;
    });

  program
    .command('runs <name>')
    .description('Các lần chạy gần nhất của một bộ kết nối / recent runs of a connector')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('-n, --limit <count>', 'số lần chạy / how many runs', (value) => Number(value), 20)
    .addOption(outputOption())
    .action(async (name: string, options: { department?: string; limit: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      const { connector: found } = await client.graphql<{ connector: { runs: { edges: Array<{ node: Run }> } } }>(
        `query Runs($id: ID!, $first: Int) { connector(id: $id) { runs(first: $first) { edges { node { ${RUN_FIELDS} } } } } }`,
        { id: connector.id, first: options.limit },
      );
      const runs = found.runs.edges.map((edge) => edge.node);
      output(options.output, runs.map(runJson), () =>
        table(
          ['Lần / Run', 'Kích hoạt / Trigger', 'Trạng thái / Status', 'Bắt đầu / Started', 'Khoảng / Window', 'Đọc / Fetched', 'Nhập / Imported', 'Từ chối / Rejected', 'Thời gian / Duration'],
          runs.map((run) => [
            String(run.databaseId),
            run.trigger,
            run.status,
            formatTime(run.startedAt),
            `${formatDay(run.windowFrom)} – ${formatDay(run.windowTo)}`,
            formatNumber(run.summary.fetched),
            formatNumber(run.summary.imported),
            formatNumber(run.summary.rejected),
            formatDuration(run.durationMs),
          ]),
        ),
      );
    });

  program
    .command('rejections <run>')
    .description('Các dòng một lần chạy đã từ chối (lý do, dòng, dữ liệu gốc) — rows a run refused (reason, row, raw)')
    .option('-n, --limit <count>', 'số dòng / how many rows', (value) => Number(value), 100)
    .addOption(outputOption())
    .action(async (runId: string, options: { limit: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const { connectorRun } = await client.graphql<{
        connectorRun: { id: string; databaseId: number; rejections: { totalCount: number; edges: Array<{ node: { rowIndex: number; reason: string; message: string; raw: unknown } }> } };
      }>('query Rejections($id: ID!, $first: Int) { connectorRun(id: $id) { id databaseId rejections(first: $first) { totalCount edges { node { rowIndex reason message raw } } } } }', {
        id: runId,
        first: options.limit,
      });
      const rows = connectorRun.rejections.edges.map((edge) => edge.node);
      output(options.output, { run: connectorRun.id, totalCount: connectorRun.rejections.totalCount, rejections: rows }, () =>
        table(['Dòng / Row', 'Lý do / Reason', 'Thông báo / Message', 'Dữ liệu gốc / Raw'], rows.map((row) => [formatNumber(row.rowIndex + 1), row.reason, row.message, JSON.stringify(row.raw)])) +
        `${formatNumber(rows.length)} / ${formatNumber(connectorRun.rejections.totalCount)} dòng bị từ chối / rejected rows\n`,
      );
    });

}
