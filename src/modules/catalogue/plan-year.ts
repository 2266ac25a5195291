/**
 * The plan year figures default to on `asOf`: its year when the programme has a plan for it, else the latest plan
 * year before (a plan stays in force until the next one), else the first.
 */
export function planYearOn(planYears: readonly number[], asOf: string): number | null {
  const year = Number(asOf.slice(0, 4));
  const sorted = [...planYears].sort((a, b) => a - b);
  return [...sorted].reverse().find((candidate) => candidate <= year) ?? sorted[0] ?? null;
}
