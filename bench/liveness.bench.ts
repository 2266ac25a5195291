/**
 * Liveness (`npm run bench -- liveness`): does the hub keep answering while it does the heaviest work it accepts?
 * On the embedded SQLite database and on the MariaDB/MySQL server, a hub process gets 7 daily metrics × every
 * commune in force × every day from BENCH_LIVENESS_DATA_FROM (default 2025-04-01) to today (about 0.8 million
 * observations, written by SQL, rollups rebuilt), then one heavy workload at a time while two probes run beside it
 * (a workload starts once /healthz answers again after the previous one):
 *   - `GET /healthz` every 25 ms (one at a time): its max and p99 latency;
 *   - a small GraphQL query (`metric(code:)`) every 200 ms: its max and p99 latency.
 * Workloads:
 *   (a) the 15-alias aggregate of the 7 daily metrics by commune from 2024-01-01 to today (day range: raw reads);
 *   (b) the heaviest aggregate of the same shape the limits accept over whole months (rollups): as many aliases
 *       as MAX_QUERY_ROWS allows (15 when no volume limit refuses);
 *   (c) the heaviest accepted raw (day-range) aggregate: one alias, the longest range ending today that fits;
 *   (d) a 20 MiB JSON push of 160,000 rows (the size of a full feed page) through POST /ingest/<id>;
 *   (e) a 20 KB gzip CSV of 10 million rows pushed to POST /ingest/<id>;
 *   (f) a 16 MB CSV header of 2 million columns pushed to POST /ingest/<id>.
 *
 * BENCH_DATABASE_URL names the server (default mariadb://root@127.0.0.1:3306) and the bench works in a scratch
 * database; BENCH_LIVENESS_DATABASE_URL (with a database path) uses that existing database instead (its tables are
 * dropped first). BENCH_LIVENESS_DATABASES=sqlite or =server runs one database only.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { DataSource } from 'typeorm';
import { rebuildRollups } from '../src/modules/observations/rollups';
import { databaseConfigFromUrl, type DatabaseConfig } from '../src/config';
import { createDataSource, migrate } from '../src/database/data-source';
import { seedCatalogue } from '../src/seed/seed';
import type { BenchReport } from './run';
import { startHub, type HubChild } from './hub';
import { BENCH_HEADERS, createScratchDatabase, graphql, ms, sleep } from './support';

/** First day of the queries (and of the pushed page). */
const FIRST_DAY = '2024-01-01';
/** First day of the generated values (BENCH_LIVENESS_DATA_FROM): reads cost what exists, so this sets the load. */
const DATA_FROM = process.env.BENCH_LIVENESS_DATA_FROM ?? '2025-04-01';
/** Longest wait for one probe's answer: a frozen process shows as this. */
const PROBE_TIMEOUT_MS = 120_000;
const DAILY_METRICS = ['KCB_BIOMETRIC_VISITS', 'KIOSK_NOTARIZATIONS', 'ACCOM_NOTICES', 'PATIENT_RECORDS_LINKED', 'DRIVE_TESTS_MONITORED', 'DRIVE_TEST_ID_MISMATCH', 'AUTH_TRANSACTIONS'];
const PUSH_ROWS = 160_000;
const HEALTH_EVERY_MS = 25;
const SMALL_EVERY_MS = 200;
const LIVENESS_GOAL_MS = 250;
const SMALL_GOAL_MS = 1_000;

const today = () => new Date().toISOString().slice(0, 10);

function aggregateQuery(aliases: number, from: string, to: string): string {
  const fields = Array.from(
    { length: aliases },
    (_, index) =>
      `a${index}: aggregate(metrics: ${JSON.stringify(DAILY_METRICS)}, groupBy: [UNIT], level: COMMUNE, from: "${from}", to: "${to}") ` +
      '{ totalRows rows { unit { code } measures { value reported expected } } }',
  );
  return `query Heavy { ${fields.join(' ')} }`;
}

// ---------------------------------------------------------------------------------------------------------
// Data.

