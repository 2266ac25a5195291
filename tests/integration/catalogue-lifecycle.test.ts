/**
 * The catalogue lifecycle: ADMIN creates, amends and retires metrics, pilot models, tasks, task groups, programmes
 * and plan years; every change is in the history and the audit log; bad input names its field and writes nothing;
 * departments report status and progress notes on what they lead.
 */
import { Role } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
import { dataOf, errorOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Change = { field: string; fromValue: string | null; toValue: string; author: string; note: string | null; changes: Record<string, { from: unknown; to: unknown }> | null };
const CHANGE_FIELDS = 'field fromValue toValue author note changes';

/** Tables a catalogue mutation may write: a refused one must leave every count as it was. */
const TABLES = ['program', 'task_group', 'task', 'task_change', 'pilot_model', 'pilot_model_change', 'pilot_model_supporting_department', 'metric', 'metric_change'];

describe('catalogue lifecycle', () => {
  let hub: TestHub;
  let admin: Record<string, string>;
  let healthIt: Record<string, string>;
  let viewer: Record<string, string>;
  beforeAll(async () => {
    hub = await startTestHub();
    admin = (await createKey(hub, Role.ADMIN, [], 'Văn phòng UBND tỉnh')).headers;
    healthIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'], 'CNTT Sở Y tế')).headers;
    viewer = (await createKey(hub, Role.VIEWER)).headers;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  const counts = () => rowCounts(hub.dataSource, TABLES);

  /** The mutation fails with one error of `code` naming `field`, and nothing is written. */
  const refused = async (mutation: string, code: string, field: string | undefined, text?: string) => {
    const before = await counts();
    const error = await errorOf(hub, `mutation { ${mutation} }`, undefined, admin);
    expect({ mutation, code: error.extensions?.code, field: error.extensions?.field }).toEqual({ mutation, code, field });
    if (field) expect(error.message).toContain(field);
    if (text) expect(error.message).toContain(text);
    expect(await counts()).toEqual(before);
  };

  /** The audit log records `action` on `targetId` (events are written once the response is sent: poll for them). */
  const audited = async (action: string, targetId: string) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const rows = await hub.dataSource.query('SELECT outcome, actorName FROM audit_event WHERE action = ? AND targetId = ?', [action, targetId]);
      if (rows.length > 0) return rows[0] as { outcome: string; actorName: string };
      if (Date.now() > deadline) throw new Error(`no audit event ${action} ${targetId}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const METRIC_FIELDS: Record<string, string> = {
    code: '"KCB_TELEHEALTH"', name: '"Telehealth consultations"', nameVi: '"Lượt khám từ xa"', kind: 'COUNT', frequency: 'MONTH',
    department: '"SO_YT"', pilotModel: '"M03"', unit: '"lượt"', targetValue: '1000', targetDate: '"2026-12-31"', reportingLagDays: '10',
    maxValue: '100000', description: '"Consultations held by video."', note: '"Kế hoạch 2026"',
  };
  /** The metric input with some fields replaced (a null value leaves the field out). */
  const metricInput = (changes: Record<string, string | null> = {}) =>
    Object.entries({ ...METRIC_FIELDS, ...changes }).filter(([, value]) => value !== null).map(([key, value]) => `${key}: ${value}`).join(', ');
  const METRIC = metricInput();

  it('createMetric stores the definition, records its creation and audits it; updateMetric records each changed field', async () => {
    const created = await dataOf<{ createMetric: { code: string; kind: string; unit: string; target: number; retiredOn: string | null; pilotModel: { code: string }; department: { code: string }; history: Change[] } }>(
      hub,
      `mutation { createMetric(input: { ${METRIC} }) { code kind unit target retiredOn pilotModel { code } department { code } history { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(created.createMetric).toMatchObject({ code: 'KCB_TELEHEALTH', kind: 'COUNT', unit: 'lượt', target: 1000, retiredOn: null, pilotModel: { code: 'M03' }, department: { code: 'SO_YT' } });
    expect(created.createMetric.history).toHaveLength(1);
    expect(created.createMetric.history[0]).toMatchObject({ field: 'CREATED', toValue: 'KCB_TELEHEALTH', author: 'Văn phòng UBND tỉnh', note: 'Kế hoạch 2026' });
    expect(created.createMetric.history[0].changes).toMatchObject({ name: { from: null, to: 'Telehealth consultations' }, pilotModel: { from: null, to: 'M03' } });
    expect(await audited('createMetric', 'KCB_TELEHEALTH')).toEqual({ outcome: 'SUCCESS', actorName: 'Văn phòng UBND tỉnh' });

    const updated = await dataOf<{ updateMetric: { name: string; target: number; history: Change[] } }>(
      hub,
      `mutation { updateMetric(code: "KCB_TELEHEALTH", input: { name: "Remote consultations", targetValue: 1200, note: "Điều chỉnh" }) { name target history { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(updated.updateMetric.name).toBe('Remote consultations');
    expect(updated.updateMetric.history.map((change) => change.field)).toEqual(['CREATED', 'DEFINITION', 'TARGET']);
    expect(updated.updateMetric.history[1].changes).toEqual({ name: { from: 'Telehealth consultations', to: 'Remote consultations' } });
    expect(updated.updateMetric.history[2]).toMatchObject({ fromValue: '1000 @ 2026-12-31', toValue: '1200 @ 2026-12-31', note: 'Điều chỉnh' });
  });

  it('refuses bad metric input naming the field, and writes nothing', async () => {
    const withInput = (changes: Record<string, string | null>) => `createMetric(input: { ${metricInput({ code: '"KCB_OTHER"', ...changes })} }) { code }`;
    await refused(`createMetric(input: { ${METRIC} }) { code }`, 'CONFLICT', 'input.code', 'already exists');
    await refused(withInput({ department: '"SO_XX"' }), 'BAD_USER_INPUT', 'input.department', 'unknown department "SO_XX"');
    // Merged into another department on 1 March 2025: it takes no new work.
    await refused(withInput({ department: '"SO_GTVT"' }), 'BAD_USER_INPUT', 'input.department', 'no longer exists');
    await refused(withInput({ pilotModel: '"M99"' }), 'BAD_USER_INPUT', 'input.pilotModel', 'unknown pilot model');
    await refused(withInput({ kind: 'RATE', targetValue: '120', maxValue: null }), 'BAD_USER_INPUT', 'input.targetValue', 'percentage');
    await refused(withInput({ minValue: '50', maxValue: '10' }), 'BAD_USER_INPUT', 'input.minValue');
    await refused(withInput({ targetDate: null }), 'BAD_USER_INPUT', 'input.targetDate', 'a target needs a date');
    await refused(withInput({ reportingLagDays: '-1' }), 'BAD_USER_INPUT', 'input.reportingLagDays');
    await refused(withInput({ code: '"bad code!"' }), 'BAD_USER_INPUT', 'input.code');
    await refused(withInput({ name: '"  "' }), 'BAD_USER_INPUT', 'input.name');
    await refused('updateMetric(code: "KCB_TELEHEALTH", input: { department: "NOPE" }) { code }', 'BAD_USER_INPUT', 'input.department');
    await refused('updateMetric(code: "NO_SUCH", input: { name: "x" }) { code }', 'NOT_FOUND', undefined, 'NO_SUCH');
    // A date that is no date: refused by the Date scalar before anything runs.
    const badDate = await errorOf(hub, `mutation { ${withInput({ targetDate: '"2026-02-30"' })} }`, undefined, admin);
    expect(badDate.message).toContain('2026-02-30');
    // Only an ADMIN changes the catalogue.
    const forbidden = await errorOf(hub, `mutation { ${withInput({})} }`, undefined, healthIt);
    expect(forbidden.extensions?.code).toBe('FORBIDDEN');
  });

  it('a retired metric accepts no new values (METRIC_RETIRED) and keeps its data readable', async () => {
    const connector = (
      await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation { registerConnector(input: { name: "Health telehealth push", kind: "push", department: "SO_YT", config: {} }) { id } }', undefined, admin)
    ).registerConnector.id;
    const push = (period: string) =>
      dataOf<{ submitObservations: { summary: { imported: number; rejected: number }; rejections: Array<{ reason: string; message: string }> } }>(
        hub,
        `mutation { submitObservations(connectorId: "${connector}", rows: [{ metric: "KCB_TELEHEALTH", unit: "412", period: "${period}", value: 7 }]) { summary { imported rejected } rejections { reason message } } }`,
        undefined,
        admin,
      );
    expect((await push('2024-05')).submitObservations.summary).toEqual({ imported: 1, rejected: 0 });
    const retired = await dataOf<{ retireMetric: { retiredOn: string; history: Change[] } }>(
      hub,
      `mutation { retireMetric(code: "KCB_TELEHEALTH", note: "Thay bằng chỉ tiêu mới") { retiredOn history(field: RETIRED) { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(retired.retireMetric.retiredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(retired.retireMetric.history).toMatchObject([{ field: 'RETIRED', toValue: retired.retireMetric.retiredOn, note: 'Thay bằng chỉ tiêu mới' }]);
    const after = await push('2024-06');
    expect(after.submitObservations.summary).toEqual({ imported: 0, rejected: 1 });
    expect(after.submitObservations.rejections[0].reason).toBe('METRIC_RETIRED');
    expect(after.submitObservations.rejections[0].message).toContain('đã ngừng theo dõi');
    const read = await dataOf<{ metric: { latest: { period: string; value: number } } }>(hub, '{ metric(code: "KCB_TELEHEALTH") { latest { period value } } }', undefined, admin);
    expect(read.metric.latest).toMatchObject({ period: '2024-05', value: 7 });
    await refused('retireMetric(code: "KCB_TELEHEALTH", note: "again") { code }', 'CONFLICT', 'code', 'was retired');
    await refused('updateMetric(code: "KCB_TELEHEALTH", input: { name: "x" }) { code }', 'BAD_USER_INPUT', 'code', 'retired');
  });

  it('a metric is reported at the unit levels it is created with; other levels are rejected (WRONG_LEVEL) until updateMetric adds them', async () => {
    const input = metricInput({ code: '"KCB_DISTRICT_ONLY"', targetValue: null, targetDate: null, levels: '[DISTRICT, PROVINCE]' });
    await refused(`createMetric(input: { ${input.replace('[DISTRICT, PROVINCE]', '[]')} }) { code }`, 'BAD_USER_INPUT', 'input.levels', 'at least one level');
    await refused(`createMetric(input: { ${input.replace('[DISTRICT, PROVINCE]', '[DISTRICT, DISTRICT]')} }) { code }`, 'BAD_USER_INPUT', 'input.levels[1]', 'listed twice');
    const created = await dataOf<{ createMetric: { levels: string[]; history: Change[] } }>(hub, `mutation { createMetric(input: { ${input} }) { levels history { ${CHANGE_FIELDS} } } }`, undefined, admin);
    expect(created.createMetric.levels).toEqual(['PROVINCE', 'DISTRICT']);
    expect(created.createMetric.history[0].changes?.levels).toEqual({ from: null, to: ['PROVINCE', 'DISTRICT'] });
    const everyLevel = await dataOf<{ metric: { levels: string[] } }>(hub, '{ metric(code: "KCB_BIOMETRIC_VISITS") { levels } }');
    expect(everyLevel.metric.levels).toEqual(['PROVINCE', 'DISTRICT', 'COMMUNE']);

    const connector = (
      await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation { registerConnector(input: { name: "Health district push", kind: "push", department: "SO_YT", config: {} }) { id } }', undefined, admin)
    ).registerConnector.id;
    const push = () =>
      dataOf<{ submitObservations: { summary: { imported: number; unchanged: number; rejected: number }; rejections: Array<{ rowIndex: number; reason: string; message: string }> } }>(
        hub,
        `mutation { submitObservations(connectorId: "${connector}", rows: [{ metric: "KCB_DISTRICT_ONLY", unit: "412", period: "2024-05", value: 7 }, { metric: "KCB_DISTRICT_ONLY", unit: "16681", period: "2024-05", value: 2 }]) { summary { imported unchanged rejected } rejections { rowIndex reason message } } }`,
        undefined,
        admin,
      );
    const before = await push();
    expect(before.submitObservations.summary).toEqual({ imported: 1, unchanged: 0, rejected: 1 });
    expect(before.submitObservations.rejections[0]).toMatchObject({ rowIndex: 1, reason: 'WRONG_LEVEL' });
    expect(before.submitObservations.rejections[0].message).toContain('là cấp xã');
    expect(before.submitObservations.rejections[0].message).toContain('metric "KCB_DISTRICT_ONLY" is reported at PROVINCE, DISTRICT level only');

    await refused('updateMetric(code: "KCB_DISTRICT_ONLY", input: { levels: [] }) { code }', 'BAD_USER_INPUT', 'input.levels', 'at least one level');
    const updated = await dataOf<{ updateMetric: { levels: string[]; history: Change[] } }>(
      hub,
      `mutation { updateMetric(code: "KCB_DISTRICT_ONLY", input: { levels: [COMMUNE, DISTRICT], note: "Báo cáo cấp xã" }) { levels history(field: DEFINITION) { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(updated.updateMetric.levels).toEqual(['DISTRICT', 'COMMUNE']);
    expect(updated.updateMetric.history).toMatchObject([{ toValue: 'levels', note: 'Báo cáo cấp xã', changes: { levels: { from: ['PROVINCE', 'DISTRICT'], to: ['DISTRICT', 'COMMUNE'] } } }]);
    // The district's value is already stored; the commune's is now taken.
    expect((await push()).submitObservations.summary).toEqual({ imported: 1, unchanged: 1, rejected: 0 });
  });

  it('pilot models: created with supporting departments; retired ones leave current counts and stay in their years', async () => {
    const model = `code: "M39", name: "Digital school records", nameVi: "Học bạ số", leadDepartment: "SO_GDDT", supportingDepartments: ["SO_YT"],
      responsiblePerson: "Giám đốc Sở", deadline: "2026-12-31", taskGroup: "TG01"`;
    await refused(`createPilotModel(input: { ${model.replace('"SO_YT"', '"SO_GDDT"')} }) { code }`, 'BAD_USER_INPUT', 'input.supportingDepartments[0]', 'lead department');
    await refused(`createPilotModel(input: { ${model.replace('"TG01"', '"TG99"')} }) { code }`, 'BAD_USER_INPUT', 'input.taskGroup');
    await refused(`createPilotModel(input: { ${model.replace('"M39"', '"M01"')} }) { code }`, 'CONFLICT', 'input.code');
    await refused(`createPilotModel(input: { ${model.replace('"SO_GDDT", supp', '"SO_TTTT", supp')} }) { code }`, 'BAD_USER_INPUT', 'input.leadDepartment', 'no longer exists');
    const countsQuery = '{ program(code: "DA06") { now: pilotModelCounts { total } y2024: pilotModelCounts(planYear: 2024) { total } } }';
    const before = await dataOf<{ program: { now: { total: number }; y2024: { total: number } } }>(hub, countsQuery);
    expect(before.program).toEqual({ now: { total: 38 }, y2024: { total: 38 } });

    const created = await dataOf<{ createPilotModel: { code: string; number: number; status: string; supportingDepartments: Array<{ code: string }>; history: Change[] } }>(
      hub,
      `mutation { createPilotModel(input: { ${model} }) { code number status supportingDepartments { code } history { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(created.createPilotModel).toMatchObject({ code: 'M39', number: 39, status: 'NOT_STARTED', supportingDepartments: [{ code: 'SO_YT' }] });
    expect(created.createPilotModel.history.map((change) => change.field)).toEqual(['CREATED', 'STATUS']);
    expect((await dataOf<typeof before>(hub, countsQuery)).program).toEqual({ now: { total: 39 }, y2024: { total: 39 } });

    await dataOf(hub, 'mutation { retirePilotModel(code: "M39", note: "Gộp vào M05") { code } }', undefined, admin);
    const retiredYear = Number((await hub.dataSource.query("SELECT retiredOn FROM pilot_model WHERE code = 'M39'"))[0].retiredOn.toString().slice(0, 4));
    const afterRetire = await dataOf<{ program: { now: { total: number }; y2024: { total: number } } }>(hub, countsQuery);
    // Retired this year: out of this year's counts, still in the 2024 plan's.
    expect(afterRetire.program.now.total).toBe(38);
    expect(afterRetire.program.y2024.total).toBe(retiredYear > 2024 ? 39 : 38);
    const listed = await dataOf<{ pilotModels: { totalCount: number } }>(hub, '{ pilotModels(filter: { retired: true }) { totalCount } }');
    expect(listed.pilotModels.totalCount).toBe(1);
    await refused('retirePilotModel(code: "M39", note: "again") { code }', 'CONFLICT', 'code');
    await refused('retirePilotModel(code: "M39", note: "  ") { code }', 'BAD_USER_INPUT', 'note');
    await refused('updatePilotModelStatus(code: "M39", status: IN_PROGRESS, note: "late") { code }', 'BAD_USER_INPUT', 'code', 'retired');
    // No metric may be added to a retired model.
    await refused(`createMetric(input: { ${metricInput({ code: '"M39_METRIC"', pilotModel: '"M39"' })} }) { code }`, 'BAD_USER_INPUT', 'input.pilotModel', 'retired');
  });

  it('plans per year: a 2025 plan carries over the unfinished 2024 tasks, linked to their origin; counts take a plan year', async () => {
    const open2024 = Number((await hub.dataSource.query("SELECT COUNT(*) AS n FROM task WHERE status <> 'COMPLETED'"))[0].n);
    await refused('createPlan(input: { program: "DA06", planYear: 2025, carryOverFrom: 2025, note: "x" }) { planYear }', 'BAD_USER_INPUT', 'input.carryOverFrom');
    await refused('createPlan(input: { program: "DA06", planYear: 2025, carryOverFrom: 2023, note: "x" }) { planYear }', 'BAD_USER_INPUT', 'input.carryOverFrom', 'no 2023 plan');
    await refused('createPlan(input: { program: "NOPE", planYear: 2025, note: "x" }) { planYear }', 'BAD_USER_INPUT', 'input.program');
    await refused('createPlan(input: { program: "DA06", planYear: 2024, note: "x" }) { planYear }', 'CONFLICT', 'input.planYear', 'already has a 2024 plan');
    const plan = await dataOf<{ createPlan: { planYear: number; taskGroups: Array<{ code: string; planYear: number }>; carriedOver: Array<{ code: string; planYear: number; status: string; carriedOverFrom: { code: string } }> } }>(
      hub,
      'mutation { createPlan(input: { program: "DA06", planYear: 2025, carryOverFrom: 2024, note: "Kế hoạch 2025" }) { planYear taskGroups { code planYear } carriedOver { code planYear status carriedOverFrom { code } } } }',
      undefined,
      admin,
    );
    const { carriedOver, taskGroups } = plan.createPlan;
    expect(carriedOver).toHaveLength(open2024);
    expect(taskGroups.every((group) => group.planYear === 2025 && group.code.endsWith('/2025'))).toBe(true);
    for (const task of carriedOver) {
      expect(task.code).toBe(`${task.carriedOverFrom.code}/2025`);
      expect(task.planYear).toBe(2025);
      expect(task.status).not.toBe('COMPLETED');
    }
    const origin = carriedOver[0].carriedOverFrom.code;
    const history = await dataOf<{ task: { history: Change[] } }>(hub, `{ task(code: "${origin}") { history(field: CARRIED_OVER) { ${CHANGE_FIELDS} } } }`);
    expect(history.task.history).toMatchObject([{ field: 'CARRIED_OVER', fromValue: origin, toValue: `${origin}/2025`, note: 'Kế hoạch 2025' }]);

    const byYear = await dataOf<{ program: { planYears: number[]; y2024: { total: number }; y2025: { total: number; overdue: number }; y2026: { total: number } } }>(
      hub,
      '{ program(code: "DA06") { planYears y2024: taskCounts(planYear: 2024) { total } y2025: taskCounts(planYear: 2025, asOf: "2025-06-30") { total overdue } y2026: taskCounts(asOf: "2026-06-30") { total } } }',
    );
    expect(byYear.program.planYears).toEqual([2024, 2025]);
    expect(byYear.program.y2024.total).toBe(51);
    expect(byYear.program.y2025.total).toBe(open2024);
    // 2026 has no plan of its own: the 2025 plan is still in force.
    expect(byYear.program.y2026.total).toBe(open2024);
    const listed = await dataOf<{ tasks: { totalCount: number } }>(hub, '{ tasks(filter: { planYear: 2025 }) { totalCount } }');
    expect(listed.tasks.totalCount).toBe(open2024);

    // Progress and the periodic report take the plan year too: by default the plan in force on asOf.
    type Progress = { tasks: { total: number }; taskGroups: Array<{ taskGroup: { code: string; planYear: number }; tasks: { total: number } }> };
    const progress = await dataOf<{ current: Progress; y2024: Progress; report: { tasks: { total: number }; csvUrl: string }; report2024: { tasks: { total: number }; csvUrl: string } }>(
      hub,
      `{ current: progress(asOf: "2025-06-30") { tasks { total } taskGroups { taskGroup { code planYear } tasks { total } } }
         y2024: progress(asOf: "2025-06-30", planYear: 2024) { tasks { total } taskGroups { taskGroup { code planYear } tasks { total } } }
         report: progressReport(period: "2025-Q2") { tasks { total } csvUrl }
         report2024: progressReport(period: "2025-Q2", planYear: 2024) { tasks { total } csvUrl } }`,
    );
    expect(progress.current.tasks.total).toBe(open2024);
    // The 2025 groups hold the carried-over tasks; 2024 groups are shown only for the models filed under them.
    expect(progress.current.taskGroups.filter(({ taskGroup }) => taskGroup.planYear === 2024).every(({ tasks }) => tasks.total === 0)).toBe(true);
    expect(progress.y2024.tasks.total).toBe(51);
    expect(progress.report.tasks.total).toBe(open2024);
    expect(progress.report2024.tasks.total).toBe(51);
    expect(progress.report2024.csvUrl).toContain('planYear=2024');
    const csv = await fetch(hub.hub.url.replace('/graphql', progress.report2024.csvUrl), { headers: admin });
    expect(csv.status).toBe(200);

    // A new group and task in the 2025 plan.
    await refused('createTaskGroup(input: { code: "TG01", name: "x", program: "DA06", planYear: 2025, leadDepartment: "SO_YT" }) { code }', 'CONFLICT', 'input.code');
    await refused('createTaskGroup(input: { code: "TG90/2025", name: "x", program: "DA06", planYear: 1999, leadDepartment: "SO_YT" }) { code }', 'BAD_USER_INPUT', 'input.planYear');
    const group = await dataOf<{ createTaskGroup: { code: string; number: number; planYear: number } }>(
      hub,
      'mutation { createTaskGroup(input: { code: "TG90/2025", name: "Digital health", nameVi: "Y tế số", program: "DA06", planYear: 2025, leadDepartment: "SO_YT" }) { code number planYear } }',
      undefined,
      admin,
    );
    expect(group.createTaskGroup).toMatchObject({ code: 'TG90/2025', planYear: 2025 });
    const task = `code: "T90.01/2025", title: "Telehealth in every district", titleVi: "Khám từ xa tại mọi huyện", taskGroup: "TG90/2025",
      leadDepartment: "SO_YT", responsiblePerson: "Giám đốc Sở Y tế", deadline: "2025-12-31", targetValue: 21, targetUnit: "huyện"`;
    await refused(`createTask(input: { ${task.replace('"SO_YT"', '"SO_LDTBXH"')} }) { code }`, 'BAD_USER_INPUT', 'input.leadDepartment', 'no longer exists');
    await refused(`createTask(input: { ${task.replace('targetValue: 21', 'targetValue: -1')} }) { code }`, 'BAD_USER_INPUT', 'input.targetValue');
    await refused(`createTask(input: { ${task.replace('"Giám đốc Sở Y tế"', '" "')} }) { code }`, 'BAD_USER_INPUT', 'input.responsiblePerson');
    const made = await dataOf<{ createTask: { code: string; planYear: number; status: string; carriedOverFrom: null } }>(
      hub,
      `mutation { createTask(input: { ${task} }) { code planYear status carriedOverFrom { code } } }`,
      undefined,
      admin,
    );
    expect(made.createTask).toEqual({ code: 'T90.01/2025', planYear: 2025, status: 'NOT_STARTED', carriedOverFrom: null });
    const retired = await dataOf<{ retireTask: { retiredOn: string } }>(hub, 'mutation { retireTask(code: "T90.01/2025", note: "Bỏ khỏi kế hoạch") { retiredOn } }', undefined, admin);
    expect(retired.retireTask.retiredOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const created = await dataOf<{ createProgram: { code: string; planYear: number; planYears: number[] } }>(
      hub,
      'mutation { createProgram(input: { code: "DA07", name: "Digital economy", nameVi: "Kinh tế số", decision: "QĐ 07/QĐ-UBND", planYear: 2025 }) { code planYear planYears } }',
      undefined,
      admin,
    );
    expect(created.createProgram).toEqual({ code: 'DA07', planYear: 2025, planYears: [] });
    await refused('createProgram(input: { code: "DA07", name: "x", nameVi: "x", decision: "x", planYear: 2025 }) { code }', 'CONFLICT', 'input.code');
    await refused('createProgram(input: { code: "DA08", name: "x", nameVi: "x", decision: "x", planYear: 20250 }) { code }', 'BAD_USER_INPUT', 'input.planYear');
  });

  it('a department reports status and progress notes on what it leads, and nothing else', async () => {
    const [{ code: own }] = await hub.dataSource.query(
      "SELECT t.code AS code FROM task t JOIN department d ON d.id = t.leadDepartmentId WHERE d.code = 'SO_YT' AND t.status <> 'COMPLETED' AND t.retiredOn IS NULL ORDER BY t.code",
    );
    const [{ code: other }] = await hub.dataSource.query("SELECT t.code AS code FROM task t JOIN department d ON d.id = t.leadDepartmentId WHERE d.code <> 'SO_YT' ORDER BY t.code");
    const reported = await dataOf<{ updateTask: { status: string; progressNote: string; history: Change[] } }>(
      hub,
      `mutation { updateTask(code: "${own}", input: { status: COMPLETED, progressNote: "Đã hoàn thành 100% — done", note: "Báo cáo quý" }) { status progressNote history { ${CHANGE_FIELDS} } } }`,
      undefined,
      healthIt,
    );
    expect(reported.updateTask).toMatchObject({ status: 'COMPLETED', progressNote: 'Đã hoàn thành 100% — done' });
    expect(reported.updateTask.history.slice(-2)).toMatchObject([
      { field: 'STATUS', toValue: 'COMPLETED', author: 'CNTT Sở Y tế', note: 'Báo cáo quý' },
      { field: 'PROGRESS_NOTE', fromValue: null, toValue: 'Đã hoàn thành 100% — done', author: 'CNTT Sở Y tế' },
    ]);
    const before = await counts();
    for (const field of ['deadline: "2030-01-01"', 'responsiblePerson: "Giám đốc"', 'targetValue: 3', 'title: "Renamed"']) {
      const error = await errorOf(hub, `mutation { updateTask(code: "${own}", input: { ${field}, status: IN_PROGRESS }) { code } }`, undefined, healthIt);
      const name = field.split(':')[0];
      expect([error.extensions?.code, error.extensions?.field]).toEqual(['FORBIDDEN', `input.${name}`]);
    }
    const outside = await errorOf(hub, `mutation { updateTaskStatus(code: "${other}", status: COMPLETED, note: "not ours") { code } }`, undefined, healthIt);
    expect(outside.extensions?.code).toBe('FORBIDDEN');
    const model = await errorOf(hub, 'mutation { updatePilotModel(code: "M05", input: { progressNote: "x" }) { code } }', undefined, healthIt);
    expect(model.extensions?.code).toBe('FORBIDDEN');
    const viewing = await errorOf(hub, `mutation { updateTaskStatus(code: "${own}", status: IN_PROGRESS, note: "x") { code } }`, undefined, viewer);
    expect(viewing.extensions?.code).toBe('FORBIDDEN');
    expect(await counts()).toEqual(before);
    expect((await hub.dataSource.query(`SELECT status FROM task WHERE code = '${own}'`))[0].status).toBe('COMPLETED');

    // The definition stays with the ADMIN: a model's name, a task's title, each change recorded.
    const renamed = await dataOf<{ updatePilotModel: { name: string; history: Change[] } }>(
      hub,
      `mutation { updatePilotModel(code: "M05", input: { name: "Renamed model", note: "Đổi tên" }) { name history(field: DEFINITION) { ${CHANGE_FIELDS} } } }`,
      undefined,
      admin,
    );
    expect(renamed.updatePilotModel.name).toBe('Renamed model');
    expect(renamed.updatePilotModel.history).toHaveLength(1);
    expect(renamed.updatePilotModel.history[0]).toMatchObject({ field: 'DEFINITION', toValue: 'name', note: 'Đổi tên', changes: { name: { to: 'Renamed model' } } });
    await refused('updatePilotModel(code: "M05", input: { title: "x" }) { code }', 'BAD_USER_INPUT', 'input.title', 'has no title');
    await refused('updateTask(code: "T01.01", input: { titleVi: " " }) { code }', 'BAD_USER_INPUT', 'input.titleVi');
  });
});
