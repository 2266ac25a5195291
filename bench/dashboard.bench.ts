/**
 * The dashboard over ten million observations: one GraphQL operation made of the two example operations
 * (schema/examples/ProgramOverview + PilotModels: the programme's counts and task groups, then the models in
 * progress with their departments, groups and each metric's latest value), sent to a hub process on the
 * benchmark database of bench/analytics-data.ts, against the hand-written SQL that produces the same answer,
 * run with mysql2 directly on a pool of the hub's size (DATABASE_POOL_SIZE, default 10).
 *
 * Both answers are compared number by number (cursors aside: they are opaque) before and after the timing.
 * Requests run one at a time, GraphQL and SQL alternating, after a warm-up; medians and p90 are reported.
 * BENCH_DASHBOARD_ITERATIONS (default 200) and BENCH_DASHBOARD_WARM_UP (default 20) change the counts.
 */
import fs from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { todayIn } from '../src/common/clock';
import { toGlobalId } from '../src/graphql/node-id';
import { openAnalyticsDatabase } from './analytics-data';
import type { BenchReport } from './run';
import { startHub, summariseProblems, type HubChild } from './hub';
import { BENCH_HEADERS, firstDifference, integer, median, ms, ROOT } from './support';

const ITERATIONS = Math.max(1, Number(process.env.BENCH_DASHBOARD_ITERATIONS ?? 200));
const WARM_UP = Math.max(0, Number(process.env.BENCH_DASHBOARD_WARM_UP ?? 20));
const POOL_SIZE = Math.max(1, Number(process.env.DATABASE_POOL_SIZE ?? 10));
const TIME_ZONE = 'Asia/Ho_Chi_Minh';
const GOAL_RATIO = 1.3;

/** The selection set of an example operation (`query Name { … }`), without its outer braces. */
function exampleSelection(operation: string): string {
  const text = fs.readFileSync(path.join(ROOT, 'schema', 'examples', `${operation}.graphql`), 'utf8').trim();
  const match = new RegExp(`^query ${operation}\\s*\\{([\\s\\S]*)\\}$`).exec(text);
  if (!match) throw new Error(`schema/examples/${operation}.graphql is not a single "query ${operation} { … }"`);
  return match[1];
}

export const DASHBOARD_QUERY = `query Dashboard {${exampleSelection('ProgramOverview')}${exampleSelection('PilotModels')}}`;

// ---------------------------------------------------------------------------------------------------------
// The answer, as the operation shapes it.

interface Counts {
  total: number;
  completed: number;
  inProgress: number;
  notStarted: number;
  overdue?: number;
}

interface MetricAnswer {
  id: string;
  code: string;
  name: string;
  unit: string;
  kind: string;
  frequency: string;
  target: number | null;
  latest: { period: string; value: number | null } | null;
}

interface ModelAnswer {
  id: string;
  code: string;
  name: string;
  nameVi: string;
  status: string;
  deadline: string;
  overdue: boolean;
  responsiblePerson: string;
  leadDepartment: { id: string; code: string; name: string };
  taskGroup: { id: string; code: string; name: string };
  metrics: MetricAnswer[];
}

interface DashboardAnswer {
  program: {
    code: string;
    name: string;
    pilotModelCounts: Counts;
    taskCounts: Counts;
    taskGroups: Array<{ code: string; name: string; tasks: { totalCount: number } }>;
  };
  pilotModels: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor?: string | null };
    edges: Array<{ cursor?: string; node: ModelAnswer }>;
  };
}

// ---------------------------------------------------------------------------------------------------------
// The hand-written SQL: four statements at once on the pool, then the latest values.

const PAGE = 50;

/** Status and overdue counts of models and tasks per status, for the programme. */
const COUNTS_SQL = `
  SELECT p.code, p.name, c.what, c.status, c.total, c.overdue
  FROM program p
  LEFT JOIN (
    SELECT 'model' AS what, g.programId, i.status, COUNT(*) AS total, SUM(i.status <> 'COMPLETED' AND i.deadline < ?) AS overdue
    FROM pilot_model i JOIN task_group g ON g.id = i.taskGroupId GROUP BY g.programId, i.status
    UNION ALL
    SELECT 'task', g.programId, i.status, COUNT(*), SUM(i.status <> 'COMPLETED' AND i.deadline < ?)
    FROM task i JOIN task_group g ON g.id = i.taskGroupId GROUP BY g.programId, i.status
  ) c ON c.programId = p.id
  WHERE p.code = 'DA06'`;

