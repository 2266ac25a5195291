/**
 * Administrative units in memory (a few hundred rows, read once per request) and the rules that place a value
 * reported for one unit into the groups of a query: ancestors within one map, and the 2024 → 2025 predecessor
 * links between the two maps.
 */
import { registerEnumType } from 'type-graphql';
import type { DataSource } from 'typeorm';
import { PredecessorShare, UnitLevel } from '../common/enums';
import { addDays } from '../common/period';
import { dateText } from '../database/sql-dialect';

export enum UnitEdition {
  /** The 2024 map: province, 21 districts, 460 communes. */
  E2024 = 'E2024',
  /** The map in force from 1 July 2025: province and 130 communes, no districts. */
  E2025 = 'E2025',
}
registerEnumType(UnitEdition, {
  name: 'UnitEdition',
  description: 'A map of administrative units; values reported against the other map are re-expressed through the predecessor links.',
  valuesConfig: {
    E2024: { description: 'The map in force until 30 June 2025: province, 21 districts, 460 communes.' },
    E2025: { description: 'The map in force from 1 July 2025 (two-tier local government): province and 130 communes, no districts.' },
  },
});

/** First day of the 2025 map (two-tier local government). */
export const EDITION_2025_FROM = '2025-07-01';

/** The day on which each edition is read. */
export const EDITION_DATE: Record<UnitEdition, string> = {
  [UnitEdition.E2024]: addDays(EDITION_2025_FROM, -1),
  [UnitEdition.E2025]: EDITION_2025_FROM,
};

/** Coarsest first. */
export const LEVELS = [UnitLevel.PROVINCE, UnitLevel.DISTRICT, UnitLevel.COMMUNE] as const;
export const levelRank = (level: UnitLevel): number => LEVELS.indexOf(level);

export interface UnitRecord {
  id: number;
  code: string;
  name: string;
  type: string;
  level: UnitLevel;
  parentId: number | null;
  validFrom: string;
  validTo: string | null;
}

/** Where a value reported for one unit goes: groups with the share of the value each receives. */
export interface Placement {
  groups: Array<{ groupId: number; weight: number }>;
  /** True when the value had to be split, or only part of the unit lies in its group. */
  approximate: boolean;
}

interface Link {
  unitId: number;
  predecessorId: number;
  share: PredecessorShare;
}

export class UnitMap {
  readonly byId = new Map<number, UnitRecord>();
  private readonly successors = new Map<number, Link[]>();
  private readonly predecessors = new Map<number, Link[]>();
  private readonly placements = new Map<string, Placement | null>();

  constructor(units: UnitRecord[], links: Link[]) {
    for (const unit of units) this.byId.set(unit.id, unit);
    for (const link of links) {
      const forward = this.successors.get(link.predecessorId) ?? [];
      forward.push(link);
      this.successors.set(link.predecessorId, forward);
      const backward = this.predecessors.get(link.unitId) ?? [];
      backward.push(link);
      this.predecessors.set(link.unitId, backward);
    }
  }

  /** Every unit and predecessor link: two statements. */
  static async load(dataSource: DataSource): Promise<UnitMap> {
    const [units, links] = await Promise.all([
      dataSource.query('SELECT id, code, name, type, level, parentId, validFrom, validTo FROM administrative_unit'),
      dataSource.query('SELECT unitId, predecessorId, share FROM unit_predecessor'),
    ]);
    return new UnitMap(
      (units as Array<Record<string, unknown>>).map((row) => ({
        id: Number(row.id),
        code: String(row.code),
        name: String(row.name),
        type: String(row.type),
        level: row.level as UnitLevel,
        parentId: row.parentId == null ? null : Number(row.parentId),
        validFrom: dateText(row.validFrom),
        validTo: row.validTo == null ? null : dateText(row.validTo),
      })),
      (links as Array<Record<string, unknown>>).map((row) => ({
        unitId: Number(row.unitId),
        predecessorId: Number(row.predecessorId),
        share: row.share as PredecessorShare,
      })),
    );
  }

  unit(id: number): UnitRecord {
    const unit = this.byId.get(id);
    if (!unit) throw new Error(`administrative unit ${id} is referenced but missing`);
    return unit;
  }

  validOn(unit: UnitRecord, date: string): boolean {
    return unit.validFrom <= date && (unit.validTo === null || unit.validTo > date);
  }

  inEdition(unit: UnitRecord, edition: UnitEdition): boolean {
    return this.validOn(unit, EDITION_DATE[edition]);
  }

