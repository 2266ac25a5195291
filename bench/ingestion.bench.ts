/**
 * Ingestion throughput on MariaDB/MySQL: 100,000 valid rows, measured three ways in the same run —
 *   (a) raw baseline: mysql2 multi-row INSERT … ON DUPLICATE KEY UPDATE into a copy of the observation table,
 *       1,000 rows per statement, one transaction;
 *   (b) ingestRows in batches of 5,000 (a realistic connector run) into observation;
 *   (c) ingestRows again on the same rows (all unchanged).
 * Each is repeated (BENCH_REPEAT, default 3) with fresh tables for (a) and (b); medians are reported.
 *
 * BENCH_DATABASE_URL (default mariadb://root@127.0.0.1:3306) names the server; the benchmark creates and drops
 * its own scratch database pilothub_bench_<pid>.
 */
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import type { ObservationRow } from '../connectors/sdk/mapping';
import { databaseConfigFromUrl } from '../src/config';
import { createDataSource, migrate } from '../src/database/data-source';
import { addDays, parsePeriod } from '../src/common/period';
import { ingestRows, type ImportSummary, type IngestionOrigin } from '../src/ingestion/ingest';
import { seedCatalogue } from '../src/seed/seed';
import type { BenchReport } from './run';

const ROWS = 100_000;
const BATCH = 5_000;
const RAW_CHUNK = 1_000;
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));

const COLUMNS = ['metricId', 'unitId', 'period', 'periodStart', 'periodEnd', 'value', 'numerator', 'denominator', 'recordedAt', 'source', 'runId', 'mappingVersion', 'isDemo'];
const UPDATED = COLUMNS.slice(3);

interface Catalogue {
  metrics: Array<{ id: number; code: string }>;
  units: Array<{ id: number; code: string }>;
}

/** 100,000 rows: the 7 daily metrics × the 481 units of the 2024 map (districts and communes) × days from 2024-01-01. */
function generate(catalogue: Catalogue): { rows: ObservationRow[]; raw: unknown[][] } {
  const rows: ObservationRow[] = [];
  const raw: unknown[][] = [];
  for (let day = 0; rows.length < ROWS; day += 1) {
    const period = parsePeriod(addDays('2024-01-01', day));
    for (const metric of catalogue.metrics) {
      for (const unit of catalogue.units) {
        if (rows.length === ROWS) break;
        const value = (rows.length * 7_919) % 10_007;
        rows.push({ metric: metric.code, unit: unit.code, period: period.text, value });
        raw.push([metric.id, unit.id, period.text, period.start, period.end, value, null, null, null, 'bench', null, 1, 0]);
      }
    }
  }
  return { rows, raw };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

async function timed(body: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await body();
  return (performance.now() - started) / 1000;
}

/** (a): the same rows, already resolved to ids, as raw multi-row upserts in one transaction. */
async function rawUpsert(connection: mysql.Connection, raw: unknown[][]): Promise<void> {
  const now = new Date();
  const tuple = `(${COLUMNS.map(() => '?').join(', ')})`;
  const update = UPDATED.map((column) => `\`${column}\` = VALUES(\`${column}\`)`).join(', ');
  const head = `INSERT INTO bench_raw (${COLUMNS.map((column) => `\`${column}\``).join(', ')}) VALUES `;
  await connection.beginTransaction();
  for (let start = 0; start < raw.length; start += RAW_CHUNK) {
    const chunk = raw.slice(start, start + RAW_CHUNK);
    const parameters: unknown[] = [];
    for (const row of chunk) {
      row[8] = now;
      parameters.push(...row);
    }
    await connection.query(`${head}${new Array(chunk.length).fill(tuple).join(', ')} ON DUPLICATE KEY UPDATE ${update}`, parameters);
  }
  await connection.commit();
}

/** (b) and (c): the ingestion path, batch by batch as a connector run sends them. */
async function ingestAll(dataSource: DataSource, rows: ObservationRow[]): Promise<Omit<ImportSummary, 'rejections'>> {
  const total = { fetched: 0, imported: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (let start = 0; start < rows.length; start += BATCH) {
    const origin: IngestionOrigin = { runId: null, source: 'bench', actor: 'bench', mappingVersion: 1, rowOffset: start, today: '2025-12-31' };
    const summary = await ingestRows(dataSource, rows.slice(start, start + BATCH), origin);
    for (const key of Object.keys(total) as Array<keyof typeof total>) total[key] += summary[key];
  }
  return total;
}

async function emptyTables(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of ['observation_revision', 'observation', 'bench_raw']) await runner.query(`TRUNCATE TABLE \`${table}\``);
    await runner.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    await runner.release();
  }
}

