/**
 * Observation periods: one canonical string format per metric frequency.
 *
 *   DAY      2024-03-15
 *   WEEK     2024-W10   (ISO-8601: weeks start Monday, week 1 holds the year's first Thursday)
 *   MONTH    2024-03
 *   QUARTER  2024-Q1
 *   YEAR     2024
 *
 * All date math is done on whole UTC days so the host time zone never matters.
 */

export const FREQUENCIES = ['DAY', 'WEEK', 'MONTH', 'QUARTER', 'YEAR'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export interface Period {
  readonly text: string;
  readonly frequency: Frequency;
  /** First day, 'YYYY-MM-DD'. */
  readonly start: string;
  /** Last day, 'YYYY-MM-DD', inclusive. */
  readonly end: string;
}

export const MIN_YEAR = 1900;
export const MAX_YEAR = 2999;
export const MAX_PERIODS_BETWEEN = 50_000;

const EXPECTED_FORMATS =
  `expected one of YYYY-MM-DD (DAY), YYYY-Www (WEEK, ISO week 01-53), YYYY-MM (MONTH), ` +
  `YYYY-Qn (QUARTER, n = 1-4) or YYYY (YEAR), with years ${MIN_YEAR}-${MAX_YEAR}`;

export class PeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeriodError';
    // Keeps `instanceof PeriodError` working even when compiled to ES5.
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

function fail(problem: string): never {
  throw new PeriodError(`${problem}; ${EXPECTED_FORMATS}`);
}

// ---------------------------------------------------------------------------
// Day-number helpers: a date is the integer count of days since 1970-01-01 UTC.

const MS_PER_DAY = 86_400_000;

function dayNumber(year: number, month: number, day: number): number {
  // setUTCFullYear instead of Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return Math.round(d.getTime() / MS_PER_DAY);
}

function formatDay(days: number): string {
  return new Date(days * MS_PER_DAY).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday). */
function isoWeekday(days: number): number {
  return (((days + 3) % 7) + 7) % 7;
}

function daysInMonth(year: number, month: number): number {
  return dayNumber(year, month + 1, 1) - dayNumber(year, month, 1);
}

/** Monday of ISO week 1: the week containing 4 January. */
function isoWeekOneStart(year: number): number {
  const jan4 = dayNumber(year, 1, 4);
  return jan4 - isoWeekday(jan4);
}

function isoWeeksInYear(year: number): number {
  return (isoWeekOneStart(year + 1) - isoWeekOneStart(year)) / 7;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Day number of a strict 'YYYY-MM-DD' calendar date (any 4-digit year), or null. */
function parseDay(text: string): number | null {
  const m = typeof text === 'string' ? DATE_RE.exec(text) : null;
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return dayNumber(year, month, day);
}

function inYearRange(year: number): boolean {
  return year >= MIN_YEAR && year <= MAX_YEAR;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

// ---------------------------------------------------------------------------
// Period construction from (frequency, year, index-within-year).

function makePeriod(frequency: Frequency, year: number, index: number): Period {
  if (!inYearRange(year)) fail(`Year ${year} is outside the supported range`);
  let text: string;
  let first: number;
  let last: number; // exclusive
  switch (frequency) {
    case 'DAY':
      // index = day of year, 1-based
      first = dayNumber(year, 1, 1) + index - 1;
      last = first + 1;
      text = formatDay(first);
      break;
    case 'WEEK':
      first = isoWeekOneStart(year) + (index - 1) * 7;
      last = first + 7;
      text = `${year}-W${pad(index)}`;
      break;
    case 'MONTH':
      first = dayNumber(year, index, 1);
      last = dayNumber(year, index + 1, 1);
      text = `${year}-${pad(index)}`;
      break;
    case 'QUARTER':
      first = dayNumber(year, index * 3 - 2, 1);
      last = dayNumber(year, index * 3 + 1, 1);
      text = `${year}-Q${index}`;
      break;
    case 'YEAR':
      first = dayNumber(year, 1, 1);
      last = dayNumber(year + 1, 1, 1);
      text = String(year);
      break;
    default:
      return fail(`Unknown frequency ${JSON.stringify(frequency)}`);
  }
  return { text, frequency, start: formatDay(first), end: formatDay(last - 1) };
}

// ---------------------------------------------------------------------------
// Public API

export function isValidDate(text: string): boolean {
  return parseDay(text) !== null && inYearRange(Number(text.slice(0, 4)));
}

/** Parsed periods by text: ingestion and responses parse the same few thousand periods over and over. */
const parsedPeriods = new Map<string, Period>();
const PARSED_PERIODS_KEPT = 20_000;

export function parsePeriod(text: string): Period {
  const known = parsedPeriods.get(text);
  if (known) return known;
  const period = Object.freeze(parseNewPeriod(text));
  if (parsedPeriods.size >= PARSED_PERIODS_KEPT) parsedPeriods.clear();
  parsedPeriods.set(text, period);
  return period;
}

function parseNewPeriod(text: string): Period {
  if (typeof text !== 'string' || text === '') fail('Period is empty');
  const shown = JSON.stringify(text);
  let m: RegExpExecArray | null;

  if ((m = /^(\d{4})$/.exec(text))) {
    return makePeriod('YEAR', checkYear(m[1], shown), 1);
  }
  if ((m = /^(\d{4})-Q(\d)$/.exec(text))) {
    const year = checkYear(m[1], shown);
    const q = Number(m[2]);
    if (q < 1 || q > 4) fail(`Invalid period ${shown}: quarter must be 1-4`);
    return makePeriod('QUARTER', year, q);
  }
  if ((m = /^(\d{4})-W(\d{2})$/.exec(text))) {
    const year = checkYear(m[1], shown);
    const week = Number(m[2]);
    const weeks = isoWeeksInYear(year);
    if (week < 1 || week > weeks) fail(`Invalid period ${shown}: ISO year ${year} has weeks 01-${weeks}`);
    return makePeriod('WEEK', year, week);
  }
  if ((m = /^(\d{4})-(\d{2})$/.exec(text))) {
    const year = checkYear(m[1], shown);
    const month = Number(m[2]);
    if (month < 1 || month > 12) fail(`Invalid period ${shown}: month must be 01-12`);
    return makePeriod('MONTH', year, month);
  }
  if (DATE_RE.test(text)) {
    const year = checkYear(text.slice(0, 4), shown);
    const days = parseDay(text);
    if (days === null) fail(`Invalid period ${shown}: not a calendar date`);
    return makePeriod('DAY', year, days - dayNumber(year, 1, 1) + 1);
  }
  return fail(`Invalid period ${shown}: not in a canonical format`);
}

function checkYear(digits: string, shown: string): number {
  const year = Number(digits);
  if (!inYearRange(year)) fail(`Invalid period ${shown}: year ${year} is outside ${MIN_YEAR}-${MAX_YEAR}`);
  return year;
}

export function tryParsePeriod(text: string): Period | null {
  try {
    return parsePeriod(text);
  } catch (e) {
    if (e instanceof PeriodError) return null;
    throw e;
  }
}

export function periodContaining(date: string, frequency: Frequency): Period {
  if (!isValidDate(date)) fail(`Invalid date ${JSON.stringify(date)}: expected a calendar date YYYY-MM-DD`);
  const days = parseDay(date) as number;
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  switch (frequency) {
    case 'DAY':
      return makePeriod('DAY', year, days - dayNumber(year, 1, 1) + 1);
    case 'WEEK': {
      // The ISO week-year is the calendar year of the week's Thursday.
      const thursday = days - isoWeekday(days) + 3;
      const weekYear = Number(formatDay(thursday).slice(0, 4));
      return makePeriod('WEEK', weekYear, Math.floor((thursday - isoWeekOneStart(weekYear)) / 7) + 1);
    }
    case 'MONTH':
      return makePeriod('MONTH', year, month);
    case 'QUARTER':
      return makePeriod('QUARTER', year, Math.ceil(month / 3));
    case 'YEAR':
      return makePeriod('YEAR', year, 1);
    default:
      return fail(`Unknown frequency ${JSON.stringify(frequency)}`);
  }
}

export function frequencyRank(frequency: Frequency): number {
  const rank = FREQUENCIES.indexOf(frequency);
  if (rank < 0) throw new PeriodError(`Unknown frequency ${JSON.stringify(frequency)}; expected one of ${FREQUENCIES.join(', ')}`);
  return rank;
}

export function isFinerOrEqual(a: Frequency, b: Frequency): boolean {
  return frequencyRank(a) <= frequencyRank(b);
}

/** Orders by start, then end ('YYYY-MM-DD' strings sort chronologically). */
export function comparePeriods(a: Period, b: Period): number {
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  if (a.end !== b.end) return a.end < b.end ? -1 : 1;
  return 0;
}

export function nextPeriod(p: Period): Period {
  return periodContaining(addDays(p.end, 1), p.frequency);
}

/** Inclusive list of consecutive periods from `from` to `to`. */
export function periodsBetween(from: Period, to: Period): Period[] {
  if (from.frequency !== to.frequency) {
    throw new PeriodError(`Cannot list periods between ${from.text} (${from.frequency}) and ${to.text} (${to.frequency}): frequencies differ`);
  }
  if (comparePeriods(from, to) > 0) {
    throw new PeriodError(`Cannot list periods from ${from.text} to ${to.text}: start is after end`);
  }
  // Count first so an oversized request fails fast instead of after building 50,000 objects.
  if (countBetween(from, to) > MAX_PERIODS_BETWEEN) {
    throw new PeriodError(`Range ${from.text}..${to.text} has more than ${MAX_PERIODS_BETWEEN} periods`);
  }
  const result: Period[] = [from];
  for (let p = from; p.start < to.start; ) {
    p = nextPeriod(p);
    result.push(p);
  }
  return result;
}

/** Number of periods in the inclusive range, from start dates alone. */
function countBetween(from: Period, to: Period): number {
  const a = from.start;
  const b = to.start;
  const days = (parseDay(b) as number) - (parseDay(a) as number);
  const months = (Number(b.slice(0, 4)) - Number(a.slice(0, 4))) * 12 + Number(b.slice(5, 7)) - Number(a.slice(5, 7));
  const steps = { DAY: days, WEEK: days / 7, MONTH: months, QUARTER: months / 3, YEAR: months / 12 }[from.frequency];
  return Math.floor(steps) + 1;
}

/** Calendar arithmetic on a 'YYYY-MM-DD' date, in UTC. */
export function addDays(date: string, days: number): string {
  const start = parseDay(date);
  if (start === null) throw new PeriodError(`Invalid date ${JSON.stringify(date)}: expected a calendar date YYYY-MM-DD`);
  if (!Number.isInteger(days)) throw new PeriodError(`Day offset must be an integer, got ${days}`);
  const target = start + days;
  // Guard before formatting: Date cannot represent arbitrarily large offsets.
  if (target < dayNumber(0, 1, 1) || target > dayNumber(9999, 12, 31)) {
    throw new PeriodError(`Date ${date} + ${days} days is outside years 0000-9999`);
  }
  return formatDay(target);
}
