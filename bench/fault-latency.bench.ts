/**
 * Does a failing department feed slow the API down? The hub's entry point runs as a child process on a scratch
 * MariaDB/MySQL database (production settings, CONNECTOR_TIMEOUT_SECONDS=5) with the four demo connectors
 * registered against the feed simulator (in a worker thread of this process) on a 2-second schedule with a
 * 3-day look-back. The PilotModels operation is loaded with autocannon (FAULT_CONNECTIONS, default 10, for
 * FAULT_SECONDS, default 20) twice:
 *   baseline  no faults, every connector disabled (idle);
 *   faults    every connector enabled, the simulator failing per feed: health = hang, justice = slow,
 *             transport = http500, nhcsxh = huge.
 * Reported: p50/p99 of each phase, the ratio of the medians (goal ≤ 2), and the connector runs started during
 * the fault phase with their statuses and error classes, to show the faults were really exercised.
 *
 * BENCH_DATABASE_URL (default mariadb://root@127.0.0.1:3306) names the server; the benchmark creates and drops
 * its own scratch database pilothub_fault_<pid>.
 */
import { demoConnectors } from '../src/demo/demo-connectors';
import { DEMO_HISTORY_FROM } from '../src/demo/demo-mode';
import type { BenchReport } from './run';
import { startHub, summariseProblems, type HubChild } from './hub';
import { backfillConnector, checkSequentially, clearFaults, connectorsWithRuns, createScratchDatabase, exampleOperationBody, hasNoGraphQLErrors, heapMiB, integer, load, median, mib, ms, registerConnector, rssMiB, sampleRss, setConnectorEnabled, setFault, sleep, startSimulatorWorker, summariseStderr, waitForIdleConnectors, yesterdayUtc, type ConnectorNode, type HeapFigures, type LoadFigures, type RssFigures, type RunNode, type ScratchDatabase, type SimulatorHandle } from './support';

const SECONDS = Math.max(1, Number(process.env.FAULT_SECONDS ?? 20));
const CONNECTIONS = Math.max(1, Number(process.env.FAULT_CONNECTIONS ?? 10));
/** Seconds between enabling the connectors under faults and starting the load, so runs are under way. */
const LEAD_SECONDS = 2;
/** Unmeasured load before the baseline, so both phases run on a warmed-up process (JIT, pools, caches). */
const WARM_UP_SECONDS = 5;
/** Idle time after the fault phase's runs have ended, before the last memory reading. */
const IDLE_SECONDS = 10;
const SCHEDULE = '*/2 * * * * *';
const OPERATION = 'PilotModels';

/** Fault per feed, in the order of demoConnectors(). */
const FAULTS = [
  { feed: 'health', mode: 'hang' },
  { feed: 'justice', mode: 'slow' },
  { feed: 'transport', mode: 'http500' },
  { feed: 'nhcsxh', mode: 'huge' },
] as const;

interface Phase {
  label: string;
  figures: LoadFigures;
  rss: RssFigures;
  heap: HeapFigures;
  problems: ReturnType<HubChild['problems']>;
}

async function measure(hub: HubChild, label: string): Promise<Phase> {
  const logOffset = hub.stdout().length;
  const sampler = sampleRss(hub.pid, Math.min(5, SECONDS / 4));
  let figures: LoadFigures;
  let rss: RssFigures;
  try {
    figures = await load(label, {
      url: hub.graphqlUrl,
      connections: CONNECTIONS,
      seconds: SECONDS,
      method: 'POST',
      body: exampleOperationBody(OPERATION),
      verifyBody: hasNoGraphQLErrors,
    });
  } finally {
    rss = sampler.stop();
  }
  console.log(`${label}: ${integer(figures.requestsPerSecond)} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, errors ${figures.errors}, GraphQL errors ${figures.mismatches}`);
  return { label, figures, rss, heap: await heapMiB(hub.baseUrl), problems: hub.problems(logOffset) };
}

/** "FAILED × 3, SUCCEEDED × 1" */
function tally(values: string[]): string {
  if (values.length === 0) return '–';
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([value, count]) => `${value} × ${count}`)
    .join(', ');
}

/**
 * Setup: the demo connectors on a 2-second schedule, each backfilled (as demo mode does) so PilotModels has the same
 * data as in the load benchmark, then all disabled and left to finish their runs.
 */
