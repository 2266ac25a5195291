/**
 * The plan of an import's tasks, pilot models and metrics (catalogue-import-plan.ts has the rest): each row is
 * created, updated field by field with the history records the mutations write (DEFINITION, STATUS, DEADLINE,
 * RESPONSIBLE_PERSON, PROGRESS_NOTE, TARGET, RETIRED, CARRIED_OVER), retired (a retirement day given for a current
 * item) or left unchanged. What the mutations never change — a code, a task's group, a model's group and number, a
 * metric's kind, frequency and model — is a problem when the file differs.
 */
import { FactBasis, MetricFrequency, MetricKind, ProgressStatus, UnitLevel } from '../../common/enums';
import { todayIn } from '../../common/clock';
import { HubError } from '../../common/errors';
import { ChangedField } from './change-record';
import { checkMeasures, created, NOTE_MAX, type Diff, type Recorded } from './catalogue-lifecycle.service';
import { FACT_BASES, same, yearWindow, type ImportChange, type ImportPlan, type SheetPlanner } from './catalogue-import-plan';
import type { RawSheet } from './catalogue-import-read';
import type { ImportRow } from './catalogue-import-row';

const STATUSES = Object.values(ProgressStatus);
const KINDS = Object.values(MetricKind);
const FREQUENCIES = Object.values(MetricFrequency);
const LEVELS = Object.values(UnitLevel);

/** A metric's unit levels: codes among PROVINCE, DISTRICT, COMMUNE, stored in that order; blank is every level. */
function levelsOf(row: ImportRow): UnitLevel[] | undefined {
  const codes = row.codes('levels', 16);
  if (codes == null) return undefined;
  const upper = codes.map((code) => code.toUpperCase());
  const unknown = upper.find((level) => !LEVELS.includes(level as UnitLevel));
  if (unknown) return row.problem('levels', `"${unknown}" không phải cấp đơn vị (${LEVELS.join(', ')})`, `must be levels among ${LEVELS.join(', ')}`);
  return LEVELS.filter((level) => upper.length === 0 || upper.includes(level));
}

/** How a changed column is recorded in the item's history. */
type Kind = 'definition' | ChangedField.STATUS | ChangedField.DEADLINE | ChangedField.RESPONSIBLE_PERSON | ChangedField.PROGRESS_NOTE | ChangedField.TARGET;

/** A column of an item compared with the file: its property, the stored value and the file's (undefined: not given). */
interface Compared {
  column: string;
  property: string;
  from: unknown;
  to: unknown;
  kind: Kind;
}

/** A completion day from the file, stored as noon UTC: the same calendar day in every zone from UTC−11 to UTC+11. */
const completionTime = (day: string) => new Date(`${day}T12:00:00Z`);

/** The changed columns of an item, and the history records that the mutations write for them. */
function recordsOf(compared: Compared[]): { fields: ImportChange['fields']; values: Record<string, unknown>; records: Recorded[] } {
  const changed = compared.filter((entry) => entry.to !== undefined && !same(entry.from, entry.to));
  const fields = Object.fromEntries(changed.map((entry) => [entry.column, { from: entry.from ?? null, to: entry.to ?? null }]));
  const values = Object.fromEntries(changed.filter((entry) => !entry.property.startsWith('@')).map((entry) => [entry.property, entry.to ?? null]));
  const records: Recorded[] = [];
  const definition: Diff = {};
  for (const entry of changed) {
    const name = entry.property.replace(/^@/, '');
    if (entry.kind === 'definition') definition[name] = { from: entry.from ?? null, to: entry.to ?? null };
    // One TARGET record for a target's value and date (catalogue-import-items' amendTargetRecord words a metric's).
    else if (entry.kind !== ChangedField.TARGET || !records.some((record) => record.field === ChangedField.TARGET)) {
      records.push({
        field: entry.kind,
        fromValue: entry.from == null ? null : String(entry.from).slice(0, 300),
        toValue: entry.to == null ? '' : String(entry.to).slice(0, 300),
        diff: entry.kind === ChangedField.PROGRESS_NOTE ? { progressNote: { from: entry.from ?? null, to: entry.to ?? null } } : null,
      });
    }
  }
  if (Object.keys(definition).length > 0) records.push({ field: ChangedField.DEFINITION, fromValue: null, toValue: Object.keys(definition).join(','), diff: definition });
  return { fields, values, records };
}

