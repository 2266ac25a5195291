import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { In, LessThanOrEqual, Not, type DataSource } from 'typeorm';
import { FactBasis, MetricFrequency, MetricKind, PredecessorShare, ProgressStatus, UnitLevel } from '../../src/common/enums';
import { parsePeriod } from '../../src/common/period';
import { ChangedField } from '../../src/modules/catalogue/change-record';
import { PilotModel, PilotModelChange } from '../../src/modules/catalogue/pilot-model.entity';
import { Program } from '../../src/modules/catalogue/program.entity';
import { TaskGroup } from '../../src/modules/catalogue/task-group.entity';
import { Task, TaskChange } from '../../src/modules/catalogue/task.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { Metric } from '../../src/modules/metrics/metric.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { AdministrativeUnit, UnitPredecessor } from '../../src/modules/units/administrative-unit.entity';
import { adminUnits } from '../../src/seed/admin-units';
import * as catalogue from '../../src/seed/catalogue-data';
import { demoValues } from '../../src/seed/demo-observations';
import { seedCatalogue, type SeedSummary } from '../../src/seed/seed';
import { openTestDatabase, type TestDatabase, installFailingTrigger } from '../helpers/test-database';

const SEED_TABLE_KEYS = [
  'departments',
  'programs',
  'taskGroups',
  'tasks',
  'pilotModels',
  'supportingDepartments',
  'metrics',
  'administrativeUnits',
  'unitPredecessors',
  'observations',
];

/** Every table the entities map to, the many-to-many junction table included. */
function hubTables(dataSource: DataSource): string[] {
  return [...new Set(dataSource.entityMetadatas.map((metadata) => metadata.tableName))].sort();
}

/** Row count and the sorted JSON of every row, per hub table: equal snapshots mean equal contents. */
async function snapshot(dataSource: DataSource): Promise<Record<string, { count: number; rows: string[] }>> {
  const result: Record<string, { count: number; rows: string[] }> = {};
  for (const table of hubTables(dataSource)) {
    const rows: Array<Record<string, unknown>> = await dataSource.query(`SELECT * FROM ${dataSource.driver.escape(table)}`);
    result[table] = { count: rows.length, rows: rows.map((row) => JSON.stringify(row)).sort() };
  }
  return result;
}

function zeroes(summary: SeedSummary): Record<string, number> {
  return Object.fromEntries(Object.keys(summary.inserted).map((key) => [key, 0]));
}

const code2 = (index: number) => String(index).padStart(2, '0');
const EDITION_2024 = '2024-01-01';
const EDITION_2025 = '2025-07-01';