async function generate(dataSource: DataSource, sqlite: boolean): Promise<number> {
  await migrate(dataSource);
  await seedCatalogue(dataSource, { demo: true });
  const last = today();
  const codes = DAILY_METRICS.map((code) => `'${code}'`).join(', ');
  const select =
    "SELECT m.id, u.id, d.day, d.day, d.day, (u.id * 7 + m.id) % 1000, NULL, NULL, '2024-01-01 00:00:00', 'bench:liveness', 0 " +
    `FROM metric m JOIN administrative_unit u ON u.level = 'COMMUNE' JOIN days d ON u.validFrom <= d.day AND (u.validTo IS NULL OR u.validTo >= d.day) ` +
    `WHERE m.code IN (${codes})`;
  const insert = 'INSERT INTO observation (metricId, unitId, period, periodStart, periodEnd, value, numerator, denominator, recordedAt, source, isDemo) ';
  if (sqlite) {
    await dataSource.query(
      `WITH RECURSIVE days(day) AS (SELECT '${DATA_FROM}' UNION ALL SELECT date(day, '+1 day') FROM days WHERE day < '${last}') ${insert}${select}`,
    );
  } else {
    const count = Math.round((Date.parse(last) - Date.parse(DATA_FROM)) / 86_400_000);
    await dataSource.query('DROP TEMPORARY TABLE IF EXISTS days');
    await dataSource.query(`CREATE TABLE IF NOT EXISTS days (day date PRIMARY KEY)`);
    await dataSource.query(`INSERT INTO days SELECT DATE_ADD('${DATA_FROM}', INTERVAL seq DAY) FROM seq_0_to_${count}`);
    await dataSource.query(`${insert}${select}`);
    await dataSource.query('DROP TABLE days');
  }
  await rebuildRollups(dataSource);
  const [{ count }] = (await dataSource.query('SELECT COUNT(*) AS count FROM observation')) as Array<{ count: number | string }>;
  return Number(count);
}

interface Target {
  label: string;
  environment: Record<string, string>;
  rows: number;
  cleanup(): Promise<void>;
}

async function prepareSqlite(): Promise<Target> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-liveness-'));
  const file = path.join(directory, 'hub.sqlite');
  const dataSource = createDataSource(databaseConfigFromUrl(undefined, file));
  await dataSource.initialize();
  try {
    const rows = await generate(dataSource, true);
    return { label: 'SQLite', environment: { SQLITE_PATH: file }, rows, cleanup: async () => fs.rmSync(directory, { recursive: true, force: true }) };
  } finally {
    await dataSource.destroy();
  }
}

async function prepareServer(): Promise<Target> {
  const given = process.env.BENCH_LIVENESS_DATABASE_URL;
  let url: string;
  let drop = async () => undefined as void;
  if (given) {
    url = given;
  } else {
    const scratch = await createScratchDatabase('pilothub_bench_liveness');
    url = scratch.url;
    drop = () => scratch.drop();
  }
  const config: DatabaseConfig = databaseConfigFromUrl(url, '', 4);
  const dataSource = createDataSource(config);
  await dataSource.initialize();
  try {
    if (given) await dataSource.dropDatabase();
    const rows = await generate(dataSource, false);
    const version = ((await dataSource.query('SELECT VERSION() AS v')) as Array<{ v: string }>)[0].v;
    return { label: `MariaDB ${version.split('-')[0]}`, environment: { DATABASE_URL: url }, rows, cleanup: drop };
  } finally {
    await dataSource.destroy();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Probes.

interface ProbeFigures {
  count: number;
  max: number;
  p99: number;
  failures: number;
}

function figures(latencies: number[], failures: number): ProbeFigures {
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
  return { count: sorted.length, max: sorted.at(-1) ?? Number.NaN, p99, failures };
}

/** Sends `request` every `everyMs` (one at a time) until stopped; latencies in ms. */
function probe(request: () => Promise<boolean>, everyMs: number): { stop(): Promise<ProbeFigures> } {
  let running = true;
  const latencies: number[] = [];
  let failures = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      try {
        if (!(await request())) failures += 1;
      } catch {
        failures += 1;
      }
      const took = performance.now() - started;
      latencies.push(took);
      if (running) await sleep(Math.max(0, everyMs - took));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return figures(latencies, failures);
    },
  };
}

