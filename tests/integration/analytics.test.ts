import type { AddressInfo } from 'node:net';
import { parse as parseCsv } from 'csv-parse/sync';
import express from 'express';
import type { ObservationRow } from '../../connectors/sdk/mapping';
import { runAggregate, runSeries, Dimension } from '../../src/analytics/engine';
import { restErrorHandler } from '../../src/http/rest/errors';
import { exportRouter } from '../../src/http/rest/export';
import { UnitEdition } from '../../src/analytics/unit-map';
import { todayIn } from '../../src/common/clock';
import { ingestRows, type IngestionOrigin } from '../../src/ingestion/ingest';
import { Role } from '../../src/security/principal';
import { dataOf, errorOf, databaseIdOf } from '../helpers/api';
import { QUIET_BACKGROUND, startTestHub, type TestHub } from '../helpers/test-hub';

const TODAY = todayIn('Asia/Ho_Chi_Minh');
const ORIGIN: IngestionOrigin = { runId: null, source: 'test', actor: 'analyst test', mappingVersion: null, today: TODAY };

type Point = {
  period: string;
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  expected: number;
  reported: number;
  complete: boolean;
  approximate: boolean;
  level: string | null;
};
type Series = { metric: { code: string } | null; unit: { code: string } | null; points: Point[] };

const POINT = 'period value numerator denominator expected reported complete approximate level';
const SERIES = `query S($metrics: [String!]!, $from: Period!, $to: Period!, $granularity: MetricFrequency!, $level: UnitLevel,
  $units: [String!], $unitEdition: UnitEdition, $asOf: DateTimeISO, $combine: Boolean) {
  series(metrics: $metrics, from: $from, to: $to, granularity: $granularity, level: $level, units: $units,
    unitEdition: $unitEdition, asOf: $asOf, combine: $combine) { metric { code } unit { code } points { ${POINT} } } }`;
const AGGREGATE = `query A($metrics: [String!]!, $groupBy: [AggregateDimension!]!, $from: Period!, $to: Period!, $granularity: MetricFrequency,
  $level: UnitLevel, $units: [String!], $unitEdition: UnitEdition, $asOf: DateTimeISO, $orderBy: [AggregateOrder!], $limit: Int, $departments: [String!]) {
  aggregate(metrics: $metrics, groupBy: $groupBy, from: $from, to: $to, granularity: $granularity, level: $level, units: $units,
    unitEdition: $unitEdition, asOf: $asOf, orderBy: $orderBy, limit: $limit, departments: $departments) {
    totalRows rows { period unit { code } department { code } pilotModel { code } taskGroup { code } approximate
      measures { metric { code } ${POINT.replace('period ', '')} } } } }`;

type Row = {
  period: string | null;
  unit: { code: string } | null;
  department: { code: string } | null;
  pilotModel: { code: string } | null;
  taskGroup: { code: string } | null;
  approximate: boolean;
  measures: Array<Omit<Point, 'period'> & { metric: { code: string } }>;
};

const row = (metric: string, unit: string, period: string, value: number, numerator?: number, denominator?: number): ObservationRow =>
  ({ metric, unit, period, value, ...(numerator === undefined ? {} : { numerator, denominator }) }) as ObservationRow;

