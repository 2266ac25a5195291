import { applyConnectorMapping, applyMapping, connectorMappingSchema, dhis2PeriodToPeriod, metricCodesOf, type Mapping } from '../../connectors/sdk/mapping';
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

  it('leaves a date that does not match its format for validation to reject', () => {
    const row = applyMapping({ ma_don_vi: '412', ngay: '2024-03-05', so_luot: '1' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' }), frequencies);
    expect(row.period).toBe('2024-03-05');
    const garbled = applyMapping({ ma_don_vi: '412', ngay: '31/02/20x4', so_luot: 'abc' }, base({ field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' }), frequencies);
    expect(garbled).toMatchObject({ period: '31/02/20x4', value: Number.NaN });
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
