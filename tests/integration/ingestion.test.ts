import type { DataSource } from 'typeorm';
import type { ObservationRow } from '../../connectors/sdk/mapping';
import { addDays } from '../../src/common/period';
import { ingestRows, RejectionReason, ROWS_PER_TRANSACTION, type ImportSummary, type IngestionOrigin } from '../../src/ingestion/ingest';
import { ObservationRevision } from '../../src/modules/observations/observation-revision.entity';
import { ConnectorRun, RunRejection } from '../../src/modules/connectors/connector-run.entity';
import { Connector, RunStatus, RunTrigger } from '../../src/modules/connectors/connector.entity';
import { Department } from '../../src/modules/departments/department.entity';
import { Metric, METRIC_LEVELS_DEFAULT } from '../../src/modules/metrics/metric.entity';
import { Observation } from '../../src/modules/observations/observation.entity';
import { AdministrativeUnit } from '../../src/modules/units/administrative-unit.entity';
import { adminUnits } from '../../src/seed/admin-units';
import { onServerDatabase, openTestDatabase, type TestDatabase } from '../helpers/test-database';

const TODAY = '2025-12-31';
const ORIGIN: IngestionOrigin = { runId: null, source: 'test', actor: 'tester', mappingVersion: null, today: TODAY };
const DISTRICTS = adminUnits.edition2024.districts.map((district) => district.code);

/** A valid daily COUNT row (KCB_BIOMETRIC_VISITS, SO_YT) for a 2024 district. */
const visits = (unit: string, period: string, value: unknown): ObservationRow => ({ metric: 'KCB_BIOMETRIC_VISITS', unit, period, value });

function expectConsistent(summary: ImportSummary, fetched: number): void {
  expect(summary.fetched).toBe(fetched);
  expect(summary.imported + summary.updated + summary.unchanged + summary.rejected).toBe(fetched);
}