/** The status, completion day, progress note and retirement of a task or model, checked together. */
function accountable(plan: ImportPlan, row: ImportRow, stored: { status: ProgressStatus; completedAt: Date | null; retiredOn: string | null } | undefined) {
  const status = row.choice('status', STATUSES);
  const completedOn = row.date('completed_on');
  const progressNote = row.text('progress_note', NOTE_MAX);
  const retiredOn = row.date('retired_on');
  const statusAfter = status ?? stored?.status ?? ProgressStatus.NOT_STARTED;
  // Blank: NOT_STARTED for a new item; a stored item's status is never cleared.
  if (status === null && stored) row.problem('status', 'Không được để trống', `must be one of ${STATUSES.join(', ')}`);
  if (completedOn && statusAfter !== ProgressStatus.COMPLETED) row.problem('completed_on', 'Chỉ có khi trạng thái là COMPLETED', 'a completion day needs status COMPLETED');
  const storedDay = stored?.completedAt ? todayIn(plan.options.timeZone, stored.completedAt) : null;
  const statusChanges = stored !== undefined && status != null && status !== stored.status;
  if (stored && !statusChanges && completedOn !== undefined && !same(completedOn, storedDay)) {
    row.problem('completed_on', 'Ngày hoàn thành chỉ đổi cùng trạng thái', `changes only with the status (stored: ${storedDay ?? 'none'})`);
  }
  if (retiredOn && retiredOn > plan.options.today) row.problem('retired_on', 'Ngày thôi theo dõi không được ở tương lai', `must not be after today (${plan.options.today})`);
  if (stored?.retiredOn && retiredOn !== undefined && retiredOn !== stored.retiredOn) {
    row.problem('retired_on', `Đã thôi theo dõi từ ${stored.retiredOn}; không đổi hay bỏ được`, `retired on ${stored.retiredOn}; a retirement is not changed or undone`);
  }
  const completedAt = statusAfter !== ProgressStatus.COMPLETED ? null : completedOn ? completionTime(completedOn) : new Date();
  return { status, statusAfter, completedAt, completedOn, progressNote, retiredOn };
}

/** Whether an item of `sheet` with code `code` is created by a row of the file, retired (stored or by the file) or unknown. */
function finish(
  plan: ImportPlan,
  sheet: 'Tasks' | 'PilotModels' | 'Metrics',
  row: ImportRow,
  code: string,
  stored: { retiredOn: string | null } | undefined,
  compared: Compared[],
  retiredOn: string | null | undefined,
  update: (values: Record<string, unknown>) => void,
): void {
  const { fields, values, records } = recordsOf(compared);
  const retiring = !stored?.retiredOn && retiredOn != null;
  if (stored?.retiredOn && Object.keys(fields).length > 0) {
    row.problem(Object.keys(fields)[0], `Đã thôi theo dõi từ ${stored.retiredOn}; không sửa được`, `retired on ${stored.retiredOn}; a retired item is not amended`);
    return;
  }
  if (row.bad) return;
  if (retiring) {
    values.retiredOn = retiredOn;
    fields.retired_on = { from: null, to: retiredOn };
    records.push({ field: ChangedField.RETIRED, toValue: retiredOn });
  }
  if (records.length === 0) {
    plan.change(sheet, row, code, 'unchanged', {});
    return;
  }
  update(values);
  plan.writes.history.push({ sheet, code, records });
  plan.change(sheet, row, code, retiring ? 'retire' : 'update', fields);
}

