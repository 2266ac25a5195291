import { MetricFrequency, MetricKind } from '../common/enums';
import { periodContaining, periodsBetween, type Period } from '../common/period';

/** Demo values cover the first quarter of 2024, the data known at the meeting of 2 April 2024. */
export const DEMO_FROM = '2024-01-01';
export const DEMO_TO = '2024-03-31';
export const DEMO_SOURCE = 'demo-seed';

/** Metrics that only make sense for the province as a whole (a count of services, systems, screens). */
const PROVINCE_LEVEL_METRICS = new Set([
  'DVC_ESSENTIAL_LIVE',
  'PAPERLESS_SERVICES',
  'SSO_SYSTEMS_INTEGRATED',
  'LED_SCREENS_LIVE',
  'CAMPAIGNS_RUN',
  'COURSES_PUBLISHED',
  'IOC_COMPONENTS_LIVE',
  'KIOSK_DEPLOYED',
]);

export interface DemoMetric {
  code: string;
  kind: MetricKind;
  frequency: MetricFrequency;
  targetValue: number | null;
}

export interface DemoUnit {
  code: string;
}

export interface DemoValue {
  unitCode: string;
  period: Period;
  value: number;
  numerator: number | null;
  denominator: number | null;
}

/** Small deterministic generator (mulberry32) so the seed produces the same values on every run. */
function randomSource(seedText: string): () => number {
  let state = 0;
  for (const character of seedText) state = (Math.imul(state, 31) + character.charCodeAt(0)) | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PERIODS_PER_YEAR: Record<MetricFrequency, number> = { DAY: 366, WEEK: 52, MONTH: 12, QUARTER: 4, YEAR: 1 };

export function demoPeriods(frequency: MetricFrequency): Period[] {
  const first = periodContaining(DEMO_FROM, frequency);
  const last = periodContaining(DEMO_TO, frequency);
  // Only whole periods that ended by the end of the demo window.
  return periodsBetween(first, last).filter((period) => period.end <= DEMO_TO);
}

/**
 * Plausible values for one metric: counts spread the yearly target over periods and units, stocks climb
 * towards their target, rates carry numerator and denominator so they aggregate correctly.
 */
export function demoValues(metric: DemoMetric, provinceCode: string, districts: DemoUnit[]): DemoValue[] {
  const random = randomSource(metric.code);
  const units = PROVINCE_LEVEL_METRICS.has(metric.code) ? [{ code: provinceCode }] : districts;
  const weights = units.map((_, index) => (index === 0 && units.length > 1 ? 4 : 0.5 + random() * 1.5));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  const periods = demoPeriods(metric.frequency);
  const values: DemoValue[] = [];
  periods.forEach((period, periodIndex) => {
    const ramp = 0.6 + (0.4 * (periodIndex + 1)) / periods.length;
    units.forEach((unit, unitIndex) => {
      const share = weights[unitIndex] / totalWeight;
      const noise = 0.85 + random() * 0.3;
      if (metric.kind === MetricKind.RATE) {
        const target = metric.targetValue ?? 60;
        const denominator = Math.max(1, Math.round(2000 * share * units.length * noise));
        const rate = Math.min(1, (target / 100) * ramp * (0.8 + random() * 0.3));
        const numerator = Math.round(denominator * rate);
        values.push({ unitCode: unit.code, period, value: (100 * numerator) / denominator, numerator, denominator });
        return;
      }
      const target = metric.targetValue ?? 1000;
      const amount =
        metric.kind === MetricKind.COUNT
          ? (target / PERIODS_PER_YEAR[metric.frequency]) * share * ramp * noise
          : target * share * (0.3 + 0.3 * ramp) * noise;
      values.push({ unitCode: unit.code, period, value: Math.max(0, Math.round(amount)), numerator: null, denominator: null });
    });
  });
  return values;
}