describe('ingestion path', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let metricIds: Map<string, number>;

  /** Every row of a table, in id order, as JSON: equal dumps mean nothing changed. */
  const dump = async (table: string): Promise<string[]> => {
    const rows: Array<Record<string, unknown>> = await dataSource.query(`SELECT * FROM ${dataSource.driver.escape(table)} ORDER BY id`);
    return rows.map((row) => JSON.stringify(row));
  };
  const dumpAll = async () => ({
    observation: await dump('observation'),
    observation_revision: await dump('observation_revision'),
    run_rejection: await dump('run_rejection'),
  });

  /** The stored observation of a metric, unit code and period, or null. */
  const stored = async (metric: string, unitCode: string, period: string): Promise<Observation | null> =>
    dataSource
      .getRepository(Observation)
      .createQueryBuilder('o')
      .innerJoin(AdministrativeUnit, 'u', 'u.id = o.unitId')
      .where('o.metricId = :metricId AND u.code = :unitCode AND o.period = :period', { metricId: metricIds.get(metric), unitCode, period })
      .getOne();

  const unitId = async (code: string, validFrom: string): Promise<number> =>
    (await dataSource.getRepository(AdministrativeUnit).findOneByOrFail({ code, validFrom })).id;

  async function createRun(actor: string, mappingVersion = 1): Promise<ConnectorRun> {
    const department = await dataSource.getRepository(Department).findOneByOrFail({ code: 'SO_YT' });
    const now = new Date();
    const connectors = dataSource.getRepository(Connector);
    const name = `test push ${actor}`;
    const connector =
      (await connectors.findOneBy({ name })) ??
      (await connectors.save(
        connectors.create({ departmentId: department.id, name, kind: 'push', timeZone: 'Asia/Ho_Chi_Minh', config: '{}', mapping: '{}', createdAt: now, updatedAt: now }),
      ));
    const runs = dataSource.getRepository(ConnectorRun);
    return runs.save(
      runs.create({
        connectorId: connector.id,
        trigger: RunTrigger.PUSH,
        status: RunStatus.RUNNING,
        startedAt: now,
        owner: 'ingestion test',
        startedBy: actor,
        mappingVersion,
      }),
    );
  }

  beforeAll(async () => {
    db = await openTestDatabase();
    dataSource = db.dataSource;
    const metrics = await dataSource.getRepository(Metric).find();
    metricIds = new Map(metrics.map((metric) => [metric.code, metric.id]));
  });

  beforeEach(async () => {
    // Each test starts without observations (the seeded demo values included).
    for (const table of ['run_rejection', 'observation_revision', 'observation']) await dataSource.query(`DELETE FROM ${table}`);
  });

  afterAll(async () => {
    await db?.dataSource.destroy();
  });

  describe('one rejection reason per bad row; good rows of the same call are stored', () => {
    const GOOD_BEFORE = visits('412', '2024-03-14', 7);
    const GOOD_AFTER: ObservationRow = { metric: 'DVC_ONLINE_RATE', unit: '413', period: '2024-03', numerator: 30, denominator: 40 };

    interface Case {
      bad: ObservationRow;
      message: string[];
      origin?: Partial<IngestionOrigin>;
      /** A metric retired for the case (its retirement is undone afterwards). */
      retired?: string;
      /** A metric reported at these levels only for the case (every level again afterwards). */
      levels?: { metric: string; levels: string };
    }
    const soYt = async () => (await dataSource.getRepository(Department).findOneByOrFail({ code: 'SO_YT' })).id;

    const cases: Record<RejectionReason, Case> = {
      [RejectionReason.UNKNOWN_METRIC]: {
        bad: { metric: 'NO_SUCH_METRIC', unit: '412', period: '2024-03-15', value: 1 },
        message: ['metric "NO_SUCH_METRIC"', 'not a known metric'],
      },
      [RejectionReason.UNKNOWN_UNIT]: { bad: visits('99999', '2024-03-15', 1), message: ['unit "99999"', 'not a known administrative unit'] },
      [RejectionReason.UNIT_NOT_VALID_FOR_PERIOD]: {
        // A 2024 district for 2025-08 data: the district was dissolved on 2025-07-01.
        bad: { metric: 'DVC_ONLINE_RATE', unit: '412', period: '2025-08', value: 50 },
        message: ['unit "412"', '"2025-08"', 'until 2025-07-01'],
      },
      [RejectionReason.MALFORMED_PERIOD]: { bad: visits('412', '2024-13-01', 1), message: ['period "2024-13-01"', 'malformed'] },
      [RejectionReason.WRONG_FREQUENCY]: {
        bad: visits('412', '2024-03', 1),
        message: ['period "2024-03" is a MONTH period', 'KCB_BIOMETRIC_VISITS', 'per DAY'],
      },
      [RejectionReason.FUTURE_PERIOD]: {
        bad: visits('412', '2024-06-16', 1),
        message: ['period "2024-06-16"', 'after today (2024-06-15)'],
        origin: { today: '2024-06-15' },
      },
      [RejectionReason.MISSING_VALUE]: { bad: { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-03-15' }, message: ['value is missing'] },
      [RejectionReason.NOT_A_NUMBER]: { bad: visits('412', '2024-03-15', '12a'), message: ['value "12a" is not a number'] },
      [RejectionReason.VALUE_OUT_OF_RANGE]: {
        bad: visits('412', '2024-03-15', 1e308), // two of them would sum to Infinity
        message: ['giá trị 1e+308 nằm ngoài khoảng cho phép', 'value 1e+308 is outside the range 0..<1000000000000000', 'KCB_BIOMETRIC_VISITS'],
      },
      [RejectionReason.NOT_AN_INTEGER]: {
        bad: visits('412', '2024-03-15', '1.234'), // Vietnamese for 1234, read as 1.234 without a locale
        message: ['không phải là số nguyên', 'value 1.234 is not a whole number', 'COUNT metric "KCB_BIOMETRIC_VISITS"'],
      },
      [RejectionReason.NEGATIVE_VALUE]: { bad: visits('412', '2024-03-15', -5), message: ['value -5 is negative', 'KCB_BIOMETRIC_VISITS'] },
      [RejectionReason.RATE_OUT_OF_RANGE]: {
        bad: { metric: 'DVC_ONLINE_RATE', unit: '412', period: '2024-02', value: 120 },
        message: ['value 120 is outside 0..100', 'DVC_ONLINE_RATE'],
      },
      [RejectionReason.NUMERATOR_EXCEEDS_DENOMINATOR]: {
        bad: { metric: 'DVC_ONLINE_RATE', unit: '412', period: '2024-02', numerator: 12, denominator: 10 },
        message: ['numerator 12 exceeds denominator 10'],
      },
      [RejectionReason.DUPLICATE_KEY]: {
        bad: visits('412', '2024-03-14', 8), // same metric, unit and period as GOOD_BEFORE (row 0)
        message: ['duplicate of row 0', '"2024-03-14"', 'first occurrence is kept'],
      },
      [RejectionReason.METRIC_NOT_ALLOWED]: {
        bad: { metric: 'DVC_ESSENTIAL_LIVE', unit: '412', period: '2024-02', value: 3 },
        message: ['metric "DVC_ESSENTIAL_LIVE"', 'department VP_UBND'],
        origin: { departmentIds: [] }, // filled with SO_YT below: KCB_BIOMETRIC_VISITS is allowed, DVC_* (VP_UBND) are not
      },
      [RejectionReason.METRIC_RETIRED]: {
        bad: { metric: 'DVC_ESSENTIAL_LIVE', unit: '412', period: '2024-02', value: 3 },
        message: ['chỉ tiêu "DVC_ESSENTIAL_LIVE" đã ngừng theo dõi từ 31/12/2024', 'metric "DVC_ESSENTIAL_LIVE" was retired on 2024-12-31'],
        retired: 'DVC_ESSENTIAL_LIVE',
      },
      [RejectionReason.WRONG_LEVEL]: {
        bad: { metric: 'DVC_ESSENTIAL_LIVE', unit: '16681', period: '2024-02', value: 3 }, // a 2024 commune
        message: ['đơn vị "16681"', 'là cấp xã', 'báo cáo ở cấp tỉnh, huyện', 'unit "16681"', 'is a COMMUNE unit', 'reported at PROVINCE, DISTRICT level only'],
        levels: { metric: 'DVC_ESSENTIAL_LIVE', levels: 'PROVINCE,DISTRICT' },
      },
    };

    it.each(Object.keys(cases) as RejectionReason[])('%s', async (reason) => {
      const { bad, message, origin = {}, retired, levels } = cases[reason];
      const departmentIds = origin.departmentIds ? [await soYt()] : undefined;
      // METRIC_NOT_ALLOWED: the good RATE row would be refused too, so the second good row is a SO_YT metric.
      const goodAfter = departmentIds ? visits('413', '2024-03-14', 9) : GOOD_AFTER;
      if (retired) await dataSource.getRepository(Metric).update({ code: retired }, { retiredOn: '2024-12-31' });
      if (levels) await dataSource.query('UPDATE metric SET levels = ? WHERE code = ?', [levels.levels, levels.metric]);
      const summary = await ingestRows(dataSource, [GOOD_BEFORE, bad, goodAfter], { ...ORIGIN, ...origin, departmentIds }).finally(async () => {
        if (retired) await dataSource.getRepository(Metric).update({ code: retired }, { retiredOn: null });
        if (levels) await dataSource.query('UPDATE metric SET levels = ? WHERE code = ?', [METRIC_LEVELS_DEFAULT, levels.metric]);
      });

      expectConsistent(summary, 3);
      expect({ imported: summary.imported, rejected: summary.rejected }).toEqual({ imported: 2, rejected: 1 });
      expect(summary.rejections).toHaveLength(1);
      const [rejection] = summary.rejections;
      expect({ rowIndex: rejection.rowIndex, reason: rejection.reason, raw: rejection.raw }).toEqual({ rowIndex: 1, reason, raw: bad });
      for (const part of message) expect(rejection.message).toContain(part);

      expect((await stored('KCB_BIOMETRIC_VISITS', '412', '2024-03-14'))?.value).toBe(7);
      const second = departmentIds ? await stored('KCB_BIOMETRIC_VISITS', '413', '2024-03-14') : await stored('DVC_ONLINE_RATE', '413', '2024-03');
      expect(second?.value).toBe(departmentIds ? 9 : 75);
      expect(await dataSource.getRepository(Observation).count()).toBe(2);
      // No run: nothing is stored in run_rejection.
      expect(await dataSource.getRepository(RunRejection).count()).toBe(0);
    });
  });

  describe('validation details', () => {
    it('resolves a unit code by the edition in force for the whole period', async () => {
      const rows: ObservationRow[] = [
        { metric: 'DVC_ESSENTIAL_LIVE', unit: '16681', period: '2024-03', value: 4 }, // 2024 commune
        { metric: 'DVC_ESSENTIAL_LIVE', unit: '16681', period: '2025-08', value: 5 }, // 2025 commune (same code)
        { metric: 'DVC_ESSENTIAL_LIVE', unit: 16681, period: '2025-06', value: 6 }, // numeric code: still the 2024 commune
        { metric: 'VNEID_L2_RATE', unit: '16681', period: '2025-W27', value: 50 }, // 2025-06-30..2025-07-06 straddles the change
        { metric: 'DVC_ESSENTIAL_LIVE', unit: '40', period: '2023-12', value: 1 }, // before the province's first edition
      ];
      const summary = await ingestRows(dataSource, rows, ORIGIN);
      expectConsistent(summary, rows.length);
      expect(summary.imported).toBe(3);
      expect(summary.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
        [3, RejectionReason.UNIT_NOT_VALID_FOR_PERIOD],
        [4, RejectionReason.UNIT_NOT_VALID_FOR_PERIOD],
      ]);
      expect(summary.rejections[0].message).toContain('2025-06-30..2025-07-06');
      const commune2024 = await unitId('16681', '2024-01-01');
      const commune2025 = await unitId('16681', '2025-07-01');
      expect((await stored('DVC_ESSENTIAL_LIVE', '16681', '2024-03'))?.unitId).toBe(commune2024);
      expect((await stored('DVC_ESSENTIAL_LIVE', '16681', '2025-08'))?.unitId).toBe(commune2025);
      expect((await stored('DVC_ESSENTIAL_LIVE', '16681', '2025-06'))?.unitId).toBe(commune2024);
    });

    it('accepts numeric strings and refuses everything else that is not a finite number', async () => {
      const numeric: Array<[unknown, number]> = [
        ['12', 12],
        [' 12 ', 12],
        ['1e3', 1000],
        ['5.0', 5],
        [0, 0],
      ];
      const notNumbers: unknown[] = ['12a', '', ' ', NaN, Infinity, -Infinity, 'Infinity', '0x10', true, {}, [1]];
      const rows = [
        ...numeric.map(([value], index) => visits('414', addDays('2024-01-01', index), value)),
        ...notNumbers.map((value, index) => visits('415', addDays('2024-01-01', index), value)),
      ];
      const summary = await ingestRows(dataSource, rows, ORIGIN);
      expectConsistent(summary, rows.length);
      expect(summary.imported).toBe(numeric.length);
      expect(summary.rejections.map((rejection) => rejection.reason)).toEqual(notNumbers.map(() => RejectionReason.NOT_A_NUMBER));
      expect(summary.rejections.map((rejection) => rejection.rowIndex)).toEqual(notNumbers.map((_, index) => numeric.length + index));
      for (const [index, [, expected]] of numeric.entries()) {
        expect((await stored('KCB_BIOMETRIC_VISITS', '414', addDays('2024-01-01', index)))?.value).toBe(expected);
      }
    });

    it('checks RATE values against numerator and denominator, and keeps numerator/denominator off other kinds', async () => {
      const rate = (unit: string, fields: Partial<ObservationRow>): ObservationRow => ({ metric: 'DVC_ONLINE_RATE', unit, period: '2024-03', ...fields });
      const rows: ObservationRow[] = [
        rate('412', { numerator: 1, denominator: 3 }), // value computed: 33.33…
        rate('413', { value: 33.33, numerator: 1, denominator: 3 }), // rounded to 2 decimals: accepted, computed value stored
        rate('414', { value: 55, numerator: 5, denominator: 10 }),
        rate('415', { value: 80 }),
        rate('416', { numerator: -1, denominator: 10 }),
        rate('417', { numerator: 3, denominator: 0 }),
        rate('418', { numerator: 3 }),
        rate('419', { numerator: 0, denominator: 0 }),
        rate('420', { value: -0.5 }),
        { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: '2024-03-15', value: 5, numerator: 5, denominator: 10 },
        { metric: 'VNEID_L2_RATE', unit: '412', period: '2024-W10', value: '45.5' },
      ];
      const summary = await ingestRows(dataSource, rows, ORIGIN);
      expectConsistent(summary, rows.length);
      expect(summary.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
        [2, RejectionReason.RATE_OUT_OF_RANGE],
        [4, RejectionReason.NEGATIVE_VALUE],
        [5, RejectionReason.NUMERATOR_EXCEEDS_DENOMINATOR],
        [6, RejectionReason.MISSING_VALUE],
        [8, RejectionReason.RATE_OUT_OF_RANGE],
        [9, RejectionReason.NOT_A_NUMBER],
      ]);
      const messages = summary.rejections.map((rejection) => rejection.message);
      expect(messages[0]).toContain('value 55 does not equal 100 × numerator / denominator = 50');
      expect(messages[1]).toContain('numerator -1 is negative');
      expect(messages[2]).toContain('numerator 3 exceeds denominator 0');
      expect(messages[3]).toContain('denominator is missing');
      expect(messages[5]).toContain('numerator/denominator only apply to RATE metrics');
      expect((await stored('DVC_ONLINE_RATE', '412', '2024-03'))).toMatchObject({ value: 100 / 3, numerator: 1, denominator: 3 });
      expect((await stored('DVC_ONLINE_RATE', '413', '2024-03'))?.value).toBe(100 / 3);
      expect((await stored('DVC_ONLINE_RATE', '415', '2024-03'))).toMatchObject({ value: 80, numerator: null, denominator: null });
      expect((await stored('DVC_ONLINE_RATE', '419', '2024-03'))).toMatchObject({ value: 0, numerator: 0, denominator: 0 });
      expect((await stored('VNEID_L2_RATE', '412', '2024-W10'))?.value).toBe(45.5);
    });

    it('reports malformed periods and missing fields by name', async () => {
      const rows: ObservationRow[] = [
        visits('412', '2024/03/15', 1),
        visits('412', '', 1),
        { metric: 'KCB_BIOMETRIC_VISITS', unit: '412', period: null, value: 1 },
        { metric: undefined, unit: '412', period: '2024-03-15', value: 1 },
        { metric: 'KCB_BIOMETRIC_VISITS', unit: null, period: '2024-03-15', value: 1 },
        visits('412', '2024-02-30', 1),
      ];
      const summary = await ingestRows(dataSource, rows, { ...ORIGIN, rowOffset: 100 });
      expectConsistent(summary, rows.length);
      expect(summary.rejections.map((rejection) => [rejection.rowIndex, rejection.reason])).toEqual([
        [100, RejectionReason.MALFORMED_PERIOD],
        [101, RejectionReason.MALFORMED_PERIOD],
        [102, RejectionReason.MALFORMED_PERIOD],
        [103, RejectionReason.UNKNOWN_METRIC],
        [104, RejectionReason.UNKNOWN_UNIT],
        [105, RejectionReason.MALFORMED_PERIOD],
      ]);
      expect(summary.rejections[0].message).toContain('period "2024/03/15"');
      expect(summary.rejections[2].message).toContain('period null is missing');
      expect(summary.rejections[3].message).toContain('metric undefined is missing');
      expect(summary.rejections[4].message).toContain('unit null');
    });
  });

  describe('run rejections', () => {
    it('stores rejections against the run with their position (offset included), reason, message and raw row', async () => {
      const run = await createRun('key-a');
      const rows: ObservationRow[] = [visits('412', '2024-03-01', 1), visits('412', '2024-03-02', 'lots'), { metric: 'NOPE', unit: 'Vinh', period: 'Q1', value: NaN }];
      const summary = await ingestRows(dataSource, rows, { ...ORIGIN, runId: run.id, rowOffset: 40 });
      expectConsistent(summary, 3);
      const stored = await dataSource.getRepository(RunRejection).find({ order: { rowIndex: 'ASC' } });
      expect(stored.map(({ runId, rowIndex, reason, message }) => ({ runId, rowIndex, reason, message }))).toEqual(
        summary.rejections.map(({ rowIndex, reason, message }) => ({ runId: run.id, rowIndex, reason, message })),
      );
      expect(stored.map((rejection) => rejection.rowIndex)).toEqual([41, 42]);
      expect(JSON.parse(stored[0].raw)).toEqual(rows[1]);
      expect(JSON.parse(stored[1].raw)).toEqual({ metric: 'NOPE', unit: 'Vinh', period: 'Q1', value: 'NaN' });
    });

    it('stores at most 1,000 rejections per call but counts all of them', async () => {
      const run = await createRun('key-a');
      const rows = [...Array.from({ length: 1_500 }, (_, index) => visits('412', addDays('2024-01-01', index % 300), `bad ${index}`)), visits('412', '2024-01-01', 1)];
      const summary = await ingestRows(dataSource, rows, { ...ORIGIN, runId: run.id });
      expectConsistent(summary, 1_501);
      expect(summary.rejected).toBe(1_500);
      expect(summary.imported).toBe(1);
      expect(summary.rejections).toHaveLength(1_000);
      expect(summary.rejections[999].rowIndex).toBe(999);
      expect(await dataSource.getRepository(RunRejection).countBy({ runId: run.id })).toBe(1_000);
    });

    it('cuts long messages and raw rows to the column sizes', async () => {
      const run = await createRun('key-a');
      const long = 'Nghệ An '.repeat(1_000);
      const rows = Array.from({ length: 1_000 }, (_, index) => ({ metric: `${long}${index}`, unit: long, period: long, value: long }));
      const summary = await ingestRows(dataSource, rows, { ...ORIGIN, runId: run.id });
      expect(summary.rejected).toBe(1_000);
      const stored = await dataSource.getRepository(RunRejection).findBy({ runId: run.id });
      expect(stored).toHaveLength(1_000);
      expect(Math.max(...stored.map((rejection) => rejection.message.length))).toBeLessThanOrEqual(500);
      expect(Math.max(...stored.map((rejection) => rejection.raw.length))).toBeLessThanOrEqual(4_000);
      // Each value is cut on its own, with its length: the stored JSON always parses.
      const [first] = stored.sort((a, b) => a.rowIndex - b.rowIndex);
      expect(JSON.parse(first.raw)).toEqual({
        metric: { truncated: expect.stringMatching(/^Nghệ An Nghệ An .*…$/), length: long.length + 1 },
        unit: { truncated: expect.stringMatching(/^Nghệ An/), length: long.length },
        period: { truncated: expect.stringMatching(/^Nghệ An/), length: long.length },
        value: { truncated: expect.stringMatching(/^Nghệ An/), length: long.length },
      });
    });

    it('refuses an invalid origin before reading anything', async () => {
      await expect(ingestRows(dataSource, [], { ...ORIGIN, today: '2024-02-30' })).rejects.toThrow(/origin.today/);
      await expect(ingestRows(dataSource, [], { ...ORIGIN, source: 'x'.repeat(101) })).rejects.toThrow(/origin.source/);
    });
  });

  describe('writes', () => {
    /** A mixed payload: daily counts, monthly stocks and rates (with and without numerator/denominator). */
    const payload = (): ObservationRow[] => [
      ...DISTRICTS.slice(0, 10).map((unit, index) => visits(unit, '2024-04-01', 100 + index)),
      ...DISTRICTS.slice(0, 10).map((unit, index) => ({ metric: 'DVC_ESSENTIAL_LIVE', unit, period: '2024-04', value: String(index) })),
      ...DISTRICTS.slice(0, 10).map((unit, index) => ({ metric: 'DVC_ONLINE_RATE', unit, period: '2024-04', numerator: index, denominator: 9 })),
      ...DISTRICTS.slice(0, 10).map((unit, index) => ({ metric: 'VNEID_L2_RATE', unit, period: '2024-W14', value: index * 1.5 })),
    ];

    it('is idempotent: the same payload twice imports then leaves every row untouched', async () => {
      const rows = payload();
      const runA = await createRun('key-a');
      const first = await ingestRows(dataSource, rows, { ...ORIGIN, runId: runA.id, source: 'connector:1', mappingVersion: 1 });
      expectConsistent(first, rows.length);
      expect(first).toMatchObject({ imported: rows.length, updated: 0, unchanged: 0, rejected: 0 });
      const before = await dumpAll();

      // Another run, source and mapping version: unchanged values keep their recordedAt, runId and source.
      const runB = await createRun('key-b');
      const second = await ingestRows(dataSource, rows, { ...ORIGIN, runId: runB.id, source: 'connector:2', actor: 'key-b', mappingVersion: 2 });
      expectConsistent(second, rows.length);
      expect(second).toMatchObject({ imported: 0, updated: 0, unchanged: rows.length, rejected: 0 });
      expect(await dumpAll()).toEqual(before);
    });

    it('finds stored keys of every frequency among new ones (the bounding box of a slice in the database’s text order)', async () => {
      // Periods of five frequencies in one slice: '2024' < '2024-04' < '2024-04-01' < '2024-Q2' < '2024-W14' as text.
      const storedRows: ObservationRow[] = [
        { metric: 'ENROLMENT_ONLINE', unit: DISTRICTS[0], period: '2024-Q2', value: 1 },
        { metric: 'DVC_ESSENTIAL_LIVE', unit: DISTRICTS[0], period: '2024-04', value: 2 },
        { metric: 'VNEID_L2_RATE', unit: DISTRICTS[0], period: '2024-W14', value: 3 },
        visits(DISTRICTS[0], '2024-04-01', 4),
      ];
      expect(await ingestRows(dataSource, storedRows, ORIGIN)).toMatchObject({ imported: 4, rejected: 0 });
      // Fewer stored keys than a quarter of the slice, and its last key new: the box, not the look-up of every key, decides.
      const fresh = DISTRICTS.slice(1, 11).flatMap((unit) => ['2024-03-31', '2024-04-01', '2024-04-02'].map((period) => visits(unit, period, 7)));
      const rows = [...fresh.slice(0, 15), ...storedRows.map((row) => ({ ...row, value: Number(row.value) + 10 })), ...fresh.slice(15)];
      const summary = await ingestRows(dataSource, rows, { ...ORIGIN, actor: 'second' });
      expectConsistent(summary, rows.length);
      expect(summary).toMatchObject({ imported: fresh.length, updated: storedRows.length, unchanged: 0, rejected: 0 });
      expect((await dataSource.getRepository(ObservationRevision).find()).map((revision) => revision.value).sort()).toEqual([1, 2, 3, 4]);
    });

    it('keeps the old value as a revision when a value changes, with who and which run replaced it', async () => {
      const rows = payload();
      const runA = await createRun('key-a', 1);
      const started = Date.now();
      await ingestRows(dataSource, rows, { ...ORIGIN, runId: runA.id, source: 'connector:1', actor: 'key-a', mappingVersion: 1 });
      const original = (await stored('DVC_ONLINE_RATE', DISTRICTS[3], '2024-04'))!;
      expect(original).toMatchObject({ value: 100 / 3, numerator: 3, denominator: 9, runId: runA.id, mappingVersion: 1, source: 'connector:1', isDemo: false });
      expect(original.periodStart).toBe('2024-04-01');
      expect(original.periodEnd).toBe('2024-04-30');
      // recordedAt round-trips through TypeORM (MariaDB keeps whole seconds).
      expect(original.recordedAt.getTime()).toBeGreaterThanOrEqual(Math.floor(started / 1000) * 1000);
      expect(original.recordedAt.getTime()).toBeLessThanOrEqual(Date.now());
      if (!onServerDatabase()) {
        // Raw SQL writes datetimes in the text form TypeORM writes on SQLite (here: the run's startedAt).
        const [written] = await dataSource.query('SELECT o.recordedAt AS ours, r.startedAt AS typeorm FROM observation o, connector_run r WHERE o.id = ? AND r.id = ?', [original.id, runA.id]);
        expect(written.ours).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
        expect(written.typeorm).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
      }

      const changed = rows.map((row) => (row.metric === 'DVC_ONLINE_RATE' && row.unit === DISTRICTS[3] ? { ...row, numerator: 6 } : row));
      const runB = await createRun('key-b', 2);
      const summary = await ingestRows(dataSource, changed, { ...ORIGIN, runId: runB.id, source: 'connector:2', actor: 'key-b', mappingVersion: 2 });
      expectConsistent(summary, rows.length);
      expect(summary).toMatchObject({ imported: 0, updated: 1, unchanged: rows.length - 1, rejected: 0 });

      const revisions = await dataSource.getRepository(ObservationRevision).find();
      expect(revisions).toHaveLength(1);
      expect(revisions[0]).toMatchObject({
        observationId: original.id,
        value: 100 / 3,
        numerator: 3,
        denominator: 9,
        source: 'connector:1',
        runId: runA.id,
        mappingVersion: 1,
        revisedBy: 'key-b',
        revisedByRunId: runB.id,
      });
      expect(revisions[0].recordedAt.getTime()).toBe(original.recordedAt.getTime());
      expect(revisions[0].revisedAt.getTime()).toBeGreaterThanOrEqual(original.recordedAt.getTime());

      const now = (await stored('DVC_ONLINE_RATE', DISTRICTS[3], '2024-04'))!;
      expect(now).toMatchObject({ id: original.id, value: 200 / 3, numerator: 6, denominator: 9, runId: runB.id, mappingVersion: 2, source: 'connector:2', isDemo: false });
      expect(now.recordedAt.getTime()).toBeGreaterThanOrEqual(original.recordedAt.getTime());
      expect(await dataSource.getRepository(Observation).count()).toBe(rows.length);
    });

    it('replaces a demo value and marks it as not demo', async () => {
      await dataSource.query(
        `INSERT INTO observation (metricId, unitId, period, periodStart, periodEnd, value, recordedAt, source, isDemo) VALUES (?, ?, '2024-04-02', '2024-04-02', '2024-04-02', 5, ?, 'demo-seed', 1)`,
        [metricIds.get('KCB_BIOMETRIC_VISITS'), await unitId('412', '2024-01-01'), onServerDatabase() ? new Date() : '2024-04-03 00:00:00.000'],
      );
      const summary = await ingestRows(dataSource, [visits('412', '2024-04-02', 6)], ORIGIN);
      expect(summary).toMatchObject({ updated: 1 });
      expect(await stored('KCB_BIOMETRIC_VISITS', '412', '2024-04-02')).toMatchObject({ value: 6, isDemo: false, source: 'test', runId: null });
      expect((await dataSource.getRepository(ObservationRevision).find())[0]).toMatchObject({ value: 5, source: 'demo-seed', revisedBy: 'tester', revisedByRunId: null });
    });

    it('is atomic: when the database fails midway nothing of the call remains', async () => {
      const run = await createRun('key-a');
      const base = payload();
      await ingestRows(dataSource, base, { ...ORIGIN, runId: run.id });
      const before = await dumpAll();

      // Fail on a row of the second insert statement, after rejections, revisions and updates are written.
      const fresh = Array.from({ length: 3_000 }, (_, index) => visits(DISTRICTS[index % 21], addDays('2024-05-01', Math.floor(index / 21)), index === 2_500 ? 666 : index + 1));
      const rows = [...base.map((row, index) => (index === 0 ? { ...row, value: 1 } : row)), visits('412', 'soon', 1), ...fresh];
      if (onServerDatabase()) {
        await dataSource.query(
          `CREATE TRIGGER ingest_boom BEFORE INSERT ON observation FOR EACH ROW BEGIN IF NEW.value = 666 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'boom'; END IF; END`,
        );
      } else {
        await dataSource.query(`CREATE TRIGGER ingest_boom BEFORE INSERT ON observation WHEN NEW.value = 666 BEGIN SELECT RAISE(ABORT, 'boom'); END`);
      }
      try {
        db.counter.reset();
        await expect(ingestRows(dataSource, rows, { ...ORIGIN, runId: run.id })).rejects.toThrow(/boom/);
        // The failure came after the earlier writes of the call had been sent.
        const sent = db.counter.statements.join('\n');
        expect(sent).toMatch(/INSERT INTO .run_rejection./);
        expect(sent).toMatch(/INSERT INTO .observation_revision./);
      } finally {
        await dataSource.query('DROP TRIGGER ingest_boom');
      }
      expect(await dumpAll()).toEqual(before);

      // Without the failing value the same call goes through.
      const retry = await ingestRows(dataSource, rows.map((row) => (row.value === 666 ? { ...row, value: 667 } : row)), { ...ORIGIN, runId: run.id });
      expectConsistent(retry, rows.length);
      expect(retry).toMatchObject({ imported: 3_000, updated: 1, unchanged: base.length - 1, rejected: 1 });
    });
  });

  describe('scale', () => {
    /** `count` valid daily rows of 2024: three daily metrics × 21 districts × days. */
    function dailyRows(count: number, firstDay = '2024-01-01', value = (index: number) => index % 997): ObservationRow[] {
      const metrics = ['KCB_BIOMETRIC_VISITS', 'KIOSK_NOTARIZATIONS', 'ACCOM_NOTICES'];
      const rows: ObservationRow[] = [];
      for (let day = 0; rows.length < count; day += 1) {
        const period = addDays(firstDay, day);
        for (const metric of metrics) for (const unit of DISTRICTS) if (rows.length < count) rows.push({ metric, unit, period, value: value(rows.length) });
      }
      return rows;
    }

    it('ingests 20,000 rows in one call (statements stay under the SQLite bind limit)', async () => {
      const rows = dailyRows(20_000);
      const summary = await ingestRows(dataSource, rows, ORIGIN);
      expectConsistent(summary, 20_000);
      expect(summary.imported).toBe(20_000);
      expect(await dataSource.getRepository(Observation).count()).toBe(20_000);

      const changed = rows.map((row, index) => (index % 2 === 0 ? { ...row, value: Number(row.value) + 1 } : row));
      const again = await ingestRows(dataSource, changed, ORIGIN);
      expect(again).toMatchObject({ imported: 0, updated: 10_000, unchanged: 10_000, rejected: 0 });
      expect(await dataSource.getRepository(ObservationRevision).count()).toBe(10_000);
    });

    it('writes a batch larger than ROWS_PER_TRANSACTION slice by slice, letting the event loop turn meanwhile', async () => {
      // Turns of the event loop while the batch is validated and written: on the embedded database, where every
      // statement runs on the main thread, none happen unless the ingestion path yields.
      let turns = 0;
      let counting = true;
      const tick = () => {
        if (!counting) return;
        turns += 1;
        setImmediate(tick);
      };
      const rolledUp = async () => Number(((await dataSource.query('SELECT SUM(observationCount) AS total FROM observation_rollup')) as Array<{ total: number | string | null }>)[0].total ?? 0);
      const before = await rolledUp();
      setImmediate(tick);
      const rows = dailyRows(2 * ROWS_PER_TRANSACTION + 2_000, '2024-06-01');
      const summary = await ingestRows(dataSource, rows, ORIGIN);
      counting = false;
      expectConsistent(summary, rows.length);
      expect(summary.imported).toBe(rows.length);
      expect(turns).toBeGreaterThanOrEqual(2);
      // Every slice is stored, rollups included.
      expect(await dataSource.getRepository(Observation).count()).toBe(rows.length);
      expect((await rolledUp()) - before).toBe(rows.length);
    });

    it('sends a number of statements that grows by chunks, not by rows', async () => {
      const measure = async (rows: ObservationRow[]) => {
        db.counter.reset();
        const summary = await ingestRows(dataSource, rows, ORIGIN);
        expectConsistent(summary, rows.length);
        return db.counter.statements.length;
      };
      const small = await measure(dailyRows(100));
      const large = await measure(dailyRows(10_000, '2024-03-01'));
      expect(large).toBeLessThan(3 * small + 40);
      // Updates (revisions + upserts) are set-based too.
      const updates = await measure(dailyRows(10_000, '2024-03-01', (index) => index + 5_000));
      expect(updates).toBeLessThan(3 * small + 40);
      expect(await dataSource.getRepository(ObservationRevision).count()).toBe(10_000);
    });
  });
});
