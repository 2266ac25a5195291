import {
  FREQUENCIES,
  Frequency,
  PeriodError,
  addDays,
  comparePeriods,
  frequencyRank,
  isFinerOrEqual,
  isValidDate,
  nextPeriod,
  parsePeriod,
  periodContaining,
  periodsBetween,
  tryParsePeriod,
} from '../../src/common/period';

/** Weekday via Date.getUTCDay, independent of the module: 0 = Sunday. */
const utcWeekday = (date: string): number => new Date(`${date}T00:00:00Z`).getUTCDay();

describe('parsePeriod: canonical forms', () => {
  it.each<[string, Frequency, string, string]>([
    ['2024-03-15', 'DAY', '2024-03-15', '2024-03-15'],
    ['2024-02-29', 'DAY', '2024-02-29', '2024-02-29'],
    ['2024-W10', 'WEEK', '2024-03-04', '2024-03-10'],
    ['2024-W01', 'WEEK', '2024-01-01', '2024-01-07'],
    ['2025-W01', 'WEEK', '2024-12-30', '2025-01-05'],
    ['2020-W53', 'WEEK', '2020-12-28', '2021-01-03'],
    ['2026-W53', 'WEEK', '2026-12-28', '2027-01-03'],
    ['2024-03', 'MONTH', '2024-03-01', '2024-03-31'],
    ['2024-02', 'MONTH', '2024-02-01', '2024-02-29'],
    ['2023-02', 'MONTH', '2023-02-01', '2023-02-28'],
    ['2000-02', 'MONTH', '2000-02-01', '2000-02-29'], // divisible by 400: leap
    ['2100-02', 'MONTH', '2100-02-01', '2100-02-28'], // divisible by 100: not leap
    ['2024-12', 'MONTH', '2024-12-01', '2024-12-31'],
    ['2024-Q1', 'QUARTER', '2024-01-01', '2024-03-31'],
    ['2024-Q4', 'QUARTER', '2024-10-01', '2024-12-31'],
    ['2024', 'YEAR', '2024-01-01', '2024-12-31'],
    ['1900', 'YEAR', '1900-01-01', '1900-12-31'],
    ['2999', 'YEAR', '2999-01-01', '2999-12-31'],
  ])('%s is %s from %s to %s', (text, frequency, start, end) => {
    expect(parsePeriod(text)).toEqual({ text, frequency, start, end });
  });

  it('2026 has 53 ISO weeks because 1 January 2026 is a Thursday', () => {
    expect(utcWeekday('2026-01-01')).toBe(4);
    expect(parsePeriod('2026-W53').text).toBe('2026-W53');
    expect(() => parsePeriod('2026-W54')).toThrow(PeriodError);
  });

  it('tryParsePeriod returns null instead of throwing', () => {
    expect(tryParsePeriod('2024-Q2')?.start).toBe('2024-04-01');
    expect(tryParsePeriod('2024-Q5')).toBeNull();
  });
});

describe('parsePeriod: rejects non-canonical input', () => {
  it.each([
    '2024-3',
    '2024-02-30',
    '2023-02-29',
    '2024-04-31',
    '2024-00-10',
    '2024-01-00',
    '2024-W54',
    '2023-W53', // 2023 has 52 ISO weeks
    '2024-W00',
    '2024-W1',
    '2024-Q5',
    '2024-Q0',
    ' 2024',
    '2024 ',
    '2024\n',
    '2024-13',
    '2024-00',
    '2024-w10',
    '2024-q1',
    '2024-03-15x',
    '2024-03-15T00:00:00Z',
    '2024/03',
    '24-03',
    '12024',
    '',
    '1899',
    '3000',
    '1899-12-31',
    '3000-W01',
    '２０２４', // full-width digits
  ])('%j', (text) => {
    expect(() => parsePeriod(text)).toThrow(PeriodError);
    expect(tryParsePeriod(text)).toBeNull();
  });

  it('explains the problem and lists the expected formats', () => {
    let error: unknown;
    try {
      parsePeriod('2023-W53');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PeriodError);
    expect(error).toBeInstanceOf(Error);
    const message = (error as PeriodError).message;
    expect(message).toContain('"2023-W53"');
    expect(message).toContain('01-52');
    for (const format of ['YYYY-MM-DD', 'YYYY-Www', 'YYYY-MM', 'YYYY-Qn', 'YYYY']) {
      expect(message).toContain(format);
    }
    expect((error as PeriodError).name).toBe('PeriodError');
  });
});

