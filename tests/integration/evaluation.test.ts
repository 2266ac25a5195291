import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { ProgressStatus, FactBasis } from '../../src/common/enums';
import { loadConfig } from '../../src/config';
import { ChangedField } from '../../src/modules/catalogue/change-record';
import { Task, TaskChange } from '../../src/modules/catalogue/task.entity';
import { ConnectorRun } from '../../src/modules/connectors/connector-run.entity';
import { RunErrorClass, RunStatus, RunTrigger } from '../../src/modules/connectors/connector.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { ingestRows } from '../../src/ingestion/ingest';
import { Metric, MetricChange } from '../../src/modules/metrics/metric.entity';
import { Role } from '../../src/security/principal';
import { databaseIdOf, dataOf, errorOf } from '../helpers/api';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

interface Row {
  department: { code: string };
  rank: number | null;
  score: number | null;
  tasks: { due: number; onTime: string[]; late: string[]; undated: string[]; notDone: string[]; notYetDue: string[]; score: number | null };
  pilotModels: { total: number; completed: string[]; notCompleted: string[]; score: number | null };
  freshness: {
    reportsExpected: number;
    reportsOnTime: number;
    lateReports: string[];
    missingReports: string[];
    metrics: number;
    onTime: string[];
    late: string[];
    missing: string[];
    score: number | null;
  };
  dataQuality: { score: number | null; runs: { runs: number; failedRuns: number; fetched: number; rejected: number; rejectionRate: number | null; failed: Array<{ runId: string; connector: string; status: string }> } | null };
}

interface Answer {
  evaluation: { year: number; asOf: string; weights: Record<string, number>; rows: Row[]; csvUrl: string; markdownUrl: string; xlsxUrl: string };
}

const ROW_FIELDS = `department { code } rank score
  tasks { due onTime late undated notDone notYetDue score }
  pilotModels { total completed notCompleted score }
  freshness { reportsExpected reportsOnTime lateReports missingReports metrics onTime late missing score }
  dataQuality { score runs { runs failedRuns fetched rejected rejectionRate failed { runId connector status } } }`;

const query = (args: string) => `{ evaluation(${args}) { year asOf weights { tasks models freshness quality lateCredit } rows { ${ROW_FIELDS} } csvUrl markdownUrl xlsxUrl } }`;

/** The score the documented formula gives for a row's components. */
function expectedScore(row: Row, weights: Record<string, number>): number | null {
  const parts: Array<[number, number | null]> = [
    [weights.tasks, row.tasks.score],
    [weights.models, row.pilotModels.score],
    [weights.freshness, row.freshness.score],
    [weights.quality, row.dataQuality.score],
  ];
  const present = parts.filter(([weight, value]) => value !== null && weight > 0);
  const total = present.reduce((sum, [weight]) => sum + weight, 0);
  return total === 0 ? null : Math.round((100 * present.reduce((sum, [weight, value]) => sum + weight * value!, 0)) / total * 100) / 100;
}

