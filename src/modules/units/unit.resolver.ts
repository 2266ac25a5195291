import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Info, InputType, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { PredecessorShare, SortDirection, UnitLevel } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { connectionType, nestedConnection, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import type { HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { AdministrativeUnit } from './administrative-unit.entity';
import { requireUnit, unitsQuery } from './unit.service';
import { ALL_ROLES } from '../../security/access';

const AdministrativeUnitConnection = connectionType(AdministrativeUnit, 'AdministrativeUnit');

@InputType({ description: 'Filters for administrative units; all given filters must match.' })
export class UnitFilter {
  @Field(() => UnitLevel, { nullable: true, description: 'Only units of this tier.' })
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
  @Field(() => AdministrativeUnit, { description: 'The older unit.' })
  unit: AdministrativeUnit;

  @Field(() => PredecessorShare, { description: 'Whether all (FULL) or only part (PARTIAL) of the older unit went into the newer one.' })
  share: PredecessorShare;
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
    @Arg('code', { description: 'General Statistics Office code, e.g. 40 (the province), 412 (a district) or 16681 (a commune).' }) code: string,
    @Ctx() context: HubContext,
    @Arg('asOf', () => CalendarDateScalar, { nullable: true, description: 'Date the unit must be in force on (YYYY-MM-DD); null: the most recent unit with that code.' }) asOf?: string | null,
  ): Promise<AdministrativeUnit> {
    return requireUnit(context.dataSource, code, asOf);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => AdministrativeUnitConnection, { complexity: connectionCost, description: 'Administrative units by code.' })
  administrativeUnits(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => UnitFilter, { nullable: true, description: 'Only units matching every given filter; null: all, of every edition.' }) filter?: UnitFilter,
  ): Promise<Connection<AdministrativeUnit>> {
    return rootConnection({ context, info, page, query: () => unitsQuery(context.dataSource, filter), sort: BY_CODE });
  }

  @FieldResolver(() => AdministrativeUnit, { nullable: true, description: 'The unit directly above: a district, or the province for districts and 2025 communes; null for the province.' })
  parent(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<AdministrativeUnit | null> {
    if (unit.parentId == null) return Promise.resolve(null);
    return context.loaders.units.load(unit.parentId);
  }

  @FieldResolver(() => AdministrativeUnitConnection, { complexity: connectionCost, description: 'Units directly below this one, by code.' })
  children(
    @Root() unit: AdministrativeUnit,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('level', () => UnitLevel, { nullable: true, description: 'Only children of this tier.' }) level?: UnitLevel | null,
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
      query: () => unitsQuery(context.dataSource, { level, asOf }),
      sort: BY_CODE,
    });
  }

  @FieldResolver(() => [UnitPredecessorLink], { complexity: listCost, description: 'Units of the previous edition this unit was formed from.' })
  predecessors(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<UnitPredecessorLink[]> {
    return context.loaders.unitPredecessors.load(unit.id);
  }

  @FieldResolver(() => [UnitPredecessorLink], { complexity: listCost, description: 'Units of the next edition this unit went into.' })
  successors(@Root() unit: AdministrativeUnit, @Ctx() context: HubContext): Promise<UnitPredecessorLink[]> {
    return context.loaders.unitSuccessors.load(unit.id);
  }
}
