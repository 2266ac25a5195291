/** `catalogue import <file> [--apply]`: the spreadsheet import (POST /catalogue/import), a dry run unless --apply. */
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { CliError } from '../errors';
import { fields, formatNumber, output, table, type OutputFormat } from '../format';
import { clientOf, outputOption } from '../shared';

interface ImportAnswer {
  applied: boolean;
  summary: { create: number; update: number; unchanged: number; retire: number };
  problems: Array<{ sheet: string; row: number | null; column: string | null; message: string }>;
  changes: Array<{ sheet: string; row: number; code: string; action: string; fields: Record<string, { from: unknown; to: unknown }> }>;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string } }>;
}

const shown = (value: unknown) => (value === null || value === undefined || value === '' ? '∅' : String(value));

function describe(answer: ImportAnswer, apply: boolean): string {
  const heading = answer.applied
    ? 'Đã ghi các thay đổi — the changes were written'
    : apply
      ? 'Tệp có lỗi, không ghi gì — the file has problems; nothing was written'
      : 'Chạy thử, chưa ghi gì (thêm --apply để ghi) — dry run, nothing written (add --apply to write)';
  const changed = answer.changes.filter((change) => change.action !== 'unchanged');
  return (
    `${heading}\n` +
    fields([
      ['Tạo mới / Create', formatNumber(answer.summary.create)],
      ['Cập nhật / Update', formatNumber(answer.summary.update)],
      ['Thôi theo dõi / Retire', formatNumber(answer.summary.retire)],
      ['Không đổi / Unchanged', formatNumber(answer.summary.unchanged)],
      ['Lỗi / Problems', formatNumber(answer.problems.length)],
    ]) +
    (answer.problems.length > 0
      ? table(['Trang / Sheet', 'Dòng / Row', 'Cột / Column', 'Lỗi / Problem'], answer.problems.map((problem) => [problem.sheet, shown(problem.row), shown(problem.column), problem.message]))
      : '') +
    (changed.length > 0
      ? table(
          ['Trang / Sheet', 'Dòng / Row', 'Mã / Code', 'Thay đổi / Change', 'Trường / Fields'],
          changed.map((change) => [
            change.sheet, String(change.row), change.code, change.action,
            change.action === 'create' ? Object.keys(change.fields).join(', ') : Object.entries(change.fields).map(([name, { from, to }]) => `${name}: ${shown(from)} → ${shown(to)}`).join('; '),
          ]),
        )
      : '')
  );
}

export function addCatalogueCommands(program: Command): void {
  const catalogue = program.command('catalogue').description('Danh mục (kế hoạch, mô hình, chỉ tiêu) / the catalogue (plans, models, metrics)');
  catalogue
    .command('import <file>')
    .description('Nhập danh mục từ tệp .xlsx hoặc một trang .csv; chạy thử trừ khi có --apply — import the catalogue from an .xlsx file or one sheet as .csv; a dry run unless --apply')
    .option('--apply', 'ghi các thay đổi (một giao dịch, chỉ khi không có lỗi) / write the changes (one transaction, only when there is no problem)', false)
    .option('--sheet <name>', 'trang của tệp .csv (mặc định: tên tệp, vd. Tasks.csv) / the sheet of a .csv file (default: its name, e.g. Tasks.csv)')
    .option('--note <text>', 'lý do, ghi vào lịch sử / why, kept in the history of each change')
    .addOption(outputOption())
    .action(async (file: string, options: { apply: boolean; sheet?: string; note?: string; output: OutputFormat }, command: Command) => {
      const client = clientOf(command);
      let content: Buffer;
      try {
        content = fs.readFileSync(file);
      } catch (error) {
        throw new CliError(`Không đọc được ${file} — cannot read ${file}: ${(error as Error).message}`);
      }
      const csv = path.extname(file).toLowerCase() === '.csv';
      const query = new URLSearchParams({ format: csv ? 'csv' : 'xlsx' });
      if (csv) query.set('sheet', options.sheet ?? path.basename(file, path.extname(file)));
      else if (options.sheet) throw new CliError('--sheet: chỉ dùng với tệp .csv — only for a .csv file (a workbook names its sheets)');
      if (options.apply) query.set('apply', 'true');
      if (options.note !== undefined) query.set('note', options.note);
      const response = await client.request(`/catalogue/import?${query.toString()}`, {
        method: 'POST',
        headers: { 'content-type': csv ? 'text/csv' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
        body: content,
      });
      const answer = response.status === 200 || response.status === 400 ? ((await response.clone().json().catch(() => null)) as ImportAnswer | null) : null;
      if (!answer?.summary) await client.throwIfFailed(response);
      output(options.output, { file, applied: answer!.applied, summary: answer!.summary, problems: answer!.problems, changes: answer!.changes }, () => describe(answer!, options.apply));
      if (answer!.problems.length > 0) process.exitCode = 1;
    });
}