describe('isValidDate', () => {
  it.each(['2024-02-29', '2000-02-29', '1900-01-01', '2999-12-31'])('accepts %s', (d) => {
    expect(isValidDate(d)).toBe(true);
  });
  it.each(['2023-02-29', '1900-02-29', '2024-2-01', '2024-02-1', '2024-02-01 ', '2024-W01', '1899-12-31', '3000-01-01', ''])(
    'rejects %j',
    (d) => {
      expect(isValidDate(d)).toBe(false);
    },
  );
});

describe('periodContaining', () => {
  it.each<[string, Frequency, string]>([
    ['2024-03-15', 'DAY', '2024-03-15'],
    ['2024-03-15', 'WEEK', '2024-W11'],
    ['2024-03-15', 'MONTH', '2024-03'],
    ['2024-03-15', 'QUARTER', '2024-Q1'],
    ['2024-03-15', 'YEAR', '2024'],
    ['2024-12-30', 'WEEK', '2025-W01'],
    ['2024-12-29', 'WEEK', '2024-W52'],
    ['2021-01-03', 'WEEK', '2020-W53'],
    ['2021-01-04', 'WEEK', '2021-W01'],
    ['2027-01-01', 'WEEK', '2026-W53'],
    ['2023-01-01', 'WEEK', '2022-W52'],
    ['1900-01-01', 'WEEK', '1900-W01'],
    ['2024-04-01', 'QUARTER', '2024-Q2'],
    ['2024-09-30', 'QUARTER', '2024-Q3'],
    ['2024-12-31', 'QUARTER', '2024-Q4'],
    ['2024-12-31', 'YEAR', '2024'],
  ])('%s in %s is %s', (date, frequency, text) => {
    expect(periodContaining(date, frequency)).toEqual(parsePeriod(text));
  });

  it('rejects invalid dates', () => {
    expect(() => periodContaining('2024-02-30', 'DAY')).toThrow(PeriodError);
    expect(() => periodContaining('2024-W01', 'WEEK')).toThrow(PeriodError);
  });

  it('rejects a week whose ISO year falls past 2999', () => {
    // 2999-12-31 is a Tuesday, so it belongs to 3000-W01.
    expect(() => periodContaining('2999-12-31', 'WEEK')).toThrow(PeriodError);
  });
});

describe('round trip over every day of 2020-2030', () => {
  const days: string[] = [];
  for (let d = '2020-01-01'; d <= '2030-12-31'; d = addDays(d, 1)) days.push(d);

  it('enumerates the right number of days', () => {
    expect(days).toHaveLength(4018); // 11 years, 3 of them leap (2020, 2024, 2028)
  });

  it.each([...FREQUENCIES])('%s', (frequency) => {
    for (const day of days) {
      const p = periodContaining(day, frequency);
      const back = parsePeriod(p.text);
      expect(back).toEqual(p);
      if (!(back.start <= day && day <= back.end)) {
        throw new Error(`${day} not inside ${back.text} (${back.start}..${back.end})`);
      }
    }
  });

  it('WEEK agrees with the ISO ordinal-date formula and starts on Monday', () => {
    for (const day of days) {
      const p = periodContaining(day, 'WEEK');
      // Wikipedia: week = floor((ordinal - weekday + 10) / 7), weekday 1 = Monday .. 7 = Sunday.
      const year = Number(day.slice(0, 4));
      const ordinal = (Date.parse(`${day}T00:00:00Z`) - Date.UTC(year, 0, 1)) / 86_400_000 + 1;
      const weekday = utcWeekday(day) || 7;
      const week = Math.floor((ordinal - weekday + 10) / 7);
      if (week >= 1 && week <= 52) {
        // Weeks 1-52 always belong to the calendar year; 0 and 53 need the neighbours and are covered above.
        expect(p.text).toBe(`${year}-W${String(week).padStart(2, '0')}`);
      }
      expect(utcWeekday(p.start)).toBe(1);
      expect(addDays(p.start, 6)).toBe(p.end);
    }
  });
});

