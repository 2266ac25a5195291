/**
 * The ten-million-observation database the analytics and dashboard benchmarks share: the real schema (the
 * migrations) and catalogue (the seed), plus 40 daily metrics × the 130 communes of the 2025 map × every day of
 * 2021–2025 = 9,495,200 generated observations, written by MariaDB itself (INSERT … SELECT over the SEQUENCE
 * engine's seq_0_to_N), one statement per metric.
 *
 * The catalogue has fewer than 40 daily metrics, so the missing ones are added as BENCH_DAILY_nn metrics
 * (COUNT, RATE and STOCK in turn), attached to the pilot models in progress so the dashboard shows them.
 * RATE rows carry numerator and denominator; every amount is a whole number, so sums are exact in any order.
 *
 * The database (BENCH_ANALYTICS_DATABASE, default pilothub_bench_analytics, on the BENCH_DATABASE_URL server)
 * is kept between runs: its comment holds a marker describing what was generated, and a database whose marker
 * matches is reused as it is (only pending migrations are applied). BENCH_REGENERATE=1 drops and regenerates it;
 * so does a change of GENERATOR_VERSION or of the figures below.
 *
 * The generated values ignore the units' validity dates (the 2025 communes exist from 2025-07-01): they are a
 * load, not history, and are written directly rather than through the ingestion path, which would refuse them.
 */
import mysql from 'mysql2/promise';
import { databaseConfigFromUrl } from '../src/config';
import { createDataSource, migrate } from '../src/database/data-source';
import { seedCatalogue } from '../src/seed/seed';
import { benchServerUrl, integer } from './support';

/** Bump when the generated data changes shape, so stale databases are regenerated. */
const GENERATOR_VERSION = 1;
export const FIRST_DAY = '2021-01-01';
export const LAST_DAY = '2025-12-31';
export const DAILY_METRICS = 40;
/** The 2025 communes: the edition in force from 2025-07-01. */
export const COMMUNE_EDITION = '2025-07-01';
export const GENERATED_SOURCE = 'bench:generated';
const EXTRA_METRIC_PREFIX = 'BENCH_DAILY_';
const EXTRA_KINDS = ['COUNT', 'RATE', 'STOCK'] as const;

const DAYS = Math.round((Date.parse(`${LAST_DAY}T00:00:00Z`) - Date.parse(`${FIRST_DAY}T00:00:00Z`)) / 86_400_000) + 1;

export interface BenchMetric {
  id: number;
  code: string;
  kind: 'COUNT' | 'RATE' | 'STOCK';
}

export interface AnalyticsDatabase {
  name: string;
  /** mariadb://…/<name> for the hub and TypeORM. */
  url: string;
  /** mysql://…/<name> for mysql2. */
  mysqlUrl: string;
  version: string;
  /** Generated observations (130 × 40 × 1,826). */
  rows: number;
  /** Seconds spent generating in this run; null when an existing database was reused. */
  generatedSeconds: number | null;
  marker: string;
  metrics: BenchMetric[];
  communes: number;
}

function expectedMarker(communes: number): string {
  const rows = communes * DAILY_METRICS * DAYS;
  return `pilothub bench data v${GENERATOR_VERSION}: ${communes} communes x ${DAILY_METRICS} DAY metrics x ${FIRST_DAY}..${LAST_DAY} = ${rows} rows`;
}

