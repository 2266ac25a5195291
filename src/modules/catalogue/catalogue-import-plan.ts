/**
 * The plan of an import: every row of the file checked against the catalogue's rules and compared with what is
 * stored (matched by code; codes never change), giving each row's change — create, update (each field from → to),
 * unchanged or retire — and the writes that perform them. Departments, programmes and task groups are planned
 * here, tasks, pilot models and metrics in catalogue-import-items.ts. Nothing is written while planning.
 */
import { FactBasis, type ProgressStatus } from '../../common/enums';
import type { Department } from '../departments/department.entity';
import type { Metric } from '../metrics/metric.entity';
import { created, planYear, type Recorded } from './catalogue-lifecycle.service';
import { departmentUnavailable } from './catalogue-checks';
import { CATALOGUE_SHEETS, type CatalogueSheetName } from './catalogue-sheets';
import type { ImportProblem, RawSheet } from './catalogue-import-read';
import { ImportRow, type Given } from './catalogue-import-row';
import { referencesOf, type CatalogueState, type References } from './catalogue-import-state';
import type { PilotModel } from './pilot-model.entity';
import type { Program } from './program.entity';
import type { TaskGroup } from './task-group.entity';
import type { Task } from './task.entity';

export type ImportAction = 'create' | 'update' | 'unchanged' | 'retire';

/** One row's change; `fields` holds each field written, from → to (every given field for a created row). */
export interface ImportChange {
  sheet: CatalogueSheetName;
  row: number;
  code: string;
  action: ImportAction;
  fields: Record<string, { from: unknown; to: unknown }>;
}

export interface ImportOptions {
  /** Today in the hub's time zone: retirements may not be later. */
  today: string;
  timeZone: string;
  /** Rows whose code is stored are left as they are, unread (the seed: what was changed through the API stays). */
  onlyMissing?: boolean;
  /**
   * The state created tasks and models start in, for the seed: their history is then only this initial status
   * record, as for every seeded item (no CREATED record).
   */
  initialState?: (sheet: 'Tasks' | 'PilotModels', code: string) => { status: ProgressStatus; completedAt: Date | null; statusIsDemo: boolean };
}

export type HistorySheet = 'Tasks' | 'PilotModels' | 'Metrics';

/** The writes of a plan, with references by code (resolved to ids as the rows are written). */
export interface ImportWrites {
  departments: Array<{ values: Partial<Department>; successor: string | null }>;
  programs: Array<Partial<Program>>;
  groups: Array<{ values: Partial<TaskGroup>; program: string; leadDepartment: string }>;
  tasks: { create: Array<{ values: Partial<Task>; group: string; leadDepartment: string; origin: string | null }>; update: Array<{ code: string; values: Partial<Task>; leadDepartment?: string }> };
  models: {
    create: Array<{ values: Partial<PilotModel>; group: string; program: string; leadDepartment: string; supporting: string[] }>;
    update: Array<{ code: string; values: Partial<PilotModel>; leadDepartment?: string; supporting?: string[] }>;
  };
  metrics: { create: Array<{ values: Partial<Metric>; model: string; department: string }>; update: Array<{ code: string; values: Partial<Metric>; department?: string }> };
  /** History records per item, by code (a CARRIED_OVER record also goes to the origin). */
  history: Array<{ sheet: HistorySheet; code: string; records: Recorded[] }>;
}

export const FACT_BASES = Object.values(FactBasis);

/** Text compared as the export writes it: blank and empty are the same, numbers and dates as they are. */
export function same(a: unknown, b: unknown): boolean {
  const norm = (value: unknown) => (value === '' || value === undefined ? null : value);
  return norm(a) === norm(b);
}

/** The first and last day of a plan year: a department named must exist on one of them or between. */
export function yearWindow(year: number): [string, string] {
  return [`${year}-01-01`, `${year}-12-31`];
}

export class ImportPlan {
  readonly changes: ImportChange[] = [];
  readonly refs: References;
  readonly writes: ImportWrites = {
    departments: [], programs: [], groups: [], tasks: { create: [], update: [] }, models: { create: [], update: [] }, metrics: { create: [], update: [] }, history: [],
  };

