import type { ObservationRow } from '../../connectors/sdk/mapping';
import { Dimension, runAggregate, runSeries, type AggregateRequest, type AggregateResult, type SeriesRequest, type SeriesResult } from '../../src/analytics/engine';
import { rebuildRollups, sourceList } from '../../src/modules/observations/rollups';
import { UnitEdition } from '../../src/analytics/unit-map';
import { UnitLevel } from '../../src/common/enums';
import { periodContaining, periodsBetween, type Frequency, type Period } from '../../src/common/period';
import { ingestRows } from '../../src/ingestion/ingest';
import { closeDatabase } from '../helpers/test-hub';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database';

/** mulberry32: the same "random" data on every run. */
function prng(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const METRICS: Array<{ code: string; frequency: Frequency; rate?: boolean }> = [
  { code: 'KCB_BIOMETRIC_VISITS', frequency: 'DAY' },
  { code: 'PAPERLESS_DOSSIERS', frequency: 'MONTH' },
  { code: 'VNEID_L2_ACTIVATED', frequency: 'WEEK' },
  { code: 'DVC_ONLINE_RATE', frequency: 'MONTH', rate: true },
  { code: 'CDT_TEAMS', frequency: 'QUARTER' },
];

type RollupRow = Record<string, string | number | null>;

const round = (value: unknown) => (typeof value === 'number' ? Math.round(value * 1e6) / 1e6 : value);
function rounded<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, inner: unknown) => round(inner))) as T;
}

