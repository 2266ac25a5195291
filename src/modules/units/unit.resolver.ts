import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Info, InputType, ObjectType, Query, Resolver, Root } from 'type-graphql';
import type { DataSource } from 'typeorm';
import { PredecessorShare, SortDirection, UnitLevel } from '../../common/enums';
import { badInput, notFound } from '../../common/errors';
import { CalendarDateScalar } from '../../common/scalars';
import { connectionType, nestedConnection, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import type { HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { AdministrativeUnit, UnitPredecessor } from './administrative-unit.entity';
import { ALL_ROLES } from '../../security/access';

const AdministrativeUnitConnection = connectionType(AdministrativeUnit, 'AdministrativeUnit');

@InputType({ description: 'Filters for administrative units; all given filters must match.' })
export class UnitFilter {
  @Field(() => UnitLevel, { nullable: true })
  level?: UnitLevel | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Only units in force on this date.' })
  asOf?: string | null;

  @Field(() => String, { nullable: true, description: 'Only children of the unit with this code (in force on asOf when given).' })
  parent?: string | null;

  @Field(() => String, { nullable: true, description: 'Units whose name contains this text (case-insensitive).' })
  nameContains?: string | null;
}

@ObjectType({ description: 'An older unit a newer unit was formed from.' })
class UnitPredecessorLink {
  @Field(() => AdministrativeUnit)
  unit: AdministrativeUnit;

  @Field(() => PredecessorShare)
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

function applyValidOn(query: { andWhere: (condition: string, parameters?: Record<string, unknown>) => unknown; alias: string }, asOf: string) {
  query.andWhere(`${query.alias}.validFrom <= :validOn`, { validOn: asOf });
  query.andWhere(`(${query.alias}.validTo IS NULL OR ${query.alias}.validTo > :validOn)`, { validOn: asOf });
}

async function filteredUnits(context: HubContext, filter: UnitFilter | null | undefined) {
  const query = context.dataSource.getRepository(AdministrativeUnit).createQueryBuilder('unit');
  if (filter?.level) query.andWhere('unit.level = :level', { level: filter.level });
  if (filter?.asOf) applyValidOn(query, filter.asOf);
  if (filter?.parent) {
    const parent = await findUnit(context.dataSource, filter.parent, filter.asOf);
    if (!parent) throw notFound('administrative unit', filter.parent);
    query.andWhere('unit.parentId = :parentId', { parentId: parent.id });
  }
  if (filter?.nameContains != null) {
    const text = filter.nameContains.trim();
    if (text.length === 0 || text.length > 100) throw badInput('filter.nameContains', 'must be 1 to 100 characters');
    // Case-insensitive but diacritic-sensitive on both databases ("Vinh" is not "Vĩnh"): MySQL/MariaDB's
    // default utf8mb4_unicode_ci would also ignore accents, so the lower-cased text is compared binary there.
    const binary = context.config.database.kind === 'sqlite' ? '' : ' COLLATE utf8mb4_bin';
    // '!' escapes LIKE wildcards the same way on both databases (a backslash is special only in MySQL strings).
    query.andWhere(`LOWER(unit.name) LIKE :name${binary} ESCAPE '!'`, {
      name: `%${text.normalize('NFC').toLowerCase().replace(/[%_!]/g, '!$&')}%`,
    });
  }
  return query;
}

const BY_CODE = [{ property: 'code' as const, direction: SortDirection.ASC }];

@Resolver(() => AdministrativeUnit)
export class AdministrativeUnitResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => AdministrativeUnit, {
    nullable: true,
    description: 'A unit by GSO code: the one in force on asOf, or the most recent one with that code.',
  })
  async administrativeUnit(
    @Arg('code') code: string,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true }) asOf?: string | null,
  ): Promise<AdministrativeUnit> {
    const unit = await findUnit(context.dataSource, code, asOf);
    if (!unit) throw notFound('administrative unit', asOf ? `${code}" in force on "${asOf}` : code);
    return unit;
  }

  @Authorized(...ALL_ROLES)
  @Query(() => AdministrativeUnitConnection, { complexity: connectionCost, description: 'Administrative units by code.' })
  administrativeUnits(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => UnitFilter, { nullable: true }) filter?: UnitFilter,
  ): Promise<Connection<AdministrativeUnit>> {
    return rootConnection({ context, info, page, query: () => filteredUnits(context, filter), sort: BY_CODE });
  }

  @FieldResolver(() => AdministrativeUnit, { nullable: true })
  parent(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<AdministrativeUnit | null> {
    if (unit.parentId == null) return Promise.resolve(null);
    return context.loaders.byId(AdministrativeUnit).load(unit.parentId);
  }

  @FieldResolver(() => AdministrativeUnitConnection, { complexity: connectionCost, description: 'Units directly below this one, by code.' })
  children(
    @Root() unit: AdministrativeUnit,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('level', () => UnitLevel, { nullable: true }) level?: UnitLevel | null,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Only children in force on this date.' }) asOf?: string | null,
  ): Promise<Connection<AdministrativeUnit>> {
    return nestedConnection({
      context,
      info,
      page,
      name: 'AdministrativeUnit.children',
      parentProperty: 'parentId',
      parentId: unit.id,
      variant: [level, asOf],
      query: () => filteredUnits(context, { level, asOf }),
      sort: BY_CODE,
    });
  }

  @FieldResolver(() => [UnitPredecessorLink], { complexity: listCost, description: 'Units of the previous edition this unit was formed from.' })
  predecessors(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<UnitPredecessorLink[]> {
    return this.links(context, 'unitId', 'predecessorId').load(unit.id);
  }

  @FieldResolver(() => [UnitPredecessorLink], { complexity: listCost, description: 'Units of the next edition this unit went into.' })
  successors(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<UnitPredecessorLink[]> {
    return this.links(context, 'predecessorId', 'unitId').load(unit.id);
  }

  private links(context: HubContext, from: 'unitId' | 'predecessorId', to: 'unitId' | 'predecessorId') {
    return context.loaders.get<number, UnitPredecessorLink[]>(`unitLinks:${from}`, async (ids) => {
      const links = await context.loaders.byForeignKey(UnitPredecessor, from, { [to]: 'ASC' }).loadMany(ids);
      const flat = links.flatMap((group) => (group instanceof Error ? [] : group));
      const units = await context.loaders.byId(AdministrativeUnit).loadMany(flat.map((link) => link[to]));
      const byId = new Map(units.flatMap((other) => (other && !(other instanceof Error) ? [[other.id, other] as const] : [])));
      return links.map((group) =>
        group instanceof Error
          ? group
          : group.flatMap((link) => {
              const other = byId.get(link[to]);
              return other ? [{ unit: other, share: link.share }] : [];
            }),
      );
    });
  }
}