const planTasks: SheetPlanner = (plan: ImportPlan, sheet: RawSheet) => {
  const origins: Array<{ row: ImportRow; code: string; origin: string; year: number }> = [];
  for (const { row, code } of plan.rows(sheet, 32, plan.state.tasks)) {
    const stored = plan.state.tasks.get(code);
    const storedGroup = stored && plan.state.groupById.get(stored.taskGroupId)!;
    const group = row.requiredCode('task_group', 32, !stored);
    const given = {
      planYear: row.wholeNumber('plan_year'),
      titleVi: row.text('title_vi', 500),
      title: row.requiredText('title', 500, !stored),
      leadDepartment: row.requiredCode('lead_department', 32, !stored),
      responsiblePerson: row.requiredText('responsible_person', 200, !stored),
      deadline: row.date('deadline'),
      product: row.text('product', 500),
      targetValue: row.number('target_value'),
      targetUnit: row.text('target_unit', 64),
      origin: row.code('carried_over_from', 32),
      basis: row.choice('basis', FACT_BASES),
    };
    const state = accountable(plan, row, stored);
    if (!stored && (given.deadline === null || !row.has('deadline'))) row.problem('deadline', 'Bắt buộc, không được để trống', 'is required');
    if (stored && given.deadline === null) row.problem('deadline', 'Không được để trống', 'must not be blank');
    if (stored && given.titleVi === null) row.problem('title_vi', 'Không được để trống', 'must not be blank (a new task takes its title)');
    if (given.targetValue != null && given.targetValue < 0) row.problem('target_value', 'Không được âm', 'must be a non-negative number');
    const groupRef = group ? plan.refs.groups.get(group) : undefined;
    if (group && !groupRef) row.problem('task_group', `Không có nhóm nhiệm vụ "${group}"`, `unknown task group "${group}"`);
    if (stored && group && group !== storedGroup!.code) row.problem('task_group', `Nhiệm vụ thuộc nhóm ${storedGroup!.code}; không chuyển nhóm được`, `the task is in ${storedGroup!.code}; a task's group never changes`);
    const year = groupRef?.planYear ?? storedGroup?.planYear;
    if (year !== undefined && given.planYear != null && given.planYear !== year) row.problem('plan_year', `Nhóm ${group ?? storedGroup!.code} thuộc kế hoạch năm ${year}`, `must be the plan year of its task group (${year})`);
    const storedOrigin = stored?.originTaskId == null ? null : plan.state.taskCode.get(stored.originTaskId)!;
    if (stored && given.origin !== undefined && given.origin !== storedOrigin) row.problem('carried_over_from', 'Không đổi được nguồn chuyển tiếp', `a task's origin never changes (stored: ${storedOrigin ?? 'none'})`);
    const departmentChanges = given.leadDepartment != null && given.leadDepartment !== (stored && plan.state.departmentCode.get(stored.leadDepartmentId));
    if (year !== undefined) plan.department(row, 'lead_department', given.leadDepartment, departmentChanges ? yearWindow(year) : null);
    const unit = given.targetUnit === undefined ? stored?.targetUnit : given.targetUnit;
    const target = given.targetValue === undefined ? stored?.targetValue : given.targetValue;
    if (!row.bad && unit && target == null) row.problem('target_unit', 'Có đơn vị tính thì phải có chỉ tiêu', 'a unit needs a target_value');
    if (row.bad) continue;
    if (stored) {
      finish(plan, 'Tasks', row, code, stored, [
        { column: 'title_vi', property: 'titleVi', from: stored.titleVi, to: given.titleVi, kind: 'definition' },
        { column: 'title', property: 'title', from: stored.title, to: given.title, kind: 'definition' },
        { column: 'product', property: 'product', from: stored.product, to: given.product === undefined ? undefined : given.product ?? '', kind: 'definition' },
        { column: 'target_unit', property: 'targetUnit', from: stored.targetUnit, to: given.targetUnit, kind: 'definition' },
        { column: 'lead_department', property: '@leadDepartment', from: plan.state.departmentCode.get(stored.leadDepartmentId), to: given.leadDepartment, kind: 'definition' },
        { column: 'basis', property: 'basis', from: stored.basis, to: given.basis, kind: 'definition' },
        { column: 'responsible_person', property: 'responsiblePerson', from: stored.responsiblePerson, to: given.responsiblePerson, kind: ChangedField.RESPONSIBLE_PERSON },
        { column: 'deadline', property: 'deadline', from: stored.deadline, to: given.deadline, kind: ChangedField.DEADLINE },
        { column: 'status', property: 'status', from: stored.status, to: state.status, kind: ChangedField.STATUS },
        { column: 'progress_note', property: 'progressNote', from: stored.progressNote, to: state.progressNote, kind: ChangedField.PROGRESS_NOTE },
        { column: 'target_value', property: 'targetValue', from: stored.targetValue, to: given.targetValue, kind: ChangedField.TARGET },
      ], state.retiredOn, (values) => {
        if ('status' in values) values.completedAt = state.completedAt;
        plan.writes.tasks.update.push({ code, values, leadDepartment: departmentChanges ? given.leadDepartment! : undefined });
      });
      continue;
    }
    plan.newCode(row, 'tasks', code);
    if (row.bad) continue;
    if (given.origin) origins.push({ row, code, origin: given.origin, year: year! });
    const values = {
      code, title: given.title!, titleVi: given.titleVi ?? given.title!, responsiblePerson: given.responsiblePerson!, deadline: given.deadline!,
      product: given.product ?? '', targetValue: given.targetValue ?? null, targetUnit: given.targetUnit ?? null,
    };
    const initial = plan.options.initialState?.('Tasks', code);
    const status = initial?.status ?? state.statusAfter;
    plan.refs.tasks.set(code, { planYear: year!, origin: given.origin ?? null });
    plan.writes.tasks.create.push({
      values: {
        ...values, status, completedAt: initial ? initial.completedAt : state.completedAt, progressNote: state.progressNote ?? null, retiredOn: state.retiredOn ?? null,
        basis: given.basis ?? FactBasis.SOURCE, originTaskId: null,
      },
      group: group!, leadDepartment: given.leadDepartment!, origin: given.origin ?? null,
    });
    const records: Recorded[] = initial ? [] : [{ field: ChangedField.CREATED, toValue: code, diff: created({ ...values, taskGroup: group, leadDepartment: given.leadDepartment }) }];
    records.push({ field: ChangedField.STATUS, fromValue: null, toValue: status });
    if (state.retiredOn) records.push({ field: ChangedField.RETIRED, toValue: state.retiredOn });
    if (given.origin) records.push({ field: ChangedField.CARRIED_OVER, fromValue: given.origin, toValue: code });
    plan.writes.history.push({ sheet: 'Tasks', code, records });
    plan.change('Tasks', row, code, 'create', created({
      code, task_group: group, plan_year: year, title_vi: values.titleVi, title: values.title, lead_department: given.leadDepartment, responsible_person: values.responsiblePerson,
      deadline: values.deadline, status, completed_on: state.completedOn ?? null, product: values.product, target_value: values.targetValue, target_unit: values.targetUnit,
      carried_over_from: given.origin ?? null, progress_note: state.progressNote ?? null, retired_on: state.retiredOn ?? null, basis: given.basis ?? FactBasis.SOURCE,
    }));
  }
  checkOrigins(plan, origins);
};

