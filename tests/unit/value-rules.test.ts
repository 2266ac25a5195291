import { MetricKind, UnitLevel } from '../../src/common/enums';
import {
  coarserLevel,
  coarsestLevel,
  combineParts,
  combineReports,
  keepLatest,
  latestTotal,
  pickCoarsest,
  progressRatio,
  rate,
  replacesLatest,
  targetIsCumulative,
  targetReached,
  type LatestByUnit,
  type ReportSums,
} from '../../src/analytics/value-rules';

const sums = (partial: Partial<ReportSums>): ReportSums => ({ value: 0, numerator: 0, denominator: 0, reports: 1, numerators: 0, ...partial });

describe('levels: the coarsest level that reported is used', () => {
  it('orders province before district before commune', () => {
    expect(coarserLevel(null, UnitLevel.COMMUNE)).toBe(UnitLevel.COMMUNE);
    expect(coarserLevel(UnitLevel.COMMUNE, UnitLevel.DISTRICT)).toBe(UnitLevel.DISTRICT);
    expect(coarserLevel(UnitLevel.DISTRICT, UnitLevel.COMMUNE)).toBe(UnitLevel.DISTRICT);
    expect(coarserLevel(UnitLevel.DISTRICT, UnitLevel.PROVINCE)).toBe(UnitLevel.PROVINCE);
    expect(coarserLevel(UnitLevel.PROVINCE, UnitLevel.PROVINCE)).toBe(UnitLevel.PROVINCE);
  });

  it('finds the coarsest of any levels, null of none', () => {
    expect(coarsestLevel([])).toBeNull();
    expect(coarsestLevel([UnitLevel.COMMUNE])).toBe(UnitLevel.COMMUNE);
    expect(coarsestLevel([UnitLevel.COMMUNE, UnitLevel.PROVINCE, UnitLevel.DISTRICT])).toBe(UnitLevel.PROVINCE);
    expect(coarsestLevel(new Set([UnitLevel.COMMUNE, UnitLevel.DISTRICT]))).toBe(UnitLevel.DISTRICT);
  });

  it('picks the sums of the coarsest level, the first of equals', () => {
    const commune = { level: UnitLevel.COMMUNE, name: 'commune' };
    const district = { level: UnitLevel.DISTRICT, name: 'district' };
    const secondDistrict = { level: UnitLevel.DISTRICT, name: 'second district' };
    expect(pickCoarsest([])).toBeUndefined();
    expect(pickCoarsest([commune, district, secondDistrict])).toBe(district);
    expect(pickCoarsest([secondDistrict, commune, district])).toBe(secondDistrict);
  });
});

describe('combineReports: one level’s reports by kind', () => {
  it('COUNT and STOCK take the summed value (STOCK sums each unit’s latest) and never a numerator', () => {
    expect(combineReports(MetricKind.COUNT, sums({ value: 42, reports: 3 }))).toEqual({ value: 42, numerator: null, denominator: null });
    expect(combineReports(MetricKind.STOCK, sums({ value: 7, reports: 2 }))).toEqual({ value: 7, numerator: null, denominator: null });
    expect(combineReports(MetricKind.COUNT, sums({ value: 0, reports: 1 }))).toEqual({ value: 0, numerator: null, denominator: null });
  });

  it('RATE is Σ numerator / Σ denominator × 100, not an average of percentages', () => {
    // 1/2 (50 %) and 9/10 (90 %): the rate of the sums is 10/12, not (50 + 90) / 2.
    const combined = combineReports(MetricKind.RATE, sums({ value: 140, numerator: 10, denominator: 12, reports: 2, numerators: 2 }));
    expect(combined.numerator).toBe(10);
    expect(combined.denominator).toBe(12);
    expect(combined.value).toBeCloseTo((100 * 10) / 12, 12);
  });

  it('RATE without a positive denominator is missing, with its sums kept', () => {
    expect(combineReports(MetricKind.RATE, sums({ value: 0, numerator: 0, denominator: 0, reports: 2, numerators: 2 }))).toEqual({
      value: null,
      numerator: 0,
      denominator: 0,
    });
  });

  it('RATE whose reports did not all give numerator and denominator is missing, except a single report', () => {
    expect(combineReports(MetricKind.RATE, sums({ value: 130, numerator: 5, denominator: 10, reports: 2, numerators: 1 }))).toEqual({
      value: null,
      numerator: null,
      denominator: null,
    });
    expect(combineReports(MetricKind.RATE, sums({ value: 65, reports: 1, numerators: 0 }))).toEqual({ value: 65, numerator: null, denominator: null });
  });
});

