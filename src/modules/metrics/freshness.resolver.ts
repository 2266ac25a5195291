import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import { todayIn } from '../../common/clock';
import type { HubContext } from '../../graphql/context';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { Department } from '../departments/department.entity';
import { latestPointLoader } from '../observations/metric-values';
import { FreshnessSummary, MetricFreshness, metricFreshness, summarize } from './freshness';
import { Metric } from './metric.entity';

async function freshnessOf(metric: Metric, context: HubContext): Promise<MetricFreshness> {
  const latest = await latestPointLoader(context).load(metric);
  return metricFreshness(metric, latest?.period ?? null, todayIn(context.config.timeZone));
}

async function summaryOf(metrics: Metric[], context: HubContext): Promise<FreshnessSummary> {
  const freshness = await Promise.all(metrics.map((metric) => freshnessOf(metric, context)));
  return summarize(freshness.map((entry) => entry.status));
}

@Resolver(() => Metric)
export class MetricFreshnessResolver {
  @FieldResolver(() => MetricFreshness, { description: 'Whether reports arrive on time, and when the next one is due.' })
  freshness(@Root() metric: Metric, @Ctx() context: HubContext): Promise<MetricFreshness> {
    return freshnessOf(metric, context);
  }
}

@Resolver(() => PilotModel)
export class PilotModelFreshnessResolver {
  @FieldResolver(() => FreshnessSummary, { description: 'Freshness of the model’s metrics.' })
  async freshness(@Root() model: PilotModel, @Ctx() context: HubContext): Promise<FreshnessSummary> {
    const metrics = await context.loaders.byForeignKey(Metric, 'pilotModelId', { code: 'ASC' }).load(model.id);
    return summaryOf(metrics, context);
  }
}

@Resolver(() => Department)
export class DepartmentFreshnessResolver {
  @FieldResolver(() => FreshnessSummary, { description: 'Freshness of the metrics the department reports.' })
  async freshness(@Root() department: Department, @Ctx() context: HubContext): Promise<FreshnessSummary> {
    const metrics = await context.loaders.byForeignKey(Metric, 'departmentId', { code: 'ASC' }).load(department.id);
    return summaryOf(metrics, context);
  }
}