const TASK_GROUPS_SQL = `
  SELECT g.code, g.name, COUNT(t.id) AS tasks
  FROM task_group g JOIN program p ON p.id = g.programId LEFT JOIN task t ON t.taskGroupId = g.id
  WHERE p.code = 'DA06'
  GROUP BY g.id, g.code, g.name, g.number
  ORDER BY g.number`;

/** The first page of models in progress (one more row tells whether a next page exists), with the total. */
const MODELS_SQL = `
  SELECT m.id, m.code, m.name, m.nameVi, m.status, m.deadline, m.status <> 'COMPLETED' AND m.deadline < ? AS overdue,
         m.responsiblePerson, d.id AS departmentId, d.code AS departmentCode, d.name AS departmentName, g.id AS groupId, g.code AS groupCode, g.name AS groupName,
         COUNT(*) OVER () AS totalCount
  FROM pilot_model m JOIN department d ON d.id = m.leadDepartmentId JOIN task_group g ON g.id = m.taskGroupId
  WHERE m.status = 'IN_PROGRESS'
  ORDER BY m.code
  LIMIT ${PAGE + 1}`;

/** The metrics of those models. */
const METRICS_SQL = `
  SELECT m.id, m.pilotModelId, m.code, m.name, m.unit, m.kind, m.frequency, m.targetValue
  FROM metric m JOIN (SELECT id FROM pilot_model WHERE status = 'IN_PROGRESS' ORDER BY code LIMIT ${PAGE}) page ON page.id = m.pilotModelId
  ORDER BY m.pilotModelId, m.code`;

/**
 * Their latest values: per metric the latest period start (a loose index scan of (metricId, periodStart)), the
 * sums of that period per unit level, the coarsest level kept, a RATE as Σ numerator / Σ denominator × 100.
 */
const LATEST_SQL = `
  WITH sums AS (
    SELECT o.metricId, o.period, u.level, SUM(o.value) AS value, SUM(o.numerator) AS numerator, SUM(o.denominator) AS denominator,
           COUNT(*) AS units, COUNT(o.numerator) AS withNumerator,
           ROW_NUMBER() OVER (PARTITION BY o.metricId ORDER BY FIELD(u.level, 'PROVINCE', 'DISTRICT', 'COMMUNE')) AS coarseness
    FROM (SELECT metricId, MAX(periodStart) AS periodStart FROM observation WHERE metricId IN (?) GROUP BY metricId) latest
    JOIN observation o ON o.metricId = latest.metricId AND o.periodStart = latest.periodStart
    JOIN administrative_unit u ON u.id = o.unitId
    GROUP BY o.metricId, o.period, u.level
  )
  SELECT s.metricId, s.period,
         CASE WHEN m.kind <> 'RATE' THEN s.value
              WHEN s.units = 1 AND s.withNumerator = 0 THEN s.value
              WHEN s.withNumerator = s.units AND s.denominator <> 0 THEN 100 * s.numerator / s.denominator
         END AS value
  FROM sums s JOIN metric m ON m.id = s.metricId
  WHERE s.coarseness = 1`;

type Row = Record<string, unknown>;

