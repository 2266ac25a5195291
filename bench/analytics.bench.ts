/**
 * Analytics over ten million observations (the database of bench/analytics-data.ts): the rollups are rebuilt
 * from the raw observations (timed), then a 12-month aggregate (2025) of the 40 daily metrics is asked two ways —
 *   (a) by district: the 2025 communes' values re-expressed on the 2024 map (unitEdition E2024) through the
 *       predecessor links (split evenly among predecessors), grouped by the 2024 districts;
 *   (b) by commune: grouped by the 2025 communes themselves —
 * and each is answered three ways: the engine's runAggregate (from the month rollups), the `aggregate` GraphQL
 * query of a hub process, and hand-written SQL over the raw observation table with the same rules (COUNT sums,
 * STOCK each unit's latest value summed, RATE Σ numerator / Σ denominator × 100, weighted placement, reports
 * counted, expected reports from the units' validity, approximate when a unit is split among groups).
 * Every measure of the three answers is compared (numbers to 1e-9 relative) before timing.
 *
 * BENCH_ANALYTICS_ROUNDS (default 10) rounds of the rollup answers, BENCH_ANALYTICS_RAW_ROUNDS (default 3) of
 * the raw scans, after one warm-up each; medians are reported.
 */
import mysql from 'mysql2/promise';
import type { DataSource } from 'typeorm';
import { runAggregate, Dimension, UnitEdition, type AggregateRequest, type AggregateResult } from '../src/analytics/engine';
import { rebuildRollups } from '../src/modules/observations/rollups';
import { UnitLevel } from '../src/common/enums';
import { databaseConfigFromUrl } from '../src/config';
import { createDataSource } from '../src/database/data-source';
import { openAnalyticsDatabase, type BenchMetric } from './analytics-data';
import type { BenchReport } from './run';
import { startHub, summariseProblems, type HubChild } from './hub';
import { firstDifference, graphql, integer, median, ms } from './support';

const ROUNDS = Math.max(1, Number(process.env.BENCH_ANALYTICS_ROUNDS ?? 10));
const RAW_ROUNDS = Math.max(1, Number(process.env.BENCH_ANALYTICS_RAW_ROUNDS ?? 3));
const POOL_SIZE = 10;
const GOAL_RATIO = 10;
const FROM = '2025-01';
const TO = '2025-12';
const RANGE_START = '2025-01-01';
const RANGE_END = '2025-12-31';
/** The last day of the 2024 map, on which E2024 is read. */
const EDITION_2024_DAY = '2025-06-30';

interface Case {
  label: string;
  level: UnitLevel;
  edition: UnitEdition | null;
}

const CASES: Case[] = [
  { label: 'by district (2024 map, E2024)', level: UnitLevel.DISTRICT, edition: UnitEdition.E2024 },
  { label: 'by commune (2025 communes)', level: UnitLevel.COMMUNE, edition: null },
];

/** One measure, as compared: `unitCode@validFrom|metricCode` → figures. */
interface Figures {
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  expected: number;
  reported: number;
  complete: boolean;
  approximate: boolean;
  level: string | null;
}
type Answer = Map<string, Figures>;

function request(metrics: readonly BenchMetric[], level: UnitLevel, edition: UnitEdition | null): AggregateRequest {
  return { metrics: metrics.map((metric) => metric.code), from: FROM, to: TO, groupBy: [Dimension.UNIT], level, unitEdition: edition };
}

