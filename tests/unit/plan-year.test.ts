import { countsInYear, planYearOn, retirementCutoff } from '../../src/modules/catalogue/catalogue.service';
import { codeInYear } from '../../src/modules/catalogue/catalogue-lifecycle.service';

describe('plan years', () => {
  it('defaults to the plan in force on asOf: its year, else the latest plan before, else the first', () => {
    expect(planYearOn([2024, 2025], '2025-06-30')).toBe(2025);
    expect(planYearOn([2024, 2025], '2026-01-15')).toBe(2025);
    expect(planYearOn([2025, 2024], '2024-12-31')).toBe(2024);
    expect(planYearOn([2025], '2024-03-01')).toBe(2025);
    expect(planYearOn([], '2024-03-01')).toBeNull();
  });

  it('counts a task in its own plan year and a model from its group\'s year on, until retired', () => {
    expect(countsInYear('task', 2024, null, 2024, '2024-12-31')).toBe(true);
    expect(countsInYear('task', 2024, null, 2025, '2025-12-31')).toBe(false);
    expect(countsInYear('model', 2024, null, 2025, '2025-12-31')).toBe(true);
    expect(countsInYear('model', 2025, null, 2024, '2024-12-31')).toBe(false);
    // Retired in 2025: in the 2024 report, out of the 2025 plan.
    expect(countsInYear('model', 2024, '2025-03-01', 2024, '2024-12-31')).toBe(true);
    expect(countsInYear('model', 2024, '2025-03-01', 2025, '2025-12-31')).toBe(false);
    // Either driver's reading of a date column.
    expect(countsInYear('model', 2024, new Date('2025-03-01T00:00:00Z'), 2024, '2024-12-31')).toBe(true);
  });

  it('judges retirements at the end of the year asked for; for the plan in force, at asOf when later', () => {
    expect(retirementCutoff(2024, '2026-12-07', true)).toBe('2024-12-31');
    expect(retirementCutoff(2024, '2026-12-07', false)).toBe('2026-12-07');
    expect(retirementCutoff(2025, '2025-06-30', false)).toBe('2025-12-31');
  });

  it('names a carried-over group or task after its first code and the new year', () => {
    expect(codeInYear('T01.02', 2025)).toBe('T01.02/2025');
    expect(codeInYear('T01.02/2025', 2026)).toBe('T01.02/2026');
  });
});