describe('analytics: series and aggregates', () => {
  let hub: TestHub;
  const series = async (variables: Record<string, unknown>) => (await dataOf<{ series: Series[] }>(hub, SERIES, variables)).series;
  const aggregate = async (variables: Record<string, unknown>) =>
    (await dataOf<{ aggregate: { totalRows: number; rows: Row[] } }>(hub, AGGREGATE, variables)).aggregate;
  const ingest = async (rows: ObservationRow[]) => {
    const summary = await ingestRows(hub.dataSource, rows, ORIGIN);
    expect(summary.rejections).toEqual([]);
    return summary;
  };

  beforeAll(async () => {
    hub = await startTestHub({ environment: { ...QUIET_BACKGROUND, MAX_AGGREGATE_ROWS: '200' } });
    await ingest([
      // COUNT, monthly: 412 every month of Q1 2025, 413 without February.
      row('PAPERLESS_DOSSIERS', '412', '2025-01', 10),
      row('PAPERLESS_DOSSIERS', '412', '2025-02', 20),
      row('PAPERLESS_DOSSIERS', '412', '2025-03', 30),
      row('PAPERLESS_DOSSIERS', '413', '2025-01', 5),
      row('PAPERLESS_DOSSIERS', '413', '2025-03', 7),
      // RATE: 1/2 and 30/100 in January (50 % and 30 %: the average of percentages would be 40 %).
      row('DVC_ONLINE_RATE', '412', '2025-01', 50, 1, 2),
      row('DVC_ONLINE_RATE', '413', '2025-01', 30, 30, 100),
      row('DVC_ONLINE_RATE', '412', '2025-02', 75, 3, 4),
      // STOCK, monthly: the latest value of each unit in the period, summed over units.
      row('EHEALTH_BOOKS', '412', '2025-01', 5),
      row('EHEALTH_BOOKS', '412', '2025-02', 7),
      row('EHEALTH_BOOKS', '412', '2025-03', 6),
      row('EHEALTH_BOOKS', '413', '2025-01', 2),
      row('EHEALTH_BOOKS', '413', '2025-02', 3),
      // STOCK, weekly: weeks 2 and 3 of 2025 start in January.
      row('VNEID_L2_ACTIVATED', '412', '2025-W02', 100),
      row('VNEID_L2_ACTIVATED', '412', '2025-W03', 110),
      row('VNEID_L2_ACTIVATED', '413', '2025-W02', 40),
      // COUNT, daily: Monday 6 and Tuesday 7 January (week 2), Monday 13 January (week 3).
      row('KCB_BIOMETRIC_VISITS', '412', '2025-01-06', 4),
      row('KCB_BIOMETRIC_VISITS', '412', '2025-01-07', 5),
      row('KCB_BIOMETRIC_VISITS', '412', '2025-01-13', 6),
      // Reported for the province and for two districts in the same month: the province figure is used.
      row('CAMPAIGNS_RUN', '40', '2025-01', 100),
      row('CAMPAIGNS_RUN', '412', '2025-01', 60),
      row('CAMPAIGNS_RUN', '413', '2025-01', 30),
      row('CAMPAIGNS_RUN', '412', '2025-02', 8),
      row('BUNDLE_BIRTH_DOSSIERS', '414', '2025-02', 9),
    ]);
  });
  afterAll(async () => {
    await hub.close();
  });

  describe('aggregation rules', () => {
    it('COUNT sums over months and units; a month without reports is missing, not zero', async () => {
      const [monthly] = await series({ metrics: ['PAPERLESS_DOSSIERS'], from: '2025-01', to: '2025-04', granularity: 'MONTH', units: ['412', '413'] });
      expect(monthly.metric!.code).toBe('PAPERLESS_DOSSIERS');
      expect(monthly.points.map((point) => [point.period, point.value, point.reported, point.expected, point.complete])).toEqual([
        ['2025-01', 15, 2, 2, true],
        ['2025-02', 20, 1, 2, false],
        ['2025-03', 37, 2, 2, true],
        ['2025-04', null, 0, 2, false],
      ]);
      const [quarterly] = await series({ metrics: ['PAPERLESS_DOSSIERS'], from: '2025-Q1', to: '2025-Q1', granularity: 'QUARTER', units: ['412'] });
      expect(quarterly.points).toEqual([
        { period: '2025-Q1', value: 60, numerator: null, denominator: null, expected: 3, reported: 3, complete: true, approximate: false, level: 'DISTRICT' },
      ]);
      // All 21 districts are expected: 21 × 3 months.
      const [everywhere] = await series({ metrics: ['PAPERLESS_DOSSIERS'], from: '2025-Q1', to: '2025-Q1', granularity: 'QUARTER' });
      expect(everywhere.points[0]).toMatchObject({ value: 72, expected: 63, reported: 5, complete: false });
    });

    it('RATE is sum(numerator) / sum(denominator), never an average of percentages', async () => {
      const [monthly] = await series({ metrics: ['DVC_ONLINE_RATE'], from: '2025-01', to: '2025-02', granularity: 'MONTH', units: ['412', '413'] });
      expect(monthly.points[0]).toMatchObject({ numerator: 31, denominator: 102 });
      expect(monthly.points[0].value).toBeCloseTo((100 * 31) / 102, 10);
      expect(monthly.points[1]).toMatchObject({ value: 75, numerator: 3, denominator: 4 });
      const [quarter] = await series({ metrics: ['DVC_ONLINE_RATE'], from: '2025-Q1', to: '2025-Q1', granularity: 'QUARTER', units: ['412', '413'] });
      expect(quarter.points[0]).toMatchObject({ numerator: 34, denominator: 106 });
      expect(quarter.points[0].value).toBeCloseTo((100 * 34) / 106, 10);
    });

    it('STOCK takes each unit’s latest value in the period and sums over units', async () => {
      const [monthly] = await series({ metrics: ['EHEALTH_BOOKS'], from: '2025-01', to: '2025-03', granularity: 'MONTH', units: ['412', '413'] });
      expect(monthly.points.map((point) => point.value)).toEqual([7, 10, 6]);
      // 412's March value (6) + 413's February value (3); not the sum over months.
      const [quarter] = await series({ metrics: ['EHEALTH_BOOKS'], from: '2025-Q1', to: '2025-Q1', granularity: 'QUARTER', units: ['412', '413'] });
      expect(quarter.points[0].value).toBe(9);
      const [weekly] = await series({ metrics: ['VNEID_L2_ACTIVATED'], from: '2025-W02', to: '2025-W03', granularity: 'WEEK', units: ['412', '413'] });
      expect(weekly.points.map((point) => [point.period, point.value])).toEqual([['2025-W02', 140], ['2025-W03', 110]]);
      const [january] = await series({ metrics: ['VNEID_L2_ACTIVATED'], from: '2025-01', to: '2025-01', granularity: 'MONTH', units: ['412', '413'] });
      expect(january.points[0].value).toBe(150); // 412: week 3 (110), 413: week 2 (40)
    });

    it('DAY and WEEK granularity read the raw values; MONTH of a daily metric sums its days', async () => {
      const [weeks] = await series({ metrics: ['KCB_BIOMETRIC_VISITS'], from: '2025-W02', to: '2025-W03', granularity: 'WEEK', units: ['412'] });
      expect(weeks.points.map((point) => [point.period, point.value, point.reported, point.expected])).toEqual([
        ['2025-W02', 9, 2, 7],
        ['2025-W03', 6, 1, 7],
      ]);
      const [days] = await series({ metrics: ['KCB_BIOMETRIC_VISITS'], from: '2025-01-06', to: '2025-01-08', granularity: 'DAY', units: ['412'] });
      expect(days.points.map((point) => point.value)).toEqual([4, 5, null]);
      const [month] = await series({ metrics: ['KCB_BIOMETRIC_VISITS'], from: '2025-01', to: '2025-01', granularity: 'MONTH', units: ['412'] });
      expect(month.points[0]).toMatchObject({ value: 15, reported: 3, expected: 31, complete: false });
    });

    it('a metric reported at several levels uses the coarsest level of each month, never both', async () => {
      const [total] = await series({ metrics: ['CAMPAIGNS_RUN'], from: '2025-01', to: '2025-02', granularity: 'MONTH' });
      expect(total.points.map((point) => [point.value, point.level])).toEqual([[100, 'PROVINCE'], [8, 'DISTRICT']]);
      const perDistrict = await series({ metrics: ['CAMPAIGNS_RUN'], from: '2025-01', to: '2025-01', granularity: 'MONTH', level: 'DISTRICT', units: ['412', '413'] });
      expect(perDistrict.map((one) => [one.unit!.code, one.points[0].value])).toEqual([['412', 60], ['413', 30]]);
    });

    it('combines metrics of one kind, and refuses kinds that cannot be combined', async () => {
      const [combined] = await series({ metrics: ['PAPERLESS_DOSSIERS', 'BUNDLE_BIRTH_DOSSIERS'], from: '2025-02', to: '2025-02', granularity: 'MONTH', combine: true });
      expect(combined.metric).toBeNull();
      expect(combined.points[0]).toMatchObject({ value: 20 + 9, reported: 2, expected: 42 });
      const kinds = await errorOf(hub, SERIES, { metrics: ['PAPERLESS_DOSSIERS', 'DVC_ONLINE_RATE'], from: '2025-01', to: '2025-02', granularity: 'MONTH', combine: true });
      expect(kinds.extensions?.code).toBe('BAD_USER_INPUT');
      expect(kinds.message).toMatch(/^metrics: .*COUNT and RATE/);
      const units = await errorOf(hub, SERIES, { metrics: ['PAPERLESS_DOSSIERS', 'CAMPAIGNS_RUN'], from: '2025-01', to: '2025-02', granularity: 'MONTH', combine: true });
      expect(units.message).toMatch(/^metrics: metrics measured in dossiers and campaigns cannot be combined/);
    });
  });

  describe('aggregate', () => {
    it('groups by period and unit, with measures per metric and hand-computed values', async () => {
      const result = await aggregate({
        metrics: ['PAPERLESS_DOSSIERS', 'EHEALTH_BOOKS'],
        groupBy: ['PERIOD', 'UNIT'],
        granularity: 'QUARTER',
        level: 'DISTRICT',
        from: '2025-01',
        to: '2025-03',
        units: ['412', '413'],
      });
      expect(result.totalRows).toBe(2);
      const values = result.rows.map((one) => [one.period, one.unit!.code, ...one.measures.map((measure) => [measure.metric.code, measure.value])]);
      expect(values).toEqual([
        ['2025-Q1', '412', ['PAPERLESS_DOSSIERS', 60], ['EHEALTH_BOOKS', 6]],
        ['2025-Q1', '413', ['PAPERLESS_DOSSIERS', 12], ['EHEALTH_BOOKS', 3]],
      ]);
    });

    it('groups by department, pilot model and task group, ordered by a measure, with a limit', async () => {
      const result = await aggregate({
        metrics: ['PAPERLESS_DOSSIERS', 'KCB_BIOMETRIC_VISITS', 'CAMPAIGNS_RUN'],
        groupBy: ['DEPARTMENT', 'PILOT_MODEL', 'TASK_GROUP'],
        from: '2025-01',
        to: '2025-01',
      });
      const byModel = new Map(result.rows.map((one) => [one.pilotModel!.code, one]));
      expect(byModel.get('M02')!.department!.code).toBe('VP_UBND');
      expect(byModel.get('M02')!.measures.map((measure) => [measure.metric.code, measure.value])).toEqual([['PAPERLESS_DOSSIERS', 15]]);
      expect(byModel.get('M03')!.measures.map((measure) => [measure.metric.code, measure.value])).toEqual([['KCB_BIOMETRIC_VISITS', 15]]);
      expect(byModel.get('M11')!.measures[0].value).toBe(100);
      expect(result.rows.every((one) => one.taskGroup !== null)).toBe(true);

      const ordered = await aggregate({
        metrics: ['PAPERLESS_DOSSIERS'],
        groupBy: ['UNIT'],
        level: 'DISTRICT',
        from: '2025-Q1',
        to: '2025-Q1',
        orderBy: [{ field: 'VALUE', metric: 'PAPERLESS_DOSSIERS', direction: 'DESC' }],
        limit: 1,
      });
      expect(ordered.totalRows).toBe(2);
      expect(ordered.rows.map((one) => [one.unit!.code, one.measures[0].value])).toEqual([['412', 60]]);
    });

    it('refuses bad input with BAD_USER_INPUT naming the argument', async () => {
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ metrics: ['PAPERLESS_DOSSIERS'], groupBy: ['PERIOD'], granularity: 'DAY', from: '2025-01', to: '2025-02' }, 'granularity', /finer than the MONTH frequency of metric PAPERLESS_DOSSIERS/],
        [{ metrics: ['PAPERLESS_DOSSIERS'], groupBy: ['PERIOD'], granularity: 'MONTH', from: '2025-03', to: '2025-01' }, 'from', /range is empty/],
        [{ metrics: ['KCB_BIOMETRIC_VISITS'], groupBy: ['PERIOD', 'UNIT'], granularity: 'DAY', level: 'COMMUNE', from: '2024-01', to: '2024-12' }, 'granularity', /366 DAY periods exceed the limit of 200/],
        [{ metrics: ['KCB_BIOMETRIC_VISITS'], groupBy: ['PERIOD', 'UNIT'], granularity: 'WEEK', level: 'DISTRICT', from: '2024-01', to: '2024-03' }, 'groupBy', /more than 200 rows/],
        [{ metrics: ['PAPERLESS_DOSSIERS'], groupBy: ['UNIT'], from: '2025-01', to: '2025-02' }, 'level', /required when grouping by UNIT/],
        [{ metrics: ['PAPERLESS_DOSSIERS'], groupBy: ['UNIT'], level: 'DISTRICT', unitEdition: 'E2025', from: '2025-01', to: '2025-02' }, 'level', /no districts/],
        [{ metrics: [], groupBy: [], from: '2025-01', to: '2025-02' }, 'metrics', /at least one/],
        [{ metrics: ['PAPERLESS_DOSSIERS'], groupBy: [], from: '2025-01', to: '2025-02', orderBy: [{ field: 'UNIT' }] }, 'orderBy[0].field', /not one of the groupBy/],
      ];
      for (const [variables, field, message] of cases) {
        const response = await hub.graphql(AGGREGATE, variables);
        expect({ field, errors: response.errors?.length }).toEqual({ field, errors: 1 });
        const error = response.errors![0];
        expect({ code: error.extensions?.code, field: error.extensions?.field ?? error.message.split(':')[0] }).toEqual({ code: 'BAD_USER_INPUT', field });
        expect(error.message).toMatch(message);
      }
      const unknown = await errorOf(hub, AGGREGATE, { metrics: ['NO_SUCH_METRIC'], groupBy: [], from: '2025-01', to: '2025-02' });
      expect(unknown.extensions?.code).toBe('NOT_FOUND');
    });

    it('runs programmatically with runAggregate / runSeries', async () => {
      const result = await runAggregate(hub.dataSource, { metrics: ['PAPERLESS_DOSSIERS'], groupBy: [Dimension.UNIT], level: 'DISTRICT' as never, from: '2025-01', to: '2025-03' });
      expect(result.rows.map((one) => [one.unit!.code, one.measures[0].value])).toEqual([['412', 60], ['413', 12]]);
      const [total] = await runSeries(hub.dataSource, { metrics: ['PAPERLESS_DOSSIERS'], from: '2025', to: '2025', granularity: 'YEAR' });
      expect(total.points[0].value).toBe(72);
    });
  });

  describe('statements', () => {
    it('a series or an aggregate costs the same few statements for 1 or 4 metrics and 2 or 21 districts', async () => {
      const count = async (query: string, variables: Record<string, unknown>) => {
        hub.counter.reset();
        await dataOf(hub, query, variables);
        return hub.counter.statements.length;
      };
      const small = await count(SERIES, { metrics: ['PAPERLESS_DOSSIERS'], from: '2025-01', to: '2025-03', granularity: 'MONTH', level: 'DISTRICT', units: ['412', '413'] });
      const large = await count(SERIES, { metrics: ['PAPERLESS_DOSSIERS', 'EHEALTH_BOOKS', 'DVC_ONLINE_RATE', 'CAMPAIGNS_RUN'], from: '2024-10', to: '2025-01', granularity: 'QUARTER', level: 'DISTRICT' });
      expect(large).toBe(small);
      // metrics, units, predecessor links, reporting levels, values, then Metric and AdministrativeUnit loaders
      expect(large).toBeLessThanOrEqual(7);
      const grouped = await count(AGGREGATE, { metrics: ['PAPERLESS_DOSSIERS', 'KCB_BIOMETRIC_VISITS'], groupBy: ['PERIOD', 'DEPARTMENT', 'PILOT_MODEL', 'TASK_GROUP'], granularity: 'MONTH', from: '2024-01', to: '2025-03' });
      expect(grouped).toBeLessThanOrEqual(9);
    });
  });
});