async function handWrittenAnswer(pool: mysql.Pool, today: string): Promise<DashboardAnswer> {
  const query = async (sql: string, values: unknown[] = []) => (await pool.query(sql, values))[0] as Row[];
  // The metrics' latest values follow as soon as the metrics are known; the rest runs alongside.
  const metricsWithLatest = query(METRICS_SQL).then(async (metrics) => {
    const latest = metrics.length === 0 ? [] : await query(LATEST_SQL, [metrics.map((metric) => metric.id)]);
    return { metrics, latest: new Map(latest.map((row) => [Number(row.metricId), row])) };
  });
  const [counts, groups, models, { metrics, latest }] = await Promise.all([
    query(COUNTS_SQL, [today, today]),
    query(TASK_GROUPS_SQL),
    query(MODELS_SQL, [today]),
    metricsWithLatest,
  ]);
  const tally = (what: string, withOverdue: boolean): Counts => {
    const result: Counts = { total: 0, completed: 0, inProgress: 0, notStarted: 0, ...(withOverdue ? { overdue: 0 } : {}) };
    for (const row of counts.filter((candidate) => candidate.what === what)) {
      const total = Number(row.total);
      result.total += total;
      if (withOverdue) result.overdue! += Number(row.overdue);
      if (row.status === 'COMPLETED') result.completed += total;
      else if (row.status === 'IN_PROGRESS') result.inProgress += total;
      else result.notStarted += total;
    }
    return result;
  };
  const metricsByModel = new Map<number, MetricAnswer[]>();
  for (const row of metrics) {
    const point = latest.get(Number(row.id));
    const list = metricsByModel.get(Number(row.pilotModelId)) ?? [];
    list.push({
      id: toGlobalId('Metric', Number(row.id)),
      code: String(row.code),
      name: String(row.name),
      unit: String(row.unit),
      kind: String(row.kind),
      frequency: String(row.frequency),
      target: row.targetValue == null ? null : Number(row.targetValue),
      latest: point ? { period: String(point.period), value: point.value == null ? null : Number(point.value) } : null,
    });
    metricsByModel.set(Number(row.pilotModelId), list);
  }
  return {
    program: {
      code: String(counts[0].code),
      name: String(counts[0].name),
      pilotModelCounts: tally('model', false),
      taskCounts: tally('task', true),
      taskGroups: groups.map((row) => ({ code: String(row.code), name: String(row.name), tasks: { totalCount: Number(row.tasks) } })),
    },
    pilotModels: {
      totalCount: models.length > 0 ? Number(models[0].totalCount) : 0,
      pageInfo: { hasNextPage: models.length > PAGE },
      edges: models.slice(0, PAGE).map((row) => ({
        node: {
          id: toGlobalId('PilotModel', Number(row.id)),
          code: String(row.code),
          name: String(row.name),
          nameVi: String(row.nameVi),
          status: String(row.status),
          deadline: String(row.deadline),
          overdue: Number(row.overdue) === 1,
          responsiblePerson: String(row.responsiblePerson),
          leadDepartment: { id: toGlobalId('Department', Number(row.departmentId)), code: String(row.departmentCode), name: String(row.departmentName) },
          taskGroup: { id: toGlobalId('TaskGroup', Number(row.groupId)), code: String(row.groupCode), name: String(row.groupName) },
          metrics: metricsByModel.get(Number(row.id)) ?? [],
        },
      })),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Comparison.

/** The GraphQL answer without what SQL cannot reproduce: the opaque cursors. */
function withoutCursors(answer: DashboardAnswer): DashboardAnswer {
  return {
    ...answer,
    pilotModels: {
      ...answer.pilotModels,
      pageInfo: { hasNextPage: answer.pilotModels.pageInfo.hasNextPage },
      edges: answer.pilotModels.edges.map(({ node }) => ({ node })),
    },
  };
}

async function graphqlAnswer(url: string, body: string): Promise<DashboardAnswer> {
  const response = await fetch(url, { method: 'POST', headers: { ...BENCH_HEADERS, 'content-type': 'application/json' }, body });
  const answer = (await response.json()) as { data?: DashboardAnswer; errors?: unknown[] };
  if (!response.ok || answer.errors?.length || !answer.data) throw new Error(`Dashboard failed: HTTP ${response.status} ${JSON.stringify(answer.errors ?? answer)}`);
  return answer.data;
}

function assertSame(graphql: DashboardAnswer, sql: DashboardAnswer, when: string): void {
  const difference = firstDifference(withoutCursors(graphql), sql);
  if (difference) throw new Error(`GraphQL and hand-written SQL answers differ (${when}) at ${difference}`);
}

/** CPU time (user + system) a process has used so far, in ms (from /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  // After "pid (comm) ": state is field 3, utime field 14 and stime field 15 of the full line.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const percentile = (values: number[], fraction: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
};

export async function run(): Promise<BenchReport> {
  const database = await openAnalyticsDatabase();
  let hub: HubChild | undefined;
  let pool: mysql.Pool | undefined;
  try {
    hub = await startHub({ DATABASE_URL: database.url, DATABASE_POOL_SIZE: String(POOL_SIZE), TIME_ZONE });
    console.log(`hub pid ${hub.pid} at ${hub.baseUrl}, started in ${hub.startupSeconds.toFixed(1)} s`);
    pool = mysql.createPool({ uri: database.mysqlUrl, connectionLimit: POOL_SIZE, timezone: 'Z', dateStrings: true });
    const body = JSON.stringify({ query: DASHBOARD_QUERY, operationName: 'Dashboard' });
    const today = () => todayIn(TIME_ZONE);

    const first = await graphqlAnswer(hub.graphqlUrl, body);
    assertSame(first, await handWrittenAnswer(pool, today()), 'first request');
    const models = first.pilotModels.edges.length;
    const metrics = first.pilotModels.edges.reduce((sum, edge) => sum + edge.node.metrics.length, 0);
    const withValues = first.pilotModels.edges.reduce((sum, edge) => sum + edge.node.metrics.filter((metric) => metric.latest).length, 0);
    const logOffset = hub.stdout().length;

    const graphqlTimes: number[] = [];
    const sqlTimes: number[] = [];
    const floorTimes: number[] = [];
    const floorBody = JSON.stringify({ query: '{ __typename }' });
    let last: { graphql: DashboardAnswer; sql: DashboardAnswer } | undefined;
    for (let index = 0; index < WARM_UP + ITERATIONS; index += 1) {
      let started = performance.now();
      const graphql = await graphqlAnswer(hub.graphqlUrl, body);
      const graphqlMs = performance.now() - started;
      started = performance.now();
      const sql = await handWrittenAnswer(pool, today());
      const sqlMs = performance.now() - started;
      started = performance.now();
      await (await fetch(hub.graphqlUrl, { method: 'POST', headers: { ...BENCH_HEADERS, 'content-type': 'application/json' }, body: floorBody })).text();
      const floorMs = performance.now() - started;
      if (index >= WARM_UP) {
        graphqlTimes.push(graphqlMs);
        sqlTimes.push(sqlMs);
        floorTimes.push(floorMs);
      }
      last = { graphql, sql };
    }
    assertSame(last!.graphql, last!.sql, 'last request');
    // The hub's own CPU per dashboard request, measured on requests sent alone.
    const cpuBefore = cpuMs(hub.pid);
    const cpuRequests = 100;
    for (let index = 0; index < cpuRequests; index += 1) await graphqlAnswer(hub.graphqlUrl, body);
    const hubCpuPerRequest = (cpuMs(hub.pid) - cpuBefore) / cpuRequests;
    const problems = hub.problems(logOffset);

    const graphqlMedian = median(graphqlTimes);
    const sqlMedian = median(sqlTimes);
    const ratio = graphqlMedian / sqlMedian;
    const markdown = [
      `${database.version}, database ${database.name}: ${integer(database.rows)} generated observations ` +
        `(${database.communes} communes × ${database.metrics.length} daily metrics × 2021–2025)` +
        `${database.generatedSeconds === null ? ', reused' : `, generated in ${database.generatedSeconds.toFixed(1)} s`}. ` +
        `Operation "Dashboard" = ProgramOverview + PilotModels (schema/examples): ${models} models, ${metrics} metrics ` +
        `(${withValues} with a latest value). ${ITERATIONS} sequential requests each after ${WARM_UP} warm-up, alternating; ` +
        `pool of ${POOL_SIZE} connections on both sides; answers compared number by number (cursors aside): identical.`,
      '',
      '| dashboard | median ms | p90 ms | max ms |',
      '|---|---:|---:|---:|',
      `| hand-written SQL (mysql2: 4 statements in parallel, then 1) | ${ms(sqlMedian)} | ${ms(percentile(sqlTimes, 0.9))} | ${ms(Math.max(...sqlTimes))} |`,
      `| GraphQL over HTTP (hub process) | ${ms(graphqlMedian)} | ${ms(percentile(graphqlTimes, 0.9))} | ${ms(Math.max(...graphqlTimes))} |`,
      `| (floor: \`{ __typename }\` over HTTP) | ${ms(median(floorTimes))} | ${ms(percentile(floorTimes, 0.9))} | ${ms(Math.max(...floorTimes))} |`,
      '',
      `Hub CPU per dashboard request: ${ms(hubCpuPerRequest)} ms (user + system, ${cpuRequests} requests).`,
      '',
      `GraphQL median / SQL median: **${ratio.toFixed(2)}×** (goal ≤ ${GOAL_RATIO}). Hub log lines at warn or above while measured: ${summariseProblems(problems)}.`,
    ].join('\n');
    return {
      markdown,
      goals: [{ label: `Dashboard GraphQL median ${ms(graphqlMedian)} ms = ${ratio.toFixed(2)}× hand-written SQL ${ms(sqlMedian)} ms (goal ≤ ${GOAL_RATIO}×)`, met: ratio <= GOAL_RATIO }],
    };
  } finally {
    await pool?.end();
    await hub?.stop();
  }
}