describe('catalogue seed', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await openTestDatabase();
    dataSource = db.dataSource;
  });

  afterAll(async () => {
    await db?.dataSource.destroy();
  });

  describe('catalogue', () => {
    it('holds the DA06 programme, 10 task groups and 51 tasks', async () => {
      const programs = await dataSource.getRepository(Program).find();
      expect(programs.map((program) => program.code)).toEqual(['DA06']);
      expect(await dataSource.getRepository(TaskGroup).count()).toBe(10);
      const groups = await dataSource.getRepository(TaskGroup).find();
      expect(groups.every((group) => group.programId === programs[0].id)).toBe(true);
      expect(await dataSource.getRepository(Task).count()).toBe(51);
    });

    it('has exactly 10 tasks overdue at 2024-03-31 (deadline passed, not completed)', async () => {
      const overdue = await dataSource.getRepository(Task).count({
        where: { deadline: LessThanOrEqual('2024-03-31'), status: Not(ProgressStatus.COMPLETED) },
      });
      expect(overdue).toBe(10);
    });

    it('holds 38 pilot models M01..M38: 6 completed, 20 in progress, 12 not started', async () => {
      const models = await dataSource.getRepository(PilotModel).find({ order: { code: 'ASC' } });
      expect(models.map((model) => model.code)).toEqual(Array.from({ length: 38 }, (_, index) => `M${code2(index + 1)}`));
      expect(models.map((model) => model.number)).toEqual(Array.from({ length: 38 }, (_, index) => index + 1));
      const byStatus = (status: ProgressStatus) => models.filter((model) => model.status === status).length;
      expect(byStatus(ProgressStatus.COMPLETED)).toBe(6);
      expect(byStatus(ProgressStatus.IN_PROGRESS)).toBe(20);
      expect(byStatus(ProgressStatus.NOT_STARTED)).toBe(12);
      const firstTwelve = models.filter((model) => model.number <= 12);
      expect(firstTwelve).toHaveLength(12);
      expect(firstTwelve.filter((model) => model.status === ProgressStatus.COMPLETED)).toEqual([]);
      // completedAt is set exactly for the completed ones.
      for (const model of models) expect(model.completedAt !== null).toBe(model.status === ProgressStatus.COMPLETED);
    });

    it('gives every pilot model one initial STATUS change record matching its status', async () => {
      const models = await dataSource.getRepository(PilotModel).find();
      const changes = await dataSource.getRepository(PilotModelChange).find();
      expect(changes).toHaveLength(models.length);
      for (const model of models) {
        const own = changes.filter((change) => change.subjectId === model.id);
        expect(own).toHaveLength(1);
        expect({
          field: own[0].field,
          fromValue: own[0].fromValue,
          toValue: own[0].toValue,
          author: own[0].author,
          changedAt: own[0].changedAt.toISOString(),
        }).toEqual({
          field: ChangedField.STATUS,
          fromValue: null,
          toValue: model.status,
          author: 'catalogue seed',
          changedAt: `${catalogue.SEED_STATE_DATE}T00:00:00.000Z`,
        });
      }
    });

    it('gives every task one initial STATUS change record matching its status', async () => {
      const tasks = await dataSource.getRepository(Task).find();
      const changes = await dataSource.getRepository(TaskChange).find();
      expect(changes).toHaveLength(tasks.length);
      for (const task of tasks) {
        const own = changes.filter((change) => change.subjectId === task.id);
        expect(own.map((change) => [change.field, change.fromValue, change.toValue, change.author])).toEqual([
          [ChangedField.STATUS, null, task.status, 'catalogue seed'],
        ]);
      }
    });

    it('holds 15 departments, successors linked', async () => {
      const departments = await dataSource.getRepository(Department).find();
      expect(departments).toHaveLength(15);
      const byCode = new Map(departments.map((department) => [department.code, department]));
      for (const seed of catalogue.departments) {
        const department = byCode.get(seed.code);
        expect(department).toBeDefined();
        const successorId = seed.successorCode ? byCode.get(seed.successorCode)?.id : null;
        expect({ code: seed.code, successorId: department!.successorId }).toEqual({ code: seed.code, successorId });
      }
    });

    it('holds every metric of the catalogue with its pilot model and department', async () => {
      const metrics = await dataSource.getRepository(Metric).find({ relations: { pilotModel: true, department: true } });
      expect(metrics).toHaveLength(catalogue.metrics.length);
      const byCode = new Map(metrics.map((metric) => [metric.code, metric]));
      for (const seed of catalogue.metrics) {
        const metric = byCode.get(seed.code);
        expect({
          code: metric?.code,
          pilotModel: metric?.pilotModel?.code,
          department: metric?.department?.code,
          kind: metric?.kind,
          frequency: metric?.frequency,
        }).toEqual({
          code: seed.code,
          pilotModel: seed.pilotModelCode,
          department: seed.departmentCode,
          kind: seed.kind,
          frequency: seed.frequency,
        });
      }
    });

    it('marks every task and task group as demo data (basis INFERRED)', async () => {
      expect(await dataSource.getRepository(Task).countBy({ basis: Not(FactBasis.INFERRED) })).toBe(0);
      expect(await dataSource.getRepository(TaskGroup).countBy({ basis: Not(FactBasis.INFERRED) })).toBe(0);
    });
  });

  describe('administrative units', () => {
    let units: AdministrativeUnit[];
    let province: AdministrativeUnit;

    beforeAll(async () => {
      units = await dataSource.getRepository(AdministrativeUnit).find();
      const provinces = units.filter((unit) => unit.level === UnitLevel.PROVINCE);
      expect(provinces).toHaveLength(1);
      province = provinces[0];
    });

    it('has the province (code 40)', () => {
      expect({ code: province.code, parentId: province.parentId, validFrom: province.validFrom, validTo: province.validTo }).toEqual({
        code: '40',
        parentId: null,
        validFrom: EDITION_2024,
        validTo: null,
      });
    });

    it('has 21 districts 412..432 valid 2024-01-01..2025-07-01 under the province', () => {
      const districts = units.filter((unit) => unit.level === UnitLevel.DISTRICT);
      expect(districts.map((unit) => unit.code).sort()).toEqual(Array.from({ length: 21 }, (_, index) => String(412 + index)));
      for (const district of districts) {
        expect([district.parentId, district.validFrom, district.validTo]).toEqual([province.id, EDITION_2024, EDITION_2025]);
      }
    });

    it('has 460 communes of 2024 under their districts, valid 2024-01-01..2025-07-01', () => {
      const districtIds = new Set(units.filter((unit) => unit.level === UnitLevel.DISTRICT).map((unit) => unit.id));
      const communes = units.filter((unit) => unit.level === UnitLevel.COMMUNE && unit.validFrom === EDITION_2024);
      expect(communes).toHaveLength(460);
      for (const commune of communes) {
        expect(commune.validTo).toBe(EDITION_2025);
        expect(districtIds.has(commune.parentId!)).toBe(true);
      }
    });

    it('has 130 communes valid from 2025-07-01 whose parent is the province', () => {
      const communes = units.filter((unit) => unit.level === UnitLevel.COMMUNE && unit.validFrom === EDITION_2025);
      expect(communes).toHaveLength(130);
      for (const commune of communes) expect([commune.parentId, commune.validTo]).toEqual([province.id, null]);
      expect(units).toHaveLength(1 + 21 + 460 + 130);
    });

    it('links 414 predecessors, 4 of them partial, each from a 2024 commune to a 2025 commune', async () => {
      const links = await dataSource.getRepository(UnitPredecessor).find();
      expect(links).toHaveLength(414);
      expect(links.filter((link) => link.share === PredecessorShare.PARTIAL)).toHaveLength(4);
      expect(links.filter((link) => link.share !== PredecessorShare.PARTIAL && link.share !== PredecessorShare.FULL)).toEqual([]);
      const byId = new Map(units.map((unit) => [unit.id, unit]));
      for (const link of links) {
        expect([byId.get(link.unitId)?.validFrom, byId.get(link.predecessorId)?.validFrom]).toEqual([EDITION_2025, EDITION_2024]);
        expect(byId.get(link.predecessorId)?.level).toBe(UnitLevel.COMMUNE);
      }
      // Every 2025 commune was formed from at least one 2024 commune.
      expect(new Set(links.map((link) => link.unitId)).size).toBe(130);
    });

    it('keys units on (code, validFrom): code 16681 exists in both editions, but only once per edition', async () => {
      const repository = dataSource.getRepository(AdministrativeUnit);
      const twins = await repository.find({ where: { code: '16681' }, order: { validFrom: 'ASC' } });
      expect(twins.map((unit) => unit.validFrom)).toEqual([EDITION_2024, EDITION_2025]);
      expect(twins[0].id).not.toBe(twins[1].id);
      await expect(
        repository.insert({
          code: '16681',
          name: 'Duplicate',
          type: 'Phường',
          level: UnitLevel.COMMUNE,
          parentId: province.id,
          validFrom: EDITION_2025,
          validTo: null,
        }),
      ).rejects.toThrow();
      expect(await repository.countBy({ code: '16681' })).toBe(2);
    });
  });

  describe('demo observations', () => {
    let observations: Observation[];

    beforeAll(async () => {
      observations = await dataSource.getRepository(Observation).find({ relations: { metric: { pilotModel: true } } });
    });

    it('are all flagged as demo values from the demo seed', async () => {
      expect(observations.length).toBeGreaterThan(0);
      expect(observations.filter((observation) => observation.isDemo !== true || observation.source !== 'demo-seed')).toEqual([]);
      expect(await dataSource.getRepository(Observation).countBy({ isDemo: false })).toBe(0);
    });

    it('exist only for metrics of pilot models that have started, one value per unit and period', () => {
      expect(observations.filter((observation) => observation.metric?.pilotModel?.status === ProgressStatus.NOT_STARTED)).toEqual([]);
      const started = new Set(
        catalogue.pilotModels.filter((model) => model.status !== 'NOT_STARTED').map((model) => model.code),
      );
      const districts = adminUnits.edition2024.districts.map((district) => ({ code: district.code }));
      const expected = catalogue.metrics
        .filter((metric) => started.has(metric.pilotModelCode))
        .reduce(
          (sum, metric) =>
            sum +
            demoValues(
              { code: metric.code, kind: metric.kind as MetricKind, frequency: metric.frequency as MetricFrequency, targetValue: metric.targetValue },
              adminUnits.province.code,
              districts,
            ).length,
          0,
        );
      expect(observations).toHaveLength(expected);
    });

    it('have periods that parse with the metric frequency and match periodStart / periodEnd', () => {
      const mismatches = observations.flatMap((observation) => {
        const period = parsePeriod(observation.period);
        const actual = { frequency: period.frequency, start: period.start, end: period.end };
        const stored = { frequency: observation.metric!.frequency, start: observation.periodStart, end: observation.periodEnd };
        return JSON.stringify(actual) === JSON.stringify(stored) ? [] : [{ id: observation.id, period: observation.period, actual, stored }];
      });
      expect(mismatches).toEqual([]);
    });

    it('have RATE values equal to 100 × numerator / denominator', () => {
      for (const observation of observations.filter((candidate) => candidate.metric!.kind === MetricKind.RATE)) {
        expect(observation.value).toBeCloseTo((100 * observation.numerator!) / observation.denominator!, 9);
      }
    });

    it('have no duplicate natural key (metricId, unitId, period)', async () => {
      const duplicates = await dataSource
        .createQueryBuilder(Observation, 'observation')
        .select('observation.metricId', 'metricId')
        .addSelect('observation.unitId', 'unitId')
        .addSelect('observation.period', 'period')
        .addSelect('COUNT(*)', 'n')
        .groupBy('observation.metricId')
        .addGroupBy('observation.unitId')
        .addGroupBy('observation.period')
        .having('COUNT(*) > 1')
        .getRawMany();
      expect(duplicates).toEqual([]);
    });
  });

  describe('idempotence', () => {
    it('a second run inserts nothing and leaves every table unchanged', async () => {
      const before = await snapshot(dataSource);
      const summary = await seedCatalogue(dataSource, { demo: true });
      expect(Object.keys(summary.inserted).sort()).toEqual([...SEED_TABLE_KEYS].sort());
      expect(summary.inserted).toEqual(zeroes(summary));
      const after = await snapshot(dataSource);
      for (const table of hubTables(dataSource)) {
        expect({ table, count: after[table].count }).toEqual({ table, count: before[table].count });
        expect(after[table].rows).toEqual(before[table].rows);
      }
    });

    it('keeps an edit made through the API (status change + change record) on a re-seed', async () => {
      const models = dataSource.getRepository(PilotModel);
      const changes = dataSource.getRepository(PilotModelChange);
      const m03 = await models.findOneByOrFail({ code: 'M03' });
      expect(m03.status).toBe(ProgressStatus.IN_PROGRESS);
      const completedAt = new Date('2024-05-10T08:30:00Z');
      await dataSource.transaction(async (manager) => {
        await manager.update(PilotModel, { id: m03.id }, { status: ProgressStatus.COMPLETED, completedAt });
        await manager.insert(PilotModelChange, {
          subjectId: m03.id,
          field: ChangedField.STATUS,
          fromValue: ProgressStatus.IN_PROGRESS,
          toValue: ProgressStatus.COMPLETED,
          changedAt: completedAt,
          author: 'Sở Y tế (API test)',
          note: 'Hoàn thành',
        });
      });
      const before = await snapshot(dataSource);

      const summary = await seedCatalogue(dataSource, { demo: true });
      expect(summary.inserted).toEqual(zeroes(summary));
      expect(await snapshot(dataSource)).toEqual(before);

      const after = await models.findOneByOrFail({ code: 'M03' });
      expect(after.status).toBe(ProgressStatus.COMPLETED);
      expect(after.completedAt?.toISOString()).toBe(completedAt.toISOString());
      const history = await changes.find({ where: { subjectId: m03.id }, order: { changedAt: 'ASC' } });
      expect(history.map((change) => [change.fromValue, change.toValue, change.author])).toEqual([
        [null, ProgressStatus.IN_PROGRESS, 'catalogue seed'],
        [ProgressStatus.IN_PROGRESS, ProgressStatus.COMPLETED, 'Sở Y tế (API test)'],
      ]);
      expect(await models.countBy({ status: ProgressStatus.COMPLETED })).toBe(7);
    });

    it('adds no demo values to a model started through the API, even where real values hold the natural key', async () => {
      const models = dataSource.getRepository(PilotModel);
      const observations = dataSource.getRepository(Observation);
      const m04 = await models.findOneByOrFail({ code: 'M04' });
      expect(m04.status).toBe(ProgressStatus.NOT_STARTED);
      await models.update({ id: m04.id }, { status: ProgressStatus.IN_PROGRESS });
      const metrics = await dataSource.getRepository(Metric).findBy({ pilotModelId: m04.id });
      expect(metrics.length).toBeGreaterThan(0);
      expect(await observations.countBy({ metricId: In(metrics.map((metric) => metric.id)) })).toBe(0);
      // A connector delivers real values at the first keys the demo seed would use for these metrics.
      const districts = adminUnits.edition2024.districts.map((district) => ({ code: district.code }));
      const unitIds = new Map(
        (await dataSource.getRepository(AdministrativeUnit).findBy({ validFrom: EDITION_2024 })).map((unit) => [unit.code, unit.id]),
      );
      let delivered = 0;
      for (const metric of metrics) {
        for (const demo of demoValues(metric, adminUnits.province.code, districts).slice(0, 2)) {
          expect(unitIds.has(demo.unitCode)).toBe(true);
          await observations.insert({
            metricId: metric.id,
            unitId: unitIds.get(demo.unitCode),
            period: demo.period.text,
            periodStart: demo.period.start,
            periodEnd: demo.period.end,
            value: demo.value,
            numerator: demo.numerator,
            denominator: demo.denominator,
            recordedAt: new Date('2024-04-01T03:00:00Z'),
            source: 'connector:test',
            isDemo: false,
          });
          delivered += 1;
        }
      }
      expect(delivered).toBeGreaterThan(0);
      const before = await snapshot(dataSource);

      const summary = await seedCatalogue(dataSource, { demo: true });
      expect(summary.inserted).toEqual(zeroes(summary));
      expect(await snapshot(dataSource)).toEqual(before);
      expect(await observations.countBy({ metricId: In(metrics.map((metric) => metric.id)), isDemo: true })).toBe(0);
    });
  });
});