/** A created task's origin: a task of an earlier plan year, stored or in the file, and no chain of origins that loops. */
function checkOrigins(plan: ImportPlan, origins: Array<{ row: ImportRow; code: string; origin: string; year: number }>): void {
  for (const { row, code, origin, year } of origins) {
    const found = plan.refs.tasks.get(origin);
    if (!found) {
      row.problem('carried_over_from', `Không có nhiệm vụ "${origin}"`, `unknown task "${origin}"`);
      continue;
    }
    const chain = [code];
    let cycle = false;
    for (let next: string | null = origin; next; next = plan.refs.tasks.get(next)?.origin ?? null) {
      if (chain.includes(next)) {
        row.problem('carried_over_from', `Chuỗi chuyển tiếp vòng tròn: ${[...chain, next].join(' → ')}`, `carried_over_from forms a cycle: ${[...chain, next].join(' → ')}`);
        cycle = true;
        break;
      }
      chain.push(next);
    }
    if (cycle) continue;
    if (found.planYear >= year) row.problem('carried_over_from', `Nhiệm vụ ${origin} thuộc kế hoạch năm ${found.planYear}, không trước năm ${year}`, `must be a task of a plan year before ${year} (${origin} is of ${found.planYear})`);
    else plan.writes.history.push({ sheet: 'Tasks', code: origin, records: [{ field: ChangedField.CARRIED_OVER, fromValue: origin, toValue: code }] });
  }
}

