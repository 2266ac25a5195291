/**
 * The seeded reference catalogue as plain objects, for tests and the connector SDK's test helpers: read from the
 * data files the seed loads (src/seed/data/catalogue-2024/, reference-catalogue.ts) with the demo statuses of
 * 2 April 2024 (demo-progress.ts). The catalogue itself is data, not code: this module only reads it.
 */
import { FactBasis } from '../common/enums';
import { cellText, type RawSheet } from '../modules/catalogue/catalogue-import-read';
import { demoStatus } from './demo-progress';
import { readCatalogueDirectory } from './reference-catalogue';

export { SEED_STATE_DATE } from './demo-progress';

export type ProgressStatus = 'NOT_STARTED' | 'IN_PROGRESS' | 'COMPLETED';
export type MetricKind = 'COUNT' | 'STOCK' | 'RATE';
export type Frequency = 'DAY' | 'WEEK' | 'MONTH' | 'QUARTER' | 'YEAR';

export interface DepartmentSeed {
  code: string;
  name: string;
  nameVi: string;
  validFrom: string | null;
  validTo: string | null;
  successorCode: string | null;
  basis: FactBasis;
}

export interface ProgramSeed {
  code: string;
  name: string;
  nameVi: string;
  decision: string;
  planYear: number;
}

export interface TaskGroupSeed {
  code: string;
  number: number;
  name: string;
  nameVi: string;
  leadDepartmentCode: string;
}

export interface TaskSeed {
  code: string;
  taskGroupCode: string;
  title: string;
  titleVi: string;
  leadDepartmentCode: string;
  responsiblePerson: string;
  deadline: string;
  /** As reported on 2 April 2024 (demo data). */
  status: ProgressStatus;
  product: string;
  targetValue: number | null;
  targetUnit: string | null;
}

export interface PilotModelSeed {
  code: string;
  number: number;
  name: string;
  nameVi: string;
  taskGroupCode: string;
  leadDepartmentCode: string;
  supportingDepartmentCodes: string[];
  responsiblePerson: string;
  deadline: string;
  /** As reported on 2 April 2024 (demo data). */
  status: ProgressStatus;
  basis: FactBasis;
  statusIsDemo: boolean;
}

export interface MetricSeed {
  code: string;
  name: string;
  nameVi: string;
  unit: string;
  kind: MetricKind;
  frequency: Frequency;
  pilotModelCode: string;
  departmentCode: string;
  targetValue: number | null;
  targetDate: string | null;
  basis: FactBasis;
}

const { sheets } = readCatalogueDirectory();

/** The rows of a sheet as functions of their columns: text (null when blank) and numbers. */
function rowsOf(name: RawSheet['name']) {
  const sheet = sheets.find((candidate) => candidate.name === name)!;
  return sheet.rows.map((row) => {
    const text = (column: string) => cellText(row.cells.get(column) ?? null);
    return { text, must: (column: string) => text(column)!, number: (column: string) => (text(column) === null ? null : Number(text(column))) };
  });
}

export const departments: DepartmentSeed[] = rowsOf('Departments').map((row) => ({
  code: row.must('code'), name: row.must('name'), nameVi: row.must('name_vi'), validFrom: row.text('valid_from'), validTo: row.text('valid_to'),
  successorCode: row.text('successor'), basis: row.must('basis') as FactBasis,
}));

export const program: ProgramSeed = rowsOf('Programmes').map((row) => ({
  code: row.must('code'), name: row.must('name'), nameVi: row.must('name_vi'), decision: row.must('decision'), planYear: row.number('plan_year')!,
}))[0];

export const taskGroups: TaskGroupSeed[] = rowsOf('TaskGroups').map((row) => ({
  code: row.must('code'), number: row.number('number')!, name: row.must('name'), nameVi: row.must('name_vi'), leadDepartmentCode: row.must('lead_department'),
}));

export const tasks: TaskSeed[] = rowsOf('Tasks').map((row) => ({
  code: row.must('code'), taskGroupCode: row.must('task_group'), title: row.must('title'), titleVi: row.must('title_vi'), leadDepartmentCode: row.must('lead_department'),
  responsiblePerson: row.must('responsible_person'), deadline: row.must('deadline'), status: demoStatus('Tasks', row.must('code')), product: row.text('product') ?? '',
  targetValue: row.number('target_value'), targetUnit: row.text('target_unit'),
}));

export const pilotModels: PilotModelSeed[] = rowsOf('PilotModels').map((row) => ({
  code: row.must('code'), number: row.number('number')!, name: row.must('name'), nameVi: row.must('name_vi'), taskGroupCode: row.must('task_group'),
  leadDepartmentCode: row.must('lead_department'), supportingDepartmentCodes: (row.text('supporting_departments') ?? '').split(' ').filter(Boolean),
  responsiblePerson: row.must('responsible_person'), deadline: row.must('deadline'), status: demoStatus('PilotModels', row.must('code')),
  basis: row.must('basis') as FactBasis, statusIsDemo: true,
}));

export const metrics: MetricSeed[] = rowsOf('Metrics').map((row) => ({
  code: row.must('code'), name: row.must('name'), nameVi: row.must('name_vi'), unit: row.text('unit') ?? '', kind: row.must('kind') as MetricKind,
  frequency: row.must('frequency') as Frequency, pilotModelCode: row.must('pilot_model'), departmentCode: row.must('department'),
  targetValue: row.number('target_value'), targetDate: row.text('target_date'), basis: row.must('basis') as FactBasis,
}));