describe('catalogue seed atomicity', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await openTestDatabase({ seed: false });
    dataSource = db.dataSource;
  });

  afterAll(async () => {
    await db?.dataSource.destroy();
  });

  it('leaves nothing behind when the seed fails midway (after departments, units and metrics were inserted)', async () => {
    // One department exists beforehand, as if created through the API.
    await dataSource.getRepository(Department).insert({
      code: 'SO_TEST',
      name: 'Test department',
      nameVi: 'Sở Thử nghiệm',
      validFrom: null,
      validTo: null,
      basis: FactBasis.INFERRED,
    });
    await installFailingTrigger(dataSource, { name: 'seed_test_fail', event: 'INSERT', table: 'observation', message: 'forced failure of the seed test' });
    const before = await snapshot(dataSource);
    expect(before.department.count).toBe(1);

    db.counter.reset();
    await expect(seedCatalogue(dataSource, { demo: true })).rejects.toThrow(/forced failure of the seed test/);
    // The failure came late in the transaction: departments, units and metrics had been inserted.
    const inserts = (table: string) =>
      db.counter.statements.filter((statement) => new RegExp(`^INSERT INTO [\`"]${table}[\`"]`, 'i').test(statement.trim())).length;
    expect(inserts('department')).toBeGreaterThan(0);
    expect(inserts('administrative_unit')).toBeGreaterThan(0);
    expect(inserts('metric')).toBeGreaterThan(0);
    expect(inserts('observation')).toBeGreaterThan(0);

    expect(await dataSource.getRepository(Department).count()).toBe(1);
    expect(await snapshot(dataSource)).toEqual(before);
  });

  it('seeds completely once the cause of the failure is gone', async () => {
    await dataSource.query('DROP TRIGGER seed_test_fail');
    const summary = await seedCatalogue(dataSource, { demo: true });
    expect(summary.inserted).toMatchObject({
      departments: 15,
      programs: 1,
      taskGroups: 10,
      tasks: 51,
      pilotModels: 38,
      metrics: catalogue.metrics.length,
      administrativeUnits: 1 + 21 + 460 + 130,
      unitPredecessors: 414,
    });
    expect(summary.inserted.observations).toBeGreaterThan(0);
    expect(await dataSource.getRepository(Department).count()).toBe(16);
    expect(await dataSource.getRepository(PilotModel).countBy({ code: In(['M01', 'M38']) })).toBe(2);
  });
});

