import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { addDays } from '../common/period';
import { FactBasis, MetricFrequency, MetricKind, PredecessorShare, ProgressStatus, UnitLevel } from '../common/enums';
import { ChangedField } from '../modules/catalogue/change-record';
import { PilotModel, PilotModelChange } from '../modules/catalogue/pilot-model.entity';
import { Program } from '../modules/catalogue/program.entity';
import { TaskGroup } from '../modules/catalogue/task-group.entity';
import { Task, TaskChange } from '../modules/catalogue/task.entity';
import { Department } from '../modules/departments/department.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { inChunks, isSqlite, Sql } from '../database/sql-dialect';
import { ingestRows } from '../ingestion/ingest';
import type { ObservationRow } from '../../connectors/sdk/mapping';
import { AdministrativeUnit, UnitPredecessor } from '../modules/units/administrative-unit.entity';
import { adminUnits, EDITION_2024_VALID_FROM } from './admin-units';
import * as catalogue from './catalogue-data';
import { DEMO_SOURCE, demoPeriods, demoValues } from './demo-observations';
import { feedDemoValues } from './feed-demo-values';

const BASIS: Record<catalogue.Basis, FactBasis> = {
  S: FactBasis.SOURCE,
  N: FactBasis.NGHE_AN,
  V: FactBasis.NATIONAL,
  I: FactBasis.INFERRED,
};

export const SEED_AUTHOR = 'catalogue seed';
const SEED_STATE_TIME = new Date(`${catalogue.SEED_STATE_DATE}T00:00:00Z`);
/** Note of the initial status records of the demo plan progress (the statuses as of 2 April 2024). */
export const DEMO_STATUS_NOTE = 'State reported at the Provincial People’s Committee meeting of 2 April 2024.';
/** Note of the initial status records of the reference data: every task and model starts NOT_STARTED. */
export const REFERENCE_STATUS_NOTE = 'Loaded from the catalogue; no status reported yet.';

/** Rows inserted per statement: keeps rows × columns under SQLite's bind limit. */
const INSERT_CHUNK = 500;

export interface SeedOptions {
  /**
   * Also the demo data: the plan progress as of 2 April 2024 (statuses of the tasks and pilot models, marked
   * statusIsDemo on the models) and the demo observations (isDemo). Without it the seed loads reference data
   * only: administrative units and the programme's definitions, every task and model NOT_STARTED, no observation.
   */
  demo: boolean;
}

export interface SeedSummary {
  inserted: Record<string, number>;
}

async function insertChunked<T extends ObjectLiteral>(
  manager: EntityManager,
  target: EntityTarget<T>,
  rows: Array<Partial<T>>,
): Promise<void> {
  await inChunks(rows, INSERT_CHUNK, async (chunk) => {
    await manager.insert(target, chunk as never);
  });
}

/** Code → id of every row of a catalogue table, read in one statement. */
async function idsByCode(manager: EntityManager, target: EntityTarget<{ id: number; code: string }>) {
  const rows = await manager.getRepository(target).find({ select: { id: true, code: true } });
  return new Map(rows.map((row) => [row.code, row.id]));
}

function required(map: Map<string, number>, code: string, what: string): number {
  const id = map.get(code);
  if (id === undefined) throw new Error(`seed data refers to unknown ${what} ${code}`);
  return id;
}

/**
 * Loads the Project 06 catalogue and the administrative units of both map editions, with the demo plan progress
 * and the demo observations when `options.demo` is set. Only missing rows are inserted (matched on their natural
 * keys), so a second run changes nothing and edits made through the API survive; demo values go only to the
 * metrics the run inserts, so `demo` matters on the run that loads the catalogue. Runs in one transaction: a
 * failed seed leaves nothing behind.
 */
export async function seedCatalogue(dataSource: DataSource, options: SeedOptions): Promise<SeedSummary> {
  const inserted: Record<string, number> = {};
  await dataSource.transaction(async (manager) => {
    const seeder = new CatalogueSeeder(manager, inserted, options.demo ? demoProgress : referenceProgress());
    const departments = await seeder.departments();
    const taskGroups = await seeder.programAndTaskGroups(departments);
    await seeder.tasks(departments, taskGroups);
    const models = await seeder.pilotModels(departments, taskGroups);
    const newMetrics = await seeder.metrics(departments, models);
    await seedUnits(manager, inserted);
    if (options.demo) await seedDemoObservations(manager, newMetrics, inserted);
    else inserted.observations = 0;
  });
  await refreshStatistics(dataSource, inserted);
  return { inserted };
}

type Ids = Map<string, number>;

const keysOf = (map: Ids) => new Set(map.keys());