describe('year-end evaluation', () => {
  let hub: TestHub;
  const get = (path: string, headers: Record<string, string> = hub.headers) => fetch(new URL(path, hub.hub.url), { headers });

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
    // SO_YT's 2024 tasks (states recorded on 2 April 2024 by the seed): T04.03 (due 31/12) completed on 20/11,
    // T04.02 (due 30/06) completed on 15/08; T04.01 and T07.04 stay open; T04.04 was completed by 2 April.
    for (const code of ['T04.03', 'T04.02']) {
      await dataOf(hub, `mutation { updateTaskStatus(code: "${code}", status: COMPLETED, note: "Đã hoàn thành") { code } }`);
    }
    const tasks = hub.dataSource.getRepository(Task);
    const changes = hub.dataSource.getRepository(TaskChange);
    const completedOn = { 'T04.03': '2024-11-20T03:00:00Z', 'T04.02': '2024-08-15T03:00:00Z' };
    for (const [code, at] of Object.entries(completedOn)) {
      const task = await tasks.findOneByOrFail({ code });
      await changes.update({ subjectId: task.id, field: ChangedField.STATUS, toValue: ProgressStatus.COMPLETED }, { changedAt: new Date(at) });
    }
    // A 2024 push connector of SO_YT with one clean run and one failed run.
    const registered = await dataOf<{ registerConnector: { id: string } }>(
      hub,
      'mutation { registerConnector(input: { name: "Evaluation health push", kind: "push", department: "SO_YT", config: {} }) { id } }',
    );
    const connectorId = databaseIdOf(registered.registerConnector.id);
    const runs = hub.dataSource.getRepository(ConnectorRun);
    await runs.save(runs.create({ connectorId, trigger: RunTrigger.PUSH, status: RunStatus.SUCCEEDED, owner: 'test', startedBy: 'test', heartbeatAt: new Date('2024-05-02T02:00:01Z'), startedAt: new Date('2024-05-02T02:00:00Z'), finishedAt: new Date('2024-05-02T02:00:01Z'), fetched: 10, rejected: 2 }));
    await runs.save(runs.create({ connectorId, trigger: RunTrigger.PUSH, status: RunStatus.FAILED, errorClass: RunErrorClass.BAD_PAYLOAD, owner: 'test', startedBy: 'test', heartbeatAt: new Date('2024-06-02T02:00:01Z'), startedAt: new Date('2024-06-02T02:00:00Z'), finishedAt: new Date('2024-06-02T02:00:01Z') }));
  }, 120_000);
  afterAll(async () => {
    await hub.close();
  });

  it('gives each department its tasks on time, late and not done, its models, freshness and runs, with the items behind them', async () => {
    const { evaluation } = await dataOf<Answer>(hub, query('year: 2024'));
    expect(evaluation).toMatchObject({ year: 2024, asOf: '2024-12-31', weights: { tasks: 0.4, models: 0.2, freshness: 0.2, quality: 0.2, lateCredit: 0.5 } });
    const health = evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
    expect(health.tasks.onTime).toContain('T04.03');
    expect(health.tasks.late).toEqual(['T04.02']);
    expect(health.tasks.notDone).toEqual(['T04.01', 'T07.04']);
    expect(health.tasks.notYetDue).toEqual([]);
    expect([...health.tasks.onTime, ...health.tasks.undated].sort()).toEqual(['T04.03', 'T04.04']);
    expect(health.tasks.due).toBe(5);
    const credited = health.tasks.onTime.length + 0.5 * (health.tasks.late.length + health.tasks.undated.length);
    expect(health.tasks.score).toBeCloseTo(credited / 5, 10);
    expect(health.pilotModels.total).toBe(health.pilotModels.completed.length + health.pilotModels.notCompleted.length);
    expect(health.freshness.metrics).toBe(health.freshness.onTime.length + health.freshness.late.length + health.freshness.missing.length);
    expect(health.dataQuality.runs).toMatchObject({ runs: 2, failedRuns: 1, fetched: 10, rejected: 2, rejectionRate: 0.2 });
    expect(health.dataQuality.runs!.failed).toEqual([expect.objectContaining({ connector: 'Evaluation health push', status: 'FAILED' })]);
    expect(health.dataQuality.score).toBeCloseTo((1 - 1 / 2) * (1 - 0.2), 10);
    // The failed run's id leads to the run.
    const run = await dataOf<{ connectorRun: { status: string } }>(hub, `{ connectorRun(id: "${health.dataQuality.runs!.failed[0].runId}") { status } }`);
    expect(run.connectorRun.status).toBe('FAILED');
    // Every department in force, each score as the formula says, ranked best first.
    for (const row of evaluation.rows) {
      expect({ code: row.department.code, score: row.score }).toEqual({ code: row.department.code, score: expectedScore(row, evaluation.weights) });
      expect(row.tasks.due).toBe(row.tasks.onTime.length + row.tasks.late.length + row.tasks.undated.length + row.tasks.notDone.length);
    }
    const scores = evaluation.rows.map((row) => row.score ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const row of evaluation.rows.filter((candidate) => candidate.score !== null)) {
      expect(row.rank).toBe(1 + evaluation.rows.filter((other) => other.score !== null && other.score > row.score!).length);
    }
    expect(evaluation.rows[0].rank).toBe(1);
  });

  it('takes weights from the settings and from the query, and ranks by them', async () => {
    const { evaluation } = await dataOf<Answer>(hub, query('year: 2024, weights: { tasks: 1, models: 0, freshness: 0, quality: 0, lateCredit: 0 }'));
    expect(evaluation.weights).toEqual({ tasks: 1, models: 0, freshness: 0, quality: 0, lateCredit: 0 });
    for (const row of evaluation.rows) {
      expect(row.score).toEqual(row.tasks.score === null ? null : Math.round(row.tasks.onTime.length / row.tasks.due * 10_000) / 100);
    }
    const health = evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
    expect(health.score).toBe(Math.round((health.tasks.onTime.length / 5) * 10_000) / 100);
    // Only the given weights change; the others keep their settings.
    const partial = await dataOf<Answer>(hub, query('year: 2024, weights: { quality: 0.5 }'));
    expect(partial.evaluation.weights).toEqual({ tasks: 0.4, models: 0.2, freshness: 0.2, quality: 0.5, lateCredit: 0.5 });
    // Settings: the environment gives the defaults, validated at start-up.
    expect(loadConfig({ EVALUATION_WEIGHT_TASKS: '2', EVALUATION_LATE_CREDIT: '0.25' }).evaluation).toEqual({ tasks: 2, models: 0.2, freshness: 0.2, quality: 0.2, lateCredit: 0.25 });
    expect(() => loadConfig({ EVALUATION_WEIGHT_MODELS: '-1' })).toThrow(/EVALUATION_WEIGHT_MODELS/);
    expect(() => loadConfig({ EVALUATION_LATE_CREDIT: '2' })).toThrow(/EVALUATION_LATE_CREDIT/);
    expect(() => loadConfig({ EVALUATION_WEIGHT_TASKS: '0', EVALUATION_WEIGHT_MODELS: '0', EVALUATION_WEIGHT_FRESHNESS: '0', EVALUATION_WEIGHT_QUALITY: '0' })).toThrow(/must not all be 0/);
  }, 120_000);

  it('counts every report due in the year once: on time by the end of its due day, late, or missing on asOf', async () => {
    // A monthly SO_YT metric due 10 days after each month, created (as its history says) on 15 January 2024: the
    // reports due in 2024 after that are January (due 10/02/2024) to November 2024 (due 10/12/2024), 11 in all.
    await dataOf(hub, `mutation { createMetric(input: { code: "EVAL_TIMELY", name: "Timeliness probe", kind: COUNT, frequency: MONTH,
      department: "SO_YT", pilotModel: "M01", reportingLagDays: 10 }) { code } }`);
    const metric = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'EVAL_TIMELY' });
    await hub.dataSource.getRepository(MetricChange).update({ subjectId: metric.id, field: ChangedField.CREATED }, { changedAt: new Date('2024-01-15T03:00:00Z') });
    // When each value was recorded (the hub's zone is UTC+7: the due day 10/02 ends at 2024-02-10T17:00Z).
    const deliveries: Array<[period: string, value: number, recordedAt: string]> = [
      ['2024-01', 1, '2024-02-10T16:59:59Z'], // on time, the last second of its due day
      ['2024-02', 2, '2024-03-10T17:00:00Z'], // late by a second
      ['2024-03', 3, '2024-04-05T03:00:00Z'], // on time, then revised late: the first arrival counts
      ['2024-03', 4, '2024-04-20T03:00:00Z'],
      ['2024-04', 5, '2025-01-05T03:00:00Z'], // recorded after asOf: missing on 31/12/2024
      ['2024-06', 6, '2024-07-01T03:00:00Z'], // on time
      ['2024-12', 7, '2025-01-02T03:00:00Z'], // due in 2025: not counted in 2024
    ];
    for (const [period, value, recordedAt] of deliveries) {
      const summary = await ingestRows(hub.dataSource, [{ metric: 'EVAL_TIMELY', unit: '40', period, value }], {
        runId: null,
        source: 'evaluation test',
        actor: 'test',
        mappingVersion: null,
        today: '2025-06-30',
        recordedAt: () => new Date(recordedAt),
      });
      expect(summary.rejections).toEqual([]);
    }
    const probe = (row: Row) => ({
      late: row.freshness.lateReports.filter((report) => report.startsWith('EVAL_TIMELY ')),
      missing: row.freshness.missingReports.filter((report) => report.startsWith('EVAL_TIMELY ')),
    });
    const before = (await dataOf<Answer>(hub, query('year: 2024'))).evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
    expect(probe(before)).toEqual({
      late: ['EVAL_TIMELY 2024-02'],
      missing: ['2024-04', '2024-05', '2024-07', '2024-08', '2024-09', '2024-10', '2024-11'].map((period) => `EVAL_TIMELY ${period}`),
    });

    // The same year judged without the probe metric (retired before 2024): 11 reports fewer, 3 of them on time.
    await hub.dataSource.getRepository(Metric).update({ id: metric.id }, { retiredOn: '2024-01-01' });
    try {
      const without = (await dataOf<Answer>(hub, query('year: 2024'))).evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
      expect(probe(without)).toEqual({ late: [], missing: [] });
      expect(before.freshness.reportsExpected - without.freshness.reportsExpected).toBe(11);
      expect(before.freshness.reportsOnTime - without.freshness.reportsOnTime).toBe(3);
      expect(before.freshness.score).toBeCloseTo(before.freshness.reportsOnTime / before.freshness.reportsExpected, 10);
      // Retired on 1 July 2024: only the reports due before it are owed (January to May 2024).
      await hub.dataSource.getRepository(Metric).update({ id: metric.id }, { retiredOn: '2024-07-01' });
      const retired = (await dataOf<Answer>(hub, query('year: 2024'))).evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
      expect(retired.freshness.reportsExpected - without.freshness.reportsExpected).toBe(5);
      expect(probe(retired)).toEqual({ late: ['EVAL_TIMELY 2024-02'], missing: ['EVAL_TIMELY 2024-04', 'EVAL_TIMELY 2024-05'] });
      // A metric created during 2026 owes nothing in 2024.
      await hub.dataSource.getRepository(MetricChange).update({ subjectId: metric.id, field: ChangedField.CREATED }, { changedAt: new Date() });
      await hub.dataSource.getRepository(Metric).update({ id: metric.id }, { retiredOn: null });
      const created = (await dataOf<Answer>(hub, query('year: 2024'))).evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
      expect(created.freshness.reportsExpected).toBe(without.freshness.reportsExpected);
    } finally {
      await hub.dataSource.getRepository(Metric).update({ id: metric.id }, { retiredOn: '2024-01-01' });
    }
  });

  it('refuses a year out of range and bad weights, naming the field', async () => {
    const nextYear = new Date().getFullYear() + 1;
    const cases: Array<[string, string]> = [
      ['year: 1999', 'year'],
      [`year: ${nextYear}`, 'year'],
      ['year: 2024, weights: { tasks: -1 }', 'weights.tasks'],
      ['year: 2024, weights: { lateCredit: 1.5 }', 'weights.lateCredit'],
      ['year: 2024, weights: { tasks: 0, models: 0, freshness: 0, quality: 0 }', 'weights'],
    ];
    for (const [args, field] of cases) {
      const error = await errorOf(hub, query(args));
      expect({ args, code: error.extensions?.code, field: error.extensions?.field }).toEqual({ args, code: 'BAD_USER_INPUT', field });
    }
    const answer = await get('/reports/evaluation?year=abc&format=csv');
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { errors: Array<{ extensions: { field: string } }> }).errors[0].extensions.field).toBe('year');
    const negative = await get('/reports/evaluation?year=2024&format=csv&wTasks=-1');
    expect(negative.status).toBe(400);
    const format = await get('/reports/evaluation?year=2024&format=pdf');
    expect(format.status).toBe(400);
  });

  it('downloads as Markdown, CSV and XLSX with the same figures as the query', async () => {
    const { evaluation } = await dataOf<Answer>(hub, query('year: 2024'));
    const csvAnswer = await get(evaluation.csvUrl);
    expect(csvAnswer.status).toBe(200);
    const csv = parse((await csvAnswer.text()).replace(/^\ufeff/, '')) as string[][];
    expect(csv[0].slice(0, 4)).toEqual(['Hạng (rank)', 'Mã sở (department_code)', 'Sở, ngành (department)', 'Điểm (score)']);
    const column = (name: string) => csv[0].findIndex((heading) => heading.endsWith(`(${name})`));
    expect(csv.slice(1).map((row) => row[column('department_code')])).toEqual(evaluation.rows.map((row) => row.department.code));
    const healthLine = csv.find((row) => row[column('department_code')] === 'SO_YT')!;
    const health = evaluation.rows.find((row) => row.department.code === 'SO_YT')!;
    expect(Number(healthLine[column('score')])).toBe(health.score);
    expect(healthLine[column('task_codes_late')]).toBe('T04.02');
    expect(healthLine[column('task_codes_not_done')]).toBe('T04.01 T07.04');
    expect(healthLine[column('failed_runs')]).toBe('1');

    const xlsxAnswer = await get(evaluation.xlsxUrl);
    expect(xlsxAnswer.status).toBe(200);
    expect(xlsxAnswer.headers.get('content-type')).toContain('spreadsheetml');
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(Buffer.from(await xlsxAnswer.arrayBuffer()) as unknown as ExcelJS.Buffer);
    const sheet = workbook.worksheets[0];
    expect(sheet.rowCount).toBe(csv.length);
    for (let index = 0; index < csv.length; index += 1) {
      const cells = (sheet.getRow(index + 1).values as unknown[]).slice(1);
      const asText = csv[index].map((_, position) => (cells[position] === null || cells[position] === undefined ? '' : String(cells[position])));
      expect(asText).toEqual(csv[index]);
    }
    const weights = workbook.worksheets[1];
    expect(weights.getRow(5).values).toEqual([undefined, 'Trọng số nhiệm vụ (tasks weight)', 0.4]);

    const markdownAnswer = await get(evaluation.markdownUrl);
    expect(markdownAnswer.status).toBe(200);
    const markdown = await markdownAnswer.text();
    expect(markdown).toContain('# Đánh giá cuối năm 2024 — Year-end evaluation 2024');
    expect(markdown).toContain('31/12/2024');
    expect(markdown).toMatch(/### SO_YT — .*\n\n- Nhiệm vụ đến hạn \(tasks due\): 5; .*trễ hạn \(late\) 1: T04\.02;/);
    expect(markdown).toContain(`| ${health.rank} | SO_YT | Sở Y tế | ${String(health.score).replace('.', ',')} |`);
  });

  it('shows every caller the scores and ranks, the run figures only to whom may read them', async () => {
    const viewer = await keyHeaders(hub, Role.VIEWER);
    const healthIt = await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']);
    const asViewer = await hub.graphql<Answer>(`{ evaluation(year: 2024) { rows { department { code } rank score dataQuality { score } } } }`, undefined, viewer);
    expect(asViewer.errors).toBeUndefined();
    const refused = await hub.graphql<Answer>(`{ evaluation(year: 2024) { rows { department { code } dataQuality { runs { runs } } } } }`, undefined, viewer);
    expect(new Set(refused.errors!.map((error) => error.extensions?.code))).toEqual(new Set(['FORBIDDEN']));
    const scoped = await hub.graphql<Answer>(`{ evaluation(year: 2024) { rows { department { code } dataQuality { runs { runs } } } } }`, undefined, healthIt);
    const visible = scoped.data!.evaluation.rows.filter((row) => row.dataQuality.runs !== null).map((row) => row.department.code);
    expect(visible).toEqual(['SO_YT']);
    expect(scoped.errors).toHaveLength(scoped.data!.evaluation.rows.length - 1);
    // Downloads: operational read roles; a department's caller sees its own run figures only.
    expect((await get('/reports/evaluation?year=2024&format=csv', viewer)).status).toBe(403);
    const csv = parse((await (await get('/reports/evaluation?year=2024&format=csv', healthIt)).text()).replace(/^\ufeff/, '')) as string[][];
    const runsColumn = csv[0].indexOf('Lượt chạy (runs)');
    const withRuns = csv.slice(1).filter((row) => row[runsColumn] !== '').map((row) => row[1]);
    expect(withRuns).toEqual(['SO_YT']);
  });

  it('reads the same number of statements for 3 more departments', async () => {
    const count = async () => {
      hub.counter.reset();
      await dataOf<Answer>(hub, query('year: 2024'));
      return hub.counter.statements.length;
    };
    const before = await count();
    const departments = hub.dataSource.getRepository(Department);
    for (const code of ['SO_X1', 'SO_X2', 'SO_X3']) {
      await departments.save(departments.create({ code, name: `Department ${code}`, nameVi: `Sở ${code}`, validFrom: null, validTo: null, successorId: null, basis: FactBasis.INFERRED }));
    }
    const after = await count();
    const { evaluation } = await dataOf<Answer>(hub, query('year: 2024'));
    expect(evaluation.rows.map((row) => row.department.code)).toEqual(expect.arrayContaining(['SO_X1', 'SO_X2', 'SO_X3']));
    expect(after).toBe(before);
  });
});
