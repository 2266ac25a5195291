/**
 * `pilothub push <connector> <file>`: a CSV or JSON file of any size sent to a push connector in chunks below its
 * maxRowsPerPush (and below the hub's 20 MiB body limit), with one summary for the whole file. Each chunk is one
 * push (one run); row numbers in the summary are rows of the file.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { HubClient } from './client';
import { CliError } from './errors';

/** Bytes of one chunk's body at most (the hub refuses bodies over 20 MiB). */
const MAX_CHUNK_BYTES = 8 * 1024 * 1024;

export interface PushSummary {
  fetched: number;
  imported: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

export interface PushOutcome {
  rows: number;
  chunks: number;
  runs: string[];
  summary: PushSummary;
  rejections: Array<{ row: number; reason: string; message: string; raw: unknown }>;
}

interface Chunk {
  rows: number;
  body: string;
  contentType: string;
}

/** The file cut into bodies of at most `chunkRows` rows (and MAX_CHUNK_BYTES). */
export function chunksOf(file: string, chunkRows: number): { total: number; chunks: Chunk[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`Không đọc được ${file} — cannot read ${file}: ${(error as Error).message}`);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const chunks: Chunk[] = [];
  if (/\.json$/i.test(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new CliError(`${file}: JSON không hợp lệ — invalid JSON: ${(error as Error).message}`);
    }
    const rows = Array.isArray(parsed) ? parsed : (parsed as { rows?: unknown })?.rows;
    if (!Array.isArray(rows)) throw new CliError(`${file}: cần một mảng JSON hoặc { "rows": [...] } — expected a JSON array or { "rows": [...] }`);
    let start = 0;
    while (start < rows.length) {
      let end = Math.min(rows.length, start + chunkRows);
      let body = JSON.stringify(rows.slice(start, end));
      while (Buffer.byteLength(body) > MAX_CHUNK_BYTES && end - start > 1) {
        end = start + Math.ceil((end - start) / 2);
        body = JSON.stringify(rows.slice(start, end));
      }
      chunks.push({ rows: end - start, body, contentType: 'application/json' });
      start = end;
    }
    return { total: rows.length, chunks };
  }
  if (!/\.csv$/i.test(file)) throw new CliError(`${file}: chỉ gửi được tệp .csv hoặc .json — only .csv and .json files can be pushed`);
  let records: string[][];
  try {
    records = parse(text, { relax_column_count: false, skip_empty_lines: true }) as string[][];
  } catch (error) {
    throw new CliError(`${file}: CSV không hợp lệ — invalid CSV: ${(error as Error).message}`);
  }
  const [header, ...rows] = records;
  if (!header) throw new CliError(`${file}: tệp rỗng — the file is empty`);
  const head = stringify([header]);
  let current: string[] = [];
  let bytes = Buffer.byteLength(head);
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    chunks.push({ rows: count, body: head + current.join(''), contentType: 'text/csv' });
    current = [];
    bytes = Buffer.byteLength(head);
    count = 0;
  };
  for (const row of rows) {
    const line = stringify([row]);
    const size = Buffer.byteLength(line);
    if (count >= chunkRows || bytes + size > MAX_CHUNK_BYTES) flush();
    current.push(line);
    bytes += size;
    count += 1;
  }
  flush();
  return { total: rows.length, chunks };
}

/** Sends the chunks one after the other; `onChunk` sees the totals so far. A refused chunk stops (the earlier ones are stored). */
export async function pushChunks(
  client: HubClient,
  connectorId: number | string,
  chunks: readonly Chunk[],
  onChunk: (done: { rows: number; chunks: number; summary: PushSummary }) => void,
): Promise<PushOutcome> {
  const outcome: PushOutcome = { rows: 0, chunks: 0, runs: [], summary: { fetched: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0 }, rejections: [] };
  for (const chunk of chunks) {
    let answer: { run: { id: string }; summary: PushSummary; rejections: Array<{ rowIndex: number; reason: string; message: string; raw: unknown }> };
    try {
      answer = await client.json(`/ingest/${encodeURIComponent(String(connectorId))}`, { method: 'POST', headers: { 'content-type': chunk.contentType }, body: chunk.body });
    } catch (error) {
      throw new CliError(
        `Phần ${outcome.chunks + 1}/${chunks.length} (từ dòng ${outcome.rows + 1}) bị từ chối — chunk ${outcome.chunks + 1}/${chunks.length} (from row ${outcome.rows + 1}) was refused: ${(error as Error).message}`,
        [outcome.chunks > 0 ? `${outcome.rows} dòng trước đó đã được lưu — the ${outcome.rows} rows before it were stored; gửi lại an toàn — sending the file again is safe (their rows are then unchanged)` : 'Chưa lưu gì — nothing was stored'],
      );
    }
    for (const rejection of answer.rejections) outcome.rejections.push({ row: outcome.rows + rejection.rowIndex + 1, reason: rejection.reason, message: rejection.message, raw: rejection.raw });
    for (const key of Object.keys(outcome.summary) as Array<keyof PushSummary>) outcome.summary[key] += answer.summary[key];
    outcome.rows += chunk.rows;
    outcome.chunks += 1;
    outcome.runs.push(answer.run.id);
    onChunk({ rows: outcome.rows, chunks: outcome.chunks, summary: outcome.summary });
  }
  return outcome;
}
