import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, Field, FieldResolver, Float, Info, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { MetricFrequency, MetricKind, SortDirection } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { connectionType, PageArgs, rootConnection, type Connection } from '../../graphql/connection';
import { scopeOf, type HubContext } from '../../graphql/context';
import { connectionCost } from '../../graphql/limits';
import { progressRatio, targetIsCumulative, targetReached } from '../../analytics/value-rules';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { Department } from '../departments/department.entity';
import { MetricPoint } from '../observations/metric-values';
import { ADMIN_ONLY, ALL_ROLES, assertDepartmentAccess } from '../../security/access';
import { Metric } from './metric.entity';
import { metricsQuery, requireMetric, setMetricTarget } from './metric.service';

const MetricConnection = connectionType(Metric, 'Metric');

@InputType({ description: 'Filters for metrics; all given filters must match.' })
class MetricFilter {
  @Field(() => String, { nullable: true, description: 'Code of the pilot model measured.' })
  pilotModel?: string | null;

  @Field(() => String, { nullable: true, description: 'Code of the reporting department.' })
  department?: string | null;

  @Field(() => MetricKind, { nullable: true, description: 'Only metrics of this kind.' })
  kind?: MetricKind | null;

  @Field(() => MetricFrequency, { nullable: true, description: 'Only metrics reported at this frequency.' })
  frequency?: MetricFrequency | null;
}

@ObjectType({ description: 'Where a metric stands against its target.' })
class MetricProgress {
  @Field(() => Float, { name: 'target', description: 'The value to reach (a percentage for RATE metrics).' })
  targetValue: number;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date by which it is to be reached (YYYY-MM-DD); null when open-ended.' })
  targetDate: string | null;

  @Field(() => Float, {
    nullable: true,
    description: 'COUNT: total from 1 January of the target year to the target date; STOCK and RATE: the latest value. Null when no data.',
  })
  actual: number | null;

  @Field(() => Float, { nullable: true, description: 'actual / target (1 = target reached); null when there is no data.' })
  ratio: number | null;

  @Field({ description: 'True when the target is reached.' })
  achieved: boolean;
}

@Resolver(() => Metric)
export class MetricResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Metric, { nullable: true, description: 'A metric by code, e.g. KCB_BIOMETRIC_VISITS.' })
  async metric(@Arg('code', { description: 'Code of the metric, e.g. KCB_BIOMETRIC_VISITS.' }) code: string, @Ctx() context: HubContext): Promise<Metric> {
    return requireMetric(context.dataSource, code);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => MetricConnection, { complexity: connectionCost, description: 'Metrics by code.' })
  async metrics(
    @Args(() => PageArgs) page: PageArgs,
    @Ctx() context: HubContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => MetricFilter, { nullable: true, description: 'Only metrics matching every given filter; null: all.' }) filter?: MetricFilter,
  ): Promise<Connection<Metric>> {
    const query = await metricsQuery(context.dataSource, filter);
    return rootConnection({
      context,
      info,
      page,
      query: async () => query,
      sort: [{ property: 'code', direction: SortDirection.ASC }],
    });
  }

  @FieldResolver(() => PilotModel, { description: 'The pilot model this metric measures.' })
  async pilotModel(@Root() metric: Metric, @Ctx() context: HubContext): Promise<PilotModel> {
    return context.loaders.related(PilotModel, metric.pilotModelId);
  }

  @FieldResolver(() => Department, { description: 'The department that reports it (and whose connectors may write it).' })
  async department(@Root() metric: Metric, @Ctx() context: HubContext): Promise<Department> {
    return context.loaders.related(Department, metric.departmentId);
  }

  @FieldResolver(() => MetricPoint, {
    nullable: true,
    description:
      'The most recent period with data, combined over the coarsest level of units that reported it; FORBIDDEN outside a department-scoped caller’s departments.',
  })
  latest(@Root() metric: Metric, @Ctx() context: HubContext): Promise<MetricPoint | null> {
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    return context.loaders.latestPoints.load(metric);
  }

  @FieldResolver(() => MetricProgress, { nullable: true, description: 'Progress against the target; null when the metric has none.' })
  async progress(@Root() metric: Metric, @Ctx() context: HubContext): Promise<MetricProgress | null> {
    assertDepartmentAccess(context.principal, metric.departmentId, `metric ${metric.code}`);
    if (metric.targetValue == null) return null;
    let actual: number | null;
    if (targetIsCumulative(metric.kind, metric.targetDate)) {
      actual = await context.loaders.cumulativeTotals.load(metric);
    } else {
      actual = (await this.latest(metric, context))?.value ?? null;
    }
    const ratio = progressRatio(actual, metric.targetValue);
    return { targetValue: metric.targetValue, targetDate: metric.targetDate, actual, ratio, achieved: targetReached(ratio) };
  }

  @Authorized(...ADMIN_ONLY)
  @Mutation(() => Metric, { description: 'Sets a metric’s target value and date.' })
  async setMetricTarget(
    @Arg('code', { description: 'Code of the metric, e.g. KCB_BIOMETRIC_VISITS.' }) code: string,
    @Arg('targetValue', () => Float, { nullable: true, description: 'Null removes the target.' }) targetValue: number | null | undefined,
    @Ctx() context: HubContext,
    @Arg('targetDate', () => CalendarDateScalar, { nullable: true, description: 'Date by which the target is to be reached (YYYY-MM-DD); null: open-ended.' }) targetDate?: string | null,
  ): Promise<Metric> {
    return setMetricTarget(scopeOf(context), code, targetValue, targetDate);
  }
}
