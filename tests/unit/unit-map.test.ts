import { UnitEdition, UnitMap, type UnitRecord } from '../../src/analytics/unit-map';
import { PredecessorShare, UnitLevel } from '../../src/common/enums';

/**
 * A small map: province 1; 2024 districts 10 and 20; 2024 communes 11, 12, 13 (district 10) and 21 (district 20);
 * 2025 communes 100 (all of 11 and 12), 200 and 300 (each part of 21) and 400 (all of 13).
 */
function map(): UnitMap {
  const old = { validFrom: '2024-01-01', validTo: '2025-07-01' };
  const current = { validFrom: '2025-07-01', validTo: null };
  const unit = (id: number, level: UnitLevel, parentId: number | null, validity: { validFrom: string; validTo: string | null }): UnitRecord => ({
    id, code: String(id), name: `unit ${id}`, type: 'x', level, parentId, ...validity,
  });
  return new UnitMap(
    [
      unit(1, UnitLevel.PROVINCE, null, { validFrom: '2024-01-01', validTo: null }),
      unit(10, UnitLevel.DISTRICT, 1, old),
      unit(20, UnitLevel.DISTRICT, 1, old),
      unit(11, UnitLevel.COMMUNE, 10, old),
      unit(12, UnitLevel.COMMUNE, 10, old),
      unit(13, UnitLevel.COMMUNE, 10, old),
      unit(21, UnitLevel.COMMUNE, 20, old),
      unit(100, UnitLevel.COMMUNE, 1, current),
      unit(200, UnitLevel.COMMUNE, 1, current),
      unit(300, UnitLevel.COMMUNE, 1, current),
      unit(400, UnitLevel.COMMUNE, 1, current),
    ],
    [
      { unitId: 100, predecessorId: 11, share: PredecessorShare.FULL },
      { unitId: 100, predecessorId: 12, share: PredecessorShare.FULL },
      { unitId: 200, predecessorId: 21, share: PredecessorShare.PARTIAL },
      { unitId: 300, predecessorId: 21, share: PredecessorShare.PARTIAL },
      { unitId: 400, predecessorId: 13, share: PredecessorShare.FULL },
    ],
  );
}

describe('UnitMap placements', () => {
  const units = map();

  it('on the map a value was reported on: its ancestor at the level; a coarser unit belongs to no group', () => {
    expect(units.place(11, UnitLevel.DISTRICT, null)).toEqual({ groups: [{ groupId: 10, weight: 1 }], approximate: false });
    expect(units.place(100, UnitLevel.PROVINCE, null)).toEqual({ groups: [{ groupId: 1, weight: 1 }], approximate: false });
    expect(units.place(10, UnitLevel.COMMUNE, null)).toBeNull();
    // A 2025 commune has no district of its own.
    expect(units.place(100, UnitLevel.DISTRICT, null)).toBeNull();
  });

  it('2024 → 2025: FULL exactly, PARTIAL split evenly and approximate; districts only in the province', () => {
    expect(units.place(11, UnitLevel.COMMUNE, UnitEdition.E2025)).toEqual({ groups: [{ groupId: 100, weight: 1 }], approximate: false });
    expect(units.place(21, UnitLevel.COMMUNE, UnitEdition.E2025)).toEqual({
      groups: [{ groupId: 200, weight: 0.5 }, { groupId: 300, weight: 0.5 }],
      approximate: true,
    });
    expect(units.place(21, UnitLevel.PROVINCE, UnitEdition.E2025)).toEqual({ groups: [{ groupId: 1, weight: 1 }], approximate: false });
    expect(units.place(10, UnitLevel.COMMUNE, UnitEdition.E2025)).toBeNull();
    expect(units.place(10, UnitLevel.PROVINCE, UnitEdition.E2025)).toEqual({ groups: [{ groupId: 1, weight: 1 }], approximate: false });
  });

  it('2025 → 2024: one predecessor exactly; several split evenly, exact again at a level that holds them all', () => {
    expect(units.place(200, UnitLevel.COMMUNE, UnitEdition.E2024)).toEqual({ groups: [{ groupId: 21, weight: 1 }], approximate: false });
    expect(units.place(100, UnitLevel.COMMUNE, UnitEdition.E2024)).toEqual({
      groups: [{ groupId: 11, weight: 0.5 }, { groupId: 12, weight: 0.5 }],
      approximate: true,
    });
    expect(units.place(100, UnitLevel.DISTRICT, UnitEdition.E2024)).toEqual({ groups: [{ groupId: 10, weight: 1 }], approximate: false });
  });

  it('unit filters follow the re-expression', () => {
    expect(units.inFilter(11, new Set([100]), UnitEdition.E2025)).toBe(true);
    expect(units.inFilter(21, new Set([100]), UnitEdition.E2025)).toBe(false);
    expect(units.inFilter(100, new Set([10]), UnitEdition.E2024)).toBe(true);
    expect(units.inFilter(100, new Set([10]), null)).toBe(false);
    expect(units.findByCode('100', UnitEdition.E2024)).toBeNull();
    expect(units.findByCode('11', null)!.id).toBe(11);
  });
});