describe('rollups agree with the raw observations', () => {
  let database: TestDatabase;
  const random = prng(20250701);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];

  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await closeDatabase(database.dataSource);
  });

  async function unitCodes() {
    const units: Array<{ code: string; level: string; validTo: string | null }> = await database.dataSource.query('SELECT code, level, validTo FROM administrative_unit');
    const old = units.filter((unit) => unit.validTo !== null);
    return {
      province: '40',
      districts: old.filter((unit) => unit.level === 'DISTRICT').map((unit) => unit.code),
      communes2024: old.filter((unit) => unit.level === 'COMMUNE').map((unit) => unit.code).slice(0, 60),
      communes2025: units.filter((unit) => unit.validTo === null && unit.level === 'COMMUNE').map((unit) => unit.code).slice(0, 40),
    };
  }

  /** A batch of random rows: units of the 2024 map before July 2025, of the 2025 map after, some repeated with new values. */
  const periodLists = new Map<string, Period[]>();
  function periodsOf(frequency: Frequency, late: boolean): Period[] {
    let periods = periodLists.get(`${frequency}|${late}`);
    if (!periods) {
      const window = late ? ['2025-07-07', '2025-11-16'] : ['2024-12-30', '2025-06-22'];
      periods = periodsBetween(periodContaining(window[0], frequency), periodContaining(window[1], frequency)).filter(
        (period) => (late ? period.start >= '2025-07-01' : period.end < '2025-07-01'),
      );
      periodLists.set(`${frequency}|${late}`, periods);
    }
    return periods;
  }

  function batch(codes: Awaited<ReturnType<typeof unitCodes>>, size: number): ObservationRow[] {
    const rows = new Map<string, ObservationRow>();
    while (rows.size < size) {
      const metric = pick(METRICS);
      const late = random() < 0.4;
      const periods = periodsOf(metric.frequency, late);
      if (periods.length === 0) continue;
      const period = pick(periods);
      const unit = late ? pick(random() < 0.1 ? [codes.province] : codes.communes2025) : pick(random() < 0.1 ? [codes.province] : random() < 0.5 ? codes.districts : codes.communes2024);
      const key = `${metric.code}|${unit}|${period.text}`;
      if (metric.rate) {
        const denominator = 1 + Math.floor(random() * 500);
        const numerator = Math.floor(random() * (denominator + 1));
        rows.set(key, random() < 0.1 ? ({ metric: metric.code, unit, period: period.text, value: Math.round(random() * 100) } as ObservationRow) : ({ metric: metric.code, unit, period: period.text, value: (100 * numerator) / denominator, numerator, denominator } as ObservationRow));
      } else {
        rows.set(key, { metric: metric.code, unit, period: period.text, value: Math.floor(random() * 1000) } as ObservationRow);
      }
    }
    return [...rows.values()];
  }

  /** The rollup table as stored, and as computed here from every raw observation. */
  async function stored(): Promise<RollupRow[]> {
    const rows: RollupRow[] = await database.dataSource.query(
      'SELECT metricId, unitId, `month`, `level`, sources, valueSum, numeratorSum, denominatorSum, observationCount, numeratorCount, latestPeriodStart, latestValue FROM observation_rollup ORDER BY metricId, unitId, `month`',
    );
    // Sources as a set (the stored list has no set order).
    return rows.map((row) => rounded({ ...row, sources: sourceList(String(row.sources)).join(','), metricId: Number(row.metricId), unitId: Number(row.unitId), valueSum: Number(row.valueSum), numeratorSum: row.numeratorSum === null ? null : Number(row.numeratorSum), denominatorSum: row.denominatorSum === null ? null : Number(row.denominatorSum), observationCount: Number(row.observationCount), numeratorCount: Number(row.numeratorCount), latestValue: Number(row.latestValue), latestPeriodStart: String(row.latestPeriodStart) }));
  }

  async function fromRaw(): Promise<RollupRow[]> {
    const observations: Array<{ metricId: number; unitId: number; periodStart: string; source: string; value: number; numerator: number | null; denominator: number | null; level: string }> = await database.dataSource.query(
      'SELECT o.metricId, o.unitId, o.periodStart, o.source, o.value, o.numerator, o.denominator, u.level FROM observation o JOIN administrative_unit u ON u.id = o.unitId',
    );
    interface Building {
      metricId: number;
      unitId: number;
      month: string;
      level: string;
      sources: Set<string>;
      valueSum: number;
      observationCount: number;
      numeratorCount: number;
      latestPeriodStart: string;
      latestValue: number;
      numerators: number[];
      denominators: number[];
    }
    const rows = new Map<string, Building>();
    for (const observation of observations) {
      const periodStart = String(observation.periodStart);
      const month = periodStart.slice(0, 7);
      const key = `${observation.metricId}|${observation.unitId}|${month}`;
      let row = rows.get(key);
      if (!row) {
        row = { metricId: Number(observation.metricId), unitId: Number(observation.unitId), month, level: observation.level, sources: new Set(), valueSum: 0, observationCount: 0, numeratorCount: 0, latestPeriodStart: '', latestValue: 0, numerators: [], denominators: [] };
        rows.set(key, row);
      }
      row.valueSum += Number(observation.value);
      row.sources.add(observation.source);
      if (observation.numerator !== null) row.numerators.push(Number(observation.numerator));
      if (observation.denominator !== null) row.denominators.push(Number(observation.denominator));
      row.observationCount += 1;
      row.numeratorCount = row.numerators.length;
      if (periodStart > row.latestPeriodStart) {
        row.latestPeriodStart = periodStart;
        row.latestValue = Number(observation.value);
      }
    }
    return [...rows.values()]
      .sort((a, b) => a.metricId - b.metricId || a.unitId - b.unitId || a.month.localeCompare(b.month))
      .map(({ numerators, denominators, ...row }): RollupRow =>
        rounded({
          metricId: row.metricId,
          unitId: row.unitId,
          month: row.month,
          level: row.level,
          sources: [...row.sources].sort().join(','),
          valueSum: row.valueSum,
          numeratorSum: numerators.length ? numerators.reduce((sum, value) => sum + value, 0) : null,
          denominatorSum: denominators.length ? denominators.reduce((sum, value) => sum + value, 0) : null,
          observationCount: row.observationCount,
          numeratorCount: row.numeratorCount,
          latestPeriodStart: row.latestPeriodStart,
          latestValue: row.latestValue,
        }),
      );
  }

  const sortedSeries = (result: SeriesResult[]) => rounded(result.map((series) => ({ unit: series.unit?.id ?? null, metrics: series.metrics.map((metric) => metric.code), points: series.points })));
  const sortedAggregate = (result: AggregateResult) => rounded(result);

  async function compareAnswers(): Promise<number> {
    const codes = METRICS.map((metric) => metric.code);
    const aggregates: AggregateRequest[] = [
      { metrics: codes.slice(1, 4), groupBy: [Dimension.PERIOD, Dimension.UNIT], granularity: 'MONTH', level: UnitLevel.DISTRICT, from: '2024-12', to: '2025-12' },
      { metrics: codes, groupBy: [Dimension.PERIOD, Dimension.UNIT], granularity: 'QUARTER', level: UnitLevel.COMMUNE, unitEdition: UnitEdition.E2025, from: '2025-Q1', to: '2025-Q4' },
      { metrics: codes, groupBy: [Dimension.PERIOD, Dimension.UNIT], granularity: 'YEAR', level: UnitLevel.COMMUNE, unitEdition: UnitEdition.E2024, from: '2025', to: '2025' },
      { metrics: codes, groupBy: [Dimension.DEPARTMENT, Dimension.PILOT_MODEL], from: '2025-01', to: '2025-09' },
      { metrics: codes, groupBy: [Dimension.UNIT], level: UnitLevel.PROVINCE, from: '2025-03', to: '2025-08' },
      // A range starting and ending inside months: rollups hold whole months, so it must not be answered from them.
      { metrics: codes, groupBy: [Dimension.DEPARTMENT, Dimension.UNIT], level: UnitLevel.DISTRICT, from: '2025-03-15', to: '2025-W40' },
    ];
    const options = { today: '2025-12-31', maxRows: 100_000 };
    let rows = 0;
    for (const request of aggregates) {
      const fromRollups = await runAggregate(database.dataSource, request, options);
      const fromObservations = await runAggregate(database.dataSource, request, { ...options, source: 'raw' });
      expect(sortedAggregate(fromRollups)).toEqual(sortedAggregate(fromObservations));
      rows += fromRollups.rows.length;
    }
    const series: SeriesRequest[] = [
      { metrics: codes.slice(1, 4), from: '2025-01', to: '2025-12', granularity: 'MONTH' },
      { metrics: ['PAPERLESS_DOSSIERS'], from: '2025-Q1', to: '2025-Q4', granularity: 'QUARTER', level: UnitLevel.DISTRICT },
      { metrics: ['VNEID_L2_ACTIVATED'], from: '2025', to: '2025', granularity: 'YEAR', level: UnitLevel.COMMUNE, unitEdition: UnitEdition.E2025 },
    ];
    for (const request of series) {
      const fromRollups = await runSeries(database.dataSource, request, options);
      const fromObservations = await runSeries(database.dataSource, request, { ...options, source: 'raw' });
      expect(sortedSeries(fromRollups)).toEqual(sortedSeries(fromObservations));
    }
    return rows;
  }

  it('after random ingests, updates and revisions: the rollup table and every answer equal the raw computation', async () => {
    const codes = await unitCodes();
    let updated = 0;
    let answered = 0;
    const origin = { runId: null, actor: 'random test', mappingVersion: null, today: '2025-12-31' };
    // Each round from a source (one of them twice): months gain sources as values are added and revised.
    const sources = ['random-a', 'random-b', 'random-a', 'random-c'];
    for (let round = 0; round < 4; round += 1) {
      const summary = await ingestRows(database.dataSource, batch(codes, 1_500), { ...origin, source: sources[round] });
      expect(summary.rejections).toEqual([]);
      updated += summary.updated;
      expect(await stored()).toEqual(await fromRaw());
      answered += await compareAnswers();
    }
    // Enough overlap between batches that values were revised, and answers were not trivially empty.
    expect(updated).toBeGreaterThan(100);
    expect(answered).toBeGreaterThan(1_000);
    const revisions: Array<{ count: number | string }> = await database.dataSource.query('SELECT COUNT(*) AS count FROM observation_revision');
    expect(Number(revisions[0].count)).toBe(updated);

    // A rebuild from scratch gives the same rows as the incremental maintenance.
    const incremental = await stored();
    await rebuildRollups(database.dataSource);
    expect(await stored()).toEqual(incremental);
  });

  it('metrics reported at one level only: answers without periods (months summed in SQL) equal the raw computation', async () => {
    const codes = await unitCodes();
    const single: Array<{ code: string; frequency: Frequency; kind: 'COUNT' | 'RATE' | 'STOCK' }> = [
      { code: 'KIOSK_NOTARIZATIONS', frequency: 'DAY', kind: 'COUNT' },
      { code: 'KCB_FACILITIES_READY_RATE', frequency: 'MONTH', kind: 'RATE' },
      { code: 'KIOSK_DEPLOYED', frequency: 'MONTH', kind: 'STOCK' },
    ];
    // Communes only: 2024 communes before July 2025, 2025 communes after (re-expressed across maps by the answers).
    const rows: ObservationRow[] = [];
    for (const metric of single) {
      for (const late of [false, true]) {
        for (const period of periodsOf(metric.frequency, late)) {
          for (const unit of late ? codes.communes2025 : codes.communes2024) {
            if (random() < 0.7) continue;
            if (metric.kind === 'RATE') {
              const denominator = 1 + Math.floor(random() * 500);
              const numerator = Math.floor(random() * (denominator + 1));
              rows.push({ metric: metric.code, unit, period: period.text, value: (100 * numerator) / denominator, numerator, denominator } as ObservationRow);
            } else {
              rows.push({ metric: metric.code, unit, period: period.text, value: Math.floor(random() * 1000) } as ObservationRow);
            }
          }
        }
      }
    }
    const origin = { runId: null, source: 'random', actor: 'random test', mappingVersion: null, today: '2025-12-31' };
    expect((await ingestRows(database.dataSource, rows, origin)).rejections).toEqual([]);

    const metrics = single.map((metric) => metric.code);
    const statements: string[] = [];
    const query = database.dataSource.query.bind(database.dataSource);
    const spy = jest.spyOn(database.dataSource, 'query').mockImplementation((sql: string, parameters?: Parameters<typeof query>[1]) => {
      statements.push(sql);
      return query(sql, parameters);
    });
    try {
      const requests: AggregateRequest[] = [
        { metrics, groupBy: [Dimension.UNIT], level: UnitLevel.DISTRICT, unitEdition: UnitEdition.E2024, from: '2025-01', to: '2025-12' },
        { metrics, groupBy: [Dimension.UNIT], level: UnitLevel.COMMUNE, unitEdition: UnitEdition.E2025, from: '2025-02', to: '2025-11' },
        { metrics, groupBy: [Dimension.UNIT], level: UnitLevel.COMMUNE, from: '2025-03', to: '2025-10' },
        { metrics, groupBy: [Dimension.DEPARTMENT], from: '2025-Q2', to: '2025-Q3' },
        { metrics: [...metrics, 'KCB_BIOMETRIC_VISITS'], groupBy: [Dimension.UNIT], level: UnitLevel.PROVINCE, from: '2025', to: '2025' },
      ];
      const options = { today: '2025-12-31', maxRows: 100_000 };
      let answered = 0;
      for (const request of requests) {
        statements.length = 0;
        const fromRollups = await runAggregate(database.dataSource, request, options);
        expect(statements.some((sql) => sql.includes('GROUP BY metricId, unitId'))).toBe(true);
        statements.length = 0;
        const fromObservations = await runAggregate(database.dataSource, request, { ...options, source: 'raw' });
        // Months of a daily metric from the raw observations (over 25,000 estimated rows) are read in several
        // statements, over ranges of units, with turns of the event loop between them: the answer is the same.
        expect(statements.filter((sql) => sql.includes('FROM observation o WHERE')).length).toBeGreaterThan(1);
        expect(sortedAggregate(fromRollups)).toEqual(sortedAggregate(fromObservations));
        answered += fromRollups.rows.reduce((sum, row) => sum + row.measures.filter((measure) => measure.value !== null).length, 0);
      }
      expect(answered).toBeGreaterThan(100);
    } finally {
      spy.mockRestore();
    }
  });
});
