/**
 * Ingestion throughput on MariaDB/MySQL: 100,000 valid rows of the health department's two daily metrics,
 * measured four ways in the same run —
 *   (a) raw baseline: mysql2 multi-row INSERT … ON DUPLICATE KEY UPDATE into a copy of the observation table,
 *       1,000 rows per statement, one transaction;
 *   (b) ingestRows in batches of 5,000 into observation;
 *   (c) ingestRows again on the same rows (all unchanged);
 *   (d) a whole connector run: an http-json connector pages the same rows (5,000 a page) from a local HTTP
 *       server, maps them and ingests them, with its run ledger, into an emptied observation table.
 * Each is repeated (BENCH_REPEAT, default 3) with fresh tables for (a) and (b); medians are reported.
 *
 * BENCH_DATABASE_URL (default mariadb://root@127.0.0.1:3306) names the server; the benchmark creates and drops
 * its own scratch database pilothub_bench_<pid>.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import type { ObservationRow } from '../connectors/sdk/mapping';
import { databaseConfigFromUrl, loadConfig } from '../src/config';
import { createDataSource, migrate } from '../src/database/data-source';
import { addDays, parsePeriod } from '../src/common/period';
import { ConnectorRunner } from '../src/ingestion/connector-runner';
import { ingestRows, type ImportSummary, type IngestionOrigin } from '../src/ingestion/ingest';
import type { ConnectorRun } from '../src/modules/connectors/connector-run.entity';
import { RunStatus, RunTrigger } from '../src/modules/connectors/connector.entity';
import { ConnectorService } from '../src/modules/connectors/connector.service';
import { ensureOutboundHost } from '../src/modules/outbound/outbound-host.service';
import { ConnectorSecretStore } from '../src/security/connector-secrets';
import { OutboundGuard } from '../src/security/outbound-guard';
import { generateSecretKey, SecretBox } from '../src/security/secret-box';
import { seedCatalogue } from '../src/seed/seed';
import type { BenchReport } from './run';
import { createScratchDatabase } from './support';
import { SYSTEM_PRINCIPAL } from '../src/security/principal';

const ROWS = 100_000;
const BATCH = 5_000;
const RAW_CHUNK = 1_000;
/** A whole connector run (d) must take at most this many times the raw upsert (a). */
const RUN_GOAL_RATIO = 1.8;
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));

const COLUMNS = ['metricId', 'unitId', 'period', 'periodStart', 'periodEnd', 'value', 'numerator', 'denominator', 'recordedAt', 'source', 'runId', 'mappingVersion', 'isDemo'];
const UPDATED = COLUMNS.slice(3);

interface Catalogue {
  metrics: Array<{ id: number; code: string }>;
  units: Array<{ id: number; code: string }>;
}

/** 100,000 rows: the daily SO_YT metrics × the 481 units of the 2024 map (districts and communes) × days from 2024-01-01. */
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

/** A local JSON feed serving the rows 5,000 a page with a next link, as a department API would. */
async function startRowServer(rows: ObservationRow[]): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const page = Number(new URL(request.url ?? '/', 'http://localhost').searchParams.get('page') ?? '0');
    const items = rows.slice(page * BATCH, (page + 1) * BATCH);
    const next = (page + 1) * BATCH < rows.length ? `/rows?page=${page + 1}` : null;
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ items, next }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/rows`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The runner's collaborators: the bench feed (on loopback) is allowed explicitly, as an administrator would. */
async function connectorParts(dataSource: DataSource, feedUrl: string) {
  await ensureOutboundHost(dataSource, { pattern: new URL(feedUrl).host, allowPrivate: true, note: 'bench feed' }, 'bench');
  return {
    outbound: new OutboundGuard(dataSource, { allowedHosts: [], allowPrivateNetworks: false }),
    secrets: new ConnectorSecretStore(dataSource, new SecretBox([generateSecretKey('bench')])),
  };
}

async function registerFeedConnector(dataSource: DataSource, runner: ConnectorRunner, url: string): Promise<number> {
  const service = new ConnectorService(dataSource, runner, {
    timeZone: 'Asia/Ho_Chi_Minh',
    onChange: async () => {},
    minScheduleIntervalMs: loadConfig({}).connectors.minScheduleIntervalMs,
    testTimeoutMs: loadConfig({}).connectors.timeoutMs,
    ...(await connectorParts(dataSource, url)),
  });
  const connector = await service.register(
    {
      name: 'Bench feed',
      kind: 'http-json',
      department: 'SO_YT',
      schedule: '0 0 1 1 *',
      config: { url, query: { page: 0 }, recordsPath: 'items', pagination: { type: 'nextLink', nextPath: 'next' } },
      mapping: { metric: { field: 'metric' }, unit: { field: 'unit' }, period: { field: 'period' }, value: { field: 'value' } },
    },
    { ...SYSTEM_PRINCIPAL, name: 'bench' },
  );
  return connector.id;
}

async function runFeedConnector(runner: ConnectorRunner, connectorId: number, rows: ObservationRow[]): Promise<ConnectorRun> {
  const periods = rows.map((row) => String(row.period)).sort();
  const { finished } = await runner.start({
    connectorId,
    trigger: RunTrigger.BACKFILL,
    window: { from: periods[0], to: periods[periods.length - 1] },
    actor: 'bench',
  });
  const run = await finished;
  if (run.status !== RunStatus.SUCCEEDED) throw new Error(`(d): connector run ${run.status}: ${run.errorMessage}`);
  return run;
}

async function emptyTables(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  try {
    await runner.query('SET FOREIGN_KEY_CHECKS = 0');
    for (const table of ['observation_revision', 'run_rejection', 'observation', 'observation_rollup', 'bench_raw']) await runner.query(`TRUNCATE TABLE \`${table}\``);
    await runner.query('SET FOREIGN_KEY_CHECKS = 1');
  } finally {
    await runner.release();
  }
}

