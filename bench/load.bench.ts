/**
 * HTTP load on the hub as deployed: its entry point (src/main.ts) runs as a child process with production
 * settings, on a scratch MariaDB/MySQL database and on a scratch embedded SQLite file; after a realistic
 * ingestion (the four demo connectors backfilled from the feed simulator from LOAD_BACKFILL_FROM, default
 * 2024-01-01 as in demo mode, to yesterday, then disabled), autocannon sends
 * LOAD_CONNECTIONS (default 50) concurrent connections for LOAD_SECONDS (default 60) at each target in turn:
 *   (a) GET /healthz, the bare endpoint (no database, no credentials);
 *   (b) POST /graphql `{ __typename }` with the API key: the fixed cost of an authenticated operation
 *       (API-key check, logging, limits, rate limit, audit plugin, Apollo); goal ≥ 0.5 × the req/s of (a);
 *   (c) POST /graphql ProgramOverview (schema/examples);
 *   (d) POST /graphql PilotModels (schema/examples; metrics with their latest values).
 * Every GraphQL response body is checked for `errors` during the load, and 200 sequential requests of each
 * operation are checked again afterwards. The hub's RSS is sampled every second of each phase.
 *
 * BENCH_DATABASE_URL (default mariadb://root@127.0.0.1:3306) names the server; the benchmark creates and drops
 * its own scratch database pilothub_load_<pid> there, and its SQLite file in a temporary directory.
 * BENCH_LOAD_DATABASES=server or =sqlite runs one database only (default: both, server first).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoConnectors } from '../src/demo/demo-connectors';
import { DEMO_HISTORY_FROM } from '../src/demo/demo-mode';
import type { BenchReport } from './run';
import { startHub, summariseProblems, type HubChild } from './hub';
import { backfillConnector, checkSequentially, createScratchDatabase, exampleOperationBody, graphql, hasNoGraphQLErrors, heapMiB, integer, load, mib, ms, onInterrupt, registerConnector, rssMiB, sampleRss, setConnectorEnabled, sleep, startSimulatorWorker, summariseStderr, yesterdayUtc, type HeapFigures, type LoadFigures, type RssFigures, type ScratchDatabase, type SimulatorHandle } from './support';

const SECONDS = Math.max(1, Number(process.env.LOAD_SECONDS ?? 60));
const CONNECTIONS = Math.max(1, Number(process.env.LOAD_CONNECTIONS ?? 50));
/** First day the demo connectors backfill (default: demo mode's history, 2024-01-01). */
const BACKFILL_FROM = process.env.LOAD_BACKFILL_FROM || DEMO_HISTORY_FROM;
const SEQUENTIAL_CHECKS = 200;
/** Idle time after the last phase before the last memory reading. */
const IDLE_SECONDS = 10;
/** RSS "after warm-up" is the sample this many seconds into a phase. */
const WARM_UP_SECONDS = Math.min(10, Math.max(2, Math.round(SECONDS / 6)));

/** `{ __typename }` must serve at least this share of /healthz's requests per second. */
const TYPENAME_GOAL = 0.5;
/** A hub compiles its sources at start: minutes on a busy machine. */
const HUB_START_TIMEOUT_MS = 600_000;
/**
 * The ratio of (b) to (a) is also measured in alternating slices (LOAD_PAIR_ROUNDS rounds of LOAD_PAIR_SLICE_SECONDS
 * each on (a) then on (b)), so a change of the machine's load between two long phases does not decide it.
 */
const PAIR_ROUNDS = Math.max(1, Number(process.env.LOAD_PAIR_ROUNDS ?? 4));
const PAIR_SLICE_SECONDS = Math.max(1, Number(process.env.LOAD_PAIR_SLICE_SECONDS ?? 5));
/**
 * LOAD_RATE_LIMITS=on measures the per-caller rate limits too, with allowances the load never reaches (their
 * counters in the default store: the database on MariaDB, memory on SQLite); by default they are off.
 */
