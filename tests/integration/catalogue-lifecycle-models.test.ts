/**
 * Pilot models with only a code, a name and a lead department (no deadline, responsible person or task group):
 * where they count, how every reader shows them, and how updatePilotModel files them under a task group and
 * changes their supporting departments later (ADMIN only, the same checks as at creation, recorded as DEFINITION).
 */
import { Role } from '../../src/security/principal';
import { rowCounts } from '../helpers/test-database';
import { dataOf, errorOf } from '../helpers/api';
import { createKey } from '../helpers/auth';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Change = { field: string; fromValue: string | null; toValue: string; changes: Record<string, { from: unknown; to: unknown }> | null };
const TABLES = ['program', 'task_group', 'pilot_model', 'pilot_model_change', 'pilot_model_supporting_department'];

describe('pilot models with optional plan facts', () => {
  let hub: TestHub;
  let admin: Record<string, string>;
  let healthIt: Record<string, string>;
  beforeAll(async () => {
    hub = await startTestHub();
    admin = (await createKey(hub, Role.ADMIN, [], 'Văn phòng UBND tỉnh')).headers;
    healthIt = (await createKey(hub, Role.DEPARTMENT_IT, ['SO_YT'], 'CNTT Sở Y tế')).headers;
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
  });

  const counts = () => rowCounts(hub.dataSource, TABLES);
  const refused = async (mutation: string, code: string, field: string, text: string, headers = admin) => {
    const before = await counts();
    const error = await errorOf(hub, `mutation { ${mutation} }`, undefined, headers);
    expect({ mutation, code: error.extensions?.code, field: error.extensions?.field }).toEqual({ mutation, code, field });
    expect(error.message).toContain(text);
    expect(await counts()).toEqual(before);
  };

  it('creates a model from code, name and lead department only; it counts from the plan in force today and is never overdue', async () => {
    const created = await dataOf<{ createPilotModel: Record<string, unknown> & { history: Change[] } }>(
      hub,
      'mutation { createPilotModel(input: { code: "M40", name: "Digital libraries", leadDepartment: "SO_GDDT" }) { code nameVi deadline responsiblePerson taskGroup { code } planYear overdue daysLate supportingDepartments { code } history { field fromValue toValue changes } } }',
      undefined,
      admin,
    );
    // The only plan is 2024's: it is still in force today.
    expect(created.createPilotModel).toMatchObject({ code: 'M40', nameVi: 'Digital libraries', deadline: null, responsiblePerson: null, taskGroup: null, planYear: 2024, overdue: false, daysLate: 0, supportingDepartments: [] });
    expect(created.createPilotModel.history[0].changes).toMatchObject({ program: { from: null, to: 'DA06' }, planYear: { from: null, to: 2024 }, taskGroup: { from: null, to: null } });

    const program = await dataOf<{ program: { now: { total: number; overdue: number; notStarted: number }; y2024: { total: number }; y2023: { total: number } } }>(
      hub,
      '{ program(code: "DA06") { now: pilotModelCounts(asOf: "2030-01-01") { total overdue notStarted } y2024: pilotModelCounts(planYear: 2024) { total } y2023: pilotModelCounts(planYear: 2023) { total } } }',
    );
    const seededOverdue = Number((await hub.dataSource.query("SELECT COUNT(*) AS n FROM pilot_model WHERE status <> 'COMPLETED' AND deadline IS NOT NULL AND deadline < '2030-01-01'"))[0].n);
    expect(program.program.now).toMatchObject({ total: 39, overdue: seededOverdue });
    expect(program.program.y2024.total).toBe(39);
    expect(program.program.y2023.total).toBe(0);

    // Lists: the overdue filter neither loses nor counts it; every model once when paging by deadline (NULL first).
    const filtered = await dataOf<{ late: { totalCount: number }; onTime: { edges: Array<{ node: { code: string } }> }; year: { totalCount: number } }>(
      hub,
      '{ late: pilotModels(filter: { overdue: true, asOf: "2030-01-01" }) { totalCount } onTime: pilotModels(filter: { overdue: false, asOf: "2030-01-01" }, first: 100) { edges { node { code } } } year: pilotModels(filter: { planYear: 2024 }) { totalCount } }',
    );
    expect(filtered.late.totalCount).toBe(seededOverdue);
    expect(filtered.onTime.edges.map(({ node }) => node.code)).toContain('M40');
    expect(filtered.year.totalCount).toBe(39);
    for (const direction of ['ASC', 'DESC']) {
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 20; page += 1) {
        const answer: { pilotModels: { edges: Array<{ node: { code: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } } } = await dataOf(
          hub,
          `query ($after: String) { pilotModels(first: 7, after: $after, orderBy: { field: DEADLINE, direction: ${direction} }) { edges { node { code } } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
        seen.push(...answer.pilotModels.edges.map(({ node }) => node.code));
        if (!answer.pilotModels.pageInfo.hasNextPage) break;
        after = answer.pilotModels.pageInfo.endCursor;
      }
      expect(seen).toHaveLength(39);
      expect(new Set(seen).size).toBe(39);
      expect(direction === 'ASC' ? seen[0] : seen[38]).toBe('M40');
    }
  });

  it('progress, scorecards, the report and its downloads, the evaluation and the export show it without a deadline or group', async () => {
    // A model past its deadline with no responsible person and no group: overdue, "not named yet".
    await dataOf(hub, 'mutation { createPilotModel(input: { code: "M41", name: "Digital archives", nameVi: "Lưu trữ số", leadDepartment: "SO_YT", deadline: "2024-02-01" }) { code } }', undefined, admin);
    type Overdue = { code: string; taskGroup: { code: string } | null; responsiblePerson: string | null; deadline: string; daysLate: number };
    const answer = await dataOf<{ progress: { pilotModels: { total: number }; overdue: Overdue[] }; report: { csvUrl: string; markdownUrl: string; pilotModelsDueInPeriod: { total: number } }; departmentScorecards: Array<{ department: { code: string }; pilotModels: { total: number } }>; evaluation: { rows: Array<{ department: { code: string }; pilotModels: { total: number; notCompleted: string[] } }> } }>(
      hub,
      `{ progress(asOf: "2024-03-31") { pilotModels { total } overdue { code taskGroup { code } responsiblePerson deadline daysLate } }
         report: progressReport(period: "2024-Q1") { csvUrl markdownUrl pilotModelsDueInPeriod { total } }
         departmentScorecards(asOf: "2024-03-31", departments: ["SO_GDDT", "SO_YT"]) { department { code } pilotModels { total } }
         evaluation(year: 2024) { rows { department { code } pilotModels { total notCompleted } } } }`,
      undefined,
      admin,
    );
    expect(answer.progress.pilotModels.total).toBe(40);
    expect(answer.progress.overdue.find((item) => item.code === 'M41')).toEqual({ code: 'M41', taskGroup: null, responsiblePerson: null, deadline: '2024-02-01', daysLate: 59 });
    expect(answer.progress.overdue.some((item) => item.code === 'M40')).toBe(false);
    const seededDue = Number((await hub.dataSource.query("SELECT COUNT(*) AS n FROM pilot_model WHERE deadline BETWEEN '2024-01-01' AND '2024-03-31'"))[0].n);
    expect(answer.report.pilotModelsDueInPeriod.total).toBe(seededDue);
    const gddt = answer.departmentScorecards.find((card) => card.department.code === 'SO_GDDT')!;
    const gddtModels = Number((await hub.dataSource.query("SELECT COUNT(*) AS n FROM pilot_model m JOIN department d ON d.id = m.leadDepartmentId WHERE d.code = 'SO_GDDT'"))[0].n);
    expect(gddt.pilotModels.total).toBe(gddtModels);
    expect(answer.evaluation.rows.find((row) => row.department.code === 'SO_GDDT')!.pilotModels.notCompleted).toContain('M40');

    const markdown = await (await fetch(new URL(answer.report.markdownUrl, hub.hub.url), { headers: admin })).text();
    expect(markdown).toMatch(/\| M41 \|.*chưa phân công.*\| 2024-02-01 \| 59 \|/);
    const csv = await (await fetch(new URL(answer.report.csvUrl, hub.hub.url), { headers: admin })).text();
    expect(csv.split('\n').find((line) => line.startsWith('overdue,PILOT_MODEL,M41,'))).toMatch(/,SO_YT,,2024-02-01,NOT_STARTED,59,/);

    const exported = await (await fetch(new URL('/catalogue/export?format=csv&sheet=PilotModels', hub.hub.url), { headers: admin })).text();
    const [header, ...rows] = exported.trim().split(/\r?\n/);
    expect(header).toContain('Nhóm nhiệm vụ (task_group),Chương trình (program),Năm kế hoạch (plan_year),');
    expect(rows.find((row) => row.startsWith('M40,'))).toMatch(/^M40,39,,DA06,2024,Digital libraries,/);
    expect(rows.find((row) => row.startsWith('M01,'))).toMatch(/^M01,1,TG\d+,DA06,2024,/);
  });

  it('the metrics of a model filed under no task group are read, filtered and grouped by task group as of none', async () => {
    await dataOf(hub, 'mutation { createMetric(input: { code: "ARCHIVE_PAGES", name: "Pages archived", kind: COUNT, frequency: MONTH, department: "SO_YT", pilotModel: "M41" }) { code } }', undefined, admin);
    const connector = (await dataOf<{ registerConnector: { id: string } }>(hub, 'mutation { registerConnector(input: { name: "Archive push", kind: "push", department: "SO_YT", config: {} }) { id } }', undefined, admin)).registerConnector.id;
    const pushed = await dataOf<{ submitObservations: { summary: { imported: number; updated: number; unchanged: number; rejected: number } } }>(
      hub,
      `mutation { submitObservations(connectorId: "${connector}", rows: [{ metric: "ARCHIVE_PAGES", unit: "412", period: "2024-02", value: 50 }, { metric: "KCB_BIOMETRIC_VISITS", unit: "412", period: "2024-02-10", value: 3 }]) { summary { imported updated unchanged rejected } } }`,
      undefined,
      admin,
    );
    // Both rows are taken (the seeded database may already hold a visits value for the day: updated or unchanged).
    const { imported, updated, unchanged, rejected } = pushed.submitObservations.summary;
    expect({ taken: imported + updated + unchanged, rejected }).toEqual({ taken: 2, rejected: 0 });
    type Row = { taskGroup: { code: string } | null; measures: Array<{ metric: { code: string }; value: number | null }> };
    const answer = await dataOf<{ grouped: { rows: Row[] }; filtered: { rows: Row[] } }>(
      hub,
      `{ grouped: aggregate(metrics: ["ARCHIVE_PAGES", "KCB_BIOMETRIC_VISITS"], groupBy: [TASK_GROUP], from: "2024-02", to: "2024-02") { rows { taskGroup { code } measures { metric { code } value } } }
         filtered: aggregate(metrics: ["ARCHIVE_PAGES", "KCB_BIOMETRIC_VISITS"], groupBy: [PILOT_MODEL], taskGroups: ["TG01", "TG02", "TG03", "TG04", "TG05"], from: "2024-02", to: "2024-02") { rows { taskGroup { code } measures { metric { code } value } } } }`,
    );
    const none = answer.grouped.rows.filter((row) => row.taskGroup === null);
    expect(none).toEqual([{ taskGroup: null, measures: [{ metric: { code: 'ARCHIVE_PAGES' }, value: 50 }] }]);
    expect(answer.grouped.rows.filter((row) => row.taskGroup !== null).flatMap((row) => row.measures.map((measure) => measure.metric.code))).toEqual(['KCB_BIOMETRIC_VISITS']);
    // A task-group filter leaves out the metrics of models filed under none.
    expect(answer.filtered.rows.flatMap((row) => row.measures.map((measure) => measure.metric.code))).not.toContain('ARCHIVE_PAGES');
  });

  it('a deadline or responsible person set later is recorded from none, and reports before that day show none', async () => {
    const set = await dataOf<{ updatePilotModel: { deadline: string; history: Change[] } }>(
      hub,
      'mutation { updatePilotModel(code: "M40", input: { deadline: "2024-06-30", responsiblePerson: "Giám đốc Sở" }) { deadline history(field: DEADLINE) { field fromValue toValue } } }',
      undefined,
      admin,
    );
    expect(set.updatePilotModel.history).toEqual([{ field: 'DEADLINE', fromValue: '', toValue: '2024-06-30' }]);
    // Judged on a past day, before the deadline was set: no deadline then, so not overdue (nor after it, as of today it is).
    const progress = await dataOf<{ progress: { overdue: Array<{ code: string }> } }>(hub, '{ progress(asOf: "2025-01-01") { overdue { code } } }');
    expect(progress.progress.overdue.some((item) => item.code === 'M40')).toBe(false);
    const today = await dataOf<{ pilotModel: { overdue: boolean } }>(hub, '{ pilotModel(code: "M40") { overdue(asOf: "2025-01-01") } }');
    expect(today.pilotModel.overdue).toBe(true);
  });

  it('updatePilotModel files a model under a task group and replaces its supporting departments, recorded as DEFINITION', async () => {
    const updated = await dataOf<{ updatePilotModel: { taskGroup: { code: string }; planYear: number; supportingDepartments: Array<{ code: string }>; history: Change[] } }>(
      hub,
      'mutation { updatePilotModel(code: "M40", input: { taskGroup: "TG02", supportingDepartments: ["SO_YT", "CA_TINH"], note: "Giao nhóm 2" }) { taskGroup { code } planYear supportingDepartments { code } history(field: DEFINITION) { field toValue changes } } }',
      undefined,
      admin,
    );
    expect(updated.updatePilotModel).toMatchObject({ taskGroup: { code: 'TG02' }, planYear: 2024, supportingDepartments: [{ code: 'CA_TINH' }, { code: 'SO_YT' }] });
    expect(updated.updatePilotModel.history).toEqual([
      { field: 'DEFINITION', toValue: 'taskGroup,supportingDepartments', changes: { taskGroup: { from: null, to: 'TG02' }, supportingDepartments: { from: [], to: ['CA_TINH', 'SO_YT'] } } },
    ]);
    const progress = await dataOf<{ progress: { taskGroups: Array<{ taskGroup: { code: string }; pilotModels: { total: number } }> } }>(hub, '{ progress(asOf: "2024-03-31") { taskGroups { taskGroup { code } pilotModels { total } } } }');
    const tg02 = Number((await hub.dataSource.query("SELECT COUNT(*) AS n FROM pilot_model m JOIN task_group g ON g.id = m.taskGroupId WHERE g.code = 'TG02'"))[0].n);
    expect(progress.progress.taskGroups.find((row) => row.taskGroup.code === 'TG02')!.pilotModels.total).toBe(tg02);

    // The same list again changes nothing and records nothing; [] removes them.
    const same = await dataOf<{ updatePilotModel: { history: Change[] } }>(hub, 'mutation { updatePilotModel(code: "M40", input: { supportingDepartments: ["CA_TINH", "SO_YT"], taskGroup: "TG02" }) { history(field: DEFINITION) { field } } }', undefined, admin);
    expect(same.updatePilotModel.history).toHaveLength(1);
    const cleared = await dataOf<{ updatePilotModel: { supportingDepartments: unknown[] } }>(hub, 'mutation { updatePilotModel(code: "M40", input: { supportingDepartments: [] }) { supportingDepartments { code } } }', undefined, admin);
    expect(cleared.updatePilotModel.supportingDepartments).toEqual([]);
  });

  it('refuses bad filing input naming the field, and writes nothing', async () => {
    const update = (input: string) => `updatePilotModel(code: "M41", input: { ${input} }) { code }`;
    const create = (input: string) => `createPilotModel(input: { code: "M42", name: "x", leadDepartment: "SO_YT", ${input} }) { code }`;
    await refused(update('taskGroup: "TG99"'), 'BAD_USER_INPUT', 'input.taskGroup', 'unknown task group "TG99"');
    await refused(update('supportingDepartments: ["SO_XX"]'), 'BAD_USER_INPUT', 'input.supportingDepartments[0]', 'unknown department "SO_XX"');
    await refused(update('supportingDepartments: ["SO_YT"]'), 'BAD_USER_INPUT', 'input.supportingDepartments[0]', 'lead department');
    await refused(update('supportingDepartments: ["CA_TINH", "CA_TINH"]'), 'BAD_USER_INPUT', 'input.supportingDepartments[1]', 'listed twice');
    // Merged into another department on 1 March 2025.
    await refused(update('supportingDepartments: ["SO_GTVT"]'), 'BAD_USER_INPUT', 'input.supportingDepartments[0]', 'no longer exists');
    // A date that is no date: refused by the Date scalar before anything runs.
    for (const mutation of [update('deadline: "2024-02-30"'), create('deadline: "2025-13-01"')]) {
      const before = await counts();
      expect((await errorOf(hub, `mutation { ${mutation} }`, undefined, admin)).message).toMatch(/2024-02-30|2025-13-01/);
      expect(await counts()).toEqual(before);
    }
    // Only an ADMIN files a model; a task stays in its plan's group.
    await refused(update('taskGroup: "TG02"'), 'FORBIDDEN', 'input.taskGroup', 'set by an ADMIN', healthIt);
    await refused(update('supportingDepartments: []'), 'FORBIDDEN', 'input.supportingDepartments', 'set by an ADMIN', healthIt);
    await refused('updateTask(code: "T01.01", input: { taskGroup: "TG02" }) { code }', 'BAD_USER_INPUT', 'input.taskGroup', 'pilot models only');

    await refused(create('program: "NOPE"'), 'BAD_USER_INPUT', 'input.program', 'unknown programme "NOPE"');
    await refused(create('responsiblePerson: "  "'), 'BAD_USER_INPUT', 'input.responsiblePerson', 'blank');
    await refused('createPilotModel(input: { code: "M42", name: "x", leadDepartment: "SO_XX" }) { code }', 'BAD_USER_INPUT', 'input.leadDepartment', 'unknown department');
    await refused('createPilotModel(input: { code: "M40", name: "x", leadDepartment: "SO_YT" }) { code }', 'CONFLICT', 'input.code', 'already exists');

    // A second programme: a model without a group must name its programme, and a group of another programme is refused.
    await dataOf(hub, 'mutation { createProgram(input: { code: "DA07", name: "Digital economy", nameVi: "Kinh tế số", decision: "QĐ 07", planYear: 2025 }) { code } }', undefined, admin);
    await dataOf(hub, 'mutation { createTaskGroup(input: { code: "TG01/DA07", name: "Start", program: "DA07", planYear: 2025, leadDepartment: "SO_YT" }) { code } }', undefined, admin);
    await refused(create('deadline: "2025-12-31"'), 'BAD_USER_INPUT', 'input.program', 'several');
    await refused(create('program: "DA06", taskGroup: "TG01/DA07"'), 'BAD_USER_INPUT', 'input.program', 'another programme');
    await refused(update('taskGroup: "TG01/DA07"'), 'BAD_USER_INPUT', 'input.taskGroup', 'another programme');
    const other = await dataOf<{ createPilotModel: { planYear: number; taskGroup: null } }>(hub, `mutation { ${create('program: "DA07"').replace('{ code }', '{ planYear taskGroup { code } }')} }`, undefined, admin);
    // DA07 has only a 2025 plan: in force from the start.
    expect(other.createPilotModel).toEqual({ planYear: 2025, taskGroup: null });
    const counts07 = await dataOf<{ program: { pilotModelCounts: { total: number } } }>(hub, '{ program(code: "DA07") { pilotModelCounts { total } } }');
    expect(counts07.program.pilotModelCounts.total).toBe(1);
  });
});
