import {
  applyConnectorMapping,
  applyMapping,
  connectorMappingSchema,
  dhis2PeriodToPeriod,
  metricCodesOf,
  parseSourceNumber,
  rowAsSent,
  sourceDateIn,
  TransformRefusal,
  type Mapping,
} from '../../connectors/sdk/mapping';
import type { Frequency } from '../../src/common/period';

const frequencies = new Map<string, Frequency>([
  ['KIOSK_NOTARIZATIONS', 'DAY'],
  ['LOANS_UNSECURED_COUNT', 'MONTH'],
  ['VNEID_L2_RATE', 'WEEK'],
]);

const base = (period: Mapping['period']): Mapping => ({
  metric: { constant: 'KIOSK_NOTARIZATIONS' },
  unit: { field: 'ma_don_vi' },
  period,
  value: { field: 'so_luot', transform: 'number' },
});

describe('mapping', () => {
  it.each([
    ['05/03/2024', 'DD/MM/YYYY', '2024-03-05'],
    ['5/3/2024', 'DD/MM/YYYY', '2024-03-05'],
    ['03/05/2024', 'MM/DD/YYYY', '2024-03-05'],
    ['20240305', 'YYYYMMDD', '2024-03-05'],
    ['2024-03-05T23:59:00+07:00', 'YYYY-MM-DD', '2024-03-05'],
  ] as const)('dateToPeriod reads %s written %s', (text, dateFormat, expected) => {
    const row = applyMapping({ ma_don_vi: '412', ngay: text, so_luot: ' 12 ' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat }), frequencies);
    expect(row).toMatchObject({ metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: expected, value: 12 });
  });

  it('refuses a date that does not match its format, keeping the value as the source sent it', () => {
    const row = applyMapping({ ma_don_vi: '412', ngay: '2024-03-05', so_luot: '1' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' }), frequencies);
    expect(row.period).toBeInstanceOf(TransformRefusal);
    expect(row.period).toMatchObject({ transform: 'dateToPeriod', sent: '2024-03-05', problem: { en: '"2024-03-05" does not match DD/MM/YYYY' } });
    const garbled = applyMapping({ ma_don_vi: '412', ngay: '31/02/20x4', so_luot: 'abc' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' }), frequencies);
    expect(garbled.value).toMatchObject({ transform: 'number', sent: 'abc', problem: { en: '"abc" is not a number' } });
    expect(rowAsSent(garbled)).toEqual({ metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: '31/02/20x4', value: 'abc', numerator: undefined, denominator: undefined });
    expect(JSON.parse(JSON.stringify(garbled))).toEqual({ metric: 'KIOSK_NOTARIZATIONS', unit: '412', period: '31/02/20x4', value: 'abc' });
    // A transformed value that was accepted is still shown as sent.
    const good = applyMapping({ ma_don_vi: '412', ngay: '05/03/2024', so_luot: ' 12 ' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' }), frequencies);
    expect(good).toMatchObject({ period: '2024-03-05', value: 12 });
    expect(rowAsSent(good)).toMatchObject({ period: '05/03/2024', value: ' 12 ' });
  });

  it('converts a time stamp with an offset or Z to the connector zone before taking its period', () => {
    const zone = 'Asia/Ho_Chi_Minh';
    // Around midnight in Việt Nam (UTC+7): 17:00Z is 00:00 the next day.
    expect(sourceDateIn('2025-03-31T16:59:59Z', 'YYYY-MM-DD', zone)).toBe('2025-03-31');
    expect(sourceDateIn('2025-03-31T17:00:00Z', 'YYYY-MM-DD', zone)).toBe('2025-04-01');
    expect(sourceDateIn('2025-03-31T23:30:00-05:00', 'YYYY-MM-DD', zone)).toBe('2025-04-01');
    expect(sourceDateIn('2025-04-01T00:30:00+0900', 'YYYY-MM-DD', zone)).toBe('2025-03-31');
    expect(sourceDateIn('2025-03-31 17:00:00.123z', 'YYYY-MM-DD', zone)).toBe('2025-04-01');
    // A date-only value is taken as written; a time stamp without an offset is local time in the zone.
    expect(sourceDateIn('2025-03-31', 'YYYY-MM-DD', zone)).toBe('2025-03-31');
    expect(sourceDateIn('2025-03-31T23:59:59', 'YYYY-MM-DD', zone)).toBe('2025-03-31');
    expect(sourceDateIn('2025-03-31T17:00:00Z', 'YYYY-MM-DD', 'UTC')).toBe('2025-03-31');
    expect(sourceDateIn(new Date('2025-03-31T17:00:00Z'), 'YYYY-MM-DD', zone)).toBe('2025-04-01');
    // Anything else is refused.
    for (const text of ['2025-03-31garbage', '2025-03-31T25:00:00Z', '2025-02-30', '2025-03-31T10:00:00+19:00', '31/03/2025', '\ufeff2025-03-31']) {
      expect({ text, date: sourceDateIn(text, 'YYYY-MM-DD', zone) }).toEqual({ text, date: { vi: expect.any(String), en: expect.any(String) } });
    }
    expect(sourceDateIn('\ufeff2025-03-31', 'YYYY-MM-DD', zone)).toMatchObject({ en: expect.stringContaining('an invisible byte-order mark (U+FEFF)') });
    const row = applyMapping({ u: '412', d: '2025-03-31T17:00:00Z', v: 1 }, { metric: { constant: 'KIOSK_NOTARIZATIONS' }, unit: { field: 'u' }, period: { field: 'd', transform: 'dateToPeriod' }, value: { field: 'v' } }, frequencies, { timeZone: zone });
    expect(row.period).toBe('2025-04-01');
  });

  it('reads numbers in the locale the mapping names and refuses ambiguous ones instead of guessing', () => {
    expect(['1.234', '1.234,5', '1.234.567', '12,5', '1 234', '-7'].map((text) => parseSourceNumber(text, 'vi'))).toEqual([1234, 1234.5, 1234567, 12.5, 1234, -7]);
    expect(['1,234', '1,234.5', '1,234,567', '12.5', '1.234', '1e3'].map((text) => parseSourceNumber(text, 'en'))).toEqual([1234, 1234.5, 1234567, 12.5, 1.234, 1000]);
    expect(['12', ' 12 ', '12.5', '0.125', '1.2345', '1e3'].map((text) => parseSourceNumber(text))).toEqual([12, 12, 12.5, 0.125, 1.2345, 1000]);
    expect(parseSourceNumber('1.234')).toEqual({ vi: expect.stringContaining('mơ hồ'), en: '"1.234" is ambiguous: 1234 in vi, 1.234 in en; set the mapping\'s locale' });
    for (const text of ['1,234', '1.234,5', '1,234.5']) expect(parseSourceNumber(text)).toMatchObject({ en: expect.stringContaining('is ambiguous') });
    expect(parseSourceNumber('1,234.5', 'vi')).toMatchObject({ en: expect.stringContaining('is not a number written in vi') });
    expect(parseSourceNumber('1.234,5', 'en')).toMatchObject({ en: expect.stringContaining('is not a number written in en') });
    expect(parseSourceNumber('0.125', 'vi')).toMatchObject({ en: expect.stringContaining('is not a number written in vi') });
    expect(parseSourceNumber('0,125', 'en')).toMatchObject({ en: expect.stringContaining('is not a number written in en') });
    expect(parseSourceNumber('12.34.5', 'vi')).toMatchObject({ en: expect.stringContaining('is not a number written in vi') });
    expect(parseSourceNumber('\ufeff413')).toEqual({ vi: expect.stringContaining('BOM'), en: '"\ufeff413" contains an invisible byte-order mark (U+FEFF)' });
    expect(parseSourceNumber('9'.repeat(400))).toMatchObject({ en: expect.stringContaining('too large') });
    expect(parseSourceNumber(Number.POSITIVE_INFINITY)).toMatchObject({ en: 'Infinity is not a finite number' });
    expect(parseSourceNumber('abc')).toMatchObject({ en: '"abc" is not a number' });
    expect(connectorMappingSchema.safeParse(base({ field: 'p' })).success).toBe(true);
    expect(connectorMappingSchema.safeParse({ ...base({ field: 'p' }), value: { field: 'v', transform: 'number', locale: 'vi' } }).success).toBe(true);
    expect(connectorMappingSchema.safeParse({ ...base({ field: 'p' }), value: { field: 'v', transform: 'number', locale: 'fr' } }).success).toBe(false);
  });

  it('turns dates into periods of the metric frequency, and DHIS2 periods into canonical ones', () => {
    const weekly = applyMapping({ d: '2024-12-30' }, { metric: { constant: 'VNEID_L2_RATE' }, unit: { constant: '40' }, period: { field: 'd', transform: 'dateToPeriod' }, value: { constant: 1 } }, frequencies);
    expect(weekly.period).toBe('2025-W01');
    expect(['20240315', '2024W7', '202403', '2024Q1', '2024', '2024BiW1'].map(dhis2PeriodToPeriod)).toEqual(['2024-03-15', '2024-W07', '2024-03', '2024-Q1', '2024', '2024BiW1']);
  });

  it('follows dotted paths and lookups', () => {
    const row = applyMapping(
      { de: 'LoanCount', ou: { id: 'abc' }, pe: '202403', v: '123' },
      { metric: { field: 'de', lookup: { LoanCount: 'LOANS_UNSECURED_COUNT' } }, unit: { field: 'ou.id', lookup: { abc: '412' } }, period: { field: 'pe', transform: 'dhis2Period' }, value: { field: 'v', transform: 'number' } },
      frequencies,
    );
    expect(row).toEqual({ metric: 'LOANS_UNSECURED_COUNT', unit: '412', period: '2024-03', value: 123, numerator: undefined, denominator: undefined });
  });

  it('lets one record yield several rows and lists the metrics a mapping names', () => {
    const mapping = connectorMappingSchema.parse({
      rows: [
        { metric: { constant: 'DRIVE_TESTS_MONITORED' }, unit: { field: 'unit' }, period: { field: 'day' }, value: { field: 'monitored' } },
        { metric: { constant: 'DRIVE_TEST_ID_MISMATCH' }, unit: { field: 'unit' }, period: { field: 'day' }, value: { field: 'idMismatch' } },
      ],
    });
    const rows = applyConnectorMapping({ unit: '412', day: '2024-03-01', monitored: 40, idMismatch: 1 }, mapping, frequencies);
    expect(rows.map((row) => [row.metric, row.value])).toEqual([['DRIVE_TESTS_MONITORED', 40], ['DRIVE_TEST_ID_MISMATCH', 1]]);
    expect(metricCodesOf(mapping)).toEqual(['DRIVE_TESTS_MONITORED', 'DRIVE_TEST_ID_MISMATCH']);
  });

  it('refuses mappings without a value, with unknown keys, or with an unknown transform', () => {
    expect(connectorMappingSchema.safeParse({ metric: { constant: 'X' }, unit: { field: 'u' }, period: { field: 'p' } }).success).toBe(false);
    expect(connectorMappingSchema.safeParse({ ...base({ field: 'p' }), extra: 1 }).success).toBe(false);
    expect(connectorMappingSchema.safeParse(base({ field: 'p', transform: 'magic' as never })).success).toBe(false);
    expect(connectorMappingSchema.safeParse({ rows: [] }).success).toBe(false);
  });
});