describe('catalogue seed from another directory of data files (another province’s catalogue)', () => {
  let db: TestDatabase;
  let folder: string;
  const files: Record<string, string> = {
    'Departments.csv': 'code,name_vi,name,basis\nSO_A,Sở A,Department A,SOURCE\nSO_B,Sở B,Department B,SOURCE\n',
    'Programmes.csv': 'Mã,Tên,Tên tiếng Anh,Quyết định,Năm kế hoạch\nCT1,Chương trình 1,Programme 1,QĐ 1/2025,2025\n',
    'TaskGroups.csv': 'code;program;plan_year;name;lead_department\nG1;CT1;2025;Group 1;SO_A\n',
    'Tasks.csv': 'code,task_group,title,lead_department,responsible_person,deadline\nT1,G1,Task 1,SO_B,Director,2025-09-30\n',
    'PilotModels.csv': 'code,task_group,name,lead_department,supporting_departments,responsible_person,deadline\nMX1,G1,Model 1,SO_A,SO_B,Director,2025-12-31\n',
    'Metrics.csv': 'code,name,pilot_model,department,kind,frequency\nX_VISITS,Visits,MX1,SO_A,COUNT,MONTH\n',
  };

  beforeEach(async () => {
    db = await openTestDatabase({ seed: false });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pilothub-catalogue-'));
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(folder, name), text);
  });
  afterEach(async () => {
    await db?.dataSource.destroy();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('loads it through the import, NOT_STARTED with one initial status record each', async () => {
    const summary = await seedCatalogue(db.dataSource, { demo: false, catalogue: folder });
    expect(summary.inserted).toMatchObject({ departments: 2, programs: 1, taskGroups: 1, tasks: 1, pilotModels: 1, supportingDepartments: 1, metrics: 1 });
    const model = await db.dataSource.getRepository(PilotModel).findOneOrFail({ where: { code: 'MX1' }, relations: { supportingDepartments: true } });
    expect({ number: model.number, status: model.status, supporting: model.supportingDepartments!.map((department) => department.code) }).toEqual({ number: 1, status: 'NOT_STARTED', supporting: ['SO_B'] });
    const history = await db.dataSource.getRepository(TaskChange).find();
    expect(history.map((record) => [record.field, record.toValue, record.author])).toEqual([[ChangedField.STATUS, 'NOT_STARTED', 'catalogue seed']]);
    expect((await seedCatalogue(db.dataSource, { demo: false, catalogue: folder })).inserted).toMatchObject({ departments: 0, tasks: 0, metrics: 0 });
  });

  it('refuses a file with a problem, naming its sheet, row and column, and writes nothing', async () => {
    fs.writeFileSync(path.join(folder, 'Tasks.csv'), 'code,task_group,title,lead_department,responsible_person,deadline\nT1,G1,Task 1,SO_C,Director,2025-09-31\n');
    await expect(seedCatalogue(db.dataSource, { demo: false, catalogue: folder })).rejects.toThrow(
      /^the catalogue data has 2 problem\(s\): Tasks row 2 deadline: "2025-09-31" không phải ngày hợp lệ \(YYYY-MM-DD\) — not a calendar date YYYY-MM-DD; Tasks row 2 lead_department: .* — unknown department "SO_C"$/,
    );
    expect(await db.dataSource.getRepository(Department).count()).toBe(0);
    expect(await db.dataSource.getRepository(AdministrativeUnit).count()).toBe(0);
  });
});
