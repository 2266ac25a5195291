import type { ObservationRow } from '../../connectors/sdk/mapping';
import { runSeries } from '../../src/analytics/engine';
import { UnitLevel } from '../../src/common/enums';
import { addDays } from '../../src/common/period';
import { communes2024, districts2024 } from '../../src/feeds/feed-units';
import { biometricVisits, unsecuredLoans } from '../../src/feeds/feed-values';
import { ingestRows } from '../../src/ingestion/ingest';
import { closeDatabase } from '../helpers/test-hub';
import { openTestDatabase, type TestDatabase } from '../helpers/test-database';

function days(from: string, to: string): string[] {
  const dates: string[] = [];
  for (let date = from; date <= to; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/**
 * The seeded first quarter of 2024 and the simulated feeds demo mode reads come from one generator: a month read
 * from the commune feed is comparable with the seeded district month before it, and the series flags the switch.
 */
describe('demo data: the seed and the feeds tell one story', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await openTestDatabase();
  });
  afterAll(async () => {
    await closeDatabase(database.dataSource);
  });

  it('seeds the feed metrics with the feed generator’s values', async () => {
    // Of the feed metrics, the seed gives values to those whose models are under way (M03 health, M08 loans).
    const [count, amount] = await runSeries(database.dataSource, { metrics: ['LOANS_UNSECURED_COUNT', 'LOANS_UNSECURED_AMOUNT'], from: '2024-02', to: '2024-02', granularity: 'MONTH' });
    expect(count.points[0]).toMatchObject({
      value: districts2024.reduce((sum, district) => sum + unsecuredLoans(district, '2024-02').count, 0),
      level: UnitLevel.DISTRICT,
      levelChanged: false,
    });
    expect(amount.points[0].value).toBe(districts2024.reduce((sum, district) => sum + unsecuredLoans(district, '2024-02').amount, 0));
  });

  it('a commune feed month after seeded district months: no artificial drop, and the level switch is flagged', async () => {
    // What the health connector of demo mode writes for April 2024: 460 communes × 30 days.
    const rows: ObservationRow[] = days('2024-04-01', '2024-04-30').flatMap((date) =>
      communes2024.map((commune) => ({ metric: 'KCB_BIOMETRIC_VISITS', unit: commune.code, period: date, value: biometricVisits(commune, date) })),
    );
    const summary = await ingestRows(database.dataSource, rows, { runId: null, source: 'connector:health', actor: 'feed test', mappingVersion: null, today: '2024-05-01' });
    expect(summary.rejections).toEqual([]);

    const [series] = await runSeries(database.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS'], from: '2024-01-01', to: '2024-06-30', granularity: 'MONTH' });
    const points = series.points.map((point) => ({
      period: point.period.text,
      value: point.value,
      level: point.level,
      levelChanged: point.levelChanged,
      previousLevel: point.previousLevel,
      sources: point.sources,
      sourceChanged: point.sourceChanged,
      previousSources: point.previousSources,
    }));
    const [january, february, march, april, may, june] = points;
    expect([january, february, march].map((point) => [point.level, point.levelChanged])).toEqual([
      [UnitLevel.DISTRICT, false],
      [UnitLevel.DISTRICT, false],
      [UnitLevel.DISTRICT, false],
    ]);
    expect([january, february, march].map((point) => [point.sources, point.sourceChanged, point.previousSources])).toEqual([
      [['demo-seed'], false, null],
      [['demo-seed'], false, null],
      [['demo-seed'], false, null],
    ]);
    // The seeded district month equals the sum of the feed's communes over the same days.
    const marchFromCommunes = days('2024-03-01', '2024-03-31').reduce((sum, date) => sum + communes2024.reduce((inner, commune) => inner + biometricVisits(commune, date), 0), 0);
    expect(march.value).toBe(marchFromCommunes);
    // April (commune feed) within ±25 % of March (seeded districts): the same generator, so no artificial drop.
    const ratio = april.value! / march.value!;
    expect(ratio).toBeGreaterThanOrEqual(0.75);
    expect(ratio).toBeLessThanOrEqual(1.25);
    // The switch from district to commune reports is a real break, and it is flagged where it happens.
    expect(april).toMatchObject({ level: UnitLevel.COMMUNE, levelChanged: true, previousLevel: UnitLevel.DISTRICT });
    // So is the switch from the demo seed to the connector's feed.
    expect(april).toMatchObject({ sources: ['connector:health'], sourceChanged: true, previousSources: ['demo-seed'] });
    // Months without values neither have a level nor flag a change.
    expect([may, june].map((point) => [point.value, point.level, point.levelChanged, point.previousLevel])).toEqual([
      [null, null, false, null],
      [null, null, false, null],
    ]);
    expect([may, june].map((point) => [point.sources, point.sourceChanged, point.previousSources])).toEqual([
      [[], false, null],
      [[], false, null],
    ]);
  });

  it('flags a change of source at the same level: one connector replaced by another, and a second one joining', async () => {
    const communes = communes2024.slice(0, 20);
    const write = async (from: string, to: string, source: string, recordedAt?: Date) => {
      const rows: ObservationRow[] = days(from, to).flatMap((date) =>
        communes.map((commune) => ({ metric: 'KCB_BIOMETRIC_VISITS', unit: commune.code, period: date, value: biometricVisits(commune, date) })),
      );
      const summary = await ingestRows(database.dataSource, rows, {
        runId: null,
        source,
        actor: 'feed test',
        mappingVersion: null,
        today: '2025-01-01',
        ...(recordedAt ? { recordedAt: () => recordedAt } : {}),
      });
      expect(summary.rejections).toEqual([]);
    };
    // May from the health connector, June from its replacement; July from both (each commune's first half of the
    // month from the old one, the rest from the new one), August from the replacement alone again.
    await write('2024-05-01', '2024-05-31', 'connector:health', new Date('2024-06-01T00:00:00Z'));
    await write('2024-06-01', '2024-06-30', 'connector:health-v2');
    await write('2024-07-01', '2024-07-15', 'connector:health');
    await write('2024-07-16', '2024-07-31', 'connector:health-v2');
    await write('2024-08-01', '2024-08-31', 'connector:health-v2');
    const rollupSources = async (month: string) =>
      ((await database.dataSource.query(
        "SELECT r.sources FROM observation_rollup r JOIN metric m ON m.id = r.metricId JOIN administrative_unit u ON u.id = r.unitId WHERE m.code = 'KCB_BIOMETRIC_VISITS' AND r.`month` = ? AND u.code = ?",
        [month, communes[0].code],
      )) as Array<{ sources: string }>)[0].sources;
    // A commune's July row lists both sources, once each, after being added to batch by batch.
    expect(await rollupSources('2024-07')).toBe('connector:health,connector:health-v2');
    expect(await rollupSources('2024-08')).toBe('connector:health-v2');

    // The same from the month rollups and from the raw observations.
    for (const source of ['auto', 'raw'] as const) {
      const [series] = await runSeries(database.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS'], from: '2024-05', to: '2024-08', granularity: 'MONTH' }, { source });
      const points = series.points.map((point) => [point.period.text, point.level, point.levelChanged, point.sources, point.sourceChanged, point.previousSources]);
      expect(points).toEqual([
        ['2024-05', UnitLevel.COMMUNE, false, ['connector:health'], false, null],
        ['2024-06', UnitLevel.COMMUNE, false, ['connector:health-v2'], true, ['connector:health']],
        ['2024-07', UnitLevel.COMMUNE, false, ['connector:health', 'connector:health-v2'], true, ['connector:health-v2']],
        ['2024-08', UnitLevel.COMMUNE, false, ['connector:health-v2'], true, ['connector:health', 'connector:health-v2']],
      ]);
    }

    const may = days('2024-05-01', '2024-05-31').reduce((sum, date) => sum + communes.reduce((inner, commune) => inner + biometricVisits(commune, date), 0), 0);
    // A revision by another source re-derives the month's sources: May's values all replaced by the new connector.
    const revised: ObservationRow[] = days('2024-05-01', '2024-05-31').flatMap((date) =>
      communes.map((commune) => ({ metric: 'KCB_BIOMETRIC_VISITS', unit: commune.code, period: date, value: biometricVisits(commune, date) + 1 })),
    );
    const revisedAt = new Date('2024-07-01T00:00:00Z');
    await ingestRows(database.dataSource, revised, { runId: null, source: 'connector:health-v2', actor: 'feed test', mappingVersion: null, today: '2025-01-01', recordedAt: () => revisedAt });
    const [after] = await runSeries(database.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS'], from: '2024-05', to: '2024-06', granularity: 'MONTH' });
    expect(after.points.map((point) => [point.sources, point.sourceChanged])).toEqual([
      [['connector:health-v2'], false],
      [['connector:health-v2'], false],
    ]);
    // What was known before the revision: May's values, and their source, as they were then.
    const [before] = await runSeries(database.dataSource, { metrics: ['KCB_BIOMETRIC_VISITS'], from: '2024-05', to: '2024-05', granularity: 'MONTH', asOf: new Date('2024-06-15T00:00:00Z') });
    expect(before.points[0]).toMatchObject({ value: may, sources: ['connector:health'] });
  });
});