async function backfillDemoConnectors(hub: HubChild, simulatorUrl: string) {
  const setupStarted = performance.now();
  const definitions = demoConnectors(simulatorUrl).map((definition) => ({ ...definition, schedule: SCHEDULE, lookbackDays: 3 }));
  const ids: string[] = [];
  let ingested = 0;
  for (const definition of definitions) {
    const id = await registerConnector(hub.graphqlUrl, definition);
    ids.push(id);
    const backfill = await backfillConnector(hub.graphqlUrl, id, DEMO_HISTORY_FROM, yesterdayUtc());
    if (backfill.status !== 'SUCCEEDED') throw new Error(`backfill of "${definition.name}" ended ${backfill.status}: ${backfill.errorMessage}`);
    ingested += backfill.summary.imported + backfill.summary.updated;
  }
  for (const id of ids) await setConnectorEnabled(hub.graphqlUrl, id, false);
  if (!(await waitForIdleConnectors(hub.graphqlUrl, 60_000))) throw new Error('connector runs still RUNNING a minute after disabling them');
  const setupRuns = (await connectorsWithRuns(hub.graphqlUrl)).flatMap((connector) => connector.runs.edges.map((edge) => edge.node));
  const setupSeconds = (performance.now() - setupStarted) / 1000;
  console.log(`setup: ${integer(ingested)} values backfilled, ${setupRuns.length} runs, ${setupSeconds.toFixed(1)} s`);
  return { ids, ingested, setupSeconds, setupProblems: hub.problems() };
}

