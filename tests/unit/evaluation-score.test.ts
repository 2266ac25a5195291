import type { HubError } from '../../src/common/errors';
import { checkedWeights, checkedYear, ranked, weightedScore, type EvaluationWeights } from '../../src/modules/progress/evaluation';

const DEFAULTS: EvaluationWeights = { tasks: 0.4, models: 0.2, freshness: 0.2, quality: 0.2, lateCredit: 0.5 };

describe('year-end evaluation score', () => {
  it('is the weighted mean of the components present, on 0–100 with 2 decimals (the worked example of docs/analytics.md)', () => {
    expect(weightedScore({ tasks: 0.25, models: 3 / 7, freshness: 0, quality: null }, DEFAULTS)).toBe(23.21);
    expect(weightedScore({ tasks: 1, models: 1, freshness: 1, quality: 1 }, DEFAULTS)).toBe(100);
    // A component without items is left out, not counted as 0.
    expect(weightedScore({ tasks: 0.5, models: null, freshness: null, quality: null }, DEFAULTS)).toBe(50);
    expect(weightedScore({ tasks: null, models: null, freshness: null, quality: null }, DEFAULTS)).toBeNull();
    // A weight of 0 leaves its component out.
    expect(weightedScore({ tasks: 0.5, models: 1, freshness: 1, quality: 1 }, { ...DEFAULTS, models: 0, freshness: 0, quality: 0 })).toBe(50);
  });

  it('ranks best first, equal scores sharing a rank, no score no rank', () => {
    const rows = [
      { department: { code: 'B' }, score: 50 },
      { department: { code: 'A' }, score: 50 },
      { department: { code: 'C' }, score: null },
      { department: { code: 'D' }, score: 80 },
      { department: { code: 'E' }, score: 10 },
    ];
    expect(ranked(rows).map((row) => [row.department.code, row.rank])).toEqual([['D', 1], ['A', 2], ['B', 2], ['E', 4], ['C', null]]);
  });

  it('checks the weights and the year, naming the field', () => {
    expect(checkedWeights(DEFAULTS, { tasks: 1, lateCredit: null })).toEqual({ ...DEFAULTS, tasks: 1 });
    const fieldOf = (action: () => unknown) => {
      try {
        action();
      } catch (error) {
        return (error as HubError).field;
      }
      return 'accepted';
    };
    expect(fieldOf(() => checkedWeights(DEFAULTS, { models: -0.1 }))).toBe('weights.models');
    expect(fieldOf(() => checkedWeights(DEFAULTS, { quality: Number.NaN }))).toBe('weights.quality');
    expect(fieldOf(() => checkedWeights(DEFAULTS, { lateCredit: 1.01 }))).toBe('weights.lateCredit');
    expect(fieldOf(() => checkedWeights(DEFAULTS, { tasks: 0, models: 0, freshness: 0, quality: 0 }))).toBe('weights');
    expect(checkedYear(2024, '2026-12-07')).toBe(2024);
    expect(fieldOf(() => checkedYear(1999, '2026-12-07'))).toBe('year');
    expect(fieldOf(() => checkedYear(2027, '2026-12-07'))).toBe('year');
  });
});