const RATE_LIMITS: Record<string, string> = process.env.LOAD_RATE_LIMITS === 'on' ? { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000' } : {};
const DATABASES = (process.env.BENCH_LOAD_DATABASES ?? 'server,sqlite')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is 'server' | 'sqlite' => name === 'server' || name === 'sqlite');

interface Target {
  label: string;
  method: 'GET' | 'POST';
  path: string;
  /** An operation of schema/examples (file name = operation name). */
  operation?: string;
  /** Or a query sent as it is. */
  query?: string;
}

const TARGETS: Target[] = [
  { label: '(a) GET /healthz', method: 'GET', path: '/healthz' },
  { label: '(b) `{ __typename }`', method: 'POST', path: '/graphql', query: '{ __typename }' },
  { label: '(c) ProgramOverview', method: 'POST', path: '/graphql', operation: 'ProgramOverview' },
  { label: '(d) PilotModels', method: 'POST', path: '/graphql', operation: 'PilotModels' },
];

/** The POST /graphql body of a target; undefined for GET targets. */
function bodyOf(target: Target): string | undefined {
  if (target.operation) return exampleOperationBody(target.operation);
  return target.query ? JSON.stringify({ query: target.query }) : undefined;
}

interface PhaseResult {
  target: Target;
  figures: LoadFigures;
  rss: RssFigures;
  heap: HeapFigures;
  sequential?: Awaited<ReturnType<typeof checkSequentially>>;
  problems: string;
  problemCount: number;
}

/** The demo connectors, backfilled from BACKFILL_FROM to yesterday, then disabled so no run disturbs the load. */
async function ingestDemoData(hub: HubChild, simulator: SimulatorHandle): Promise<{ lines: string[]; rows: number; seconds: number }> {
  const started = performance.now();
  const to = yesterdayUtc();
  const from = BACKFILL_FROM;
  const lines: string[] = [];
  let rows = 0;
  for (const definition of demoConnectors(simulator.url)) {
    const id = await registerConnector(hub.graphqlUrl, { ...definition });
    const run = await backfillConnector(hub.graphqlUrl, id, from, to);
    await setConnectorEnabled(hub.graphqlUrl, id, false);
    if (run.status !== 'SUCCEEDED') throw new Error(`backfill of "${definition.name}" ended ${run.status}: ${run.errorMessage}`);
    rows += run.summary.imported + run.summary.updated;
    lines.push(`${definition.name}: ${integer(run.summary.imported)} values in ${((run.durationMs ?? 0) / 1000).toFixed(1)} s`);
  }
  return { lines, rows, seconds: (performance.now() - started) / 1000 };
}

async function phase(hub: HubChild, target: Target): Promise<PhaseResult> {
  const body = bodyOf(target);
  const logOffset = hub.stdout().length;
  const sampler = sampleRss(hub.pid, WARM_UP_SECONDS);
  let figures: LoadFigures;
  let rss: RssFigures;
  try {
    figures = await load(target.label, {
      url: `${hub.baseUrl}${target.path}`,
      connections: CONNECTIONS,
      seconds: SECONDS,
      method: target.method,
      body,
      verifyBody: body ? hasNoGraphQLErrors : (response) => String(response ?? '').includes('"ok"'),
    });
  } finally {
    rss = sampler.stop();
  }
  const heap = await heapMiB(hub.baseUrl);
  const sequential = body ? await checkSequentially(hub.graphqlUrl, body, SEQUENTIAL_CHECKS) : undefined;
  const problems = hub.problems(logOffset);
  console.log(
    `${target.label}: ${integer(figures.requestsPerSecond)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, ` +
      `non-2xx ${figures.non2xx}, errors ${figures.errors}, body check failures ${figures.mismatches}, RSS ${mib(rss.start)} → ${mib(rss.end)} MiB`,
  );
  return { target, figures, rss, heap, sequential, problems: summariseProblems(problems), problemCount: problems.length };
}

/** The hub's database: a scratch database on the server, or a scratch SQLite file. */
interface LoadDatabase {
  label: string;
  environment: Record<string, string>;
  drop(): Promise<void>;
}