/** Connects to the bench server, or fails saying which server could not be reached. */
export async function connectToBenchServer(database?: string): Promise<mysql.Connection> {
  const url = benchServerUrl();
  url.protocol = 'mysql:';
  url.pathname = database ? `/${database}` : '';
  try {
    return await mysql.createConnection({ uri: url.toString(), timezone: 'Z', multipleStatements: false });
  } catch (error) {
    const where = `${url.hostname}:${url.port || 3306}`;
    throw new Error(`cannot reach the MariaDB/MySQL server of BENCH_DATABASE_URL (${where}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function analyticsDatabaseName(): string {
  const name = process.env.BENCH_ANALYTICS_DATABASE || 'pilothub_bench_analytics';
  if (!/^pilothub_bench\w*$/.test(name)) throw new Error('BENCH_ANALYTICS_DATABASE must start with pilothub_bench');
  return name;
}

function urls(name: string): { url: string; mysqlUrl: string } {
  const url = benchServerUrl();
  url.pathname = `/${name}`;
  const mysqlUrl = new URL(url.toString());
  mysqlUrl.protocol = 'mysql:';
  return { url: url.toString(), mysqlUrl: mysqlUrl.toString() };
}

async function rowsOf<T>(connection: mysql.Connection, sql: string, values: unknown[] = []): Promise<T[]> {
  const [rows] = await connection.query(sql, values);
  return rows as T[];
}

async function benchMetrics(connection: mysql.Connection): Promise<BenchMetric[]> {
  return rowsOf<BenchMetric>(connection, "SELECT id, code, kind FROM metric WHERE frequency = 'DAY' ORDER BY id LIMIT ?", [DAILY_METRICS]);
}

/** Adds BENCH_DAILY_nn metrics until there are DAILY_METRICS daily ones, spread over the models in progress. */
async function addDailyMetrics(connection: mysql.Connection): Promise<void> {
  const existing = await benchMetrics(connection);
  const models = await rowsOf<{ id: number; leadDepartmentId: number }>(
    connection,
    "SELECT id, leadDepartmentId FROM pilot_model WHERE status = 'IN_PROGRESS' ORDER BY code",
  );
  if (models.length === 0) throw new Error('the seeded catalogue has no pilot model in progress');
  const rows: unknown[][] = [];
  for (let index = existing.length; index < DAILY_METRICS; index += 1) {
    const number = String(index + 1).padStart(2, '0');
    const kind = EXTRA_KINDS[index % EXTRA_KINDS.length];
    const model = models[index % models.length];
    rows.push([
      `${EXTRA_METRIC_PREFIX}${number}_${kind}`,
      `Benchmark daily ${kind.toLowerCase()} ${number}`,
      `Chỉ số ngày thử tải ${number}`,
      kind === 'RATE' ? '%' : 'items',
      kind,
      'DAY',
      model.id,
      model.leadDepartmentId,
      'INFERRED',
    ]);
  }
  if (rows.length === 0) return;
  await connection.query(
    'INSERT INTO metric (code, name, nameVi, unit, kind, frequency, pilotModelId, departmentId, basis) VALUES ?',
    [rows],
  );
}

/**
 * One metric's rows: every commune × every day. h is a cheap deterministic hash of (metric, unit, day) in 0…999.
 * COUNT: 0…499 a day; STOCK: a level that grows by one a week from a per-commune base; RATE: numerator out of
 * a denominator of 50…199, value rounded to 2 decimals as sources send it.
 */
function generateMetricSql(metric: BenchMetric): string {
  const h = '(((u.id * 131 + d.seq * 17 + m.id * 7) * 2654435761) MOD 1000)';
  const denominator = `(50 + ${h} MOD 150)`;
  const numerator = `FLOOR(${denominator} * (40 + (${h} * 7) MOD 60) / 100)`;
  const value = {
    COUNT: `${h} MOD 500`,
    STOCK: `(u.id MOD 50) * 10 + FLOOR(d.seq / 7) + ${h} MOD 5`,
    RATE: `ROUND(100 * ${numerator} / ${denominator}, 2)`,
  }[metric.kind];
  const rate = metric.kind === 'RATE';
  return `
    INSERT INTO observation (metricId, unitId, period, periodStart, periodEnd, value, numerator, denominator, recordedAt, source, runId, mappingVersion, isDemo)
    SELECT m.id, u.id, DATE_FORMAT(d.day, '%Y-%m-%d'), d.day, d.day, ${value},
           ${rate ? numerator : 'NULL'}, ${rate ? denominator : 'NULL'},
           d.day + INTERVAL 1 DAY + INTERVAL 3 HOUR, '${GENERATED_SOURCE}', NULL, NULL, 0
    FROM (SELECT seq, DATE '${FIRST_DAY}' + INTERVAL seq DAY AS day FROM seq_0_to_${DAYS - 1}) d
    CROSS JOIN (SELECT id FROM administrative_unit WHERE level = 'COMMUNE' AND validFrom = '${COMMUNE_EDITION}') u
    CROSS JOIN (SELECT id FROM metric WHERE id = ${Number(metric.id)}) m
    ORDER BY d.seq, u.id`;
}

async function generate(name: string, url: string, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const admin = await connectToBenchServer();
  try {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci COMMENT 'generating'`);
  } finally {
    await admin.end();
  }
  // The real schema and catalogue, as the hub creates them.
  const dataSource = createDataSource(databaseConfigFromUrl(url, '', 2));
  await dataSource.initialize();
  try {
    await migrate(dataSource);
    await seedCatalogue(dataSource, { demo: true });
  } finally {
    await dataSource.destroy();
  }
  log(`schema and catalogue ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const connection = await connectToBenchServer(name);
  try {
    await addDailyMetrics(connection);
    const metrics = await benchMetrics(connection);
    if (metrics.length !== DAILY_METRICS) throw new Error(`expected ${DAILY_METRICS} daily metrics, found ${metrics.length}`);
    // The seed's demo values of these metrics (Q1 2024, 2024 districts) would blur the generated load.
    await connection.query('DELETE FROM observation WHERE metricId IN (?)', [metrics.map((metric) => metric.id)]);
    // Bulk-load settings for this session only: the keys are fresh and unique by construction.
    await connection.query('SET SESSION foreign_key_checks = 0, unique_checks = 0');
    for (const [index, metric] of metrics.entries()) {
      const began = performance.now();
      await connection.query(generateMetricSql(metric));
      log(`  ${index + 1}/${metrics.length} ${metric.code} (${metric.kind}) in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    }
    await connection.query('SET SESSION foreign_key_checks = 1, unique_checks = 1');
    await connection.query('ANALYZE TABLE observation');
    const [{ communes }] = await rowsOf<{ communes: number }>(
      connection,
      "SELECT COUNT(*) AS communes FROM administrative_unit WHERE level = 'COMMUNE' AND validFrom = ?",
      [COMMUNE_EDITION],
    );
    // The marker is written last: an interrupted generation is never mistaken for a finished one.
    await connection.query(`ALTER DATABASE \`${name}\` COMMENT = ?`, [expectedMarker(Number(communes))]);
  } finally {
    await connection.end();
  }
  return (performance.now() - started) / 1000;
}

