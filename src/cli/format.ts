/**
 * What a person reads: Vietnamese first with English beside it, numbers as 1.234,5 and dates as dd/mm/yyyy.
 * `--output json` prints plain English keys and ISO values instead (see output()).
 */
const numbers = new Intl.NumberFormat('vi-VN', { maximumFractionDigits: 3 });

export type OutputFormat = 'table' | 'json';

/** 1.234 / 1.234,5 */
export function formatNumber(value: number | null | undefined): string {
  return value == null ? '—' : numbers.format(value);
}

const pad = (value: number) => String(value).padStart(2, '0');

/** dd/mm/yyyy from a calendar date (YYYY-MM-DD). */
export function formatDay(value: string | null | undefined): string {
  if (!value) return '—';
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return match ? `${match[3]}/${match[2]}/${match[1]}` : value;
}

/** dd/mm/yyyy HH:MM:SS, local time, from an ISO time stamp. */
export function formatTime(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${pad(date.getDate())}/${pad(date.getMonth() + 1)}/${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** 1,5 s / 2 phút 3 s (min) */
export function formatDuration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 60_000) return `${numbers.format(Math.round(ms / 100) / 10)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} phút/min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Display width of a text (combining marks take no column). */
function width(text: string): number {
  return [...text.normalize('NFC')].filter((char) => !/\p{M}/u.test(char)).length;
}

/** A plain-text table: headers "Tên / Name", one line per row, columns padded. */
export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  const widths = headers.map((header, index) => Math.max(width(header), ...rows.map((row) => width(row[index] ?? ''))));
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell + ' '.repeat(widths[index] - width(cell))))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((size) => '─'.repeat(size))), ...rows.map(line)].join('\n') + '\n';
}

/** Lines "Nhãn / Label: value", labels aligned. */
export function fields(entries: ReadonlyArray<readonly [string, string]>): string {
  const size = Math.max(...entries.map(([label]) => width(label)));
  return entries.map(([label, value]) => `${label}${' '.repeat(size - width(label))}  ${value}`).join('\n') + '\n';
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints `json` with --output json, or the text with --output table. */
export function output(format: OutputFormat, json: unknown, text: () => string): void {
  if (format === 'json') printJson(json);
  else process.stdout.write(text());
}