  constructor(
    readonly state: CatalogueState,
    readonly options: ImportOptions,
    readonly problems: ImportProblem[],
  ) {
    this.refs = referencesOf(state);
  }

  /**
   * The rows of a sheet with their own code each, every code once: a repeated code is a problem of the later row.
   * With `onlyMissing`, rows of stored codes are left out.
   */
  rows(sheet: RawSheet, maxCode: number, stored: Map<string, unknown>): Array<{ row: ImportRow; code: string }> {
    const seen = new Map<string, number>();
    const rows: Array<{ row: ImportRow; code: string }> = [];
    for (const raw of sheet.rows) {
      const row = new ImportRow(sheet, raw, this.problems);
      const code = row.requiredCode('code', maxCode, true);
      if (!code) continue;
      const first = seen.get(code);
      if (first !== undefined) {
        row.problem('code', `Mã "${code}" trùng với dòng ${first}`, `duplicate code "${code}" (also on row ${first}); each item is one row`);
        continue;
      }
      seen.set(code, raw.row);
      if (this.options.onlyMissing && stored.has(code)) continue;
      rows.push({ row, code });
    }
    return rows;
  }

  /** A created code must not differ from a stored one by letter case only (MariaDB's keys would take them as one). */
  newCode(row: ImportRow, table: keyof CatalogueState['lowerCodes'], code: string): void {
    const taken = this.state.lowerCodes[table].get(code.toLowerCase());
    if (taken !== undefined) row.problem('code', `Mã "${code}" trùng với mã đã có "${taken}" (chỉ khác chữ hoa, chữ thường)`, `code "${code}" differs from the stored "${taken}" by letter case only`);
  }

  /** A department named by a row: known (stored or in the file) and existing in `window` when `checkWindow`. */
  department(row: ImportRow, column: string, code: Given<string>, window: [string, string] | null): void {
    if (code == null) return;
    const department = this.refs.departments.get(code);
    if (!department) {
      row.problem(column, `Không có đơn vị "${code}" (trong danh mục hay trang Departments)`, `unknown department "${code}"`);
      return;
    }
    const unavailable = window && departmentUnavailable(department, window[0], window[1]);
    if (unavailable) row.problem(column, `Đơn vị "${code}" không còn hoạt động (hoặc chưa có) trong năm kế hoạch`, unavailable);
  }

  change(sheet: CatalogueSheetName, row: ImportRow, code: string, action: ImportAction, fields: ImportChange['fields']): void {
    this.changes.push({ sheet, row: row.line, code, action, fields });
  }

  /** A row of a sheet that an import only creates: stored items must be given as they are. */
  unchangeable(sheet: CatalogueSheetName, row: ImportRow, code: string, differences: Array<[string, unknown, unknown]>): void {
    const changed = differences.filter(([, from, to]) => to !== undefined && !same(from, to));
    for (const [column, from, to] of changed) {
      row.problem(column, `Không sửa được ${column} của ${code} qua nhập bảng tính (đang là "${String(from ?? '')}", tệp ghi "${String(to ?? '')}")`, `${sheet}: ${column} of a stored item is not changed by an import`);
    }
    if (!row.bad) this.change(sheet, row, code, 'unchanged', {});
  }
}