function expectSummary(step: string, actual: Omit<ImportSummary, 'rejections'>, expected: Partial<Omit<ImportSummary, 'rejections'>>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (actual[key as keyof typeof actual] !== value) throw new Error(`${step}: expected ${key} ${value}, got ${JSON.stringify(actual)}`);
  }
}

export async function run(): Promise<BenchReport> {
  const scratch = await createScratchDatabase('pilothub_bench');
  let dataSource: DataSource | null = null;
  let connection: mysql.Connection | null = null;
  try {
    dataSource = createDataSource(databaseConfigFromUrl(scratch.url, '', 4));
    await dataSource.initialize();
    await migrate(dataSource);
    await seedCatalogue(dataSource, { demo: true });
    await dataSource.query('CREATE TABLE bench_raw LIKE observation');
    const catalogue: Catalogue = {
      metrics: await dataSource.query(
        "SELECT metric.id, metric.code FROM metric JOIN department ON department.id = metric.departmentId WHERE metric.frequency = 'DAY' AND department.code = 'SO_YT' ORDER BY metric.code",
      ),
      units: await dataSource.query("SELECT id, code FROM administrative_unit WHERE validFrom = '2024-01-01' AND level <> 'PROVINCE' ORDER BY code"),
    };
    const { rows, raw } = generate(catalogue);
    const days = new Set(rows.map((row) => row.period)).size;
    connection = await mysql.createConnection({ uri: scratch.mysqlUrl, timezone: 'Z', charset: 'utf8mb4_unicode_ci' });

    const feed = await startRowServer(rows);
    const runner = new ConnectorRunner(dataSource, {
      owner: 'bench',
      timeZone: 'Asia/Ho_Chi_Minh',
      heartbeatMs: 15_000,
      maxAttempts: 1,
      ...(await connectorParts(dataSource, feed.url)),
    });
    const connectorId = await registerFeedConnector(dataSource, runner, feed.url);
    const times = { a: [] as number[], b: [] as number[], c: [] as number[], d: [] as number[] };
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
      await emptyTables(dataSource);
      let connectorRun: ConnectorRun | null = null;
      times.d.push(await timed(async () => void (connectorRun = await runFeedConnector(runner, connectorId, rows))));
      expectSummary('(d)', connectorRun!, { fetched: ROWS, imported: ROWS });
      console.log(
        `round ${round}: a ${times.a.at(-1)!.toFixed(2)} s, b ${times.b.at(-1)!.toFixed(2)} s, c ${times.c.at(-1)!.toFixed(2)} s, d ${times.d.at(-1)!.toFixed(2)} s`,
      );
    }

    const [{ version }] = await dataSource.query('SELECT VERSION() AS version');
    const a = median(times.a);
    const b = median(times.b);
    const c = median(times.c);
    const d = median(times.d);
    await feed.close();
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
      line(`(d) connector run: http-json, ${ROWS / BATCH} pages of ${BATCH.toLocaleString('en-US')}, mapping, ledger`, times.d, (d / a).toFixed(2)),
    ].join('\n');
    return {
      markdown,
      goals: [
        { label: `connector run d/a = ${(d / a).toFixed(2)} (goal ≤ ${RUN_GOAL_RATIO})`, met: d / a <= RUN_GOAL_RATIO },
        { label: `ingestRows b/a = ${(b / a).toFixed(2)}`, met: b / a <= 2 },
      ],
    };
  } finally {
    await connection?.end();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await scratch.drop();
  }
}