async function openDatabase(kind: 'server' | 'sqlite'): Promise<LoadDatabase> {
  if (kind === 'server') {
    const scratch: ScratchDatabase = await createScratchDatabase('pilothub_load');
    return { label: scratch.version, environment: { DATABASE_URL: scratch.url }, drop: () => scratch.drop() };
  }
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-load-'));
  const drop = async () => {
    unregister();
    fs.rmSync(directory, { recursive: true, force: true });
  };
  const unregister = onInterrupt(drop);
  return { label: 'SQLite (embedded file)', environment: { SQLITE_PATH: path.join(directory, 'pilothub.sqlite') }, drop };
}

/** CPU time (user + system) a process has used so far, in ms (from /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

interface PairFigures {
  healthz: number;
  typename: number;
  ratio: number;
  slices: number[];
  /** Hub CPU ms per request of each, and the ratio they predict for a hub limited by its CPU (healthz / typename). */
  cpuPerRequest: { healthz: number; typename: number; ratio: number };
}

/**
 * (a) and (b) in alternating slices: requests per second of each over all its slices, and their ratio; and the
 * hub's CPU time per request of each (on a machine shared with other work, the ratio of those is the steadier figure).
 */
async function alternatingPair(hub: HubChild): Promise<PairFigures> {
  const [healthzTarget, typenameTarget] = TARGETS;
  const body = bodyOf(typenameTarget);
  const totals = { healthz: 0, typename: 0 };
  const cpu = { healthz: 0, typename: 0 };
  const slices: number[] = [];
  for (let round = 0; round < PAIR_ROUNDS; round += 1) {
    let before = cpuMs(hub.pid);
    const healthz = await load(healthzTarget.label, { url: `${hub.baseUrl}${healthzTarget.path}`, connections: CONNECTIONS, seconds: PAIR_SLICE_SECONDS });
    cpu.healthz += cpuMs(hub.pid) - before;
    before = cpuMs(hub.pid);
    const typename = await load(typenameTarget.label, {
      url: `${hub.baseUrl}${typenameTarget.path}`,
      connections: CONNECTIONS,
      seconds: PAIR_SLICE_SECONDS,
      method: 'POST',
      body,
      verifyBody: hasNoGraphQLErrors,
    });
    cpu.typename += cpuMs(hub.pid) - before;
    if (typename.non2xx || typename.errors || typename.mismatches) throw new Error(`${typenameTarget.label} failed during the alternating rounds`);
    totals.healthz += healthz.requests;
    totals.typename += typename.requests;
    slices.push(typename.requestsPerSecond / healthz.requestsPerSecond);
  }
  const seconds = PAIR_ROUNDS * PAIR_SLICE_SECONDS;
  const cpuPerRequest = { healthz: cpu.healthz / totals.healthz, typename: cpu.typename / totals.typename, ratio: 0 };
  cpuPerRequest.ratio = cpuPerRequest.healthz / cpuPerRequest.typename;
  const result = { healthz: totals.healthz / seconds, typename: totals.typename / seconds, ratio: totals.typename / totals.healthz, slices, cpuPerRequest };
  console.log(
    `alternating: { __typename } ${integer(result.typename)} req/s, /healthz ${integer(result.healthz)} req/s, ratio ${result.ratio.toFixed(2)}; ` +
      `hub CPU per request ${cpuPerRequest.typename.toFixed(3)} / ${cpuPerRequest.healthz.toFixed(3)} ms, ratio ${cpuPerRequest.ratio.toFixed(2)}`,
  );
  return result;
}

export async function run(): Promise<BenchReport> {
  const markdown: string[] = [];
  const goals: NonNullable<BenchReport['goals']> = [];
  for (const kind of DATABASES) {
    console.log(`\n## ${kind}\n`);
    const report = await runOn(kind);
    markdown.push(report.markdown);
    goals.push(...(report.goals ?? []).map((goal) => ({ ...goal, label: `${kind}: ${goal.label}` })));
  }
  return { markdown: markdown.join('\n\n'), goals };
}