describe('analytics: map editions, as-of and export', () => {
  let hub: TestHub;
  const series = async (variables: Record<string, unknown>) => (await dataOf<{ series: Series[] }>(hub, SERIES, variables)).series;

  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  /** 2024 communes with exactly one FULL successor and with two PARTIAL successors, and a 2025 commune of several predecessors. */
  async function links() {
    const rows: Array<{ oldCode: string; newCode: string; share: string; oldDistrict: string }> = await hub.dataSource.query(
      'SELECT o.code AS oldCode, n.code AS newCode, l.share AS share, d.code AS oldDistrict FROM unit_predecessor l ' +
        'JOIN administrative_unit o ON o.id = l.predecessorId JOIN administrative_unit n ON n.id = l.unitId JOIN administrative_unit d ON d.id = o.parentId ORDER BY o.code, n.code',
    );
    const byOld = new Map<string, typeof rows>();
    for (const link of rows) byOld.set(link.oldCode, [...(byOld.get(link.oldCode) ?? []), link]);
    const full = [...byOld.values()].find((group) => group.length === 1 && group[0].share === 'FULL')![0];
    const partial = [...byOld.values()].find((group) => group.length === 2 && group.every((link) => link.share === 'PARTIAL'))!;
    const byNew = new Map<string, typeof rows>();
    for (const link of rows) byNew.set(link.newCode, [...(byNew.get(link.newCode) ?? []), link]);
    const merged = [...byNew.values()].find((group) => group.length === 3 && group.every((link) => link.share === 'FULL') && group.every((link) => link.oldDistrict === group[0].oldDistrict))!;
    return { full, partial, merged };
  }

  it('re-expresses 2024 communes on the 2025 map: FULL exactly, PARTIAL split evenly and flagged approximate', async () => {
    const { full, partial } = await links();
    await ingestRows(hub.dataSource, [row('LLTP_VNEID_ISSUED', full.oldCode, '2025-03', 10), row('LLTP_VNEID_ISSUED', partial[0].oldCode, '2025-03', 8)], ORIGIN);
    const perCommune = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025-03', to: '2025-03', granularity: 'MONTH', level: 'COMMUNE', unitEdition: 'E2025' });
    const byCode = new Map(perCommune.map((one) => [one.unit!.code, one.points[0]]));
    expect(perCommune).toHaveLength(130);
    const [first, second] = partial.map((link) => link.newCode);
    const fullTarget = byCode.get(full.newCode)!;
    expect(fullTarget).toMatchObject({ approximate: false });
    // The FULL commune gets 10; if it is also one of the PARTIAL successors it gets half of 8 on top.
    expect(fullTarget.value).toBe(10 + (partial.some((link) => link.newCode === full.newCode) ? 4 : 0));
    if (first !== full.newCode) expect(byCode.get(first)).toMatchObject({ value: 4, approximate: true });
    if (second !== full.newCode) expect(byCode.get(second)).toMatchObject({ value: 4, approximate: true });
    const untouched = perCommune.find((one) => ![full.newCode, first, second].includes(one.unit!.code))!;
    expect(untouched.points[0].value).toBeNull();
    // The province total is exact on either map.
    const [province] = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025-03', to: '2025-03', granularity: 'MONTH', unitEdition: 'E2025' });
    expect(province.points[0]).toMatchObject({ value: 18, approximate: false });
    // Without an edition each value stays on its own map: the 2024 communes.
    const native = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025-03', to: '2025-03', granularity: 'MONTH', level: 'COMMUNE', units: [full.oldDistrict] });
    expect(native.find((one) => one.unit!.code === full.oldCode)!.points[0].value).toBe(10);
  });

  it('2024 and 2025 reports add up on one map; 2025 communes go back to their 2024 districts', async () => {
    const { merged } = await links();
    const newCode = merged[0].newCode;
    await ingestRows(hub.dataSource, [row('LLTP_VNEID_ISSUED', merged[0].oldCode, '2025-05', 6), row('LLTP_VNEID_ISSUED', newCode, '2025-08', 9)], ORIGIN);
    // 2025 map: the old commune (FULL) and the new commune are the same place.
    const [on2025] = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025', to: '2025', granularity: 'YEAR', level: 'COMMUNE', unitEdition: 'E2025', units: [newCode] });
    expect(on2025.points[0]).toMatchObject({ value: 15, approximate: false });
    // 2024 map: the 2025 commune lies in one 2024 district: exact there, split evenly among its three 2024 communes.
    const [district] = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025-08', to: '2025-08', granularity: 'MONTH', level: 'DISTRICT', unitEdition: 'E2024', units: [merged[0].oldDistrict] });
    expect(district.points[0]).toMatchObject({ value: 9, approximate: false });
    const communes = await series({ metrics: ['LLTP_VNEID_ISSUED'], from: '2025-08', to: '2025-08', granularity: 'MONTH', level: 'COMMUNE', unitEdition: 'E2024', units: [merged[0].oldDistrict] });
    for (const link of merged) expect(communes.find((one) => one.unit!.code === link.oldCode)!.points[0]).toMatchObject({ value: 3, approximate: true });
  });

  it('as-of: observations, series and aggregates answer what was known before and after a revision', async () => {
    await ingestRows(hub.dataSource, [row('RECORDS_CLEANED', '414', '2025-05', 40)], ORIGIN);
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // datetime columns keep whole seconds on MariaDB
    const between = new Date();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await ingestRows(hub.dataSource, [row('RECORDS_CLEANED', '414', '2025-05', 55)], { ...ORIGIN, actor: 'revising analyst' });
    const before = new Date(between.getTime() - 60 * 60 * 1000 * 24 * 365 * 5);

    const variables = { metrics: ['RECORDS_CLEANED'], from: '2025-05', to: '2025-05', granularity: 'MONTH', units: ['414'] };
    expect((await series({ ...variables, asOf: between.toISOString() }))[0].points[0].value).toBe(40);
    expect((await series({ ...variables, asOf: new Date().toISOString() }))[0].points[0].value).toBe(55);
    expect((await series(variables))[0].points[0].value).toBe(55);
    expect((await series({ ...variables, asOf: before.toISOString() }))[0].points[0]).toMatchObject({ value: null, reported: 0 });

    const aggregateAt = async (asOf: Date) =>
      (await dataOf<{ aggregate: { rows: Row[] } }>(hub, AGGREGATE, { metrics: ['RECORDS_CLEANED'], groupBy: ['UNIT'], level: 'DISTRICT', units: ['414'], from: '2025-05', to: '2025-05', asOf: asOf.toISOString() })).aggregate.rows;
    expect((await aggregateAt(between))[0].measures[0].value).toBe(40);
    expect((await aggregateAt(new Date()))[0].measures[0].value).toBe(55);
    expect(await aggregateAt(before)).toEqual([]);

    const observations = async (asOf: Date | null) =>
      (await dataOf<{ metric: { observations: { totalCount: number; edges: Array<{ node: { value: number; revisions: Array<{ value: number; revisedBy: string; revisedAt: string; recordedAt: string; runId: string | null }> } }> } } }>(
        hub,
        'query O($asOf: DateTimeISO) { metric(code: "RECORDS_CLEANED") { observations(filter: { unit: "414", from: "2025-05", to: "2025-05", asOf: $asOf }) { totalCount edges { node { value revisions { value revisedBy revisedAt recordedAt runId } } } } } }',
        { asOf: asOf?.toISOString() ?? null },
      )).metric.observations;
    const then = await observations(between);
    expect(then.edges.map((edge) => edge.node.value)).toEqual([40]);
    const now = await observations(null);
    expect(now.edges[0].node.value).toBe(55);
    expect(now.edges[0].node.revisions).toHaveLength(1);
    expect(now.edges[0].node.revisions[0]).toMatchObject({ value: 40, revisedBy: 'revising analyst', runId: null });
    expect(Date.parse(now.edges[0].node.revisions[0].revisedAt)).toBeGreaterThan(between.getTime() - 1000);
    expect((await observations(before)).totalCount).toBe(0);
  });

  it('exports series and aggregates as CSV with a BOM, unit codes and Vietnamese names', async () => {
    const base = hub.hub.url.replace(/\/graphql$/, '');
    const response = await fetch(`${base}/export/series?metrics=DVC_ONLINE_RATE&from=2024-01&to=2024-02&granularity=MONTH&level=DISTRICT&units=412,413`, { headers: { ...hub.headers } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const records: Array<Record<string, string>> = parseCsv(bytes.toString('utf8'), { bom: true, columns: true });
    expect(records).toHaveLength(4);
    const vinh = records.find((record) => record.unit_code === '412' && record.period === '2024-01')!;
    expect(vinh).toMatchObject({ metric: 'DVC_ONLINE_RATE', unit_name: 'Thành phố Vinh', unit_level: 'DISTRICT', complete: 'true', approximate: 'false' });
    // The same numbers as GraphQL.
    const [graphql] = await series({ metrics: ['DVC_ONLINE_RATE'], from: '2024-01', to: '2024-01', granularity: 'MONTH', level: 'DISTRICT', units: ['412'] });
    expect(Number(vinh.value)).toBe(graphql.points[0].value);
    expect(Number(vinh.numerator)).toBe(graphql.points[0].numerator);
    expect(records[0].metric_name_vi.length).toBeGreaterThan(0);

    const post = await fetch(`${base}/export/aggregate`, {
      method: 'POST',
      headers: { ...hub.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ metrics: ['KCB_BIOMETRIC_VISITS'], groupBy: ['DEPARTMENT', 'UNIT'], level: 'DISTRICT', from: '2024-Q1', to: '2024-Q1', orderBy: [{ field: 'VALUE', metric: 'KCB_BIOMETRIC_VISITS', direction: 'DESC' }] }),
    });
    expect(post.status).toBe(200);
    const rows: Array<Record<string, string>> = parseCsv(await post.text(), { bom: true, columns: true });
    expect(rows).toHaveLength(21);
    expect(rows[0]).toMatchObject({ department_code: 'SO_YT', department_name_vi: 'Sở Y tế', metric: 'KCB_BIOMETRIC_VISITS' });
    const values = rows.map((one) => Number(one.value));
    expect([...values].sort((a, b) => b - a)).toEqual(values);

    // Same validation as GraphQL: a granularity finer than the metric's frequency is refused, naming the argument.
    const bad = await fetch(`${base}/export/series?metrics=DVC_ONLINE_RATE&from=2024-01&to=2024-02&granularity=DAY`, { headers: { ...hub.headers } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(body.errors[0].message).toMatch(/^granularity: /);
    const unknownArgument = await fetch(`${base}/export/series?metric=DVC_ONLINE_RATE`, { headers: { ...hub.headers } });
    expect(unknownArgument.status).toBe(400);
  });

  it('the 2025 map refuses districts; an edition keeps the 130 communes of 2025', async () => {
    const error = await errorOf(hub, SERIES, { metrics: ['LLTP_VNEID_ISSUED'], from: '2025-01', to: '2025-02', granularity: 'MONTH', level: 'DISTRICT', unitEdition: UnitEdition.E2025 });
    expect(error.message).toMatch(/^level: /);
  });
});

describe('analytics: access', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub({ environment: QUIET_BACKGROUND });
  });
  afterAll(async () => {
    await hub.close();
  });

  it('a department key reads only its departments’ metrics', async () => {
    const [{ id }] = await hub.dataSource.query("SELECT id FROM department WHERE code = 'SO_YT'");
    const principal = { subject: 'key:1', name: 'health IT', role: Role.DEPARTMENT_IT, departmentIds: [databaseIdOf(id)], apiKeyId: 1 };
    const own = await runSeries(hub.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS'], from: '2024-01', to: '2024-01', granularity: 'MONTH' }, { principal });
    expect(own[0].points[0].value).toBeGreaterThan(0);
    await expect(
      runAggregate(hub.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS', 'DVC_ONLINE_RATE'], groupBy: [Dimension.DEPARTMENT], from: '2024-01', to: '2024-01' }, { principal }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/DVC_ONLINE_RATE/) });
  });

  it('exports are refused to viewers before anything runs', async () => {
    const viewer = { subject: 'key:2', name: 'viewer', role: Role.VIEWER, departmentIds: null, apiKeyId: 2 };
    let executed = 0;
    const reported: unknown[] = [];
    const app = express();
    app.use(
      exportRouter({
        server: { executeOperation: async () => ((executed += 1), { body: { kind: 'single', singleResult: { data: {} } } }) } as never,
        contextOf: async () => ({ principal: viewer }) as never,
      }),
    );
    app.use(restErrorHandler((error) => reported.push(error)));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/export/series?metrics=DVC_ONLINE_RATE&from=2024-01&to=2024-02&granularity=MONTH`, { headers: { ...hub.headers } });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0].extensions.code).toBe('FORBIDDEN');
      expect(executed).toBe(0);
      expect(reported).toEqual([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
