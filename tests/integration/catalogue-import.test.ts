/**
 * The spreadsheet import (POST /catalogue/import): a 2025 plan in an XLSX workbook made here with exceljs — a new
 * task group, tasks (one carried over), a pilot model and a metric, amendments and a retirement — listed exactly by
 * the dry run, then applied in one transaction with its history and one audit record; every kind of bad input is a
 * problem at its sheet, row and column, and nothing is written; export → import is unchanged, XLSX and CSV.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { Department } from '../../src/modules/departments/department.entity';
import { Metric, MetricChange } from '../../src/modules/metrics/metric.entity';
import { PilotModel, PilotModelChange } from '../../src/modules/catalogue/pilot-model.entity';
import { Program } from '../../src/modules/catalogue/program.entity';
import { TaskGroup } from '../../src/modules/catalogue/task-group.entity';
import { Task, TaskChange } from '../../src/modules/catalogue/task.entity';
import { Role } from '../../src/security/principal';
import { keyHeaders } from '../helpers/auth';
import { QUIET_BACKGROUND, startTestHub, TEST_ADMIN_KEY, type TestHub } from '../helpers/test-hub';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
type Cell = string | number | Date | null;

interface Answer {
  applied: boolean;
  summary: Record<string, number>;
  problems: Array<{ sheet: string; row: number | null; column: string | null; message: string }>;
  changes: Array<{ sheet: string; row: number; code: string; action: string; fields: Record<string, { from: unknown; to: unknown }> }>;
  errors?: Array<{ message: string; extensions: { code: string; field?: string } }>;
}

/** A workbook of the given sheets (first row: headings); a Date becomes a date cell. */
async function workbook(sheets: Record<string, Cell[][]>): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  for (const [name, rows] of Object.entries(sheets)) {
    const sheet = book.addWorksheet(name);
    for (const row of rows) sheet.addRow(row);
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

const day = (text: string) => new Date(`${text}T00:00:00Z`);
const TASK_HEADINGS = ['code', 'task_group', 'title_vi', 'title', 'lead_department', 'responsible_person', 'deadline', 'target_value', 'target_unit', 'carried_over_from', 'retired_on'];

describe('catalogue spreadsheet import', () => {
  let hub: TestHub;
  const post = async (body: Buffer | string, query = '', headers: Record<string, string> = hub.headers, contentType = XLSX) => {
    const response = await fetch(new URL(`/catalogue/import${query}`, hub.hub.url), { method: 'POST', headers: { ...headers, 'content-type': contentType }, body });
    return { status: response.status, body: (await response.json()) as Answer };
  };
  /** Rows of every catalogue table and history table: equal before and after means nothing was written. */
  const counts = () => Promise.all([Department, Program, TaskGroup, Task, PilotModel, Metric, TaskChange, PilotModelChange, MetricChange].map((entity) => hub.dataSource.getRepository(entity).count()));
  const task = (code: string) => hub.dataSource.getRepository(Task).findOneByOrFail({ code });

  beforeAll(async () => {
    hub = await startTestHub({ seed: true, environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  /** The 2025 plan: headings in Vietnamese (TaskGroups), English (Tasks, Metrics) and the export's form (PilotModels). */
  async function plan2025(): Promise<Buffer> {
    const t0401 = await task('T04.01');
    const t0402 = await task('T04.02');
    const visits = await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'KCB_BIOMETRIC_VISITS' });
    const taskRow = (row: Task, changes: Partial<Record<'responsible' | 'deadline' | 'retired', Cell>>): Cell[] => [
      row.code, 'TG04', row.titleVi, row.title, 'SO_YT', changes.responsible ?? row.responsiblePerson, changes.deadline ?? row.deadline, row.targetValue, row.targetUnit, null, changes.retired ?? null,
    ];
    return workbook({
      TaskGroups: [
        ['Mã', 'Chương trình', 'Năm kế hoạch', 'Tên', 'Tên tiếng Anh', 'Đơn vị chủ trì'],
        ['TG25.01', 'DA06', 2025, 'Y tế số năm 2025', 'Digital health 2025', 'SO_YT'],
      ],
      Tasks: [
        TASK_HEADINGS,
        ['T25.01', 'TG25.01', 'Kết nối trạm y tế xã', 'Connect commune clinics', 'SO_YT', 'Director, Department of Health', day('2025-06-30'), 120, 'clinics', null, null],
        ['T25.02', 'TG25.01', 'Hoàn thành 53 dịch vụ công', 'Finish the 53 public services', 'VP_UBND', 'Director, Provincial Public Administration Service Centre', '2025-03-31', null, null, 'T01.01', null],
        taskRow(t0401, { responsible: 'Director, Department of Health', deadline: '2025-06-30' }),
        taskRow(t0402, { retired: day('2025-01-15') }),
      ],
      PilotModels: [
        ['Mã (code)', 'Nhóm nhiệm vụ (task_group)', 'Tên mô hình (name_vi)', 'Tên tiếng Anh (name)', 'Đơn vị chủ trì (lead_department)', 'Đơn vị phối hợp (supporting_departments)', 'Người chịu trách nhiệm (responsible_person)', 'Thời hạn (deadline)'],
        ['M39', 'TG25.01', 'Khám bệnh từ xa tại trạm y tế xã', 'Telehealth at commune clinics', 'SO_YT', 'CA_TINH SO_TP', 'Deputy Director, Department of Health', day('2025-12-31')],
      ],
      Metrics: [
        ['code', 'name_vi', 'name', 'pilot_model', 'department', 'kind', 'frequency', 'target_value', 'target_date'],
        ['KCB_TELEHEALTH_VISITS', 'Số lượt khám từ xa', 'Telehealth visits', 'M39', 'SO_YT', 'COUNT', 'MONTH', 5000, day('2025-12-31')],
        [visits.code, visits.nameVi, visits.name, 'M03', 'SO_YT', visits.kind, visits.frequency, 3000000, '2025-12-31'],
      ],
    });
  }

  it('lists a 2025 plan exactly in the dry run, applies it in one transaction with its history and one audit record', async () => {
    const file = await plan2025();
    const t0401 = await task('T04.01');
    const before = await counts();
    const dryRun = await post(file);
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.problems).toEqual([]);
    expect(await counts()).toEqual(before);
    const created = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, { from: null, to: value }]));
    expect(dryRun.body.changes).toEqual([
      {
        sheet: 'TaskGroups', row: 2, code: 'TG25.01', action: 'create',
        fields: created({ code: 'TG25.01', program: 'DA06', plan_year: 2025, number: 1, name_vi: 'Y tế số năm 2025', name: 'Digital health 2025', lead_department: 'SO_YT', basis: 'SOURCE' }),
      },
      {
        sheet: 'Tasks', row: 2, code: 'T25.01', action: 'create',
        fields: created({
          code: 'T25.01', task_group: 'TG25.01', plan_year: 2025, title_vi: 'Kết nối trạm y tế xã', title: 'Connect commune clinics', lead_department: 'SO_YT',
          responsible_person: 'Director, Department of Health', deadline: '2025-06-30', status: 'NOT_STARTED', completed_on: null, product: '', target_value: 120,
          target_unit: 'clinics', carried_over_from: null, progress_note: null, retired_on: null, basis: 'SOURCE',
        }),
      },
      {
        sheet: 'Tasks', row: 3, code: 'T25.02', action: 'create',
        fields: created({
          code: 'T25.02', task_group: 'TG25.01', plan_year: 2025, title_vi: 'Hoàn thành 53 dịch vụ công', title: 'Finish the 53 public services', lead_department: 'VP_UBND',
          responsible_person: 'Director, Provincial Public Administration Service Centre', deadline: '2025-03-31', status: 'NOT_STARTED', completed_on: null, product: '',
          target_value: null, target_unit: null, carried_over_from: 'T01.01', progress_note: null, retired_on: null, basis: 'SOURCE',
        }),
      },
      {
        sheet: 'Tasks', row: 4, code: 'T04.01', action: 'update',
        fields: { responsible_person: { from: t0401.responsiblePerson, to: 'Director, Department of Health' }, deadline: { from: '2024-03-31', to: '2025-06-30' } },
      },
      { sheet: 'Tasks', row: 5, code: 'T04.02', action: 'retire', fields: { retired_on: { from: null, to: '2025-01-15' } } },
      {
        sheet: 'PilotModels', row: 2, code: 'M39', action: 'create',
        fields: created({
          code: 'M39', number: 39, task_group: 'TG25.01', program: 'DA06', plan_year: 2025, name_vi: 'Khám bệnh từ xa tại trạm y tế xã', name: 'Telehealth at commune clinics', lead_department: 'SO_YT',
          supporting_departments: 'CA_TINH SO_TP', responsible_person: 'Deputy Director, Department of Health', deadline: '2025-12-31', status: 'NOT_STARTED',
          completed_on: null, progress_note: null, retired_on: null, basis: 'SOURCE',
        }),
      },
      {
        sheet: 'Metrics', row: 2, code: 'KCB_TELEHEALTH_VISITS', action: 'create',
        fields: created({
          code: 'KCB_TELEHEALTH_VISITS', name_vi: 'Số lượt khám từ xa', name: 'Telehealth visits', pilot_model: 'M39', department: 'SO_YT', unit: '', kind: 'COUNT',
          frequency: 'MONTH', levels: 'PROVINCE DISTRICT COMMUNE', target_value: 5000, target_date: '2025-12-31', min_value: null, max_value: null, reporting_lag_days: null, description: null,
          retired_on: null, basis: 'SOURCE',
        }),
      },
      {
        sheet: 'Metrics', row: 3, code: 'KCB_BIOMETRIC_VISITS', action: 'update',
        fields: { target_value: { from: 2500000, to: 3000000 }, target_date: { from: '2024-12-31', to: '2025-12-31' } },
      },
    ]);
    expect(dryRun.body.summary).toEqual({ create: 5, update: 2, unchanged: 0, retire: 1 });

    const applied = await post(file, '?apply=true&note=K%E1%BA%BF%20ho%E1%BA%A1ch%202025');
    expect(applied.status).toBe(200);
    expect({ applied: applied.body.applied, changes: applied.body.changes }).toEqual({ applied: true, changes: dryRun.body.changes });
    const { data } = await hub.graphql<{
      program: { planYears: number[] };
      t2502: { planYear: number; carriedOverFrom: { code: string }; history: Array<Record<string, unknown>> };
      t0401: { deadline: string; responsiblePerson: string; history: Array<Record<string, unknown>> };
      t0402: { retiredOn: string; history: Array<Record<string, unknown>> };
      m39: { number: number; supportingDepartments: Array<{ code: string }>; taskGroup: { planYear: number }; metrics: Array<{ code: string; target: number }> };
      visits: { target: number; targetDate: string; history: Array<Record<string, unknown>> };
    }>(`{
      program(code: "DA06") { planYears }
      t2502: task(code: "T25.02") { planYear carriedOverFrom { code } history { field fromValue toValue author note } }
      t0401: task(code: "T04.01") { deadline responsiblePerson history(field: DEADLINE) { field fromValue toValue author note } }
      t0402: task(code: "T04.02") { retiredOn history(field: RETIRED) { field fromValue toValue author note } }
      m39: pilotModel(code: "M39") { number supportingDepartments { code } taskGroup { planYear } metrics { code target } }
      visits: metric(code: "KCB_BIOMETRIC_VISITS") { target targetDate history(field: TARGET) { field fromValue toValue author note } }
    }`);
    const by = { author: 'PILOTHUB_ADMIN_KEY', note: 'Kế hoạch 2025' };
    expect(data!.program.planYears).toEqual([2024, 2025]);
    expect(data!.t2502).toEqual({
      planYear: 2025,
      carriedOverFrom: { code: 'T01.01' },
      history: [
        { field: 'CREATED', fromValue: null, toValue: 'T25.02', ...by },
        { field: 'STATUS', fromValue: null, toValue: 'NOT_STARTED', ...by },
        { field: 'CARRIED_OVER', fromValue: 'T01.01', toValue: 'T25.02', ...by },
      ],
    });
    expect(data!.t0401).toEqual({ deadline: '2025-06-30', responsiblePerson: 'Director, Department of Health', history: [{ field: 'DEADLINE', fromValue: '2024-03-31', toValue: '2025-06-30', ...by }] });
    expect(data!.t0402).toEqual({ retiredOn: '2025-01-15', history: [{ field: 'RETIRED', fromValue: null, toValue: '2025-01-15', ...by }] });
    expect(data!.m39).toEqual({ number: 39, supportingDepartments: [{ code: 'CA_TINH' }, { code: 'SO_TP' }], taskGroup: { planYear: 2025 }, metrics: [{ code: 'KCB_TELEHEALTH_VISITS', target: 5000 }] });
    expect(data!.visits).toEqual({ target: 3000000, targetDate: '2025-12-31', history: [{ field: 'TARGET', fromValue: '2500000 @ 2024-12-31', toValue: '3000000 @ 2025-12-31', ...by }] });
    const audit = await hub.dataSource.query("SELECT outcome, actorName FROM audit_event WHERE action = 'catalogue.import' ORDER BY id");
    expect(audit).toEqual([{ outcome: 'SUCCESS', actorName: 'PILOTHUB_ADMIN_KEY' }, { outcome: 'SUCCESS', actorName: 'PILOTHUB_ADMIN_KEY' }]);

    // The same file again changes nothing.
    const again = await post(file);
    expect(again.body.summary).toEqual({ create: 0, update: 0, unchanged: 8, retire: 0 });
  });

  /** A valid Tasks sheet of one new 2024 task, and the row a case changes. */
  const newTask = (changes: Partial<Record<string, Cell>>): Cell[] => {
    const base: Record<string, Cell> = {
      code: 'T99.01', task_group: 'TG04', title_vi: 'Nhiệm vụ thử', title: 'Test task', lead_department: 'SO_YT', responsible_person: 'Director', deadline: '2024-12-31',
      target_value: null, target_unit: null, carried_over_from: null, retired_on: null, ...changes,
    };
    return TASK_HEADINGS.map((column) => base[column]);
  };

  const BAD_CASES: Array<{ name: string; sheets: Record<string, Cell[][]>; problems: Array<[string, number | null, string | null]> }> = [
    { name: 'unknown department', sheets: { Tasks: [TASK_HEADINGS, newTask({ lead_department: 'SO_XYZ' })] }, problems: [['Tasks', 2, 'lead_department']] },
    {
      name: 'unknown programme, group and model, also when the row they name is bad',
      sheets: {
        TaskGroups: [['code', 'program', 'plan_year', 'name', 'lead_department'], ['TG99', 'DA99', 2025, 'Group', 'SO_YT']],
        Tasks: [TASK_HEADINGS, newTask({ task_group: 'TG99' })],
        Metrics: [['code', 'name', 'pilot_model', 'department', 'kind', 'frequency'], ['NEW_A', 'A', 'M77', 'SO_YT', 'COUNT', 'MONTH']],
      },
      problems: [['TaskGroups', 2, 'program'], ['Tasks', 2, 'task_group'], ['Metrics', 2, 'pilot_model']],
    },
    { name: 'duplicate code in the file', sheets: { Tasks: [TASK_HEADINGS, newTask({}), newTask({ title: 'Again' })] }, problems: [['Tasks', 3, 'code']] },
    {
      name: 'a metric of a model retired (in the same file)',
      sheets: {
        PilotModels: [['code', 'retired_on'], ['M05', '2025-01-31']],
        Metrics: [['code', 'name', 'pilot_model', 'department', 'kind', 'frequency'], ['NEW_B', 'B', 'M05', 'CA_TINH', 'COUNT', 'MONTH']],
      },
      problems: [['Metrics', 2, 'pilot_model']],
    },
    {
      name: 'wrong kind, frequency and status',
      sheets: {
        Tasks: [[...TASK_HEADINGS, 'status'], [...newTask({}), 'DONE']],
        Metrics: [['code', 'name', 'pilot_model', 'department', 'kind', 'frequency'], ['NEW_C', 'C', 'M03', 'SO_YT', 'SUM', 'HOURLY']],
      },
      problems: [['Tasks', 2, 'status'], ['Metrics', 2, 'kind'], ['Metrics', 2, 'frequency']],
    },
    {
      name: 'dates that are not (2025-02-30, 31/12/2025)',
      sheets: { Tasks: [TASK_HEADINGS, newTask({ deadline: '2025-02-30' }), newTask({ code: 'T99.02', deadline: '31/12/2025' })] },
      problems: [['Tasks', 2, 'deadline'], ['Tasks', 3, 'deadline']],
    },
    { name: 'a number that is not', sheets: { Tasks: [TASK_HEADINGS, newTask({ target_value: 'abc', target_unit: 'units' })] }, problems: [['Tasks', 2, 'target_value']] },
    {
      name: 'a cycle of carried-over tasks',
      sheets: {
        TaskGroups: [['code', 'program', 'plan_year', 'name', 'lead_department'], ['TG98', 'DA06', 2025, 'Group', 'SO_YT']],
        Tasks: [TASK_HEADINGS, newTask({ task_group: 'TG98', carried_over_from: 'T99.02' }), newTask({ code: 'T99.02', task_group: 'TG98', carried_over_from: 'T99.01' })],
      },
      problems: [['Tasks', 2, 'carried_over_from'], ['Tasks', 3, 'carried_over_from']],
    },
    { name: 'a required cell left blank', sheets: { Tasks: [TASK_HEADINGS, newTask({ title: null })] }, problems: [['Tasks', 2, 'title']] },
    { name: 'an unknown column', sheets: { Tasks: [[...TASK_HEADINGS, 'colour'], [...newTask({}), 'red']] }, problems: [['Tasks', 1, 'colour']] },
    {
      name: 'a blank Vietnamese name of a stored metric, a model number too large',
      sheets: { Metrics: [['code', 'name_vi'], ['KCB_BIOMETRIC_VISITS', null]], PilotModels: [['code', 'number'], ['M05', 1e12]] },
      problems: [['PilotModels', 2, 'number'], ['Metrics', 2, 'name_vi']],
    },
    {
      name: 'an unknown unit level, a model’s programme or first plan year other than its group’s',
      sheets: {
        Metrics: [['code', 'levels'], ['KCB_BIOMETRIC_VISITS', 'PROVINCE VILLAGE']],
        PilotModels: [['code', 'program', 'plan_year'], ['M05', 'DA07', 2024], ['M06', 'DA06', 2023]],
      },
      problems: [['PilotModels', 2, 'program'], ['PilotModels', 3, 'plan_year'], ['Metrics', 2, 'levels']],
    },
    {
      name: 'a change the catalogue never makes (a metric’s kind)',
      sheets: { Metrics: [['code', 'kind'], ['KCB_BIOMETRIC_VISITS', 'STOCK']] },
      problems: [['Metrics', 2, 'kind']],
    },
  ];

  it.each(BAD_CASES)('refuses $name at its sheet, row and column, writing nothing', async ({ sheets, problems }) => {
    const file = await workbook(sheets);
    const before = await counts();
    const dryRun = await post(file);
    expect(dryRun.status).toBe(200);
    expect(dryRun.body.problems.map((problem) => [problem.sheet, problem.row, problem.column])).toEqual(problems);
    for (const problem of dryRun.body.problems) expect(problem.message).toMatch(/^\S.* — \S/);
    const applied = await post(file, '?apply=true');
    expect({ status: applied.status, code: applied.body.errors?.[0].extensions.code, applied: applied.body.applied, problems: applied.body.problems.length }).toEqual({
      status: 400, code: 'BAD_USER_INPUT', applied: false, problems: problems.length,
    });
    expect(await counts()).toEqual(before);
  });

  it('reads Excel date cells and unformatted date numbers, and says which value is not a date', async () => {
    const dryRun = await post(await workbook({ Tasks: [TASK_HEADINGS, newTask({ deadline: day('2024-11-30') }), newTask({ code: 'T99.02', deadline: 45657 })] }));
    expect(dryRun.body.problems).toEqual([]);
    expect(dryRun.body.changes.map((change) => change.fields.deadline.to)).toEqual(['2024-11-30', '2024-12-31']);
    const bad = await post(await workbook({ Tasks: [TASK_HEADINGS, newTask({ deadline: '2025-02-30' })] }));
    expect(bad.body.problems).toEqual([
      { sheet: 'Tasks', row: 2, column: 'deadline', message: '"2025-02-30" không phải ngày hợp lệ (YYYY-MM-DD) — not a calendar date YYYY-MM-DD' },
    ]);
  });

  it('round-trips: the export imported back is unchanged, as a workbook and sheet by sheet as CSV; an edited cell is one update', async () => {
    const exported = Buffer.from(await (await fetch(new URL('/catalogue/export', hub.hub.url), { headers: hub.headers })).arrayBuffer());
    const total = (await counts()).slice(0, 6).reduce((sum, count) => sum + count, 0);
    const whole = await post(exported);
    expect(whole.body.problems).toEqual([]);
    expect(whole.body.summary).toEqual({ create: 0, update: 0, unchanged: total, retire: 0 });
    for (const sheet of ['Departments', 'Programmes', 'TaskGroups', 'Tasks', 'PilotModels', 'Metrics']) {
      const csv = await (await fetch(new URL(`/catalogue/export?format=csv&sheet=${sheet}`, hub.hub.url), { headers: hub.headers })).text();
      const answer = await post(csv, `?format=csv&sheet=${sheet}`, hub.headers, 'text/csv');
      expect({ sheet, problems: answer.body.problems, changed: answer.body.changes.filter((change) => change.action !== 'unchanged') }).toEqual({ sheet, problems: [], changed: [] });
    }
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(exported as unknown as ExcelJS.Buffer);
    const tasks = book.getWorksheet('Tasks')!;
    const row = tasks.getColumn(1).values.findIndex((value) => value === 'T01.02');
    tasks.getRow(row).getCell(7).value = 'Director, Department of Justice';
    const edited = await post(Buffer.from(await book.xlsx.writeBuffer()));
    expect(edited.body.changes.filter((change) => change.action !== 'unchanged')).toEqual([
      { sheet: 'Tasks', row, code: 'T01.02', action: 'update', fields: { responsible_person: { from: (await task('T01.02')).responsiblePerson, to: 'Director, Department of Justice' } } },
    ]);
  });

  it('round-trips a model created with only its code, name and lead department, and a metric reported at chosen levels; a levels cell is one update', async () => {
    const graphql = async (query: string) => {
      const response = await fetch(new URL('/graphql', hub.hub.url), { method: 'POST', headers: { ...hub.headers, 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      const answer = (await response.json()) as { errors?: unknown };
      expect(answer.errors).toBeUndefined();
    };
    await graphql('mutation { createPilotModel(input: { code: "M91", name: "Ungrouped model", leadDepartment: "SO_TP" }) { code } }');
    await graphql('mutation { createMetric(input: { code: "LEVELS_PROBE", name: "Levels probe", kind: COUNT, frequency: MONTH, department: "SO_TP", pilotModel: "M91", levels: [PROVINCE] }) { code } }');
    const exported = Buffer.from(await (await fetch(new URL('/catalogue/export', hub.hub.url), { headers: hub.headers })).arrayBuffer());
    const again = await post(exported);
    expect({ problems: again.body.problems, changed: again.body.changes.filter((change) => change.action !== 'unchanged') }).toEqual({ problems: [], changed: [] });
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(exported as unknown as ExcelJS.Buffer);
    const models = book.getWorksheet('PilotModels')!;
    const modelRow = models.getRow(models.getColumn(1).values.findIndex((value) => value === 'M91'));
    const headings = (sheet: ExcelJS.Worksheet) => Array.from(sheet.getRow(1).values as unknown[], (value) => String(value ?? ''));
    expect(['task_group', 'deadline', 'responsible_person'].map((column) => modelRow.getCell(headings(models).findIndex((text) => text.endsWith(`(${column})`))).value)).toEqual([null, null, null]);
    const metrics = book.getWorksheet('Metrics')!;
    const metricRow = metrics.getColumn(1).values.findIndex((value) => value === 'LEVELS_PROBE');
    const levelsColumn = headings(metrics).findIndex((text) => text.endsWith('(levels)'));
    expect(metrics.getRow(metricRow).getCell(levelsColumn).value).toBe('PROVINCE');
    metrics.getRow(metricRow).getCell(levelsColumn).value = 'district province';
    const edited = await post(Buffer.from(await book.xlsx.writeBuffer()), '?apply=true&note=levels');
    expect(edited.body.changes.filter((change) => change.action !== 'unchanged')).toEqual([
      { sheet: 'Metrics', row: metricRow, code: 'LEVELS_PROBE', action: 'update', fields: { levels: { from: 'PROVINCE', to: 'PROVINCE DISTRICT' } } },
    ]);
    expect(edited.body.applied).toBe(true);
    expect((await hub.dataSource.getRepository(Metric).findOneByOrFail({ code: 'LEVELS_PROBE' })).levels).toEqual(['PROVINCE', 'DISTRICT']);
  });

  it('is for an ADMIN only, with a size limit and its parameters checked', async () => {
    const file = await workbook({ Tasks: [TASK_HEADINGS, newTask({})] });
    expect((await post(file, '', await keyHeaders(hub, Role.ANALYST))).status).toBe(403);
    expect((await post(file, '', await keyHeaders(hub, Role.DEPARTMENT_IT, ['SO_YT']))).status).toBe(403);
    expect((await post(file, '', { authorization: '' })).status).toBe(401);
    const large = await post(Buffer.alloc(5 * 1024 * 1024 + 1, 0x41));
    expect({ status: large.status, code: large.body.errors?.[0].extensions.code }).toEqual({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    for (const [query, field] of [['?format=pdf', 'format'], ['?apply=yes', 'apply'], ['?format=xlsx&sheet=Tasks', 'sheet'], ['?format=csv', 'sheet'], ['?lang=vi', 'lang'], ['?note=%20', 'note']]) {
      const answer = await post(file, query);
      expect({ query, status: answer.status, code: answer.body.errors?.[0].extensions.code, field: answer.body.errors?.[0].extensions.field }).toEqual({ query, status: 400, code: 'BAD_USER_INPUT', field });
    }
    const empty = await post(await workbook({}));
    expect(empty.body.problems.map((problem) => [problem.sheet, problem.row, problem.column])).toEqual([['', null, null]]);
    const otherSheet = await post(await workbook({ Notes: [['anything']] }));
    expect(otherSheet.body.problems.map((problem) => [problem.sheet, problem.row, problem.column])).toEqual([['Notes', null, null]]);
    const broken = await post(Buffer.from('not a workbook'));
    expect({ status: broken.status, field: broken.body.errors?.[0].extensions.field }).toEqual({ status: 400, field: 'body' });
  });
  it('is a GraphQL mutation too (importCatalogue, the file in base64): the same dry run, then applied with its note', async () => {
    const file = await workbook({ Tasks: [TASK_HEADINGS, newTask({ code: 'T99.50' })] });
    const mutation = `mutation Import($file: String!, $apply: Boolean!) {
      importCatalogue(file: $file, apply: $apply, note: "Kế hoạch bổ sung") {
        applied summary { create update unchanged retire } problems { sheet row column message } changes { sheet row code action fields }
      }
    }`;
    type Result = { importCatalogue: Omit<Answer, 'errors'> };
    const variables = { file: file.toString('base64'), apply: false };
    const dryRun = await hub.graphql<Result>(mutation, variables);
    expect(dryRun.errors).toBeUndefined();
    expect(dryRun.data!.importCatalogue).toEqual({ applied: false, summary: { create: 1, update: 0, unchanged: 0, retire: 0 }, problems: [], changes: (await post(file)).body.changes });
    expect(await hub.dataSource.getRepository(Task).countBy({ code: 'T99.50' })).toBe(0);
    const refused = await hub.graphql<Result>(mutation, variables, await keyHeaders(hub, Role.ANALYST));
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const notBase64 = await hub.graphql<Result>(mutation, { file: '%%%', apply: false });
    expect(notBase64.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    // A file that is not a workbook is named as the argument it came in, not as the REST route's body.
    const notWorkbook = await hub.graphql<Result>(mutation, { file: Buffer.from('not a workbook').toString('base64'), apply: false });
    expect(notWorkbook.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'file' });
    expect(notWorkbook.errors?.[0].message).toMatch(/^file: /);
    const applied = await hub.graphql<Result>(mutation, { ...variables, apply: true });
    expect(applied.data!.importCatalogue.applied).toBe(true);
    const [audit] = await hub.dataSource.query("SELECT outcome, targetType, details FROM audit_event WHERE action = 'importCatalogue' AND outcome = 'SUCCESS' ORDER BY id DESC LIMIT 1");
    expect({ outcome: audit.outcome, targetType: audit.targetType, details: JSON.parse(audit.details as string) }).toMatchObject({
      outcome: 'SUCCESS', targetType: 'catalogue', details: { applied: true, summary: { create: 1, update: 0, unchanged: 0, retire: 0 }, problems: 0 },
    });
    const history = await hub.dataSource.getRepository(TaskChange).findBy({ subjectId: (await task('T99.50')).id });
    expect(history.map((record) => [record.field, record.toValue, record.author, record.note])).toEqual([
      ['CREATED', 'T99.50', 'PILOTHUB_ADMIN_KEY', 'Kế hoạch bổ sung'],
      ['STATUS', 'NOT_STARTED', 'PILOTHUB_ADMIN_KEY', 'Kế hoạch bổ sung'],
    ]);
  });
  it('the CLI imports too: `pilothub catalogue import <file>` is a dry run, --apply writes, problems exit 1', async () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-import-'));
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PILOTHUB_') && name !== 'JEST_WORKER_ID'));
    const environment = { ...inherited, PILOTHUB_URL: `http://127.0.0.1:${hub.hub.port}`, PILOTHUB_KEY: TEST_ADMIN_KEY, PILOTHUB_CONFIG: path.join(folder, 'config.json') };
    const cli = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'pilothub.js'), ...args], { env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    try {
      const file = path.join(folder, 'plan.xlsx');
      fs.writeFileSync(file, await workbook({ Tasks: [TASK_HEADINGS, newTask({ code: 'T99.60' })] }));
      const dryRun = await cli(['catalogue', 'import', file, '--output', 'json']);
      expect({ code: dryRun.code, stderr: dryRun.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(dryRun.stdout)).toMatchObject({ applied: false, summary: { create: 1, update: 0, unchanged: 0, retire: 0 }, problems: [] });
      const applied = await cli(['catalogue', 'import', file, '--apply', '--note', 'Bổ sung']);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('Đã ghi các thay đổi — the changes were written');
      expect((await task('T99.60')).title).toBe('Test task');
      const csv = path.join(folder, 'Tasks.csv');
      fs.writeFileSync(csv, `${TASK_HEADINGS.join(',')}\nT99.61,TG04,x,y,SO_XYZ,Director,2024-12-31,,,,\n`);
      const refused = await cli(['catalogue', 'import', csv, '--apply']);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain('Tệp có lỗi, không ghi gì — the file has problems; nothing was written');
      expect(refused.stdout).toMatch(/Tasks\s+│?\s*2\s+│?\s*lead_department/);
      expect(await hub.dataSource.getRepository(Task).countBy({ code: 'T99.61' })).toBe(0);
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