const planModels: SheetPlanner = (plan: ImportPlan, sheet: RawSheet) => {
  let lastNumber = Math.max(0, ...[...plan.state.models.values()].map((model) => model.number));
  for (const { row, code } of plan.rows(sheet, 32, plan.state.models)) {
    const stored = plan.state.models.get(code);
    // A model created through the API may be filed under no task group (its programme and first plan year are its own).
    const storedGroup = stored?.taskGroupId == null ? undefined : plan.state.groupById.get(stored.taskGroupId)!;
    const given = {
      number: row.wholeNumber('number'),
      group: stored && !storedGroup ? row.code('task_group', 32) : row.requiredCode('task_group', 32, !stored),
      program: row.code('program', 32),
      planYear: row.wholeNumber('plan_year'),
      nameVi: row.text('name_vi', 300),
      name: row.requiredText('name', 300, !stored),
      leadDepartment: row.requiredCode('lead_department', 32, !stored),
      supporting: row.codes('supporting_departments', 32),
      responsiblePerson: stored?.responsiblePerson === null ? row.text('responsible_person', 200) : row.requiredText('responsible_person', 200, !stored),
      deadline: row.date('deadline'),
      basis: row.choice('basis', FACT_BASES),
    };
    const state = accountable(plan, row, stored);
    if (!stored && (given.deadline === null || !row.has('deadline'))) row.problem('deadline', 'Bắt buộc, không được để trống', 'is required');
    if (stored && stored.deadline !== null && given.deadline === null) row.problem('deadline', 'Không được để trống', 'must not be blank');
    if (stored && given.nameVi === null) row.problem('name_vi', 'Không được để trống', 'must not be blank (a new model takes its name)');
    if (given.number != null && given.number < 1) row.problem('number', 'Phải từ 1 trở lên', 'must be 1 or more');
    if (stored && given.number != null && given.number !== stored.number) row.problem('number', `Số thứ tự của ${code} là ${stored.number}; không đổi được`, `a model's number never changes (stored: ${stored.number})`);
    const groupRef = given.group ? plan.refs.groups.get(given.group) : undefined;
    if (given.group && !groupRef) row.problem('task_group', `Không có nhóm nhiệm vụ "${given.group}"`, `unknown task group "${given.group}"`);
    if (stored && storedGroup && given.group !== undefined && given.group !== storedGroup.code) row.problem('task_group', `Mô hình thuộc nhóm ${storedGroup.code}; không chuyển nhóm được`, `the model is filed under ${storedGroup.code}; it never moves`);
    if (stored && !storedGroup && given.group) row.problem('task_group', 'Mô hình chưa thuộc nhóm nào; xếp nhóm bằng updatePilotModel', 'the model is filed under no task group; file it with updatePilotModel');
    const year = stored ? stored.planYear : groupRef?.planYear;
    // The programme and first plan year follow from the task group (or are the model's own): the file may repeat them, not change them.
    const program = stored ? plan.state.programCode.get(stored.programId) : groupRef?.program;
    if (given.program && program && given.program !== program) row.problem('program', `Mô hình thuộc chương trình ${program}`, `must be the programme of its task group (${program})`);
    if (given.planYear != null && year !== undefined && given.planYear !== year) row.problem('plan_year', `Mô hình được tính từ kế hoạch năm ${year}`, `must be the first plan year it counts in (${year})`);
    const storedLead = stored && plan.state.departmentCode.get(stored.leadDepartmentId);
    const storedSupporting = (stored?.supportingDepartments ?? []).map((department) => department.code).sort();
    const lead = given.leadDepartment ?? storedLead;
    const leadChanges = given.leadDepartment != null && given.leadDepartment !== storedLead;
    const supportingChanges = given.supporting !== undefined && (given.supporting ?? []).slice().sort().join(' ') !== storedSupporting.join(' ');
    if (year !== undefined) {
      plan.department(row, 'lead_department', given.leadDepartment, leadChanges ? yearWindow(year) : null);
      for (const supporter of given.supporting ?? []) plan.department(row, 'supporting_departments', supporter, supportingChanges ? yearWindow(year) : null);
    }
    if (lead && (given.supporting ?? storedSupporting).includes(lead)) row.problem('supporting_departments', `"${lead}" là đơn vị chủ trì, không phối hợp được`, `"${lead}" is the lead department; it cannot also support`);
    if (row.bad) continue;
    if (stored) {
      finish(plan, 'PilotModels', row, code, stored, [
        { column: 'name_vi', property: 'nameVi', from: stored.nameVi, to: given.nameVi, kind: 'definition' },
        { column: 'name', property: 'name', from: stored.name, to: given.name, kind: 'definition' },
        { column: 'lead_department', property: '@leadDepartment', from: storedLead, to: given.leadDepartment, kind: 'definition' },
        { column: 'supporting_departments', property: '@supportingDepartments', from: storedSupporting.join(' '), to: supportingChanges ? given.supporting!.slice().sort().join(' ') : undefined, kind: 'definition' },
        { column: 'basis', property: 'basis', from: stored.basis, to: given.basis, kind: 'definition' },
        { column: 'responsible_person', property: 'responsiblePerson', from: stored.responsiblePerson, to: given.responsiblePerson, kind: ChangedField.RESPONSIBLE_PERSON },
        { column: 'deadline', property: 'deadline', from: stored.deadline, to: given.deadline, kind: ChangedField.DEADLINE },
        { column: 'status', property: 'status', from: stored.status, to: state.status, kind: ChangedField.STATUS },
        { column: 'progress_note', property: 'progressNote', from: stored.progressNote, to: state.progressNote, kind: ChangedField.PROGRESS_NOTE },
      ], state.retiredOn, (values) => {
        if ('status' in values) values.completedAt = state.completedAt;
        // Metrics later in the file may not be created for a model the file retires.
        if (values.retiredOn) plan.refs.models.set(code, { planYear: year!, retiredOn: values.retiredOn as string });
        plan.writes.models.update.push({ code, values, leadDepartment: leadChanges ? given.leadDepartment! : undefined, supporting: supportingChanges ? given.supporting ?? [] : undefined });
      });
      continue;
    }
    plan.newCode(row, 'models', code);
    if (row.bad) continue;
    const number = given.number ?? lastNumber + 1;
    lastNumber = Math.max(lastNumber, number);
    const values = { code, name: given.name!, nameVi: given.nameVi ?? given.name!, responsiblePerson: given.responsiblePerson!, deadline: given.deadline! };
    const initial = plan.options.initialState?.('PilotModels', code);
    const status = initial?.status ?? state.statusAfter;
    plan.refs.models.set(code, { planYear: year!, retiredOn: state.retiredOn ?? null });
    plan.writes.models.create.push({
      values: {
        ...values, number, status, planYear: year!, completedAt: initial ? initial.completedAt : state.completedAt, progressNote: state.progressNote ?? null, retiredOn: state.retiredOn ?? null,
        statusIsDemo: initial?.statusIsDemo ?? false, basis: given.basis ?? FactBasis.SOURCE,
      },
      group: given.group!, program: groupRef!.program, leadDepartment: given.leadDepartment!, supporting: given.supporting ?? [],
    });
    const records: Recorded[] = initial ? [] : [{
      field: ChangedField.CREATED, toValue: code, diff: created({ ...values, taskGroup: given.group, leadDepartment: given.leadDepartment, supportingDepartments: given.supporting ?? [] }),
    }];
    records.push({ field: ChangedField.STATUS, fromValue: null, toValue: status });
    if (state.retiredOn) records.push({ field: ChangedField.RETIRED, toValue: state.retiredOn });
    plan.writes.history.push({ sheet: 'PilotModels', code, records });
    plan.change('PilotModels', row, code, 'create', created({
      code, number, task_group: given.group, program: groupRef!.program, plan_year: year, name_vi: values.nameVi, name: values.name, lead_department: given.leadDepartment, supporting_departments: (given.supporting ?? []).join(' '),
      responsible_person: values.responsiblePerson, deadline: values.deadline, status, completed_on: state.completedOn ?? null, progress_note: state.progressNote ?? null,
      retired_on: state.retiredOn ?? null, basis: given.basis ?? FactBasis.SOURCE,
    }));
  }
};

