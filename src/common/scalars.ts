import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { isValidDate, parsePeriod, PeriodError, type Period } from './period';

/**
 * Thrown for a malformed input value. A plain Error (not a GraphQLError) lets graphql-js attach the offending
 * node and its "Expected value of type" prefix, which the error formatter turns into BAD_USER_INPUT.
 */
export class ScalarInputError extends Error {}

function stringLiteral(ast: ValueNode, scalar: string): string {
  if (ast.kind !== Kind.STRING) {
    throw new ScalarInputError(`${scalar} must be a string`);
  }
  return ast.value;
}

function parseCalendarDate(value: unknown): string {
  if (typeof value !== 'string' || !isValidDate(value)) {
    throw new ScalarInputError(`Date must be a calendar date written YYYY-MM-DD, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A calendar date without time or zone, `YYYY-MM-DD`; kept as a string end to end. */
export const CalendarDateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD (no time, no time zone).',
  serialize: (value) => parseCalendarDate(value),
  parseValue: (value) => parseCalendarDate(value),
  parseLiteral: (ast) => parseCalendarDate(stringLiteral(ast, 'Date')),
});

function toPeriod(value: unknown): Period {
  if (typeof value !== 'string') {
    throw new ScalarInputError(`Period must be a string, got ${JSON.stringify(value)}`);
  }
  try {
    return parsePeriod(value);
  } catch (error) {
    if (error instanceof PeriodError) throw new ScalarInputError(error.message);
    throw error;
  }
}

/**
 * A reporting period in its canonical text: `2024-03-15` (day), `2024-W10` (ISO week), `2024-03` (month),
 * `2024-Q1` (quarter) or `2024` (year). Parsed inputs reach resolvers as a `Period` with start and end dates.
 */
export const PeriodScalar = new GraphQLScalarType<Period, string>({
  name: 'Period',
  description:
    'A reporting period: YYYY-MM-DD (day), YYYY-Www (ISO week), YYYY-MM (month), YYYY-Qn (quarter) or YYYY (year).',
  serialize: (value) => (typeof value === 'string' ? toPeriod(value).text : toPeriod((value as Period).text).text),
  parseValue: (value) => toPeriod(value),
  parseLiteral: (ast) => toPeriod(stringLiteral(ast, 'Period')),
});
