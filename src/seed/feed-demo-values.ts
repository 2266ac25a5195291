/**
 * Demo values of the metrics the simulated department feeds serve, taken from the feeds' own generator
 * (src/feeds/feed-values.ts) so that the seeded first quarter of 2024 and what demo mode's connectors read from
 * the feeds tell one story: the same per-unit rates and the same totals, whichever of the two a month comes from.
 *
 * The seed writes them per 2024 district: the district feeds' own values, and for the commune-level health feed
 * the sum of each district's communes. A month read from the commune feed therefore has the same provincial total
 * as the seeded district month it replaces (only the reporting level differs, which a series point flags with
 * `levelChanged`).
 */
import { adminUnits } from './admin-units';
import { biometricVisits, drivingTests, kioskNotarizations, unsecuredLoans } from '../feeds/feed-values';
import { communes2024, districts2024, type FeedUnit } from '../feeds/feed-units';
import type { Period } from '../common/period';
import type { DemoValue } from './demo-observations';

type FeedValue = (district: FeedUnit, period: Period) => number;

const communesOf = new Map<string, FeedUnit[]>(
  adminUnits.edition2024.districts.map((district) => {
    const codes = new Set(district.communes.map((commune) => commune.code));
    return [district.code, communes2024.filter((commune) => codes.has(commune.code))];
  }),
);

/** Per metric: its value for one 2024 district and one period of the metric's frequency, as the feeds serve it. */
const FEED_VALUES: Record<string, FeedValue> = {
  KCB_BIOMETRIC_VISITS: (district, period) =>
    (communesOf.get(district.code) ?? []).reduce((sum, commune) => sum + biometricVisits(commune, period.start), 0),
  KIOSK_NOTARIZATIONS: (district, period) => kioskNotarizations(district, period.start),
  DRIVE_TESTS_MONITORED: (district, period) => drivingTests(district, period.start).monitored,
  DRIVE_TEST_ID_MISMATCH: (district, period) => drivingTests(district, period.start).idMismatch,
  LOANS_UNSECURED_COUNT: (district, period) => unsecuredLoans(district, period.start.slice(0, 7)).count,
  LOANS_UNSECURED_AMOUNT: (district, period) => unsecuredLoans(district, period.start.slice(0, 7)).amount,
};

/** Metrics whose demo values come from the feed generator. */
export const FEED_METRIC_CODES: ReadonlySet<string> = new Set(Object.keys(FEED_VALUES));

/** The feed generator's values of `code` per 2024 district for the periods, or null when no feed serves it. */
export function feedDemoValues(code: string, periods: readonly Period[]): DemoValue[] | null {
  const valueOf = FEED_VALUES[code];
  if (!valueOf) return null;
  return periods.flatMap((period) =>
    districts2024.map((district) => ({ unitCode: district.code, period, value: valueOf(district, period), numerator: null, denominator: null })),
  );
}