export async function run(): Promise<BenchReport> {
  let database: ScratchDatabase | undefined;
  let simulator: SimulatorHandle | undefined;
  let hub: HubChild | undefined;
  let stopped: Awaited<ReturnType<HubChild['stop']>> | undefined;
  try {
    database = await createScratchDatabase('pilothub_fault');
    simulator = await startSimulatorWorker();
    hub = await startHub({ DATABASE_URL: database.url, CONNECTOR_TIMEOUT_SECONDS: '5' });
    console.log(`hub pid ${hub.pid} at ${hub.baseUrl}, feed simulator at ${simulator.url}`);

    const { ids, ingested, setupSeconds, setupProblems } = await backfillDemoConnectors(hub, simulator.url);
    const check = await checkSequentially(hub.graphqlUrl, exampleOperationBody(OPERATION), 1);
    if (check.graphqlErrors || check.non2xx) throw new Error(`${OPERATION} fails before the load: ${check.firstError}`);

    // Baseline: no faults, connectors idle, after an unmeasured warm-up.
    await clearFaults(simulator.url);
    await load('warm-up', { url: hub.graphqlUrl, connections: CONNECTIONS, seconds: WARM_UP_SECONDS, method: 'POST', body: exampleOperationBody(OPERATION) });
    const baseline = await measure(hub, 'baseline (faults off, connectors disabled)');

    // Faults: switches on, connectors enabled on their 2-second schedule.
    const faultLogOffset = hub.stdout().length;
    for (const { feed, mode } of FAULTS) await setFault(simulator.url, feed, mode);
    const faultStarted = new Date();
    for (const id of ids) await setConnectorEnabled(hub.graphqlUrl, id, true);
    await sleep(LEAD_SECONDS * 1000);
    const underFaults = await measure(hub, 'under faults (connectors enabled every 2 s)');
    const faultEnded = new Date();
    // No new runs; the runs under way end under the same faults, then the switches are cleared.
    for (const id of ids) await setConnectorEnabled(hub.graphqlUrl, id, false);
    const settled = await waitForIdleConnectors(hub.graphqlUrl, 120_000);
    await clearFaults(simulator.url);
    const connectors = await connectorsWithRuns(hub.graphqlUrl);
    await sleep(IDLE_SECONDS * 1000);
    const idle = { rss: rssMiB(hub.pid) ?? NaN, heap: await heapMiB(hub.baseUrl) };
    const faultProblems = hub.problems(faultLogOffset);
    const stderr = hub.stderr().trim();
    stopped = await hub.stop();

    const byId = new Map<string, ConnectorNode>(connectors.map((connector) => [connector.id, connector]));
    const faultRuns = ids.map((id) => {
      const connector = byId.get(id)!;
      const runs = connector.runs.edges
        .map((edge) => edge.node)
        .filter((node: RunNode) => Date.parse(node.startedAt) >= faultStarted.getTime() && Date.parse(node.startedAt) <= faultEnded.getTime());
      return { connector, runs };
    });

    const ratio = underFaults.figures.p50 / baseline.figures.p50;
    const phaseRow = ({ label, figures }: Phase) =>
      `| ${label} | ${integer(figures.requests)} | ${integer(figures.requestsPerSecond)} | ${ms(figures.p50)} | ${ms(figures.p90)} | ${ms(figures.p99)} | ` +
      `${ms(figures.max)} | ${figures.non2xx} | ${figures.errors} | ${figures.timeouts} | ${figures.mismatches} |`;
    const runRow = ({ connector, runs }: (typeof faultRuns)[number], index: number) => {
      const durations = runs.filter((node) => node.durationMs !== null).map((node) => node.durationMs! / 1000);
      const message = runs.find((node) => node.errorMessage)?.errorMessage ?? '';
      return (
        `| ${FAULTS[index].feed} = ${FAULTS[index].mode} | ${connector.kind} | ${runs.length} | ${tally(runs.map((node) => node.status))} | ` +
        `${tally(runs.filter((node) => node.errorClass).map((node) => node.errorClass!))} | ${runs.reduce((sum, node) => sum + node.attempts, 0)} | ` +
        `${durations.length ? median(durations).toFixed(1) : '–'} | ${message.replace(/\|/g, '\\|').slice(0, 140)} |`
      );
    };
    const markdown = [
      `${OPERATION} (schema/examples) with ${CONNECTIONS} connections × ${SECONDS} s per phase (autocannon 8); hub child process ` +
        `(NODE_ENV=production, CONNECTOR_TIMEOUT_SECONDS=5) on ${database.version}; 4 demo connectors on \`${SCHEDULE}\`, look-back 3 days, ` +
        `backfilled first (${integer(ingested)} values, setup ${setupSeconds.toFixed(0)} s). Latencies in ms.`,
      '',
      '| phase | requests | req/s | p50 | p90 | p99 | max | non-2xx | errors | timeouts | GraphQL errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
      phaseRow(baseline),
      phaseRow(underFaults),
      '',
      `Median under faults / baseline: ${ms(underFaults.figures.p50)} / ${ms(baseline.figures.p50)} = **${ratio.toFixed(2)}** (goal ≤ 2); ` +
        `p99 ${ms(underFaults.figures.p99)} / ${ms(baseline.figures.p99)} = ${(underFaults.figures.p99 / baseline.figures.p99).toFixed(2)}.`,
      '',
      `Connector runs started during the fault phase (${((faultEnded.getTime() - faultStarted.getTime()) / 1000).toFixed(0)} s, ` +
        `final statuses; faults stay on until the last run has ended${settled ? '' : ', but some were still RUNNING 120 s after the phase'}):`,
      '',
      '| feed = fault | kind | runs | statuses | error classes | attempts | median s | first error message |',
      '|---|---|---:|---|---|---:|---:|---|',
      ...faultRuns.map(runRow),
      '',
      `Hub memory (MiB; RSS sampled every second, V8 heap used from /metrics at the end): ` +
        `baseline RSS ${mib(baseline.rss.start)} → ${mib(baseline.rss.end)} (max ${mib(baseline.rss.max)}), heap ${mib(baseline.heap.heapUsed)}; ` +
        `under faults RSS ${mib(underFaults.rss.start)} → ${mib(underFaults.rss.end)} (max ${mib(underFaults.rss.max)}), heap ${mib(underFaults.heap.heapUsed)}, ` +
        `external ${mib(underFaults.heap.external)}; ${IDLE_SECONDS} s after the last run: RSS ${mib(idle.rss)}, heap ${mib(idle.heap.heapUsed)}, external ${mib(idle.heap.external)}.`,
      '',
      'Hub log lines at warn or above:',
      '',
      `- setup: ${summariseProblems(setupProblems)}`,
      `- baseline: ${summariseProblems(baseline.problems)}`,
      `- fault phase and wind-down: ${summariseProblems(faultProblems)}`,
      `- stderr: ${summariseStderr(stderr)}`,
      `- shutdown: ${stopped.killed ? 'SIGKILL after 10 s' : `exit code ${stopped.code} ${stopped.signal ?? ''}`.trim()} in ${stopped.seconds.toFixed(1)} s`,
    ].join('\n');

    const failures = [baseline, underFaults].reduce((sum, { figures }) => sum + figures.errors + figures.non2xx + figures.mismatches, 0);
    const ran = faultRuns.filter(({ runs }) => runs.length > 0).length;
    return {
      markdown,
      goals: [
        { label: `p50 under faults / baseline = ${ratio.toFixed(2)} (goal ≤ 2)`, met: ratio <= 2 },
        { label: `${failures} errors, non-2xx or GraphQL errors in both phases (goal 0)`, met: failures === 0 },
        { label: `${ran} of 4 faulty connectors ran during the fault phase`, met: ran === 4 },
      ],
    };
  } finally {
    if (hub && !stopped) await hub.stop();
    await simulator?.close();
    await database?.drop();
  }
}