interface WorkloadResult {
  label: string;
  seconds: number;
  outcome: string;
  health: ProbeFigures;
  small: ProbeFigures;
}

/** Waits until /healthz answers (the previous workload may still hold the process after its answer); seconds waited. */
async function settle(hub: HubChild): Promise<number> {
  const started = performance.now();
  for (let attempt = 0; attempt < 20; attempt += 1) {
    try {
      const response = await fetch(`${hub.baseUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await response.arrayBuffer();
      if (response.ok) break;
    } catch {
      // still frozen
    }
  }
  return (performance.now() - started) / 1000;
}

async function measure(hub: HubChild, label: string, work: () => Promise<string>): Promise<WorkloadResult> {
  const smallBody = JSON.stringify({ query: '{ metric(code: "DVC_ONLINE_RATE") { code name } }' });
  const busy = await settle(hub);
  if (busy > 1) console.log(`  (the hub answered /healthz again ${busy.toFixed(0)} s after the previous workload)`);
  const health = probe(async () => {
    const response = await fetch(`${hub.baseUrl}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    await response.arrayBuffer();
    return response.ok;
  }, HEALTH_EVERY_MS);
  const small = probe(async () => {
    const response = await fetch(hub.graphqlUrl, {
      method: 'POST',
      headers: { ...BENCH_HEADERS, 'content-type': 'application/json' },
      body: smallBody,
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    const text = await response.text();
    return response.ok && !text.includes('"errors"');
  }, SMALL_EVERY_MS);
  await sleep(300);
  const started = performance.now();
  let outcome: string;
  try {
    outcome = await work();
  } catch (error) {
    outcome = `failed: ${error instanceof Error ? error.message : String(error)}`.slice(0, 160);
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(300);
  const result = { label, seconds, outcome, health: await health.stop(), small: await small.stop() };
  console.log(`  ${label}: ${seconds.toFixed(2)} s, ${outcome}; /healthz max ${ms(result.health.max)} ms, small query max ${ms(result.small.max)} ms`);
  return result;
}

async function postGraphQL(hub: HubChild, query: string): Promise<{ status: number; body: { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }> {
  const response = await fetch(hub.graphqlUrl, {
    method: 'POST',
    headers: { ...BENCH_HEADERS, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(600_000),
  });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } };
}

function describeAnswer(answer: Awaited<ReturnType<typeof postGraphQL>>): string {
  const error = answer.body.errors?.[0];
  if (error) return `HTTP ${answer.status} ${String(error.extensions?.code ?? error.message.slice(0, 60))}`;
  const data = (answer.body.data ?? {}) as Record<string, { totalRows: number }>;
  const rows = Object.values(data).reduce((sum, field) => sum + field.totalRows, 0);
  return `HTTP ${answer.status}, ${Object.keys(data).length} × ${Object.values(data)[0]?.totalRows ?? 0} rows (${rows})`;
}

/** The volume estimate and limit of a refused query, when it was refused for its volume. */
function volumeOf(answer: Awaited<ReturnType<typeof postGraphQL>>): { estimate: number; maximum: number } | null {
  const error = answer.body.errors?.[0];
  if (error?.extensions?.code !== 'QUERY_TOO_LARGE') return null;
  const limit = error.extensions.limit as { maximum: number; actual: number };
  return { estimate: limit.actual, maximum: limit.maximum };
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

async function push(hub: HubChild, connectorId: string, body: Buffer | string, headers: Record<string, string>): Promise<string> {
  const response = await fetch(`${hub.baseUrl}/ingest/${connectorId}`, { method: 'POST', headers: { ...BENCH_HEADERS, ...headers }, body, signal: AbortSignal.timeout(600_000) });
  const text = await response.text();
  let detail = text.slice(0, 100);
  try {
    const parsed = JSON.parse(text) as { summary?: Record<string, number>; error?: { message?: string } };
    detail = parsed.summary ? `imported ${parsed.summary.imported}, updated ${parsed.summary.updated}, rejected ${parsed.summary.rejected}` : (parsed.error?.message ?? detail).slice(0, 90);
  } catch {
    // not JSON
  }
  return `HTTP ${response.status}: ${detail}`;
}

function feedPage(): Buffer {
  // 460 communes of the 2024 map × 348 days of 2024, as a connector page of that size would carry them.
  const communes = Array.from({ length: 460 }, (_, index) => index);
  const rows: string[] = [];
  for (let day = 0; rows.length < PUSH_ROWS; day += 1) {
    const period = addDays(FIRST_DAY, day);
    for (const commune of communes) {
      if (rows.length >= PUSH_ROWS) break;
      // Padded with blanks to the bytes per row of a real feed page (about 130).
      rows.push(`${JSON.stringify({ metric: 'KCB_BIOMETRIC_VISITS', unit: `#${commune}`, period, value: 1000 + ((commune + day) % 97) })}${' '.repeat(45)}`);
    }
  }
  return Buffer.from(`[${rows.join(',\n')}]`);
}

async function communeCodes(hub: HubChild): Promise<string[]> {
  const data = await graphql<{ administrativeUnits: { edges: Array<{ node: { code: string } }> } }>(
    hub.graphqlUrl,
    '{ administrativeUnits(first: 500, filter: { level: COMMUNE, asOf: "2024-06-01" }) { edges { node { code } } } }',
  );
  return data.administrativeUnits.edges.map((edge) => edge.node.code);
}

/** BENCH_LIVENESS_WORKLOADS (e.g. "def"): only these workloads; default all. */
const WORKLOADS = process.env.BENCH_LIVENESS_WORKLOADS ?? 'abcdef';

async function runOn(target: Target): Promise<WorkloadResult[]> {
  const hub = await startHub({ ...target.environment, SEED_ON_START: 'never' });
  try {
    const results: WorkloadResult[] = [];
    const last = today();
    const thisMonth = last.slice(0, 7);
    const heavy = aggregateQuery(15, FIRST_DAY, last);
    let limited = false;
    if (WORKLOADS.includes('a')) {
      results.push(
        await measure(hub, '(a) 15-alias aggregate, 7 daily metrics by commune, 2024-01-01 → today', async () => {
          const answer = await postGraphQL(hub, heavy);
          limited = volumeOf(answer) !== null;
          return describeAnswer(answer);
        }),
      );
    }
    /** The heaviest accepted variant of a query family: shrinks `size` until the volume limit accepts it. */
    const heaviestAccepted = async (build: (size: number) => string, size: number, scale: (size: number, ratio: number) => number) => {
      for (let attempt = 0; limited && attempt < 20 && size > 1; attempt += 1) {
        // The estimate is checked before anything runs: a refusal is cheap, and an accepted probe warms the caches.
        const volume = volumeOf(await postGraphQL(hub, build(size)));
        if (!volume) break;
        size = Math.max(1, Math.min(size - 1, scale(size, volume.maximum / volume.estimate)));
      }
      return { size, query: build(size) };
    };

    // (b) and (c) are sized from the refusal of (a): run them with (a).
    const monthly = await heaviestAccepted((size) => aggregateQuery(size, '2024-01', thisMonth), 15, (size, ratio) => Math.floor(size * ratio));
    if (WORKLOADS.includes('b')) {
      results.push(
        await measure(hub, `(b) heaviest accepted over whole months: ${monthly.size} alias(es), 2024-01 → ${thisMonth}`, async () => describeAnswer(await postGraphQL(hub, monthly.query))),
      );
    }

    const totalDays = Math.round((Date.parse(last) - Date.parse(FIRST_DAY)) / 86_400_000) + 1;
    const raw = await heaviestAccepted((days) => aggregateQuery(1, addDays(last, 1 - days), last), totalDays, (days, ratio) => Math.floor(days * ratio * 0.98));
    if (WORKLOADS.includes('c')) {
      results.push(
        await measure(hub, `(c) heaviest accepted raw read: 1 alias, ${raw.size} days → today`, async () => describeAnswer(await postGraphQL(hub, raw.query))),
      );
    }

    const connectorId = (
      await graphql<{ registerConnector: { id: string } }>(
        hub.graphqlUrl,
        'mutation { registerConnector(input: { name: "liveness push", kind: "push", department: "SO_YT", config: { maxRowsPerPush: 200000 } }) { id } }',
      )
    ).registerConnector.id;
    const codes = await communeCodes(hub);
    const page = Buffer.from(feedPage().toString().replace(/"#(\d+)"/g, (_, index: string) => JSON.stringify(codes[Number(index) % codes.length])));
    if (WORKLOADS.includes('d')) {
      results.push(
        await measure(hub, `(d) JSON push of ${PUSH_ROWS.toLocaleString('en-US')} rows (${(page.length / 1048576).toFixed(1)} MiB)`, () => push(hub, connectorId, page, { 'content-type': 'application/json' })),
      );
    }

    const bomb = gzipSync(Buffer.concat([Buffer.from('metric\n'), Buffer.alloc(2 * 10_000_000, '1\n')]), { level: 9 });
    if (WORKLOADS.includes('e')) {
      results.push(
        await measure(hub, `(e) gzip CSV of 10,000,000 rows (${(bomb.length / 1024).toFixed(0)} KB)`, () =>
          push(hub, connectorId, bomb, { 'content-type': 'text/csv', 'content-encoding': 'gzip' }),
        ),
      );
    }
    const header = Buffer.from(`${new Array(2_000_000).fill('metricxx').join(',')}\n`);
    if (WORKLOADS.includes('f')) {
      results.push(
        await measure(hub, `(f) CSV header of 2,000,000 columns (${(header.length / 1048576).toFixed(0)} MB)`, () => push(hub, connectorId, header, { 'content-type': 'text/csv' })),
      );
    }
    return results;
  } finally {
    await hub.stop();
  }
}

export async function run(): Promise<BenchReport> {
  const which = process.env.BENCH_LIVENESS_DATABASES ?? 'sqlite,server';
  const lines = [
    `| database | workload | work s | outcome | /healthz max ms | /healthz p99 ms | small query max ms | small query p99 ms |`,
    '|---|---|---:|---|---:|---:|---:|---:|',
  ];
  const goals: Array<{ label: string; met: boolean }> = [];
  const notes: string[] = [];
  for (const kind of ['sqlite', 'server']) {
    if (!which.includes(kind)) continue;
    console.log(`preparing ${kind} …`);
    const started = performance.now();
    const target = kind === 'sqlite' ? await prepareSqlite() : await prepareServer();
    notes.push(`${target.label}: ${target.rows.toLocaleString('en-US')} observations generated in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    try {
      const results = await runOn(target);
      for (const result of results) {
        const line = `| ${target.label} | ${result.label} | ${result.seconds.toFixed(2)} | ${result.outcome} | ${ms(result.health.max)} | ${ms(result.health.p99)} | ${ms(result.small.max)} | ${ms(result.small.p99)} |`;
        console.log(line);
        lines.push(line);
        goals.push({ label: `${target.label} ${result.label.slice(0, 3)}: /healthz ≤ ${LIVENESS_GOAL_MS} ms`, met: result.health.max <= LIVENESS_GOAL_MS && result.health.failures === 0 });
        goals.push({ label: `${target.label} ${result.label.slice(0, 3)}: small query ≤ ${SMALL_GOAL_MS} ms`, met: result.small.max <= SMALL_GOAL_MS && result.small.failures === 0 });
      }
    } finally {
      await target.cleanup();
    }
  }
  return { markdown: `${lines.join('\n')}\n\n${notes.join('\n')}`, goals };
}