describe('periodsBetween', () => {
  it('counts months and days inclusively', () => {
    const months = periodsBetween(parsePeriod('2024-01'), parsePeriod('2024-12'));
    expect(months).toHaveLength(12);
    expect(months.map((p) => p.text)[11]).toBe('2024-12');
    expect(periodsBetween(parsePeriod('2024-01-01'), parsePeriod('2024-03-31'))).toHaveLength(91);
  });

  it('crosses year boundaries for weeks and quarters', () => {
    expect(periodsBetween(parsePeriod('2020-W52'), parsePeriod('2021-W02')).map((p) => p.text)).toEqual([
      '2020-W52',
      '2020-W53',
      '2021-W01',
      '2021-W02',
    ]);
    expect(periodsBetween(parsePeriod('2023-Q4'), parsePeriod('2024-Q2')).map((p) => p.text)).toEqual([
      '2023-Q4',
      '2024-Q1',
      '2024-Q2',
    ]);
  });

  it('returns a single period when from equals to', () => {
    expect(periodsBetween(parsePeriod('2024'), parsePeriod('2024'))).toEqual([parsePeriod('2024')]);
  });

  it('allows the whole supported year range', () => {
    expect(periodsBetween(parsePeriod('1900'), parsePeriod('2999'))).toHaveLength(1100);
  });

  it('rejects mixed frequencies, reversed ranges and ranges over 50,000 periods', () => {
    expect(() => periodsBetween(parsePeriod('2024-01'), parsePeriod('2024-Q4'))).toThrow(PeriodError);
    expect(() => periodsBetween(parsePeriod('2024-02'), parsePeriod('2024-01'))).toThrow(PeriodError);
    expect(() => periodsBetween(parsePeriod('1900-01-01'), parsePeriod('2999-12-31'))).toThrow(PeriodError);
  });

  it('caps at exactly 50,000 periods', () => {
    const from = parsePeriod('2000-01-01');
    expect(periodsBetween(from, parsePeriod(addDays(from.start, 49_999)))).toHaveLength(50_000);
    expect(() => periodsBetween(from, parsePeriod(addDays(from.start, 50_000)))).toThrow(PeriodError);
  });
});

describe('nextPeriod', () => {
  it.each([
    ['2024-02-28', '2024-02-29'],
    ['2024-12-31', '2025-01-01'],
    ['2020-W52', '2020-W53'],
    ['2020-W53', '2021-W01'],
    ['2024-12', '2025-01'],
    ['2024-Q4', '2025-Q1'],
    ['2024', '2025'],
  ])('%s -> %s', (text, next) => {
    expect(nextPeriod(parsePeriod(text)).text).toBe(next);
  });

  it('throws past the supported range', () => {
    expect(() => nextPeriod(parsePeriod('2999'))).toThrow(PeriodError);
  });
});

describe('frequencies and ordering', () => {
  it('ranks frequencies from fine to coarse', () => {
    expect(FREQUENCIES.map(frequencyRank)).toEqual([0, 1, 2, 3, 4]);
    expect(isFinerOrEqual('DAY', 'YEAR')).toBe(true);
    expect(isFinerOrEqual('MONTH', 'MONTH')).toBe(true);
    expect(isFinerOrEqual('QUARTER', 'WEEK')).toBe(false);
  });

  it('compares by start, then by end', () => {
    const sorted = ['2024-Q1', '2024-01-02', '2024', '2024-01', '2024-W01', '2023-12'].map(parsePeriod).sort(comparePeriods);
    expect(sorted.map((p) => p.text)).toEqual(['2023-12', '2024-W01', '2024-01', '2024-Q1', '2024', '2024-01-02']);
    expect(comparePeriods(parsePeriod('2024-03'), parsePeriod('2024-03'))).toBe(0);
  });
});

describe('addDays', () => {
  it('does calendar arithmetic in UTC', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2024-01-01', -1)).toBe('2023-12-31');
    expect(addDays('2024-03-30', 2)).toBe('2024-04-01'); // across a DST change in many zones
    expect(addDays('2024-01-01', 366)).toBe('2025-01-01');
    expect(addDays('2024-01-01', 0)).toBe('2024-01-01');
  });

  it('rejects bad input', () => {
    expect(() => addDays('2024-02-30', 1)).toThrow(PeriodError);
    expect(() => addDays('2024-01-01', 1.5)).toThrow(PeriodError);
    expect(() => addDays('2024-01-01', Number.NaN)).toThrow(PeriodError);
    expect(() => addDays('2024-01-01', 1e12)).toThrow(PeriodError);
  });
});
