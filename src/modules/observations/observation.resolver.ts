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
import { sqliteDatetime } from '../../database/sql-dialect';
import { ObservationRevision } from './observation-revision.entity';
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
  if (filter?.asOf) {
    const asOf = context.config.database.kind === 'sqlite' ? sqliteDatetime(filter.asOf) : filter.asOf;
    query.andWhere(
      '(observation.recordedAt <= :asOf OR EXISTS (SELECT 1 FROM observation_revision known ' +
        'WHERE known.observationId = observation.id AND known.recordedAt <= :asOf AND known.revisedAt > :asOf))',
      { asOf },
    );
  }
  if (filter?.level) {
    query
      .innerJoin(AdministrativeUnit, 'unit', 'unit.id = observation.unitId')
      .andWhere('unit.level = :level', { level: filter.level });
  }
  return query;
}

/**
 * Observations of a page recorded after `asOf` show the revision that was current at `asOf` (the filter keeps
 * only observations that had a value then); one statement per page set, through a per-request loader.
 */
async function asKnownAt(context: HubContext, asOf: Date | null | undefined, page: Promise<Connection<Observation>>): Promise<Connection<Observation>> {
  const connection = await page;
  if (!asOf) return connection;
  const loader = context.loaders.get<number, ObservationRevision | null>(`Observation.knownAt:${asOf.toISOString()}`, async (ids) => {
    const at = context.config.database.kind === 'sqlite' ? sqliteDatetime(asOf) : asOf;
    const revisions = await context.dataSource
      .getRepository(ObservationRevision)
      .createQueryBuilder('revision')
      .where('revision.observationId IN (:...ids)', { ids: [...ids] })
      .andWhere('revision.recordedAt <= :at AND revision.revisedAt > :at', { at })
      .getMany();
    const byObservation = new Map(revisions.map((revision) => [revision.observationId, revision]));
    return ids.map((id) => byObservation.get(id) ?? null);
  });
  const edges = await Promise.all(
    connection.edges.map(async (edge) => {
      if (new Date(edge.node.recordedAt).getTime() <= asOf.getTime()) return edge;
      const revision = await loader.load(edge.node.id);
      if (!revision) return edge;
      const { value, numerator, denominator, recordedAt, source, runId, mappingVersion } = revision;
      const node = Object.assign(Object.create(Object.getPrototypeOf(edge.node) as object) as Observation, edge.node, {
        value, numerator, denominator, recordedAt, source, runId, mappingVersion,
      });
      return { ...edge, node };
    }),
  );
  return { ...connection, edges };
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
    return asKnownAt(context, filter?.asOf, rootConnection({ context, info, page, query: () => filteredObservations(context, filter), sort: sortKeys(orderBy) }));
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
    return asKnownAt(context, filter?.asOf, nestedConnection({
      context,
      info,
      page,
      name: 'Metric.observations',
      parentProperty: 'metricId',
      parentId: metric.id,
      variant: [filter, orderBy],
      query: () => filteredObservations(context, filter),
      sort: sortKeys(orderBy),
    }));
  }
}