/** Columns of a metric's measures, by the input field the lifecycle rules name. */
const MEASURE_COLUMNS: Record<string, string> = { targetValue: 'target_value', targetDate: 'target_date', minValue: 'min_value', maxValue: 'max_value', reportingLagDays: 'reporting_lag_days' };

const planMetrics: SheetPlanner = (plan: ImportPlan, sheet: RawSheet) => {
  for (const { row, code } of plan.rows(sheet, 64, plan.state.metrics)) {
    const stored = plan.state.metrics.get(code);
    const storedModel = stored && plan.state.modelById.get(stored.pilotModelId)!;
    const given = {
      nameVi: row.text('name_vi', 300),
      name: row.requiredText('name', 300, !stored),
      model: row.requiredCode('pilot_model', 32, !stored),
      department: row.requiredCode('department', 32, !stored),
      unit: row.text('unit', 64),
      kind: row.choice('kind', KINDS),
      frequency: row.choice('frequency', FREQUENCIES),
      targetValue: row.number('target_value'),
      targetDate: row.date('target_date'),
      minValue: row.number('min_value'),
      maxValue: row.number('max_value'),
      reportingLagDays: row.number('reporting_lag_days'),
      levels: levelsOf(row),
      description: row.text('description', 4000),
      retiredOn: row.date('retired_on'),
      basis: row.choice('basis', FACT_BASES),
    };
    if (stored && given.nameVi === null) row.problem('name_vi', 'Không được để trống', 'must not be blank (a new metric takes its name)');
    for (const column of ['kind', 'frequency'] as const) {
      if (!stored && !given[column] && !row.bad) row.problem(column, 'Bắt buộc, không được để trống', `is required: one of ${(column === 'kind' ? KINDS : FREQUENCIES).join(', ')}`);
      if (stored && given[column] !== undefined && given[column] !== stored[column]) row.problem(column, `${column} của chỉ tiêu không đổi được (đang là ${stored[column]})`, `a metric's ${column} never changes: stored values were validated by it (${stored[column]})`);
    }
    if (stored && given.model && given.model !== storedModel!.code) row.problem('pilot_model', `Chỉ tiêu thuộc mô hình ${storedModel!.code}; không đổi được`, `a metric's pilot model never changes (${storedModel!.code})`);
    const model = given.model ? plan.refs.models.get(given.model) : undefined;
    if (given.model && !model) row.problem('pilot_model', `Không có mô hình "${given.model}"`, `unknown pilot model "${given.model}"`);
    if (!stored && model?.retiredOn) row.problem('pilot_model', `Mô hình ${given.model} đã thôi theo dõi từ ${model.retiredOn}`, `pilot model ${given.model} was retired on ${model.retiredOn}`);
    const storedDepartment = stored && plan.state.departmentCode.get(stored.departmentId);
    const departmentChanges = given.department != null && given.department !== storedDepartment;
    const year = model?.planYear ?? storedModel?.planYear;
    if (year !== undefined) plan.department(row, 'department', given.department, departmentChanges ? yearWindow(year) : null);
    if (given.retiredOn && given.retiredOn > plan.options.today) row.problem('retired_on', 'Ngày thôi theo dõi không được ở tương lai', `must not be after today (${plan.options.today})`);
    if (stored?.retiredOn && given.retiredOn !== undefined && given.retiredOn !== stored.retiredOn) {
      row.problem('retired_on', `Đã thôi theo dõi từ ${stored.retiredOn}; không đổi hay bỏ được`, `retired on ${stored.retiredOn}; a retirement is not changed or undone`);
    }
    const kind = (given.kind ?? stored?.kind)!;
    const measures = { targetValue: given.targetValue, targetDate: given.targetDate, minValue: given.minValue, maxValue: given.maxValue, reportingLagDays: given.reportingLagDays };
    const merged = Object.fromEntries(Object.entries(measures).map(([key, value]) => [key, value === undefined ? (stored?.[key as keyof typeof measures] ?? null) : value]));
    if (kind && !row.bad) {
      try {
        checkMeasures(kind, merged as never, '');
      } catch (error) {
        if (!(error instanceof HubError)) throw error;
        row.problem(MEASURE_COLUMNS[error.field ?? ''] ?? error.field ?? null, 'Chỉ tiêu, ngưỡng hoặc số ngày chậm không hợp lệ', error.message.replace(/^\w+: /, ''));
      }
    }
    if (row.bad) continue;
    const unit = given.unit === undefined ? undefined : (given.unit ?? '');
    if (stored) {
      finish(plan, 'Metrics', row, code, stored, [
        { column: 'name_vi', property: 'nameVi', from: stored.nameVi, to: given.nameVi, kind: 'definition' },
        { column: 'name', property: 'name', from: stored.name, to: given.name, kind: 'definition' },
        { column: 'department', property: '@department', from: storedDepartment, to: given.department, kind: 'definition' },
        { column: 'unit', property: 'unit', from: stored.unit, to: unit, kind: 'definition' },
        { column: 'min_value', property: 'minValue', from: stored.minValue, to: given.minValue, kind: 'definition' },
        { column: 'max_value', property: 'maxValue', from: stored.maxValue, to: given.maxValue, kind: 'definition' },
        { column: 'reporting_lag_days', property: 'reportingLagDays', from: stored.reportingLagDays, to: given.reportingLagDays, kind: 'definition' },
        { column: 'levels', property: '@levels', from: stored.levels.join(' '), to: given.levels?.join(' '), kind: 'definition' },
        { column: 'description', property: 'description', from: stored.description, to: given.description, kind: 'definition' },
        { column: 'basis', property: 'basis', from: stored.basis, to: given.basis, kind: 'definition' },
        { column: 'target_value', property: 'targetValue', from: stored.targetValue, to: given.targetValue, kind: ChangedField.TARGET },
        { column: 'target_date', property: 'targetDate', from: stored.targetDate, to: given.targetDate, kind: ChangedField.TARGET },
      ], given.retiredOn, (values) => {
        if (given.levels && given.levels.join(' ') !== stored.levels.join(' ')) values.levels = given.levels;
        plan.writes.metrics.update.push({ code, values, department: departmentChanges ? given.department! : undefined });
      });
      amendTargetRecord(plan, code, stored, merged);
      continue;
    }
    plan.newCode(row, 'metrics', code);
    if (row.bad) continue;
    const values = {
      code, name: given.name!, nameVi: given.nameVi ?? given.name!, unit: unit ?? (kind === MetricKind.RATE ? '%' : ''), description: given.description ?? null,
      kind, frequency: given.frequency!, targetValue: given.targetValue ?? null, targetDate: given.targetDate ?? null,
      reportingLagDays: given.reportingLagDays ?? null, minValue: given.minValue ?? null, maxValue: given.maxValue ?? null, levels: given.levels ?? LEVELS,
    };
    plan.writes.metrics.create.push({ values: { ...values, retiredOn: given.retiredOn ?? null, basis: given.basis ?? FactBasis.SOURCE }, model: given.model!, department: given.department! });
    if (!plan.options.initialState) {
      const records: Recorded[] = [{ field: ChangedField.CREATED, toValue: code, diff: created({ ...values, department: given.department, pilotModel: given.model }) }];
      if (given.retiredOn) records.push({ field: ChangedField.RETIRED, toValue: given.retiredOn });
      plan.writes.history.push({ sheet: 'Metrics', code, records });
    }
    plan.change('Metrics', row, code, 'create', created({
      code, name_vi: values.nameVi, name: values.name, pilot_model: given.model, department: given.department, unit: values.unit, kind, frequency: values.frequency, levels: values.levels.join(' '),
      target_value: values.targetValue, target_date: values.targetDate, min_value: values.minValue, max_value: values.maxValue, reporting_lag_days: values.reportingLagDays,
      description: values.description, retired_on: given.retiredOn ?? null, basis: given.basis ?? FactBasis.SOURCE,
    }));
  }
};

/** A metric's TARGET record holds the target before and after as `value @ date` (as updateMetric writes it), with both fields. */
function amendTargetRecord(plan: ImportPlan, code: string, stored: { targetValue: number | null; targetDate: string | null }, merged: Record<string, unknown>): void {
  const entry = plan.writes.history.find((candidate) => candidate.sheet === 'Metrics' && candidate.code === code);
  const target = entry?.records.find((record) => record.field === ChangedField.TARGET);
  if (!target) return;
  target.fromValue = stored.targetValue == null ? null : `${stored.targetValue} @ ${stored.targetDate}`;
  target.toValue = merged.targetValue == null ? 'none' : `${String(merged.targetValue)} @ ${String(merged.targetDate)}`;
  target.diff = Object.fromEntries((['targetValue', 'targetDate'] as const).filter((key) => !same(stored[key], merged[key])).map((key) => [key, { from: stored[key], to: merged[key] }]));
}

export const ITEM_PLANNERS = { Tasks: planTasks, PilotModels: planModels, Metrics: planMetrics };