  /** The unit with this code: in force in the edition when one is given, otherwise the most recent one. */
  findByCode(code: string, edition: UnitEdition | null): UnitRecord | null {
    let found: UnitRecord | null = null;
    for (const unit of this.byId.values()) {
      if (unit.code !== code) continue;
      if (edition ? this.inEdition(unit, edition) : !found || unit.validFrom > found.validFrom) found = unit;
    }
    return found;
  }

  /** The unit itself or its ancestor at `level` within its own map, or null when it has none. */
  ancestorAt(id: number, level: UnitLevel): number | null {
    for (let unit: UnitRecord | undefined = this.byId.get(id); unit; unit = unit.parentId == null ? undefined : this.byId.get(unit.parentId)) {
      if (unit.level === level) return unit.id;
    }
    return null;
  }

  /** Whether `ancestorId` is the unit or one of its ancestors. */
  isWithin(id: number, ancestorId: number): boolean {
    for (let unit: UnitRecord | undefined = this.byId.get(id); unit; unit = unit.parentId == null ? undefined : this.byId.get(unit.parentId)) {
      if (unit.id === ancestorId) return true;
    }
    return false;
  }

  /**
   * The units of `edition` a unit's value is re-expressed on (itself when it belongs to the edition), each with
   * its share and whether the whole unit lies inside it. A 2024 commune goes to its 2025 commune (FULL: exact)
   * or is split evenly among the 2025 communes that took part of it (PARTIAL); a 2025 commune goes to its single
   * predecessor, or is split evenly among several. Units without links (and the 2024 districts, which no 2025
   * unit took whole) have none.
   */
  private basesIn(unit: UnitRecord, edition: UnitEdition | null): Array<{ id: number; weight: number; whole: boolean }> {
    if (edition === null || this.inEdition(unit, edition)) return [{ id: unit.id, weight: 1, whole: true }];
    const forward = edition === UnitEdition.E2025;
    const links = (forward ? this.successors.get(unit.id) : this.predecessors.get(unit.id)) ?? [];
    if (links.length === 0) return [];
    const whole = links.length === 1 && (!forward || links[0].share === PredecessorShare.FULL);
    return links.map((link) => ({ id: forward ? link.unitId : link.predecessorId, weight: 1 / links.length, whole }));
  }

  /**
   * Where a value reported for unit `id` goes when values are grouped by units of `level` of `edition`
   * (edition null: the map the value was reported on). Null when it belongs to no group: the unit is coarser
   * than the level (a district figure cannot be divided among communes) or has no counterpart in the edition.
   * Every unit lies in the province, so province totals are always exact.
   */
  place(id: number, level: UnitLevel, edition: UnitEdition | null): Placement | null {
    const key = `${id}|${level}|${edition}`;
    if (this.placements.has(key)) return this.placements.get(key)!;
    const unit = this.unit(id);
    let placement: Placement | null = null;
    if (levelRank(unit.level) >= levelRank(level)) {
      const own = level === UnitLevel.PROVINCE ? this.ancestorAt(id, level) : null;
      if (own !== null) placement = { groups: [{ groupId: own, weight: 1 }], approximate: false };
      else {
        const weights = new Map<number, number>();
        const bases = this.basesIn(unit, edition);
        for (const base of bases) {
          const group = this.ancestorAt(base.id, level);
          if (group !== null) weights.set(group, (weights.get(group) ?? 0) + base.weight);
        }
        if (weights.size > 0) {
          const approximate = weights.size > 1 || (bases.length === 1 && !bases[0].whole && this.unit(bases[0].id).level === level);
          placement = { groups: [...weights].map(([groupId, weight]) => ({ groupId, weight })), approximate };
        }
      }
    }
    this.placements.set(key, placement);
    return placement;
  }

  /** Whether a unit's value falls inside one of the filter units (in the edition, when one is given). */
  inFilter(id: number, filterIds: ReadonlySet<number> | null, edition: UnitEdition | null): boolean {
    if (filterIds === null) return true;
    const unit = this.unit(id);
    return this.basesIn(unit, edition).some((base) => [...filterIds].some((filterId) => this.isWithin(base.id, filterId)));
  }

  /** Units of `level` valid at some point between `from` and `to` (in the edition when given), by code. */
  unitsAt(level: UnitLevel, edition: UnitEdition | null, from: string, to: string): UnitRecord[] {
    return [...this.byId.values()]
      .filter((unit) => unit.level === level && (edition ? this.inEdition(unit, edition) : unit.validFrom <= to && (unit.validTo === null || unit.validTo > from)))
      .sort((a, b) => (a.code === b.code ? a.validFrom.localeCompare(b.validFrom) : a.code.localeCompare(b.code)));
  }
}