/** The state a seeded task or pilot model starts in, and the note and time of its initial status record. */
interface Progress {
  status(seeded: catalogue.ProgressStatus): ProgressStatus;
  completedAt(seeded: catalogue.ProgressStatus): Date | null;
  statusIsDemo(seeded: boolean): boolean;
  note: string;
  changedAt: Date;
}

/** The plan as reported on 2 April 2024 (demo data: the split per model and the tasks are not published). */
const demoProgress: Progress = {
  status: (seeded) => seeded as ProgressStatus,
  completedAt: (seeded) => (seeded === 'COMPLETED' ? SEED_STATE_TIME : null),
  statusIsDemo: (seeded) => seeded,
  note: DEMO_STATUS_NOTE,
  changedAt: SEED_STATE_TIME,
};

/** Reference data: nothing reported yet, as of the time of loading. */
function referenceProgress(): Progress {
  return {
    status: () => ProgressStatus.NOT_STARTED,
    completedAt: () => null,
    statusIsDemo: () => false,
    note: REFERENCE_STATUS_NOTE,
    changedAt: new Date(),
  };
}

/** The catalogue tables, one method per table (or pair), in the order their references need. */
class CatalogueSeeder {
  constructor(
    private readonly manager: EntityManager,
    private readonly inserted: Record<string, number>,
    private readonly progress: Progress,
  ) {}

  /** The initial status record of a seeded task or pilot model. */
  private initialStatusRecord(subjectId: number, status: ProgressStatus) {
    return initialStatusRecord(subjectId, status, this.progress);
  }

  /** Inserts the rows whose key is not in `existing`; counts them under `name` and returns them. */
  private async insertMissing<T extends ObjectLiteral>(
    name: string,
    target: EntityTarget<T>,
    existing: Set<string>,
    rows: Array<{ key: string; row: Partial<T> }>,
  ): Promise<Array<Partial<T>>> {
    const missing = rows.filter(({ key }) => !existing.has(key)).map(({ row }) => row);
    await insertChunked(this.manager, target, missing);
    this.inserted[name] = missing.length;
    return missing;
  }

  /** Departments, then their successors (self-reference needs ids first). */
  async departments(): Promise<Ids> {
    const existing = await idsByCode(this.manager, Department);
    await this.insertMissing('departments', Department, keysOf(existing), catalogue.departments.map((department) => ({
      key: department.code,
      row: {
        code: department.code,
        name: department.name,
        nameVi: department.nameVi,
        validFrom: department.validFrom,
        validTo: department.validTo,
        basis: BASIS[department.basis],
      },
    })));
    const newDepartments = new Set(catalogue.departments.filter((d) => !existing.has(d.code)).map((d) => d.code));
    const departments = await idsByCode(this.manager, Department);
    for (const department of catalogue.departments) {
      if (department.successorCode && newDepartments.has(department.code)) {
        await this.manager.update(Department, { id: required(departments, department.code, 'department') }, {
          successorId: required(departments, department.successorCode, 'department'),
        });
      }
    }
    return departments;
  }

  async programAndTaskGroups(departments: Ids): Promise<Ids> {
    const programs = await idsByCode(this.manager, Program);
    await this.insertMissing('programs', Program, keysOf(programs), [{ key: catalogue.program.code, row: { ...catalogue.program } }]);
    const programId = required(await idsByCode(this.manager, Program), catalogue.program.code, 'programme');

    const taskGroupIds = await idsByCode(this.manager, TaskGroup);
    await this.insertMissing('taskGroups', TaskGroup, keysOf(taskGroupIds), catalogue.taskGroups.map((group) => ({
      key: group.code,
      row: {
        code: group.code,
        number: group.number,
        name: group.name,
        nameVi: group.nameVi,
        programId,
        leadDepartmentId: required(departments, group.leadDepartmentCode, 'department'),
        basis: FactBasis.INFERRED,
      },
    })));
    return idsByCode(this.manager, TaskGroup);
  }

  async tasks(departments: Ids, taskGroups: Ids): Promise<void> {
    const taskIds = await idsByCode(this.manager, Task);
    const newTasks = await this.insertMissing('tasks', Task, keysOf(taskIds), catalogue.tasks.map((task) => ({
      key: task.code,
      row: {
        code: task.code,
        title: task.title,
        titleVi: task.titleVi,
        taskGroupId: required(taskGroups, task.taskGroupCode, 'task group'),
        leadDepartmentId: required(departments, task.leadDepartmentCode, 'department'),
        responsiblePerson: task.responsiblePerson,
        deadline: task.deadline,
        status: this.progress.status(task.status),
        completedAt: this.progress.completedAt(task.status),
        product: task.product,
        targetValue: task.targetValue,
        targetUnit: task.targetUnit,
        basis: FactBasis.INFERRED,
      },
    })));
    const tasks = await idsByCode(this.manager, Task);
    await insertChunked(this.manager, TaskChange, newTasks.map((task) => this.initialStatusRecord(required(tasks, task.code!, 'task'), task.status!)));
  }

