import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Info, InputType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { SortDirection, UnitLevel } from '../../common/enums';
import type { Period } from '../../common/period';
import { PeriodScalar } from '../../common/scalars';
import { connectionType, nestedConnection, PageArgs, rootConnection, type Connection, type SortKey } from '../../graphql/connection';
import { scopeOf, type HubContext } from '../../graphql/context';
import { connectionCost, listCost } from '../../graphql/limits';
import { Metric } from '../metrics/metric.entity';
import { AdministrativeUnit } from '../units/administrative-unit.entity';
import { ObservationRevision } from './observation-revision.entity';
import { ALL_ROLES, assertDepartmentAccess, OPERATIONAL_READ_ROLES } from '../../security/access';
import { Observation } from './observation.entity';
import { asKnownAt, observationsQuery } from './observation.service';

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

  @Field(() => Date, {
    nullable: true,
    description: 'What was known at this time: observations recorded later are left out, values revised later show the value then.',
  })
  asOf?: Date | null;
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
registerEnumType(ObservationOrder, {
  name: 'ObservationOrder',
  description: 'Order of observations; ties broken by unit.',
  valuesConfig: {
    PERIOD_ASC: { description: 'Oldest period first (the default).' },
    PERIOD_DESC: { description: 'Newest period first.' },
    RECORDED_AT_DESC: { description: 'Most recently recorded (stored or revised) first.' },
  },
});

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

/** The page with its observations as known at `asOf` (see observation.service asKnownAt). */
async function knownAt(context: HubContext, asOf: Date | null | undefined, page: Promise<Connection<Observation>>): Promise<Connection<Observation>> {
  const connection = await page;
  if (!asOf) return connection;
  const nodes = await asKnownAt(scopeOf(context), asOf, connection.edges.map((edge) => edge.node));
  return { ...connection, edges: connection.edges.map((edge, index) => (nodes[index] === edge.node ? edge : { ...edge, node: nodes[index] })) };
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
    @Arg('filter', () => ObservationSearch, { nullable: true, description: 'Only values matching every given filter; null: all you may see.' }) filter?: ObservationSearch,
    @Arg('orderBy', () => ObservationOrder, { nullable: true, description: 'Order; default PERIOD_ASC.' }) orderBy?: ObservationOrder,
  ): Promise<Connection<Observation>> {
    return knownAt(context, filter?.asOf, rootConnection({ context, info, page, query: () => observationsQuery(scopeOf(context), filter), sort: sortKeys(orderBy), unbounded: true }));
  }

  @FieldResolver(() => AdministrativeUnit, { description: 'The administrative unit the value is for.' })
  async unit(@Root() observation: Observation, @Ctx() context: HubContext): Promise<AdministrativeUnit> {
    return context.loaders.related(AdministrativeUnit, observation.unitId);
  }

  @Authorized(...OPERATIONAL_READ_ROLES)
  @FieldResolver(() => [ObservationRevision], { complexity: listCost, description: 'Earlier values of this observation, oldest first.' })
  revisions(@Root() observation: Observation, @Ctx() context: HubContext): Promise<ObservationRevision[]> {
    return context.loaders.observationRevisions.load(observation.id);
  }

  @FieldResolver(() => Metric, { description: 'The metric the value is of.' })
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
    @Arg('filter', () => ObservationFilter, { nullable: true, description: 'Only values matching every given filter; null: all of this metric.' }) filter?: ObservationFilter,
    @Arg('orderBy', () => ObservationOrder, { nullable: true, description: 'Order; default PERIOD_ASC.' }) orderBy?: ObservationOrder,
  ): Promise<Connection<Observation>> {
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    return knownAt(context, filter?.asOf, nestedConnection({
      context,
      info,
      page,
      name: 'Metric.observations',
      parentProperty: 'metricId',
      parentId: metric.id,
      variant: [filter, orderBy],
      query: () => observationsQuery(scopeOf(context), filter),
      sort: sortKeys(orderBy),
    }));
  }
}