function fromEngine(result: AggregateResult): Answer {
  const answer: Answer = new Map();
  for (const row of result.rows) {
    for (const measure of row.measures) {
      const { value, numerator, denominator, expected, reported, complete, approximate, level } = measure;
      answer.set(`${row.unit!.code}@${row.unit!.validFrom}|${measure.metric.code}`, { value, numerator, denominator, expected, reported, complete, approximate, level });
    }
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL.

const AGGREGATE_QUERY = `query Aggregate($metrics: [String!]!, $level: UnitLevel, $unitEdition: UnitEdition) {
  aggregate(metrics: $metrics, groupBy: [UNIT], level: $level, unitEdition: $unitEdition, from: "${FROM}", to: "${TO}") {
    totalRows
    rows { unit { code validFrom } measures { metric { code } value numerator denominator expected reported complete approximate level } }
  }
}`;

interface GraphQLAggregate {
  aggregate: {
    totalRows: number;
    rows: Array<{ unit: { code: string; validFrom: string }; measures: Array<Figures & { metric: { code: string } }> }>;
  };
}

async function fromGraphQL(url: string, metrics: readonly BenchMetric[], testCase: Case): Promise<Answer> {
  const data = await graphql<GraphQLAggregate>(url, AGGREGATE_QUERY, {
    metrics: metrics.map((metric) => metric.code),
    level: testCase.level,
    unitEdition: testCase.edition,
  });
  const answer: Answer = new Map();
  for (const row of data.aggregate.rows) {
    for (const { metric, ...figures } of row.measures) answer.set(`${row.unit.code}@${row.unit.validFrom}|${metric.code}`, figures);
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written SQL over the raw observations.

/**
 * Where each unit's values go: (unitId, groupId, weight, approximate). By district on the 2024 map, a 2024
 * commune goes to its district; a unit outside the 2024 map (a 2025 commune) is split evenly among its
 * predecessors, each share going to the predecessor's district (shares landing in one district add up), and is
 * approximate when its shares land in more than one district. By commune, each commune is its own group.
 */
function placementSql(testCase: Case): string {
  if (testCase.level === UnitLevel.COMMUNE) {
    return "SELECT id AS unitId, id AS groupId, 1e0 AS weight, 0 AS approximate FROM administrative_unit WHERE level = 'COMMUNE'";
  }
  return `
    SELECT c.id AS unitId, c.parentId AS groupId, 1e0 AS weight, 0 AS approximate
    FROM administrative_unit c
    WHERE c.level = 'COMMUNE' AND c.validFrom <= '${EDITION_2024_DAY}' AND (c.validTo IS NULL OR c.validTo > '${EDITION_2024_DAY}')
    UNION ALL
    SELECT l.unitId, p.parentId, SUM(1e0 / n.links), n.districts > 1
    FROM unit_predecessor l
    JOIN administrative_unit c ON c.id = l.unitId
    JOIN administrative_unit p ON p.id = l.predecessorId
    JOIN (SELECT x.unitId, COUNT(*) AS links, COUNT(DISTINCT y.parentId) AS districts
          FROM unit_predecessor x JOIN administrative_unit y ON y.id = x.predecessorId GROUP BY x.unitId) n ON n.unitId = l.unitId
    WHERE c.level = 'COMMUNE' AND NOT (c.validFrom <= '${EDITION_2024_DAY}' AND (c.validTo IS NULL OR c.validTo > '${EDITION_2024_DAY}'))
    GROUP BY l.unitId, p.parentId, n.districts`;
}

/**
 * The name of the observation index on (metricId, periodStart) (generated by the migrations). The raw queries
 * name it: left alone, MariaDB estimates a fifth of the table and scans all of it, about ten times slower.
 */
async function periodIndexName(pool: mysql.Pool): Promise<string> {
  const [rows] = await pool.query(
    `SELECT s1.INDEX_NAME AS name FROM information_schema.STATISTICS s1
     JOIN information_schema.STATISTICS s2 ON s2.TABLE_SCHEMA = s1.TABLE_SCHEMA AND s2.TABLE_NAME = s1.TABLE_NAME AND s2.INDEX_NAME = s1.INDEX_NAME
     WHERE s1.TABLE_SCHEMA = DATABASE() AND s1.TABLE_NAME = 'observation' AND s1.SEQ_IN_INDEX = 1 AND s1.COLUMN_NAME = 'metricId'
       AND s2.SEQ_IN_INDEX = 2 AND s2.COLUMN_NAME = 'periodStart'`,
  );
  const name = (rows as Array<{ name: string }>)[0]?.name;
  if (!name) throw new Error('observation has no (metricId, periodStart) index');
  return name;
}

async function fromRawSql(pool: mysql.Pool, metrics: readonly BenchMetric[], testCase: Case, index: string): Promise<Answer> {
  const placement = placementSql(testCase);
  const ids = metrics.map((metric) => metric.id);
  const stockIds = metrics.filter((metric) => metric.kind === 'STOCK').map((metric) => metric.id);
  const query = async (sql: string, values: unknown[] = []) => (await pool.query(sql, values))[0] as Array<Record<string, unknown>>;
  const [sums, stocks, expectations, groups] = await Promise.all([
    // COUNT and RATE: sums per unit over the year's reports, then weighted into the groups; reports are counted
    // once per group they reach.
    query(
      `WITH placement AS (${placement}),
       perUnit AS (
         SELECT o.metricId, o.unitId, SUM(o.value) AS value, SUM(o.numerator) AS numerator, SUM(o.denominator) AS denominator,
                COUNT(*) AS reported, COUNT(o.numerator) AS numerators
         FROM observation o FORCE INDEX (\`${index}\`)
         WHERE o.metricId IN (?) AND o.periodStart >= ? AND o.periodStart <= ?
         GROUP BY o.metricId, o.unitId
       )
       SELECT s.metricId, p.groupId, u.level, SUM(p.weight * s.value) AS value, SUM(p.weight * s.numerator) AS numerator,
              SUM(p.weight * s.denominator) AS denominator, SUM(s.reported) AS reported, SUM(s.numerators) AS numerators, MAX(p.approximate) AS approximate
       FROM perUnit s JOIN placement p ON p.unitId = s.unitId JOIN administrative_unit u ON u.id = s.unitId
       GROUP BY s.metricId, p.groupId, u.level`,
      [ids, RANGE_START, RANGE_END],
    ),
    // STOCK: each unit's value on its latest day of the year (read back through the unique (metric, unit,
    // period) index: daily period texts sort like their dates), weighted, summed per group.
    stockIds.length === 0
      ? Promise.resolve([])
      : query(
          `WITH placement AS (${placement})
           SELECT o.metricId, p.groupId, SUM(p.weight * o.value) AS value
           FROM (SELECT metricId, unitId, MAX(period) AS period FROM observation FORCE INDEX (\`${index}\`)
                 WHERE metricId IN (?) AND periodStart >= ? AND periodStart <= ? GROUP BY metricId, unitId) latest
           STRAIGHT_JOIN observation o ON o.metricId = latest.metricId AND o.unitId = latest.unitId AND o.period = latest.period
           JOIN placement p ON p.unitId = o.unitId
           GROUP BY o.metricId, p.groupId`,
          [stockIds, RANGE_START, RANGE_END],
        ),
    // Expected daily reports: for every commune placed in a group, the days of the year it was in force.
    query(
      `WITH placement AS (${placement})
       SELECT p.groupId, SUM(GREATEST(0, DATEDIFF(LEAST(COALESCE(u.validTo, '9999-12-31'), ? + INTERVAL 1 DAY), GREATEST(u.validFrom, ?)))) AS expected
       FROM placement p JOIN administrative_unit u ON u.id = p.unitId
       GROUP BY p.groupId`,
      [RANGE_END, RANGE_START],
    ),
    query('SELECT id, code, validFrom FROM administrative_unit'),
  ]);
  const unitKey = new Map(groups.map((row) => [Number(row.id), `${String(row.code)}@${String(row.validFrom)}`]));
  const expectedOf = new Map(expectations.map((row) => [Number(row.groupId), Number(row.expected)]));
  const stockOf = new Map(stocks.map((row) => [`${Number(row.metricId)}|${Number(row.groupId)}`, Number(row.value)]));
  const metricById = new Map(metrics.map((metric) => [metric.id, metric]));
  const answer: Answer = new Map();
  for (const row of sums) {
    const metric = metricById.get(Number(row.metricId))!;
    const groupId = Number(row.groupId);
    const key = `${unitKey.get(groupId)}|${metric.code}`;
    // The generated reports are all communes': the per-month "coarsest level that reported" rule has one choice.
    if (answer.has(key)) throw new Error(`${key} was reported at several levels; the raw query assumes one`);
    const reported = Number(row.reported);
    const expected = expectedOf.get(groupId) ?? 0;
    const numerator = Number(row.numerator);
    const denominator = Number(row.denominator);
    let value: number | null = Number(row.value);
    let rate: { numerator: number | null; denominator: number | null } = { numerator: null, denominator: null };
    if (metric.kind === 'RATE') {
      if (Number(row.numerators) !== reported) value = reported === 1 ? value : null;
      else {
        rate = { numerator, denominator };
        value = denominator > 0 ? (100 * numerator) / denominator : null;
      }
    } else if (metric.kind === 'STOCK') {
      value = stockOf.get(`${metric.id}|${groupId}`) ?? null;
    }
    answer.set(key, {
      value,
      ...rate,
      expected,
      reported,
      complete: expected > 0 && reported >= expected,
      approximate: Number(row.approximate) === 1,
      level: String(row.level),
    });
  }
  return answer;
}

// ---------------------------------------------------------------------------------------------------------

function assertSame(actual: Answer, expected: Answer, what: string): void {
  const difference = firstDifference(Object.fromEntries([...actual].sort()), Object.fromEntries([...expected].sort()));
  if (difference) throw new Error(`${what} differ at ${difference}`);
}

async function timed<T>(rounds: number, body: () => Promise<T>): Promise<{ median: number; all: number[]; last: T }> {
  let last = await body(); // warm-up
  const all: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const started = performance.now();
    last = await body();
    all.push(performance.now() - started);
  }
  return { median: median(all), all, last };
}

interface CaseResult {
  testCase: Case;
  rows: number;
  measures: number;
  engine: number;
  graphql: number;
  raw: number;
}

export async function run(): Promise<BenchReport> {
  const database = await openAnalyticsDatabase();
  let dataSource: DataSource | undefined;
  let pool: mysql.Pool | undefined;
  let hub: HubChild | undefined;
  try {
    dataSource = createDataSource(databaseConfigFromUrl(database.url, '', POOL_SIZE));
    await dataSource.initialize();
    // The generated rows were written past the ingestion path, which maintains the rollups: rebuild them
    // (BENCH_SKIP_ROLLUP_REBUILD=1 keeps the rollups of an earlier run, for quicker reruns).
    const rebuildStarted = performance.now();
    const rebuild = process.env.BENCH_SKIP_ROLLUP_REBUILD !== '1';
    if (rebuild) await rebuildRollups(dataSource);
    const rebuildSeconds = (performance.now() - rebuildStarted) / 1000;
    const [{ rollups }] = (await dataSource.query('SELECT COUNT(*) AS rollups FROM observation_rollup')) as Array<{ rollups: number | string }>;
    const rebuilt = rebuild ? `rollups rebuilt in ${rebuildSeconds.toFixed(1)} s` : 'rollups of an earlier run kept (BENCH_SKIP_ROLLUP_REBUILD=1)';
    console.log(`${rebuilt}: ${integer(Number(rollups))} rows`);

    pool = mysql.createPool({ uri: database.mysqlUrl, connectionLimit: POOL_SIZE, timezone: 'Z', dateStrings: true });
    hub = await startHub({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(POOL_SIZE) });
    console.log(`hub pid ${hub.pid} at ${hub.baseUrl}, started in ${hub.startupSeconds.toFixed(1)} s`);
    const logOffset = hub.stdout().length;

    const index = await periodIndexName(pool);
    const results: CaseResult[] = [];
    for (const testCase of CASES) {
      const engineRequest = request(database.metrics, testCase.level, testCase.edition);
      const engine = await timed(ROUNDS, () => runAggregate(dataSource!, engineRequest));
      const engineAnswer = fromEngine(engine.last);
      const viaGraphQL = await timed(ROUNDS, () => fromGraphQL(hub!.graphqlUrl, database.metrics, testCase));
      const raw = await timed(RAW_ROUNDS, () => fromRawSql(pool!, database.metrics, testCase, index));
      if (engineAnswer.size === 0) throw new Error(`${testCase.label}: the engine answered nothing`);
      assertSame(engineAnswer, raw.last, `${testCase.label}: rollup (engine) and raw-SQL answers`);
      assertSame(viaGraphQL.last, engineAnswer, `${testCase.label}: GraphQL and engine answers`);
      const result = {
        testCase,
        rows: engine.last.rows.length,
        measures: engineAnswer.size,
        engine: engine.median,
        graphql: viaGraphQL.median,
        raw: raw.median,
      };
      console.log(
        `${testCase.label}: ${result.rows} rows, ${integer(result.measures)} measures identical; engine ${ms(result.engine)} ms, ` +
          `GraphQL ${ms(result.graphql)} ms, raw SQL ${ms(result.raw)} ms`,
      );
      results.push(result);
    }
    const problems = hub.problems(logOffset);

    const markdown = [
      `${database.version}, database ${database.name}: ${integer(database.rows)} observations (${database.communes} communes × ` +
        `${database.metrics.length} daily metrics × 2021–2025)` +
        `${database.generatedSeconds === null ? ', reused' : `, generated in ${database.generatedSeconds.toFixed(1)} s`}; ` +
        `${rebuilt} (${integer(Number(rollups))} month rows). ` +
        `Aggregate of the ${database.metrics.length} metrics over ${FROM}…${TO}; medians of ${ROUNDS} rounds (raw SQL: ${RAW_ROUNDS}) after a warm-up; ` +
        'every measure (value, numerator, denominator, expected, reported, complete, approximate, level) identical in the three answers.',
      '',
      '| 12-month aggregate | rows × measures | engine (rollups) ms | GraphQL `aggregate` ms | raw SQL over observation ms | raw / engine | raw / GraphQL |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (result) =>
          `| ${result.testCase.label} | ${result.rows} × ${database.metrics.length} | ${ms(result.engine)} | ${ms(result.graphql)} | ${ms(result.raw)} | ` +
          `**${(result.raw / result.engine).toFixed(1)}×** | ${(result.raw / result.graphql).toFixed(1)}× |`,
      ),
      '',
      `Hub log lines at warn or above while measured: ${summariseProblems(problems)}.`,
    ].join('\n');
    const goals = results.map((result) => ({
      label: `${result.testCase.label}: rollups ${(result.raw / result.engine).toFixed(1)}× faster than the raw scan (GraphQL ${(result.raw / result.graphql).toFixed(1)}×; goal ≥ ${GOAL_RATIO}×)`,
      met: result.raw / result.engine >= GOAL_RATIO && result.raw / result.graphql >= GOAL_RATIO,
    }));
    return { markdown, goals };
  } finally {
    await hub?.stop();
    await pool?.end();
    if (dataSource?.isInitialized) await dataSource.destroy();
  }
}