/**
 * The benchmark database, generated when missing, stale or BENCH_REGENERATE=1, reused otherwise; pending
 * migrations are applied either way (the hub would apply them at start-up too).
 */
export async function openAnalyticsDatabase(log: (line: string) => void = console.log): Promise<AnalyticsDatabase> {
  const name = analyticsDatabaseName();
  const { url, mysqlUrl } = urls(name);
  const admin = await connectToBenchServer();
  let marker: string | undefined;
  let version: string;
  try {
    version = (await rowsOf<{ version: string }>(admin, 'SELECT VERSION() AS version'))[0].version;
    marker = (await rowsOf<{ comment: string }>(admin, 'SELECT SCHEMA_COMMENT AS comment FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name]))[0]
      ?.comment;
  } finally {
    await admin.end();
  }
  // The seed file fixes the number of 2025 communes (130); the marker is checked against it.
  const { adminUnits } = await import('../src/seed/admin-units');
  const communes = adminUnits.edition2025.communes.length;
  const wanted = expectedMarker(communes);
  let generatedSeconds: number | null = null;
  if (process.env.BENCH_REGENERATE === '1' || marker !== wanted) {
    log(
      marker === undefined
        ? `generating ${name}: ${wanted}`
        : `regenerating ${name} (${process.env.BENCH_REGENERATE === '1' ? 'BENCH_REGENERATE=1' : `marker "${marker}" is stale`})`,
    );
    generatedSeconds = await generate(name, url, log);
    log(`generated in ${generatedSeconds.toFixed(1)} s`);
  } else {
    log(`reusing ${name} (${marker}); BENCH_REGENERATE=1 regenerates it`);
    const dataSource = createDataSource(databaseConfigFromUrl(url, '', 2));
    await dataSource.initialize();
    try {
      const started = performance.now();
      const applied = await migrate(dataSource);
      if (applied.length > 0) log(`applied pending migrations in ${((performance.now() - started) / 1000).toFixed(1)} s: ${applied.join(', ')}`);
    } finally {
      await dataSource.destroy();
    }
  }
  const connection = await connectToBenchServer(name);
  try {
    const metrics = await benchMetrics(connection);
    const [{ total }] = await rowsOf<{ total: number | string }>(
      connection,
      'SELECT COUNT(*) AS total FROM observation WHERE metricId IN (?)',
      [metrics.map((metric) => metric.id)],
    );
    const expected = communes * DAILY_METRICS * DAYS;
    if (Number(total) !== expected) throw new Error(`${name} holds ${integer(Number(total))} generated observations, expected ${integer(expected)}: BENCH_REGENERATE=1`);
    return { name, url, mysqlUrl, version, rows: Number(total), generatedSeconds, marker: wanted, metrics, communes };
  } finally {
    await connection.end();
  }
}
