/**
 * Sums that cannot be represented. MariaDB's SUM of doubles answers 0 when the sum overflows (not an error, not
 * Infinity), and its `+` fails with "DOUBLE value is out of range": values stored before the input bounds could make
 * an aggregate silently 0. Every SUM the rollups and the analytics engine run is therefore guarded: when the
 * largest magnitude × the number of values could exceed SUM_LIMIT the statement yields OVERFLOWED_SUM (the largest
 * double) instead, and readers turn that into Infinity — which the GraphQL Float guard (src/graphql/finite-floats.ts)
 * answers as null with an error at the measure's path. SQLite gets the same statements, so both databases agree.
 */

/** Largest sum treated as representable: a little under the largest double. */
export const SUM_LIMIT = 1e308;
/** What a guarded SUM yields (and a rollup stores) when the sum may exceed SUM_LIMIT: Number.MAX_VALUE. */
export const OVERFLOWED_SUM = Number.MAX_VALUE;
const OVERFLOWED_LITERAL = '1.7976931348623157e308';

/**
 * SQL for SUM(expression), or OVERFLOWED_SUM when MAX(ABS(expression)) × COUNT(expression) could exceed SUM_LIMIT
 * (tested as a division, which cannot overflow). NULL when every value is NULL, as SUM.
 */
export function guardedSum(expression: string): string {
  return `CASE WHEN MAX(ABS(${expression})) > ${SUM_LIMIT} / COUNT(${expression}) THEN ${OVERFLOWED_LITERAL} ELSE SUM(${expression}) END`;
}

/** SQL for `stored + added` of two sums, OVERFLOWED_SUM when it could exceed SUM_LIMIT (sticky once reached). */
export function guardedAddition(stored: string, added: string): string {
  return `CASE WHEN ABS(${stored}) > ${SUM_LIMIT} - ABS(${added}) THEN ${OVERFLOWED_LITERAL} ELSE ${stored} + ${added} END`;
}

/** A sum as a bound parameter: a non-finite or overflowing sum becomes OVERFLOWED_SUM (drivers reject Infinity). */
export function sumParameter(sum: number): number;
export function sumParameter(sum: number | null): number | null;
export function sumParameter(sum: number | null): number | null {
  if (sum === null) return null;
  return Number.isFinite(sum) && Math.abs(sum) <= SUM_LIMIT ? sum : OVERFLOWED_SUM;
}

/** A sum read back: Infinity when it stands for an overflow, so that the answer shows it instead of a wrong number. */
export function readSum(sum: number): number;
export function readSum(sum: number | null): number | null;
export function readSum(sum: number | null): number | null {
  if (sum === null) return null;
  return Math.abs(sum) > SUM_LIMIT ? Infinity : sum;
}
