import { MetricFrequency, MetricKind } from '../../src/common/enums';
import { addDays, parsePeriod } from '../../src/common/period';
import { adminUnits } from '../../src/seed/admin-units';
import * as catalogue from '../../src/seed/catalogue-data';
import { DEMO_FROM, DEMO_TO, demoPeriods, demoValues, type DemoMetric } from '../../src/seed/demo-observations';

const provinceCode = adminUnits.province.code;
const districts = adminUnits.edition2024.districts.map((district) => ({ code: district.code }));

const catalogueMetrics: DemoMetric[] = catalogue.metrics.map((metric) => ({
  code: metric.code,
  kind: metric.kind as MetricKind,
  frequency: metric.frequency as MetricFrequency,
  targetValue: metric.targetValue,
}));

/** Catalogue metrics plus edge cases: no target, and rate targets at and above 100 %. */
const metricsUnderTest: DemoMetric[] = [
  ...catalogueMetrics,
  ...Object.values(MetricFrequency).flatMap((frequency) => [
    { code: `EDGE_COUNT_${frequency}`, kind: MetricKind.COUNT, frequency, targetValue: null },
    { code: `EDGE_STOCK_${frequency}`, kind: MetricKind.STOCK, frequency, targetValue: null },
    { code: `EDGE_RATE_${frequency}`, kind: MetricKind.RATE, frequency, targetValue: null },
    { code: `EDGE_RATE100_${frequency}`, kind: MetricKind.RATE, frequency, targetValue: 100 },
    { code: `EDGE_RATE150_${frequency}`, kind: MetricKind.RATE, frequency, targetValue: 150 },
    { code: `EDGE_COUNT0_${frequency}`, kind: MetricKind.COUNT, frequency, targetValue: 0 },
  ]),
];

describe('demoPeriods', () => {
  const texts = (frequency: MetricFrequency) => demoPeriods(frequency).map((period) => period.text);

  it('covers exactly the first quarter of 2024 per frequency', () => {
    const days = demoPeriods(MetricFrequency.DAY);
    expect(days).toHaveLength(91);
    expect(days[0].text).toBe('2024-01-01');
    expect(days[90].text).toBe('2024-03-31');

    expect(texts(MetricFrequency.WEEK)).toEqual(
      Array.from({ length: 13 }, (_, index) => `2024-W${String(index + 1).padStart(2, '0')}`),
    );
    expect(texts(MetricFrequency.MONTH)).toEqual(['2024-01', '2024-02', '2024-03']);
    expect(texts(MetricFrequency.QUARTER)).toEqual(['2024-Q1']);
    // The year 2024 is not over by 2024-03-31: no whole YEAR period.
    expect(demoPeriods(MetricFrequency.YEAR)).toEqual([]);
  });

  it.each(Object.values(MetricFrequency))('%s periods are consecutive, whole and inside the demo window', (frequency) => {
    const periods = demoPeriods(frequency);
    for (const [index, period] of periods.entries()) {
      expect(period.frequency).toBe(frequency);
      expect(parsePeriod(period.text)).toEqual(period);
      expect(period.start >= DEMO_FROM).toBe(true);
      expect(period.end <= DEMO_TO).toBe(true);
      if (index > 0) expect(period.start).toBe(addDays(periods[index - 1].end, 1));
    }
    if (periods.length > 0) {
      // Contiguous from the first to the last day of the window.
      expect(periods[0].start).toBe(DEMO_FROM);
      expect(periods[periods.length - 1].end).toBe(DEMO_TO);
    }
  });
});

describe('demoValues', () => {
  it('is deterministic: two calls give equal values', () => {
    for (const metric of metricsUnderTest) {
      const first = demoValues(metric, provinceCode, districts);
      const second = demoValues(metric, provinceCode, districts);
      expect(second).toEqual(first);
    }
  });

  it('gives one value per unit and period of the demo window', () => {
    for (const metric of metricsUnderTest) {
      const values = demoValues(metric, provinceCode, districts);
      const periods = demoPeriods(metric.frequency).map((period) => period.text);
      const units = [...new Set(values.map((value) => value.unitCode))];
      expect(values).toHaveLength(periods.length * units.length);
      if (periods.length > 0) {
        // Either the province alone or every 2024 district.
        const provinceOnly = units.length === 1 && units[0] === provinceCode;
        if (!provinceOnly) expect(units.sort()).toEqual(districts.map((district) => district.code).sort());
      }
      const keys = new Set(values.map((value) => `${value.unitCode}|${value.period.text}`));
      expect(keys.size).toBe(values.length);
      for (const value of values) expect(periods).toContain(value.period.text);
    }
  });

  it('RATE values are 100 × numerator / denominator, within 0..100, numerator <= denominator', () => {
    const rates = metricsUnderTest.filter((metric) => metric.kind === MetricKind.RATE);
    expect(rates.some((metric) => catalogueMetrics.includes(metric))).toBe(true);
    let checked = 0;
    for (const metric of rates) {
      for (const value of demoValues(metric, provinceCode, districts)) {
        expect(value.numerator).not.toBeNull();
        expect(value.denominator).not.toBeNull();
        const numerator = value.numerator as number;
        const denominator = value.denominator as number;
        expect(Number.isInteger(numerator)).toBe(true);
        expect(Number.isInteger(denominator)).toBe(true);
        expect(denominator).toBeGreaterThan(0);
        expect(numerator).toBeGreaterThanOrEqual(0);
        expect(numerator).toBeLessThanOrEqual(denominator);
        expect(value.value).toBe((100 * numerator) / denominator);
        expect(value.value).toBeGreaterThanOrEqual(0);
        expect(value.value).toBeLessThanOrEqual(100);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('COUNT and STOCK values are non-negative integers without numerator or denominator', () => {
    let checked = 0;
    for (const metric of metricsUnderTest.filter((candidate) => candidate.kind !== MetricKind.RATE)) {
      for (const value of demoValues(metric, provinceCode, districts)) {
        expect(Number.isInteger(value.value)).toBe(true);
        expect(value.value).toBeGreaterThanOrEqual(0);
        expect(value.numerator).toBeNull();
        expect(value.denominator).toBeNull();
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
