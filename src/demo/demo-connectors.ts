import type { ConnectorInput } from '../modules/connectors/connector.types';

/** Routine schedule of the demo connectors (every 15 minutes) and how far back they read each time. */
const SCHEDULE = '*/15 * * * *';
const LOOKBACK_DAYS = 3;

/** The connectors demo mode registers against the feed simulator at `feedsUrl`, one per department format. */
export function demoConnectors(feedsUrl: string): ConnectorInput[] {
  const window = { from: '{{from}}', to: '{{to}}' };
  return [
    {
      name: 'Sở Y tế — biometric medical visits (demo feed)',
      kind: 'http-json',
      department: 'SO_YT',
      schedule: SCHEDULE,
      lookbackDays: LOOKBACK_DAYS,
      maxWindowDays: 31,
      config: { url: `${feedsUrl}/health/biometric-visits`, method: 'GET', query: window, recordsPath: 'data' },
      mapping: {
        metric: { constant: 'KCB_BIOMETRIC_VISITS' },
        unit: { field: 'communeCode' },
        period: { field: 'date', transform: 'dateToPeriod' },
        value: { field: 'visits' },
      },
    },
    {
      name: 'Sở Tư pháp — KIOSK notarizations (demo feed)',
      kind: 'csv',
      department: 'SO_TP',
      schedule: SCHEDULE,
      lookbackDays: LOOKBACK_DAYS,
      maxWindowDays: 93,
      config: {
        source: { url: `${feedsUrl}/justice/kiosk-notarizations.csv`, query: window },
        delimiter: ';',
        encoding: 'utf-8',
      },
      mapping: {
        metric: { constant: 'KIOSK_NOTARIZATIONS' },
        unit: { field: 'ma_don_vi' },
        period: { field: 'ngay', transform: 'dateToPeriod', dateFormat: 'DD/MM/YYYY' },
        value: { field: 'so_luot_cong_chung', transform: 'number' },
      },
    },
    {
      name: 'Sở GTVT — monitored driving tests (demo feed)',
      kind: 'http-json',
      department: 'SO_GTVT',
      schedule: SCHEDULE,
      lookbackDays: LOOKBACK_DAYS,
      maxWindowDays: 93,
      config: {
        url: `${feedsUrl}/transport/driving-tests`,
        method: 'GET',
        query: { ...window, pageSize: '1000' },
        recordsPath: 'items',
        pagination: { type: 'nextLink', nextPath: 'next' },
      },
      mapping: {
        rows: [
          { metric: { constant: 'DRIVE_TESTS_MONITORED' }, unit: { field: 'unit' }, period: { field: 'testDate', transform: 'dateToPeriod' }, value: { field: 'monitored' } },
          { metric: { constant: 'DRIVE_TEST_ID_MISMATCH' }, unit: { field: 'unit' }, period: { field: 'testDate', transform: 'dateToPeriod' }, value: { field: 'idMismatch' } },
        ],
      },
    },
    {
      name: 'NHCSXH — unsecured policy loans (demo feed)',
      kind: 'dhis2',
      department: 'NHCSXH',
      schedule: '0 */6 * * *',
      lookbackDays: 62,
      config: { baseUrl: `${feedsUrl}/nhcsxh`, dataSet: 'LOANS' },
      // The simulator does not check credentials; a real DHIS2 server does.
      secrets: [{ name: 'token', value: 'demo-token' }],
      mapping: {
        metric: { field: 'dataElement', lookup: { LoanCount: 'LOANS_UNSECURED_COUNT', LoanAmountMVND: 'LOANS_UNSECURED_AMOUNT' } },
        unit: { field: 'orgUnit' },
        period: { field: 'period', transform: 'dhis2Period' },
        value: { field: 'value', transform: 'number' },
      },
    },
  ];
}
