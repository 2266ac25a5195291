import { PredecessorShare } from '../../src/common/enums';
import { UnitPredecessor } from '../../src/modules/units/administrative-unit.entity';
import { adminUnits } from '../../src/seed/admin-units';
import { dataOf, errorOf, type Page } from '../helpers/api';
import { startTestHub, type TestHub } from '../helpers/test-hub';

type Unit = { code: string; name: string; type: string; level: string; validFrom: string; validTo: string | null; parent: { code: string } | null };
type Link = { share: string; unit: Unit };
const UNIT_FIELDS = 'code name type level validFrom validTo parent { code }';

/** Every unit of the seed file as (code, validFrom, name), the answer key for name searches. */
const SEED_UNITS = [
  { code: adminUnits.province.code, validFrom: '2024-01-01', name: adminUnits.province.name },
  ...adminUnits.edition2024.districts.flatMap((district) => [
    { code: district.code, validFrom: '2024-01-01', name: district.name },
    ...district.communes.map((commune) => ({ code: commune.code, validFrom: '2024-01-01', name: commune.name })),
  ]),
  ...adminUnits.edition2025.communes.map((commune) => ({ code: commune.code, validFrom: '2025-07-01', name: commune.name })),
];

describe('administrative units of the 2024 and 2025 editions', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await startTestHub();
  });
  afterAll(async () => {
    await hub.close();
  });

  const count = async (filter: Record<string, unknown>) =>
    (await dataOf<{ administrativeUnits: { totalCount: number } }>(
      hub,
      'query($filter: UnitFilter) { administrativeUnits(filter: $filter) { totalCount } }',
      { filter },
    )).administrativeUnits.totalCount;

  it('the seed file holds 460 communes in 21 districts (2024) and 130 communes (2025)', () => {
    expect(adminUnits.edition2024.districts).toHaveLength(21);
    expect(adminUnits.edition2024.districts.reduce((sum, district) => sum + district.communes.length, 0)).toBe(460);
    expect(adminUnits.edition2025.communes).toHaveLength(130);
  });

  it('counts units in force on a date: 460 communes in 2024, 130 from 2025-07-01, no districts after the reform', async () => {
    expect(await count({ level: 'COMMUNE', asOf: '2024-04-02' })).toBe(460);
    expect(await count({ level: 'COMMUNE', asOf: '2025-06-30' })).toBe(460);
    expect(await count({ level: 'COMMUNE', asOf: '2025-07-01' })).toBe(130);
    expect(await count({ level: 'DISTRICT', asOf: '2024-04-02' })).toBe(21);
    expect(await count({ level: 'DISTRICT', asOf: '2025-07-01' })).toBe(0);
    expect(await count({ level: 'PROVINCE', asOf: '2025-07-01' })).toBe(1);
    expect(await count({ asOf: '2023-12-31' })).toBe(0);
    expect(await count({})).toBe(1 + 21 + 460 + 130);
    // The 2025 communes hang directly under the province.
    expect(await count({ parent: '40', asOf: '2025-07-01' })).toBe(130);
    expect(await count({ parent: '412', asOf: '2024-04-02' })).toBe(adminUnits.edition2024.districts.find((district) => district.code === '412')!.communes.length);
  });

  it('administrativeUnit(code: "16681") without asOf is the 2025 Phường Thành Vinh with its six full predecessors', async () => {
    const data = await dataOf<{ administrativeUnit: Unit & { predecessors: Link[]; successors: Link[] } }>(
      hub,
      `{ administrativeUnit(code: "16681") { ${UNIT_FIELDS} predecessors { share unit { ${UNIT_FIELDS} } } successors { share unit { code } } } }`,
    );
    const unit = data.administrativeUnit;
    expect(unit).toMatchObject({
      code: '16681',
      name: 'Phường Thành Vinh',
      type: 'Phường',
      level: 'COMMUNE',
      validFrom: '2025-07-01',
      validTo: null,
      parent: { code: '40' },
    });
    expect(unit.successors).toEqual([]);
    const seed = adminUnits.edition2025.communes.find((commune) => commune.code === '16681')!;
    expect(unit.predecessors).toHaveLength(6);
    expect(unit.predecessors.map((link) => [link.unit.code, link.unit.name, link.share])).toEqual(
      seed.mergedFrom.map((source) => [source.code, source.name, 'FULL']),
    );
    expect(unit.predecessors.every((link) => link.unit.validFrom === '2024-01-01' && link.unit.validTo === '2025-07-01')).toBe(true);
    expect(unit.predecessors.find((link) => link.unit.code === '16681')!.unit).toMatchObject({
      name: 'Phường Quang Trung',
      level: 'COMMUNE',
      parent: { code: '412' },
    });
  });

  it('administrativeUnit(code: "16681", asOf: "2024-06-01") is the 2024 Phường Quang Trung whose successor is the 2025 unit', async () => {
    const data = await dataOf<{ administrativeUnit: Unit & { predecessors: Link[]; successors: Link[] } }>(
      hub,
      `{ administrativeUnit(code: "16681", asOf: "2024-06-01") { ${UNIT_FIELDS} predecessors { share } successors { share unit { ${UNIT_FIELDS} } } } }`,
    );
    const unit = data.administrativeUnit;
    expect(unit).toMatchObject({
      code: '16681',
      name: 'Phường Quang Trung',
      level: 'COMMUNE',
      validFrom: '2024-01-01',
      validTo: '2025-07-01',
      parent: { code: '412' },
    });
    expect(unit.predecessors).toEqual([]);
    expect(unit.successors).toEqual([
      { share: 'FULL', unit: { code: '16681', name: 'Phường Thành Vinh', type: 'Phường', level: 'COMMUNE', validFrom: '2025-07-01', validTo: null, parent: { code: '40' } } },
    ]);
    // The last day of the 2024 edition still finds the old unit; the first day of 2025 the new one.
    const edges = await dataOf<{ before: { name: string }; after: { name: string } }>(
      hub,
      '{ before: administrativeUnit(code: "16681", asOf: "2025-06-30") { name } after: administrativeUnit(code: "16681", asOf: "2025-07-01") { name } }',
    );
    expect(edges).toEqual({ before: { name: 'Phường Quang Trung' }, after: { name: 'Phường Thành Vinh' } });
  });

  it('a commune split between two new communes reports PARTIAL on both sides', async () => {
    const partialInSeed = adminUnits.edition2025.communes.flatMap((commune) =>
      commune.mergedFrom.filter((source) => source.share === 'partial').map((source) => `${commune.code}<${source.code}`),
    );
    expect(partialInSeed).toEqual(['17357<17647', '17464<17899', '17677<17647', '17827<17899']);
    const partialInDatabase = await hub.dataSource.getRepository(UnitPredecessor).countBy({ share: PredecessorShare.PARTIAL });
    expect(partialInDatabase).toBe(4);
    expect(await hub.dataSource.getRepository(UnitPredecessor).count()).toBe(414);

    const data = await dataOf<{ split: Unit & { successors: Link[] }; merged: { name: string; predecessors: Link[] } }>(
      hub,
      `{ split: administrativeUnit(code: "17647", asOf: "2024-04-02") { ${UNIT_FIELDS} successors { share unit { code name validFrom } } }
         merged: administrativeUnit(code: "17357") { name predecessors { share unit { code name } } } }`,
    );
    expect(data.split.name).toBe('Xã Hòa Sơn');
    expect(data.split.successors).toEqual([
      { share: 'PARTIAL', unit: { code: '17357', name: 'Xã Vĩnh Tường', validFrom: '2025-07-01' } },
      { share: 'PARTIAL', unit: { code: '17677', name: 'Xã Văn Hiến', validFrom: '2025-07-01' } },
    ]);
    expect(data.merged.name).toBe('Xã Vĩnh Tường');
    expect(data.merged.predecessors.map((link) => [link.unit.code, link.unit.name, link.share])).toEqual([
      ['17356', 'Xã Tường Sơn', 'FULL'],
      ['17357', 'Xã Hoa Sơn', 'FULL'],
      ['17368', 'Xã Hội Sơn', 'FULL'],
      ['17647', 'Xã Hòa Sơn', 'PARTIAL'],
    ]);
  });

  it('an unknown code, or a code not in force on asOf, is NOT_FOUND naming the code', async () => {
    const unknown = await errorOf(hub, '{ administrativeUnit(code: "99999") { name } }');
    expect(unknown.extensions?.code).toBe('NOT_FOUND');
    expect(unknown.message).toContain('99999');
    // 16663 (Phường Đông Vĩnh) went into 16681 and its code was not reused.
    const gone = await errorOf(hub, '{ administrativeUnit(code: "16663", asOf: "2025-07-01") { name } }');
    expect(gone.extensions?.code).toBe('NOT_FOUND');
    expect(gone.message).toContain('16663');
    const parent = await errorOf(hub, '{ administrativeUnits(filter: { parent: "99999" }) { totalCount } }');
    expect(parent.extensions?.code).toBe('NOT_FOUND');
    expect(parent.message).toContain('99999');
  });

  it('nameContains is case-insensitive and keeps Vietnamese diacritics apart ("Vinh" is not "Vĩnh")', async () => {
    const search = async (text: string, extra: Record<string, unknown> = {}) => {
      const data = await dataOf<{ administrativeUnits: Page<{ code: string; name: string; validFrom: string }> }>(
        hub,
        'query($filter: UnitFilter) { administrativeUnits(filter: $filter, first: 500) { totalCount edges { node { code name validFrom } } } }',
        { filter: { nameContains: text, ...extra } },
      );
      const found = data.administrativeUnits.edges.map((edge) => `${edge.node.code}@${edge.node.validFrom} ${edge.node.name}`);
      expect(data.administrativeUnits.totalCount).toBe(found.length);
      return found.sort();
    };
    const expected = (text: string, validFrom?: string) =>
      SEED_UNITS.filter((unit) => unit.name.toLowerCase().includes(text.toLowerCase()) && (!validFrom || unit.validFrom === validFrom))
        .map((unit) => `${unit.code}@${unit.validFrom} ${unit.name}`)
        .sort();

    const vinh = await search('Vinh');
    expect(vinh).toEqual(expected('Vinh'));
    expect(vinh).toContain('412@2024-01-01 Thành phố Vinh');
    expect(vinh).toContain('16681@2025-07-01 Phường Thành Vinh');
    expect(vinh.some((line) => line.includes('Vĩnh'))).toBe(false);
    expect(await search('vinh')).toEqual(vinh);

    const withTilde = await search('Vĩnh');
    expect(withTilde).toEqual(expected('Vĩnh'));
    expect(withTilde).toContain('16663@2024-01-01 Phường Đông Vĩnh');
    expect(withTilde.some((line) => line.toLowerCase().includes('vinh'))).toBe(false);

    // Upper-case Vietnamese letters match their lower-case forms.
    expect(await search('ĐÔNG VĨNH')).toEqual(['16663@2024-01-01 Phường Đông Vĩnh']);
    expect(await search('đông vĩnh')).toEqual(['16663@2024-01-01 Phường Đông Vĩnh']);
    const dong = await search('ĐÔNG');
    expect(dong).toEqual(expected('Đông'));
    expect(dong.length).toBeGreaterThan(1);
    expect(dong.some((line) => line.includes('Đồng'))).toBe(false);

    // Combined with asOf and level.
    expect(await search('Vinh', { asOf: '2025-07-01', level: 'COMMUNE' })).toEqual(expected('Vinh', '2025-07-01'));

    // LIKE wildcards in the text are literal characters, not patterns.
    expect(await search('%')).toEqual([]);
    expect(await search('_')).toEqual([]);
    expect(await search('Ph_ờng')).toEqual([]);

    const blank = await errorOf(hub, '{ administrativeUnits(filter: { nameContains: "  " }) { totalCount } }');
    expect(blank.extensions?.code).toBe('BAD_USER_INPUT');
    expect(blank.message).toContain('filter.nameContains');
  });
});