  /** Pilot models, their initial status records and their supporting departments. */
  async pilotModels(departments: Ids, taskGroups: Ids): Promise<Ids> {
    const modelIds = await idsByCode(this.manager, PilotModel);
    // A model belongs to its group's programme and counts from the group's plan year.
    const groupRows = new Map((await this.manager.getRepository(TaskGroup).find()).map((group) => [group.id, group]));
    const newModels = await this.insertMissing('pilotModels', PilotModel, keysOf(modelIds), catalogue.pilotModels.map((model) => {
      const group = groupRows.get(required(taskGroups, model.taskGroupCode, 'task group'))!;
      return {
        key: model.code,
        row: {
          code: model.code,
          number: model.number,
          name: model.name,
          nameVi: model.nameVi,
          taskGroupId: group.id,
          programId: group.programId,
          planYear: group.planYear,
          leadDepartmentId: required(departments, model.leadDepartmentCode, 'department'),
          responsiblePerson: model.responsiblePerson,
          deadline: model.deadline,
          status: this.progress.status(model.status),
          completedAt: this.progress.completedAt(model.status),
          basis: BASIS[model.basis],
          statusIsDemo: this.progress.statusIsDemo(model.statusIsDemo),
        },
      };
    }));
    const models = await idsByCode(this.manager, PilotModel);
    await insertChunked(this.manager, PilotModelChange, newModels.map((model) => this.initialStatusRecord(required(models, model.code!, 'pilot model'), model.status!)));
    const newModelCodes = new Set(newModels.map((model) => model.code));
    const supportRows = catalogue.pilotModels
      .filter((model) => newModelCodes.has(model.code))
      .flatMap((model) => model.supportingDepartmentCodes.map((departmentCode) => ({
        pilotModelId: required(models, model.code, 'pilot model'),
        departmentId: required(departments, departmentCode, 'department'),
      })));
    if (supportRows.length > 0) {
      await this.manager.createQueryBuilder().insert().into('pilot_model_supporting_department').values(supportRows).execute();
    }
    this.inserted.supportingDepartments = supportRows.length;
    return models;
  }

  /** The metrics; returns the codes of those this run inserted. */
  async metrics(departments: Ids, models: Ids): Promise<Set<string>> {
    const metricIds = await idsByCode(this.manager, Metric);
    const newMetrics = await this.insertMissing('metrics', Metric, keysOf(metricIds), catalogue.metrics.map((metric) => ({
      key: metric.code,
      row: {
        code: metric.code,
        name: metric.name,
        nameVi: metric.nameVi,
        unit: metric.unit,
        kind: metric.kind as MetricKind,
        frequency: metric.frequency as MetricFrequency,
        pilotModelId: required(models, metric.pilotModelCode, 'pilot model'),
        departmentId: required(departments, metric.departmentCode, 'department'),
        targetValue: metric.targetValue,
        targetDate: metric.targetDate,
        basis: BASIS[metric.basis],
      },
    })));
    return new Set(newMetrics.map((metric) => metric.code!));
  }
}

/** Tables whose rows the seed loads in bulk. */
const SEEDED_TABLES = ['department', 'program', 'task_group', 'task', 'pilot_model', 'metric', 'administrative_unit', 'unit_predecessor', 'observation', 'observation_rollup'];

/**
 * After a bulk load, MySQL/MariaDB's optimizer statistics lag until InnoDB's background recount: a query sent in
 * that window can get a plan that scans the observations (seconds instead of milliseconds). The seed therefore
 * recounts them itself. SQLite plans from its indexes and needs nothing.
 */
async function refreshStatistics(dataSource: DataSource, inserted: Record<string, number>): Promise<void> {
  if (isSqlite(dataSource)) return;
  if (!Object.values(inserted).some((count) => count > 0)) return;
  await dataSource.query(`ANALYZE TABLE ${Sql.of(dataSource).list(SEEDED_TABLES)}`);
}

function initialStatusRecord(subjectId: number, status: ProgressStatus, progress: Pick<Progress, 'note' | 'changedAt'>) {
  return {
    subjectId,
    field: ChangedField.STATUS,
    fromValue: null,
    toValue: status,
    changedAt: progress.changedAt,
    author: SEED_AUTHOR,
    note: progress.note,
  };
}

const unitKey = (code: string, validFrom: string) => `${code}@${validFrom}`;