async function runOn(kind: 'server' | 'sqlite'): Promise<BenchReport> {
  let database: LoadDatabase | undefined;
  let simulator: SimulatorHandle | undefined;
  let hub: HubChild | undefined;
  let stopped: Awaited<ReturnType<HubChild['stop']>> | undefined;
  try {
    database = await openDatabase(kind);
    simulator = await startSimulatorWorker();
    // The backfill runs through runConnector(wait: true): on a busy machine it outlasts the default 30 s deadline.
    // A production hub stores connector secrets only with SECRETS_KEYS (a fresh key for each run).
    hub = await startHub(
      { ...database.environment, ...RATE_LIMITS, GRAPHQL_TIMEOUT_SECONDS: '600', SECRETS_KEYS: `bench:${randomBytes(32).toString('base64')}` },
      HUB_START_TIMEOUT_MS,
    );
    console.log(`hub pid ${hub.pid} at ${hub.baseUrl}, started in ${hub.startupSeconds.toFixed(1)} s`);
    const ingestion = await ingestDemoData(hub, simulator);
    await simulator.close();
    console.log(`ingested ${integer(ingestion.rows)} values in ${ingestion.seconds.toFixed(1)} s`);
    const count = (await graphql<{ metrics: { totalCount: number } }>(hub.graphqlUrl, '{ metrics(first: 0) { totalCount } }')).metrics.totalCount;
    // Each operation once before the load: it must answer with data.
    for (const target of TARGETS) {
      const body = bodyOf(target);
      if (!body) continue;
      const check = await checkSequentially(hub.graphqlUrl, body, 1);
      if (check.graphqlErrors || check.non2xx) throw new Error(`${target.label} fails before the load: ${check.firstError}`);
    }
    const setupProblems = hub.problems();

    const results: PhaseResult[] = [];
    for (const target of TARGETS) {
      results.push(await phase(hub, target));
      await sleep(2_000);
    }
    const pair = await alternatingPair(hub);
    await sleep(IDLE_SECONDS * 1000);
    const idle = { rss: rssMiB(hub.pid) ?? NaN, heap: await heapMiB(hub.baseUrl) };
    const stderr = hub.stderr().trim();
    stopped = await hub.stop();

    const healthz = results[0].figures;
    const typename = results[1].figures;
    const phaseRatio = typename.requestsPerSecond / healthz.requestsPerSecond;
    const typenameRatio = pair.ratio;
    const row = ({ target, figures, sequential }: PhaseResult) =>
      `| ${target.label} | ${integer(figures.requestsPerSecond)} | ${ms(figures.p50)} | ${ms(figures.p90)} | ${ms(figures.p99)} | ${ms(figures.max)} | ` +
      `${figures.non2xx} | ${figures.errors} | ${figures.timeouts} | ` +
      `${sequential ? `${figures.mismatches} of ${integer(figures.requests)}; ${sequential!.graphqlErrors} of ${sequential!.count}` : '–'} |`;
    const memoryRow = ({ target, rss, heap }: PhaseResult) =>
      `| ${target.label} | ${mib(rss.start)} | ${mib(rss.afterWarmUp)} | ${mib(rss.end)} | ${mib(rss.max)} | ${rss.stable ? 'stable' : '**growing**'} | ` +
      `${mib(heap.heapUsed)} / ${mib(heap.heapTotal)} | ${mib(heap.external)} |`;
    const markdown = [
      `${CONNECTIONS} connections × ${SECONDS} s per target (autocannon 8), hub child process (NODE_ENV=production, LOG_LEVEL=warn) ` +
        `on ${database.label}, ${count} metrics; before the load the 4 demo connectors ingested ${integer(ingestion.rows)} values ` +
        `(${BACKFILL_FROM} to yesterday, as demo mode does) in ${ingestion.seconds.toFixed(1)} s. Latencies in ms (autocannon's 1 ms resolution).`,
      '',
      `Ingestion: ${ingestion.lines.join('; ')}.`,
      '',
      '| target | req/s | p50 | p90 | p99 | max | non-2xx | errors | timeouts | GraphQL errors (under load; sequential) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...results.map(row),
      '',
      `\`{ __typename }\` with the API key serves **${typenameRatio.toFixed(2)}×** the requests per second of GET /healthz ` +
        `in ${PAIR_ROUNDS} alternating rounds of ${PAIR_SLICE_SECONDS} s each (${integer(pair.typename)} / ${integer(pair.healthz)} req/s; ` +
        `slice ratios ${pair.slices.map((ratio) => ratio.toFixed(2)).join(', ')}; goal ≥ ${TYPENAME_GOAL}), ${phaseRatio.toFixed(2)}× between the phases above; ` +
        `hub CPU per request ${pair.cpuPerRequest.typename.toFixed(3)} ms against ${pair.cpuPerRequest.healthz.toFixed(3)} ms ` +
        `(**${pair.cpuPerRequest.ratio.toFixed(2)}×** the requests per CPU second). p50 next to the bare endpoint: \`{ __typename }\` ${ms(typename.p50)} ms, ` +
        `ProgramOverview ${ms(results[2].figures.p50)} ms, PilotModels ${ms(results[3].figures.p50)} ms, GET /healthz ${ms(healthz.p50)} ms.`,
      '',
      `Hub RSS (MiB, sampled every second; "after warm-up" = ${WARM_UP_SECONDS} s into the phase; stable = end ≤ 1.5 × after warm-up):`,
      '',
      '| target | start | after warm-up | end | max | memory | V8 heap used / total at end | external at end |',
      '|---|---:|---:|---:|---:|---|---:|---:|',
      ...results.map(memoryRow),
      '',
      `Across the four phases: ${mib(results[0].rss.start)} MiB before (a), ${mib(results.at(-1)!.rss.end)} MiB after (d), ` +
        `${mib(Math.max(...results.map((result) => result.rss.max)))} MiB at most; ${IDLE_SECONDS} s idle after (d): ` +
        `RSS ${mib(idle.rss)} MiB, V8 heap used ${mib(idle.heap.heapUsed)} MiB, external ${mib(idle.heap.external)} MiB.`,
      '',
      'Hub log lines at warn or above:',
      '',
      `- setup (start, seed, ingestion): ${summariseProblems(setupProblems)}`,
      ...results.map((result) => `- ${result.target.label}: ${result.problems}`),
      `- stderr: ${summariseStderr(stderr)}`,
      `- shutdown: ${stopped.killed ? 'SIGKILL after 10 s' : `exit code ${stopped.code} ${stopped.signal ?? ''}`.trim()} in ${stopped.seconds.toFixed(1)} s`,
    ].join('\n');

    const goals: NonNullable<BenchReport['goals']> = [
      {
        label: `{ __typename } ${integer(pair.typename)} req/s = ${typenameRatio.toFixed(2)}× GET /healthz ${integer(pair.healthz)} req/s, alternating (goal ≥ ${TYPENAME_GOAL}×)`,
        met: typenameRatio >= TYPENAME_GOAL,
      },
    ];
    for (const { target, figures, sequential, rss } of results) {
      const failures = figures.errors + figures.non2xx + figures.timeouts;
      goals.push({ label: `${target.label}: ${failures} errors/non-2xx/timeouts (goal 0)`, met: failures === 0 });
      if (sequential) {
        const graphqlErrors = figures.mismatches + sequential.graphqlErrors;
        goals.push({ label: `${target.label}: ${graphqlErrors} GraphQL errors (goal 0)`, met: graphqlErrors === 0 });
      }
      goals.push({ label: `${target.label}: RSS ${mib(rss.afterWarmUp)} → ${mib(rss.end)} MiB ${rss.stable ? 'stable' : 'growing'}`, met: rss.stable });
    }
    return { markdown, goals };
  } finally {
    if (hub && !stopped) await hub.stop();
    await simulator?.close();
    await database?.drop();
  }
}
