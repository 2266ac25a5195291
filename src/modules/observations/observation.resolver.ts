import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Info, InputType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { SortDirection, UnitLevel } from '../../common/enums';
import { badInput, notFound } from '../../common/errors';
import type { Period } from '../../common/period';
import { PeriodScalar } from '../../common/scalars';
import { connectionType, nestedConnection, PageArgs, rootConnection, type Connection, type SortKey } from '../../graphql/connection';
import type { HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { requireByCode } from '../../database/by-code';
import { Metric } from '../metrics/metric.entity';
import { AdministrativeUnit } from '../units/administrative-unit.entity';
import { findUnit } from '../units/unit.resolver';
import { ObservationRevision } from '../../ingestion/observation-revision.entity';
import { ALL_ROLES, assertDepartmentAccess, departmentScope, OPERATIONAL_READ_ROLES } from '../../security/access';
import { Observation } from './observation.entity';

const ObservationConnection = connectionType(Observation, 'Observation');

@InputType({ description: 'Filters for a metric’s observations; all given filters must match.' })
export class ObservationFilter {
  @Field(() => String, { nullable: true, description: 'Code of the administrative unit (the most recent unit with that code).' })
  unit?: string | null;

  @Field(() => UnitLevel, { nullable: true, description: 'Only observations reported for units of this level.' })
  level?: UnitLevel | null;

  @Field(() => PeriodScalar, { nullable: true, description: 'Periods starting on or after the start of this period.' })
  from?: Period | null;

  @Field(() => PeriodScalar, { nullable: true, description: 'Periods ending on or before the end of this period.' })
  to?: Period | null;
}

@InputType({ description: 'Filters for observations across metrics.' })
export class ObservationSearch extends ObservationFilter {
  @Field(() => String, { nullable: true, description: 'Code of the metric.' })
  metric?: string | null;
}

export enum ObservationOrder {
  PERIOD_ASC = 'PERIOD_ASC',
  PERIOD_DESC = 'PERIOD_DESC',
  RECORDED_AT_DESC = 'RECORDED_AT_DESC',
}
registerEnumType(ObservationOrder, { name: 'ObservationOrder', description: 'Order of observations; ties broken by unit.' });

function sortKeys(order: ObservationOrder | null | undefined): Array<SortKey<Observation>> {
  switch (order ?? ObservationOrder.PERIOD_ASC) {
    case ObservationOrder.PERIOD_DESC:
      return [{ property: 'periodStart', direction: SortDirection.DESC }, { property: 'unitId', direction: SortDirection.DESC }];
    case ObservationOrder.RECORDED_AT_DESC:
      return [{ property: 'recordedAt', direction: SortDirection.DESC }];
    default:
      return [{ property: 'periodStart', direction: SortDirection.ASC }, { property: 'unitId', direction: SortDirection.ASC }];
  }
}

async function filteredObservations(context: HubContext, filter: ObservationSearch | null | undefined) {
  const query = context.dataSource.getRepository(Observation).createQueryBuilder('observation');
  if (filter?.from && filter.to && filter.from.start > filter.to.end) {
    throw badInput('filter.from', `${filter.from.text} is after filter.to ${filter.to.text}`);
  }
  if (filter?.from) query.andWhere('observation.periodStart >= :from', { from: filter.from.start });
  if (filter?.to) query.andWhere('observation.periodEnd <= :to', { to: filter.to.end });
  if (filter?.metric) {
    const metric = await requireByCode(context.dataSource, Metric, 'metric', filter.metric);
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    query.andWhere('observation.metricId = :metricId', { metricId: metric.id });
  }
  // A department-scoped caller sees the values of its departments' metrics only (counts included).
  const scope = departmentScope(context.principal);
  if (scope) {
    query.andWhere(
      `observation.metricId IN ${query.subQuery().select('scopeMetric.id').from(Metric, 'scopeMetric').where('scopeMetric.departmentId IN (:...scope)').getQuery()}`,
      { scope: [...scope, -1] },
    );
  }
  if (filter?.unit) {
    const unit = await findUnit(context.dataSource, filter.unit);
    if (!unit) throw notFound('administrative unit', filter.unit);
    query.andWhere('observation.unitId = :unitId', { unitId: unit.id });
  }
  if (filter?.level) {
    query
      .innerJoin(AdministrativeUnit, 'unit', 'unit.id = observation.unitId')
      .andWhere('unit.level = :level', { level: filter.level });
  }
  return query;
}

@Resolver(() => Observation)
export class ObservationResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => ObservationConnection, {
    complexity: connectionCost,
    description: 'Observations across metrics (default by period, then unit); a department-scoped caller sees its departments’ metrics only.',
  })
  observations(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => ObservationSearch, { nullable: true }) filter?: ObservationSearch,
    @Arg('orderBy', () => ObservationOrder, { nullable: true }) orderBy?: ObservationOrder,
  ): Promise<Connection<Observation>> {
    return rootConnection({ context, info, page, query: () => filteredObservations(context, filter), sort: sortKeys(orderBy) });
  }

  @FieldResolver(() => AdministrativeUnit, { description: 'The administrative unit the value is for.' })
  async unit(@Root() observation: Observation, @Ctx() context: HubContext): Promise<AdministrativeUnit> {
    return context.loaders.related(AdministrativeUnit, observation.unitId);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => [ObservationRevision], { complexity: listCost, description: 'Earlier values of this observation, oldest first.' })
  revisions(@Root() observation: Observation, @Ctx() context: HubContext): Promise<ObservationRevision[]> {
    return context.loaders.byForeignKey(ObservationRevision, 'observationId', { revisedAt: 'ASC', id: 'ASC' }).load(observation.id);
  }

  @FieldResolver(() => Metric)
  async metric(@Root() observation: Observation, @Ctx() context: HubContext): Promise<Metric> {
    return context.loaders.related(Metric, observation.metricId);
  }
}

@Resolver(() => Metric)
export class MetricObservationsResolver {
  @FieldResolver(() => ObservationConnection, {
    nullable: true,
    complexity: connectionCost,
    description: 'Observations of this metric (default by period, then unit); FORBIDDEN for a metric outside a department-scoped caller’s departments.',
  })
  observations(
    @Root() metric: Metric,
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => ObservationFilter, { nullable: true }) filter?: ObservationFilter,
    @Arg('orderBy', () => ObservationOrder, { nullable: true }) orderBy?: ObservationOrder,
  ): Promise<Connection<Observation>> {
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    return nestedConnection({
      context,
      info,
      page,
      name: 'Metric.observations',
      parentProperty: 'metricId',
      parentId: metric.id,
      variant: [filter, orderBy],
      query: () => filteredObservations(context, filter),
      sort: sortKeys(orderBy),
    });
  }
}
