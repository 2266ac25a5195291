import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { addDays } from '../common/period';
import { todayIn } from '../common/clock';
import { PredecessorShare, ProgressStatus, UnitLevel } from '../common/enums';
import { importSheets } from '../modules/catalogue/catalogue-import';
import type { ImportProblem, RawSheet } from '../modules/catalogue/catalogue-import-read';
import { Metric } from '../modules/metrics/metric.entity';
import { inChunks, isSqlite, Sql } from '../database/sql-dialect';
import { ingestRows } from '../ingestion/ingest';
import type { ObservationRow } from '../../connectors/sdk/mapping';
import { AdministrativeUnit, UnitPredecessor } from '../modules/units/administrative-unit.entity';
import { adminUnits, EDITION_2024_VALID_FROM } from './admin-units';
import { demoStatus, SEED_STATE_DATE } from './demo-progress';
import { readCatalogueDirectory } from './reference-catalogue';
import { DEMO_SOURCE, demoPeriods, demoValues } from './demo-observations';
import { feedDemoValues } from './feed-demo-values';

export const SEED_AUTHOR = 'catalogue seed';
const SEED_STATE_TIME = new Date(`${SEED_STATE_DATE}T00:00:00Z`);
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
  /** The directory of the catalogue's data files (default: the Nghệ An 2024 catalogue, src/seed/data/catalogue-2024). */
  catalogue?: string;
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

function required(map: Map<string, number>, code: string, what: string): number {
  const id = map.get(code);
  if (id === undefined) throw new Error(`seed data refers to unknown ${what} ${code}`);
  return id;
}

/**
 * Loads the Project 06 catalogue and the administrative units of both map editions, with the demo plan progress
 * and the demo observations when `options.demo` is set. The catalogue is data (src/seed/data/catalogue-2024/, the
 * spreadsheet import format) loaded through the import, creating only the items whose code is missing, so a second
 * run changes nothing and edits made through the API survive; demo values go only to the metrics the run inserts,
 * so `demo` matters on the run that loads the catalogue. Runs in one transaction: a failed seed leaves nothing behind.
 */
export async function seedCatalogue(dataSource: DataSource, options: SeedOptions): Promise<SeedSummary> {
  const inserted: Record<string, number> = {};
  const { sheets, problems } = readCatalogueDirectory(options.catalogue);
  await dataSource.transaction(async (manager) => {
    const newMetrics = await loadCatalogue(manager, sheets, problems, options.demo);
    for (const [key, count] of Object.entries(newMetrics.inserted)) inserted[key] = count;
    await seedUnits(manager, inserted);
    if (options.demo) await seedDemoObservations(manager, newMetrics.metrics, inserted);
    else inserted.observations = 0;
  });
  await refreshStatistics(dataSource, inserted);
  return { inserted };
}

/** Summary keys of the catalogue sheets. */
const INSERTED_KEYS: Record<string, string> = {
  Departments: 'departments', Programmes: 'programs', TaskGroups: 'taskGroups', Tasks: 'tasks', PilotModels: 'pilotModels', Metrics: 'metrics',
};

/**
 * The catalogue through the import, only missing items created: tasks and models start as reported on 2 April 2024
 * (demo) or NOT_STARTED, their history one initial status record by the seed. Returns the counts and the codes of
 * the metrics created.
 */
async function loadCatalogue(manager: EntityManager, sheets: RawSheet[], problems: ImportProblem[], demo: boolean) {
  const changedAt = demo ? SEED_STATE_TIME : new Date();
  const result = await importSheets(manager, sheets, problems, {
    apply: true,
    onlyMissing: true,
    author: SEED_AUTHOR,
    note: demo ? DEMO_STATUS_NOTE : REFERENCE_STATUS_NOTE,
    changedAt,
    today: todayIn('UTC'),
    timeZone: 'UTC',
    initialState: (sheet, code) => {
      const status = demo ? demoStatus(sheet, code) : ProgressStatus.NOT_STARTED;
      return { status, completedAt: status === ProgressStatus.COMPLETED ? SEED_STATE_TIME : null, statusIsDemo: demo && sheet === 'PilotModels' };
    },
  });
  if (!result.applied) {
    const listed = result.problems.slice(0, 5).map((problem) => `${problem.sheet} row ${problem.row ?? '-'} ${problem.column ?? ''}: ${problem.message}`);
    throw new Error(`the catalogue data has ${result.problems.length} problem(s): ${listed.join('; ')}`);
  }
  const created = result.changes.filter((change) => change.action === 'create');
  const inserted: Record<string, number> = Object.fromEntries(Object.entries(INSERTED_KEYS).map(([sheet, key]) => [key, created.filter((change) => change.sheet === sheet).length]));
  inserted.supportingDepartments = created
    .filter((change) => change.sheet === 'PilotModels')
    .reduce((sum, change) => sum + String(change.fields.supporting_departments?.to ?? '').split(' ').filter(Boolean).length, 0);
  return { inserted, metrics: new Set(created.filter((change) => change.sheet === 'Metrics').map((change) => change.code)) };
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
