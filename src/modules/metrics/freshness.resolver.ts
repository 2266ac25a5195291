import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestScope } from '../../common/request-scope';
import { scopeOf, type HubContext } from '../../graphql/context';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { Department } from '../departments/department.entity';
import { FreshnessSummary, MetricFreshness, metricFreshness, summarize } from './freshness';
import { Metric } from './metric.entity';

async function freshnessOf(metric: Metric, scope: RequestScope): Promise<MetricFreshness> {
  const latest = await scope.loaders.latestPoints.load(metric);
  return metricFreshness(metric, latest?.period ?? null, scope.today);
}

async function summaryOf(metrics: Metric[], scope: RequestScope): Promise<FreshnessSummary> {
  const freshness = await Promise.all(metrics.map((metric) => freshnessOf(metric, scope)));
  return summarize(freshness.map((entry) => entry.status));
}

@Resolver(() => Metric)
export class MetricFreshnessResolver {
  @FieldResolver(() => MetricFreshness, { description: 'Whether reports arrive on time, and when the next one is due.' })
  freshness(@Root() metric: Metric, @Ctx() context: HubContext): Promise<MetricFreshness> {
    return freshnessOf(metric, scopeOf(context));
  }
}

@Resolver(() => PilotModel)
export class PilotModelFreshnessResolver {
  @FieldResolver(() => FreshnessSummary, { description: 'Freshness of the model’s metrics.' })
  async freshness(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<FreshnessSummary> {
    const metrics = await context.loaders.metricsByPilotModel.load(model.id);
    return summaryOf(metrics, scopeOf(context));
  }
}

@Resolver(() => Department)
export class DepartmentFreshnessResolver {
  @FieldResolver(() => FreshnessSummary, { description: 'Freshness of the metrics the department reports.' })
  async freshness(@Root() department: Department, @Ctx() context: HubContext): Promise<FreshnessSummary> {
    const metrics = await context.loaders.metricsByDepartment.load(department.id);
    return summaryOf(metrics, scopeOf(context));
  }
}