describe('combineParts: several combined values as one', () => {
  it('no parts: missing', () => {
    expect(combineParts(MetricKind.COUNT, [])).toEqual({ value: null, numerator: null, denominator: null });
    expect(combineParts(MetricKind.RATE, [])).toEqual({ value: null, numerator: null, denominator: null });
  });

  it('COUNT and STOCK sum the values, a missing one counting as nothing', () => {
    const parts = [
      { value: 3, numerator: null, denominator: null },
      { value: null, numerator: null, denominator: null },
      { value: 4.5, numerator: null, denominator: null },
    ];
    expect(combineParts(MetricKind.COUNT, parts)).toEqual({ value: 7.5, numerator: null, denominator: null });
    expect(combineParts(MetricKind.STOCK, parts)).toEqual({ value: 7.5, numerator: null, denominator: null });
  });

  it('RATE is the rate of the summed numerators and denominators', () => {
    const combined = combineParts(MetricKind.RATE, [
      { value: 50, numerator: 1, denominator: 2 },
      { value: 90, numerator: 9, denominator: 10 },
    ]);
    expect(combined).toEqual({ value: (100 * 10) / 12, numerator: 10, denominator: 12 });
  });

  it('RATE is missing when a part has no numerator or denominator, even a single one', () => {
    expect(combineParts(MetricKind.RATE, [{ value: 50, numerator: null, denominator: null }])).toEqual({ value: null, numerator: null, denominator: null });
    expect(
      combineParts(MetricKind.RATE, [
        { value: 50, numerator: 1, denominator: 2 },
        { value: 40, numerator: 2, denominator: null },
      ]),
    ).toEqual({ value: null, numerator: null, denominator: null });
    expect(combineParts(MetricKind.RATE, [{ value: null, numerator: 0, denominator: 0 }])).toEqual({ value: null, numerator: 0, denominator: 0 });
  });
});

describe('rate', () => {
  it('is numerator / denominator × 100 with a positive denominator, else null', () => {
    expect(rate(1, 4)).toBe(25);
    expect(rate(0, 5)).toBe(0);
    expect(rate(3, 0)).toBeNull();
  });
});

describe('STOCK: each unit’s latest value, summed over units', () => {
  it('keeps the latest period of each unit; of two equal starts the first', () => {
    const latest: LatestByUnit = new Map();
    keepLatest(latest, 1, { start: '2024-02-01', value: 10 });
    keepLatest(latest, 1, { start: '2024-01-01', value: 99 });
    keepLatest(latest, 1, { start: '2024-03-01', value: 12 });
    keepLatest(latest, 2, { start: '2024-01-01', value: 5 });
    keepLatest(latest, 2, { start: '2024-01-01', value: 6 });
    expect(latest.get(1)).toEqual({ start: '2024-03-01', value: 12 });
    expect(latest.get(2)).toEqual({ start: '2024-01-01', value: 5 });
    expect(latestTotal(latest)).toBe(17);
    expect(latestTotal(new Map())).toBe(0);
  });

  it('a later period replaces the known one, an earlier or equal one does not', () => {
    expect(replacesLatest(undefined, '2024-01-01')).toBe(true);
    expect(replacesLatest({ start: '2024-01-01' }, '2024-01-02')).toBe(true);
    expect(replacesLatest({ start: '2024-01-02' }, '2024-01-02')).toBe(false);
    expect(replacesLatest({ start: '2024-01-02' }, '2024-01-01')).toBe(false);
  });
});

describe('progress against a target', () => {
  it('a COUNT with a target date is measured cumulatively; anything else by its latest value', () => {
    expect(targetIsCumulative(MetricKind.COUNT, '2025-12-31')).toBe(true);
    expect(targetIsCumulative(MetricKind.COUNT, null)).toBe(false);
    expect(targetIsCumulative(MetricKind.COUNT, undefined)).toBe(false);
    expect(targetIsCumulative(MetricKind.COUNT, '')).toBe(false);
    expect(targetIsCumulative(MetricKind.STOCK, '2025-12-31')).toBe(false);
    expect(targetIsCumulative(MetricKind.RATE, '2025-12-31')).toBe(false);
  });

  it('the ratio is actual / target, null without actual or target', () => {
    expect(progressRatio(50, 200)).toBe(0.25);
    expect(progressRatio(300, 200)).toBe(1.5);
    expect(progressRatio(null, 200)).toBeNull();
    expect(progressRatio(50, null)).toBeNull();
    expect(progressRatio(null, null)).toBeNull();
  });

  it('a zero target is reached by any non-negative actual', () => {
    expect(progressRatio(0, 0)).toBe(1);
    expect(progressRatio(5, 0)).toBe(1);
    expect(progressRatio(-1, 0)).toBe(0);
  });

  it('a ratio of 1 or more reaches the target', () => {
    expect(targetReached(1)).toBe(true);
    expect(targetReached(1.2)).toBe(true);
    expect(targetReached(0.999)).toBe(false);
    expect(targetReached(0)).toBe(false);
    expect(targetReached(null)).toBe(false);
  });
});