/** Departments: created with their validity and successor, or given as stored. */
function planDepartments(plan: ImportPlan, sheet: RawSheet): void {
  const successors: Array<{ row: ImportRow; code: string; successor: string }> = [];
  for (const { row, code } of plan.rows(sheet, 32, plan.state.departments)) {
    const stored = plan.state.departments.get(code);
    const values = {
      nameVi: row.requiredText('name_vi', 200, !stored),
      name: row.requiredText('name', 200, !stored),
      validFrom: row.date('valid_from'),
      validTo: row.date('valid_to'),
      basis: row.choice('basis', FACT_BASES),
    };
    const successor = row.code('successor', 32);
    if (values.validFrom && values.validTo && values.validFrom >= values.validTo) row.problem('valid_to', 'Phải sau ngày bắt đầu (valid_from)', 'must be after valid_from');
    if (successor === code) row.problem('successor', 'Đơn vị không kế thừa chính nó', 'a department cannot be its own successor');
    if (successor && !values.validTo && !stored) row.problem('valid_to', 'Đơn vị có đơn vị kế thừa phải có ngày thôi hoạt động', 'a department with a successor needs valid_to');
    if (row.bad) continue;
    if (successor) successors.push({ row, code, successor });
    if (stored) {
      plan.unchangeable('Departments', row, code, [
        ['name_vi', stored.nameVi, values.nameVi], ['name', stored.name, values.name], ['valid_from', stored.validFrom, values.validFrom],
        ['valid_to', stored.validTo, values.validTo], ['basis', stored.basis, values.basis],
        ['successor', stored.successorId == null ? null : plan.state.departmentCode.get(stored.successorId), successor],
      ]);
      continue;
    }
    plan.newCode(row, 'departments', code);
    const item = { code, name: values.name!, nameVi: values.nameVi!, validFrom: values.validFrom ?? null, validTo: values.validTo ?? null, basis: values.basis ?? FactBasis.SOURCE };
    plan.refs.departments.set(code, { code, validFrom: item.validFrom, validTo: item.validTo, successor: successor ?? null });
    plan.writes.departments.push({ values: item, successor: successor ?? null });
    plan.change('Departments', row, code, 'create', created({ code, name_vi: item.nameVi, name: item.name, valid_from: item.validFrom, valid_to: item.validTo, successor: successor ?? null, basis: item.basis }));
  }
  for (const { row, code, successor } of successors) {
    if (!plan.refs.departments.has(successor)) {
      row.problem('successor', `Không có đơn vị "${successor}"`, `unknown department "${successor}"`);
      continue;
    }
    // A chain of successors must end: A → B → A would leave no department to take the work.
    const chain = [code];
    for (let next: string | null = successor; next; next = plan.refs.departments.get(next)?.successor ?? null) {
      if (chain.includes(next)) {
        row.problem('successor', `Chuỗi kế thừa vòng tròn: ${[...chain, next].join(' → ')}`, `successors form a cycle: ${[...chain, next].join(' → ')}`);
        break;
      }
      chain.push(next);
    }
  }
}

/** Programmes: created (with the year of their first plan), or given as stored. */
function planPrograms(plan: ImportPlan, sheet: RawSheet): void {
  for (const { row, code } of plan.rows(sheet, 32, plan.state.programs)) {
    const stored = plan.state.programs.get(code);
    const values = {
      nameVi: row.requiredText('name_vi', 300, !stored),
      name: row.requiredText('name', 300, !stored),
      decision: row.requiredText('decision', 200, !stored),
      planYear: row.wholeNumber('plan_year'),
    };
    if (values.planYear != null) row.rule('plan_year', 'Năm kế hoạch không hợp lệ', () => planYear('plan_year', values.planYear!));
    if (!stored && values.planYear == null) row.problem('plan_year', 'Bắt buộc, không được để trống', 'is required');
    if (row.bad) continue;
    if (stored) {
      plan.unchangeable('Programmes', row, code, [
        ['name_vi', stored.nameVi, values.nameVi], ['name', stored.name, values.name], ['decision', stored.decision, values.decision], ['plan_year', stored.planYear, values.planYear],
      ]);
      continue;
    }
    plan.newCode(row, 'programs', code);
    const item = { code, name: values.name!, nameVi: values.nameVi!, decision: values.decision!, planYear: values.planYear! };
    plan.refs.programs.set(code, { planYear: item.planYear });
    plan.writes.programs.push(item);
    plan.change('Programmes', row, code, 'create', created({ code, name_vi: item.nameVi, name: item.name, decision: item.decision, plan_year: item.planYear }));
  }
}