/** Province, the 2024 districts and communes, the 2025 communes and the 2024→2025 predecessor map. */
async function seedUnits(manager: EntityManager, inserted: Record<string, number>): Promise<void> {
  const edition2024 = adminUnits.edition2024;
  const edition2025 = adminUnits.edition2025;
  const loadKeys = async () => {
    const rows = await manager.getRepository(AdministrativeUnit).find({ select: { id: true, code: true, validFrom: true } });
    return new Map(rows.map((row) => [unitKey(row.code, row.validFrom), row.id]));
  };
  let units = await loadKeys();
  const before = units.size;
  const insertLevel = async (rows: Array<Partial<AdministrativeUnit>>) => {
    await insertChunked(manager, AdministrativeUnit, rows.filter((row) => !units.has(unitKey(row.code!, row.validFrom!))));
    units = await loadKeys();
  };

  await insertLevel([{
    code: adminUnits.province.code,
    name: adminUnits.province.name,
    type: 'Tỉnh',
    level: UnitLevel.PROVINCE,
    parentId: null,
    validFrom: EDITION_2024_VALID_FROM,
    validTo: null,
  }]);
  const provinceId = required(units, unitKey(adminUnits.province.code, EDITION_2024_VALID_FROM), 'unit');
  const in2024 = { validFrom: EDITION_2024_VALID_FROM, validTo: edition2024.replacedOn };
  await insertLevel(edition2024.districts.map((district) => ({
    code: district.code, name: district.name, type: district.type, level: UnitLevel.DISTRICT, parentId: provinceId, ...in2024,
  })));
  await insertLevel(edition2024.districts.flatMap((district) => district.communes.map((commune) => ({
    code: commune.code,
    name: commune.name,
    type: commune.type,
    level: UnitLevel.COMMUNE,
    parentId: required(units, unitKey(district.code, EDITION_2024_VALID_FROM), 'unit'),
    ...in2024,
  }))));
  await insertLevel(edition2025.communes.map((commune) => ({
    code: commune.code,
    name: commune.name,
    type: commune.type,
    level: UnitLevel.COMMUNE,
    parentId: provinceId,
    validFrom: edition2025.inForceFrom,
    validTo: null,
  })));
  inserted.administrativeUnits = units.size - before;

  const existingLinks = await manager.getRepository(UnitPredecessor).find();
  const linked = new Set(existingLinks.map((link) => `${link.unitId}:${link.predecessorId}`));
  const links = edition2025.communes.flatMap((commune) => commune.mergedFrom.map((source) => ({
    unitId: required(units, unitKey(commune.code, edition2025.inForceFrom), 'unit'),
    predecessorId: required(units, unitKey(source.code, EDITION_2024_VALID_FROM), 'unit'),
    share: source.share === 'full' ? PredecessorShare.FULL : PredecessorShare.PARTIAL,
  }))).filter((link) => !linked.has(`${link.unitId}:${link.predecessorId}`));
  await insertChunked(manager, UnitPredecessor, links);
  inserted.unitPredecessors = links.length;
}

/**
 * Demo values for the metrics this run inserted whose models are under way, against the 2024 districts (or the
 * province), written through the ingestion path in the seed's transaction (validated, with their rollups) as
 * demo values of the source DEMO_SOURCE, recorded the morning after their period closed. Metrics that already
 * existed keep their observations as they are: a model started through the API later gets real data, not demo
 * values (which could also collide with that data on the natural key).
 */
async function seedDemoObservations(manager: EntityManager, newMetricCodes: Set<string>, inserted: Record<string, number>) {
  const metrics = await manager.getRepository(Metric).find({ relations: { pilotModel: true } });
  const districts = adminUnits.edition2024.districts.map((district) => ({ code: district.code }));
  const rows: ObservationRow[] = [];
  for (const metric of metrics) {
    if (metric.pilotModel?.status === ProgressStatus.NOT_STARTED || !newMetricCodes.has(metric.code)) continue;
    // The metrics a simulated feed serves take the feed's own values, so the seed and demo mode tell one story.
    const values = feedDemoValues(metric.code, demoPeriods(metric.frequency)) ?? demoValues(metric, adminUnits.province.code, districts);
    for (const value of values) {
      rows.push({
        metric: metric.code,
        unit: value.unitCode,
        period: value.period.text,
        value: value.value,
        numerator: value.numerator,
        denominator: value.denominator,
      });
    }
  }
  const summary = await ingestRows(manager, rows, {
    runId: null,
    source: DEMO_SOURCE,
    actor: SEED_AUTHOR,
    mappingVersion: null,
    today: new Date().toISOString().slice(0, 10),
    isDemo: true,
    // Reported the morning after the period closed.
    recordedAt: (row) => new Date(`${addDays(row.periodEnd, 1)}T03:00:00Z`),
  });
  if (summary.rejected > 0) {
    const [first] = summary.rejections;
    throw new Error(`the demo seed produced ${summary.rejected} invalid value(s), e.g. row ${first.rowIndex}: ${first.reason} ${first.message}`);
  }
  inserted.observations = summary.imported;
}
