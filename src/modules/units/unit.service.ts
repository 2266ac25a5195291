import type DataLoader from 'dataloader';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { PredecessorShare, UnitLevel } from '../../common/enums';
import { badInput, notFound } from '../../common/errors';
import { isSqlite } from '../../common/request-scope';
import { AdministrativeUnit, type UnitPredecessor } from './administrative-unit.entity';

/** Filters of a unit list; all given filters must match. */
export interface UnitCriteria {
  level?: UnitLevel | null;
  /** Only units in force on this date. */
  asOf?: string | null;
  /** Only children of the unit with this code (in force on asOf when given). */
  parent?: string | null;
  /** Units whose name contains this text (case-insensitive, diacritic-sensitive). */
  nameContains?: string | null;
}

/** An older unit a newer unit was formed from, or a newer unit an older one went into. */
export interface UnitLink {
  unit: AdministrativeUnit;
  share: PredecessorShare;
}

/** The unit with this code in force on `asOf`, or the most recent unit with the code. */
export async function findUnit(dataSource: DataSource, code: string, asOf?: string | null): Promise<AdministrativeUnit | null> {
  const query = dataSource
    .getRepository(AdministrativeUnit)
    .createQueryBuilder('unit')
    .where('unit.code = :code', { code })
    .orderBy('unit.validFrom', 'DESC')
    .limit(1);
  if (asOf) applyValidOn(query, asOf);
  return query.getOne();
}

/** Like findUnit, but a unit that does not exist is NOT_FOUND. */
export async function requireUnit(dataSource: DataSource, code: string, asOf?: string | null): Promise<AdministrativeUnit> {
  const unit = await findUnit(dataSource, code, asOf);
  if (!unit) throw notFound('administrative unit', asOf ? `${code}" in force on "${asOf}` : code);
  return unit;
}

function applyValidOn(query: { andWhere: (condition: string, parameters?: Record<string, unknown>) => unknown; alias: string }, asOf: string) {
  query.andWhere(`${query.alias}.validFrom <= :validOn`, { validOn: asOf });
  query.andWhere(`(${query.alias}.validTo IS NULL OR ${query.alias}.validTo > :validOn)`, { validOn: asOf });
}

/** Units matching `criteria` (a connection orders and pages them). */
export async function unitsQuery(dataSource: DataSource, criteria: UnitCriteria | null | undefined): Promise<SelectQueryBuilder<AdministrativeUnit>> {
  const query = dataSource.getRepository(AdministrativeUnit).createQueryBuilder('unit');
  if (criteria?.level) query.andWhere('unit.level = :level', { level: criteria.level });
  if (criteria?.asOf) applyValidOn(query, criteria.asOf);
  if (criteria?.parent) {
    const parent = await findUnit(dataSource, criteria.parent, criteria.asOf);
    if (!parent) throw notFound('administrative unit', criteria.parent);
    query.andWhere('unit.parentId = :parentId', { parentId: parent.id });
  }
  if (criteria?.nameContains != null) {
    const text = criteria.nameContains.trim();
    if (text.length === 0 || text.length > 100) throw badInput('filter.nameContains', 'must be 1 to 100 characters');
    // Case-insensitive but diacritic-sensitive on both databases ("Vinh" is not "Vĩnh"): MySQL/MariaDB's
    // default utf8mb4_unicode_ci would also ignore accents, so the lower-cased text is compared binary there.
    const binary = isSqlite(dataSource) ? '' : ' COLLATE utf8mb4_bin';
    // '!' escapes LIKE wildcards the same way on both databases (a backslash is special only in MySQL strings).
    query.andWhere(`LOWER(unit.name) LIKE :name${binary} ESCAPE '!'`, {
      name: `%${text.normalize('NFC').toLowerCase().replace(/[%_!]/g, '!$&')}%`,
    });
  }
  return query;
}

/**
 * The units linked to each of `ids` (their predecessors or successors, `to` naming the column of the other unit),
 * from the request's link rows and units: one statement for the links of all ids, one for the units they name.
 */
export async function unitLinks(
  linkRows: DataLoader<number, UnitPredecessor[]>,
  units: DataLoader<number, AdministrativeUnit | null>,
  ids: readonly number[],
  to: 'unitId' | 'predecessorId',
): Promise<Array<UnitLink[] | Error>> {
  const links = await linkRows.loadMany(ids);
  const flat = links.flatMap((group) => (group instanceof Error ? [] : group));
  const others = await units.loadMany(flat.map((link) => link[to]));
  const byId = new Map(others.flatMap((other) => (other && !(other instanceof Error) ? [[other.id, other] as const] : [])));
  return links.map((group) =>
    group instanceof Error
      ? group
      : group.flatMap((link) => {
          const other = byId.get(link[to]);
          return other ? [{ unit: other, share: link.share }] : [];
        }),
  );
}