/** Task groups: created in a programme's plan year (numbered after the plan's last group unless given), or given as stored. */
function planGroups(plan: ImportPlan, sheet: RawSheet): void {
  const numbers = new Map<string, number>();
  for (const group of plan.state.groups.values()) {
    const key = `${plan.state.programCode.get(group.programId)}/${group.planYear}`;
    numbers.set(key, Math.max(numbers.get(key) ?? 0, group.number));
  }
  for (const { row, code } of plan.rows(sheet, 32, plan.state.groups)) {
    const stored = plan.state.groups.get(code);
    const values = {
      program: row.requiredCode('program', 32, !stored),
      planYear: row.wholeNumber('plan_year'),
      number: row.wholeNumber('number'),
      nameVi: row.text('name_vi', 300),
      name: row.requiredText('name', 300, !stored),
      leadDepartment: row.requiredCode('lead_department', 32, !stored),
      basis: row.choice('basis', FACT_BASES),
    };
    if (values.planYear != null) row.rule('plan_year', 'Năm kế hoạch không hợp lệ', () => planYear('plan_year', values.planYear!));
    if (!stored && values.planYear == null) row.problem('plan_year', 'Bắt buộc, không được để trống', 'is required');
    if (values.number != null && values.number < 1) row.problem('number', 'Phải từ 1 trở lên', 'must be 1 or more');
    const program = values.program ? plan.refs.programs.get(values.program) : undefined;
    if (values.program && !program) row.problem('program', `Không có chương trình "${values.program}"`, `unknown programme "${values.program}"`);
    if (program && values.planYear != null && values.planYear < program.planYear) {
      row.problem('plan_year', `Chương trình ${values.program} bắt đầu từ kế hoạch năm ${program.planYear}`, `programme ${values.program} starts with its ${program.planYear} plan`);
    }
    if (row.bad) continue;
    if (stored) {
      plan.department(row, 'lead_department', values.leadDepartment, null);
      if (!row.bad) plan.unchangeable('TaskGroups', row, code, [
        ['program', plan.state.programCode.get(stored.programId), values.program], ['plan_year', stored.planYear, values.planYear], ['number', stored.number, values.number],
        ['name_vi', stored.nameVi, values.nameVi], ['name', stored.name, values.name], ['lead_department', plan.state.departmentCode.get(stored.leadDepartmentId), values.leadDepartment],
        ['basis', stored.basis, values.basis],
      ]);
      continue;
    }
    plan.department(row, 'lead_department', values.leadDepartment, yearWindow(values.planYear!));
    plan.newCode(row, 'groups', code);
    if (row.bad) continue;
    const key = `${values.program}/${values.planYear}`;
    const number = values.number ?? (numbers.get(key) ?? 0) + 1;
    numbers.set(key, Math.max(numbers.get(key) ?? 0, number));
    const item = { code, number, name: values.name!, nameVi: values.nameVi ?? values.name!, planYear: values.planYear!, basis: values.basis ?? FactBasis.SOURCE };
    plan.refs.groups.set(code, { planYear: item.planYear, program: values.program! });
    plan.writes.groups.push({ values: item, program: values.program!, leadDepartment: values.leadDepartment! });
    plan.change('TaskGroups', row, code, 'create', created({
      code, program: values.program, plan_year: item.planYear, number, name_vi: item.nameVi, name: item.name, lead_department: values.leadDepartment, basis: item.basis,
    }));
  }
}

export type SheetPlanner = (plan: ImportPlan, sheet: RawSheet) => void;

/**
 * Plans the sheets in the order their references need (departments first, metrics last); a sheet absent from the
 * file is left as stored. Changes of rows that turned out to have problems are dropped.
 */
export function planImport(
  state: CatalogueState,
  sheets: RawSheet[],
  options: ImportOptions,
  problems: ImportProblem[],
  itemPlanners: Record<'Tasks' | 'PilotModels' | 'Metrics', SheetPlanner>,
): ImportPlan {
  const plan = new ImportPlan(state, options, problems);
  const planners: Record<CatalogueSheetName, SheetPlanner> = { Departments: planDepartments, Programmes: planPrograms, TaskGroups: planGroups, ...itemPlanners };
  for (const name of CATALOGUE_SHEETS) {
    const sheet = sheets.find((candidate) => candidate.name === name);
    if (sheet) planners[name](plan, sheet);
  }
  const bad = new Set(problems.map((problem) => `${problem.sheet}:${problem.row}`));
  const kept = plan.changes.filter((change) => !bad.has(`${change.sheet}:${change.row}`));
  plan.changes.splice(0, plan.changes.length, ...kept);
  return plan;
}
