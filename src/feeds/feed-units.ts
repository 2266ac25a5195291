/**
 * The administrative units the simulated department systems report on, by date: the 2024 edition (21 districts,
 * 460 communes) up to 2025-06-30 and the 2025 edition (130 communes, no districts) from 2025-07-01.
 *
 * Every unit carries a size weight on one scale (the average 2024 commune weighs 1). A district weighs the sum
 * of its communes; a 2025 commune weighs the sum of the 2024 communes it was formed from (a commune split
 * between several new units is shared equally). Feeds multiply a per-weight rate by it, so provincial totals
 * stay continuous across the 2025 reorganisation instead of jumping when the unit list changes.
 */
import { adminUnits } from '../seed/admin-units';
import { uniform } from './feed-hash';

export type UnitLevel = 'district' | 'commune';

export interface FeedUnit {
  code: string;
  level: UnitLevel;
  edition: 2024 | 2025;
  weight: number;
}

/** First day any simulated feed has data for. */
export const DATA_START = '2024-01-01';
/** First day of the 2025 edition (two-tier local government). */
export const EDITION_2025_FROM = adminUnits.edition2025.inForceFrom;
export const PROVINCE_CODE = adminUnits.province.code;

const byCode = (a: FeedUnit, b: FeedUnit): number => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

// Urban wards and townships are busier than rural communes; the rest of the spread is a fixed hash of the code.
const rawWeights = new Map<string, number>();
for (const district of adminUnits.edition2024.districts) {
  for (const commune of district.communes) {
    const urban = commune.type === 'Phường' || commune.type === 'Thị trấn' ? 1.4 : 1;
    rawWeights.set(commune.code, (0.5 + uniform('unit-size', commune.code)) * urban);
  }
}
const meanRawWeight = [...rawWeights.values()].reduce((sum, weight) => sum + weight, 0) / rawWeights.size;
const weight2024 = (code: string): number => (rawWeights.get(code) ?? meanRawWeight) / meanRawWeight;

export const communes2024: readonly FeedUnit[] = adminUnits.edition2024.districts
  .flatMap((district) => district.communes)
  .map((commune): FeedUnit => ({ code: commune.code, level: 'commune', edition: 2024, weight: weight2024(commune.code) }))
  .sort(byCode);

export const districts2024: readonly FeedUnit[] = adminUnits.edition2024.districts
  .map(
    (district): FeedUnit => ({
      code: district.code,
      level: 'district',
      edition: 2024,
      weight: district.communes.reduce((sum, commune) => sum + weight2024(commune.code), 0),
    }),
  )
  .sort(byCode);

const owners = new Map<string, number>();
for (const commune of adminUnits.edition2025.communes) {
  for (const old of commune.mergedFrom) owners.set(old.code, (owners.get(old.code) ?? 0) + 1);
}

const inherited = adminUnits.edition2025.communes.map((commune) => ({
  code: commune.code,
  weight: commune.mergedFrom.reduce((sum, old) => sum + weight2024(old.code) / (owners.get(old.code) ?? 1), 0),
}));
// Some 2024 communes were reorganised before 2025-07-01 and appear in no mergedFrom list: rescale so the
// province keeps its total weight.
const rescale = communes2024.length / inherited.reduce((sum, commune) => sum + commune.weight, 0);

export const communes2025: readonly FeedUnit[] = inherited
  .map((commune): FeedUnit => ({ code: commune.code, level: 'commune', edition: 2025, weight: commune.weight * rescale }))
  .sort(byCode);

/**
 * Units a feed of the given level reports on for a date. District-level feeds report per 2025 commune from
 * 2025-07-01, when districts no longer exist.
 */
export function unitsOn(date: string, level: UnitLevel): readonly FeedUnit[] {
  if (date >= EDITION_2025_FROM) return communes2025;
  return level === 'commune' ? communes2024 : districts2024;
}

/** Every code of either edition, plus the province: what a DHIS2 orgUnit filter may name. */
export const KNOWN_UNIT_CODES: ReadonlySet<string> = new Set([
  PROVINCE_CODE,
  ...communes2024.map((unit) => unit.code),
  ...districts2024.map((unit) => unit.code),
  ...communes2025.map((unit) => unit.code),
]);