function expectSummary(step: string, actual: Omit<ImportSummary, 'rejections'>, expected: Partial<ImportSummary>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (actual[key as keyof typeof actual] !== value) throw new Error(`${step}: expected ${key} ${value}, got ${JSON.stringify(actual)}`);
  }
}

export async function run(): Promise<BenchReport> {
  const serverUrl = new URL(process.env.BENCH_DATABASE_URL ?? 'mariadb://root@127.0.0.1:3306');
  if (!/^(mysql|mariadb):$/.test(serverUrl.protocol)) throw new Error('BENCH_DATABASE_URL must be a mysql:// or mariadb:// URL');
  const database = `pilothub_bench_${process.pid}`;
  const databaseUrl = new URL(serverUrl.toString());
  databaseUrl.pathname = `/${database}`;
  const mysqlUrl = new URL(databaseUrl.toString());
  mysqlUrl.protocol = 'mysql:';

  const adminUrl = new URL(mysqlUrl.toString());
  adminUrl.pathname = '';
  const admin = await mysql.createConnection({ uri: adminUrl.toString(), timezone: 'Z' });
  await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  let dataSource: DataSource | null = null;
  let connection: mysql.Connection | null = null;
  try {
    dataSource = createDataSource(databaseConfigFromUrl(databaseUrl.toString(), '', 4));
    await dataSource.initialize();
    await migrate(dataSource);
    await seedCatalogue(dataSource);
    await dataSource.query('CREATE TABLE bench_raw LIKE observation');
    const catalogue: Catalogue = {
      metrics: await dataSource.query("SELECT id, code FROM metric WHERE frequency = 'DAY' ORDER BY code LIMIT 7"),
      units: await dataSource.query("SELECT id, code FROM administrative_unit WHERE validFrom = '2024-01-01' AND level <> 'PROVINCE' ORDER BY code"),
    };
    const { rows, raw } = generate(catalogue);
    const days = new Set(rows.map((row) => row.period)).size;
    connection = await mysql.createConnection({ uri: mysqlUrl.toString(), timezone: 'Z', charset: 'utf8mb4_unicode_ci' });

    const times = { a: [] as number[], b: [] as number[], c: [] as number[] };
    for (let round = 1; round <= REPEAT; round += 1) {
      await emptyTables(dataSource);
      times.a.push(await timed(() => rawUpsert(connection!, raw)));
      let first: Omit<ImportSummary, 'rejections'> | null = null;
      times.b.push(await timed(async () => void (first = await ingestAll(dataSource!, rows))));
      expectSummary('(b)', first!, { fetched: ROWS, imported: ROWS });
      let second: Omit<ImportSummary, 'rejections'> | null = null;
      times.c.push(await timed(async () => void (second = await ingestAll(dataSource!, rows))));
      expectSummary('(c)', second!, { fetched: ROWS, unchanged: ROWS });
      const [{ count }] = await dataSource.query('SELECT COUNT(*) AS count FROM observation');
      if (Number(count) !== ROWS) throw new Error(`expected ${ROWS} observations, found ${count}`);
      console.log(`round ${round}: a ${times.a.at(-1)!.toFixed(2)} s, b ${times.b.at(-1)!.toFixed(2)} s, c ${times.c.at(-1)!.toFixed(2)} s`);
    }

    const [{ version }] = await dataSource.query('SELECT VERSION() AS version');
    const a = median(times.a);
    const b = median(times.b);
    const c = median(times.c);
    const line = (step: string, seconds: number[], ratio: string) => {
      const m = median(seconds);
      return `| ${step} | ${m.toFixed(2)} | ${Math.min(...seconds).toFixed(2)} | ${Math.round(ROWS / m).toLocaleString('en-US')} | ${ratio} |`;
    };
    const markdown = [
      `${ROWS.toLocaleString('en-US')} rows (${catalogue.metrics.length} daily metrics × ${catalogue.units.length} units × ${days} days of 2024), ` +
        `${REPEAT} rounds, medians; server ${version}.`,
      '',
      '| step | median s | best s | rows/s | vs (a) |',
      '|---|---:|---:|---:|---:|',
      line(`(a) raw mysql2 upsert, ${RAW_CHUNK.toLocaleString('en-US')} rows/statement, 1 transaction`, times.a, '1.00'),
      line(`(b) ingestRows, ${ROWS / BATCH} batches of ${BATCH.toLocaleString('en-US')} (all new)`, times.b, (b / a).toFixed(2)),
      line('(c) ingestRows again (all unchanged)', times.c, (c / a).toFixed(2)),
    ].join('\n');
    return { markdown, goals: [{ label: `ingestRows b/a = ${(b / a).toFixed(2)} (goal ≤ 2)`, met: b / a <= 2 }] };
  } finally {
    await connection?.end();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
    await admin.end();
  }
}
