/** `push` (a file in chunks, with progress) and `export series|aggregate` (CSV downloads). */
import fs from 'node:fs';
import { Command } from 'commander';
import { CliError } from '../errors';
import { fields, formatNumber, formatTime, output, table, type OutputFormat } from '../format';
import { findConnector } from '../hub-connectors';
import { progressFor } from '../progress';
import { chunksOf, pushChunks } from '../push';
import { clientOf, outputOption } from '../shared';

export function addDataCommands(program: Command): void {
  program
    .command('push <name> <file>')
    .description('Đẩy tệp .csv hoặc .json (mọi kích thước, theo từng phần) vào bộ kết nối push — push a .csv or .json file of any size, in chunks')
    .option('-d, --department <code>', 'sở ngành, khi tên trùng / department, when the name is ambiguous')
    .option('--chunk-rows <count>', 'số dòng mỗi phần (tối đa maxRowsPerPush) / rows per chunk (at most the connector\'s maxRowsPerPush)', (value) => Number(value), 10_000)
    .addOption(outputOption())
    .action(async (name: string, file: string, options: { department?: string; chunkRows: number; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      const connector = await findConnector(client, name, options.department);
      if (connector.kind !== 'push') throw new CliError(`"${connector.name}" là bộ kết nối ${connector.kind}, hub tự kéo dữ liệu — "${connector.name}" is a ${connector.kind} connector, which the hub pulls: rows cannot be pushed to it`);
      if (!Number.isInteger(options.chunkRows) || options.chunkRows < 1) throw new CliError('--chunk-rows: phải là số nguyên dương — must be a positive whole number');
      const limit = Number((connector.config as { maxRowsPerPush?: number }).maxRowsPerPush ?? 50_000);
      const { total, chunks } = chunksOf(file, Math.min(options.chunkRows, limit));
      const progress = progressFor(process.stderr, {
        total,
        format: '{bar} {percentage}% | {value}/{total} dòng / rows | {chunks} phần / chunks | {rejected} từ chối / rejected | {elapsed}',
        quiet: options.output === 'json' && !process.stderr.isTTY,
        initial: { value: 0, chunks: 0, rejected: 0 },
      });
      progress.update({ value: 0, chunks: 0, rejected: 0 }, `0/${formatNumber(total)} dòng / rows`);
      const outcome = await pushChunks(client, connector.databaseId, chunks, (done) =>
        progress.update(
          { value: done.rows, chunks: done.chunks, rejected: done.summary.rejected },
          `${formatTime(new Date())} ${formatNumber(done.rows)}/${formatNumber(total)} dòng / rows, ${done.chunks}/${chunks.length} phần / chunks, ${formatNumber(done.summary.rejected)} từ chối / rejected`,
        ),
      ).finally(() => progress.stop());
      output(options.output, { connector: connector.id, file, rows: outcome.rows, chunks: outcome.chunks, runs: outcome.runs, summary: outcome.summary, rejections: outcome.rejections }, () =>
        fields([
          ['Bộ kết nối / Connector', `${connector.department.code} / ${connector.name}`],
          ['Tệp / File', file],
          ['Dòng / Rows', formatNumber(outcome.rows)],
          ['Phần / Chunks', `${formatNumber(outcome.chunks)} (lần chạy / runs ${outcome.runs.join(', ')})`],
          ['Nhập mới / Imported', formatNumber(outcome.summary.imported)],
          ['Cập nhật / Updated', formatNumber(outcome.summary.updated)],
          ['Không đổi / Unchanged', formatNumber(outcome.summary.unchanged)],
          ['Bị từ chối / Rejected', formatNumber(outcome.summary.rejected)],
        ]) +
        (outcome.rejections.length > 0
          ? table(['Dòng / Row', 'Lý do / Reason', 'Thông báo / Message'], outcome.rejections.slice(0, 20).map((rejection) => [formatNumber(rejection.row), rejection.reason, rejection.message]))
          : ''),
      );
    });

  const exporting = program.command('export').description('Tải CSV chuỗi thời gian hoặc tổng hợp / download series or aggregate CSV (to standard output, e.g. > file.csv)');
  for (const name of ['series', 'aggregate'] as const) {
    exporting
      .command(name)
      .description(name === 'series' ? 'CSV của series(...) / the CSV of series(...)' : 'CSV của aggregate(...) / the CSV of aggregate(...)')
      .requiredOption('--metrics <codes>', 'mã chỉ tiêu, cách nhau bởi dấu phẩy / metric codes, comma-separated')
      .requiredOption('--from <period>', 'kỳ đầu / first period, e.g. 2025-01')
      .requiredOption('--to <period>', 'kỳ cuối / last period')
      .option('--granularity <frequency>', 'DAY, WEEK, MONTH, QUARTER, YEAR')
      .option('--level <level>', 'cấp đơn vị / unit level')
      .option('--units <codes>', 'mã đơn vị / unit codes, comma-separated')
      .option('--as-of <time>', 'dữ liệu như tại thời điểm / values as of (ISO time)')
      .option('--arg <name=value...>', 'tham số khác của trường GraphQL / any other argument of the GraphQL field')
      .option('-f, --file <path>', 'ghi vào tệp / write to a file (default: standard output)')
      .action(async (options: Record<string, string | string[] | undefined>, command: Command) => {
        const client = clientOf(command);
        const query = new URLSearchParams();
        const names: Record<string, string> = { metrics: 'metrics', from: 'from', to: 'to', granularity: 'granularity', level: 'level', units: 'units', asOf: 'asOf' };
        for (const [option, argument] of Object.entries(names)) if (typeof options[option] === 'string') query.set(argument, options[option] as string);
        for (const pair of (options.arg as string[] | undefined) ?? []) {
          const at = pair.indexOf('=');
          if (at < 1) throw new CliError(`--arg ${pair}: cần dạng tên=giá trị — expected name=value`);
          query.append(pair.slice(0, at), pair.slice(at + 1));
        }
        const response = await client.request(`/export/${name}?${query.toString()}`);
        await client.throwIfFailed(response);
        const text = await response.text();
        if (typeof options.file === 'string') fs.writeFileSync(options.file, text);
        else process.stdout.write(text);
      });
  }

}
