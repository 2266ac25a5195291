import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { MetricFrequency, MetricKind } from '../../common/enums';
import type { RequestScope } from '../../common/request-scope';
import { updateMetric } from '../catalogue/catalogue-lifecycle.service';
import { requireByCode } from '../../database/by-code';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { Department } from '../departments/department.entity';
import { Metric } from './metric.entity';

/** Filters of a metric list; all given filters must match. */
export interface MetricCriteria {
  pilotModel?: string | null;
  department?: string | null;
  kind?: MetricKind | null;
  frequency?: MetricFrequency | null;
}

export function requireMetric(dataSource: DataSource, code: string): Promise<Metric> {
  return requireByCode(dataSource, Metric, 'metric', code);
}

/** Metrics matching `criteria` (a connection orders and pages them); unknown model or department codes are NOT_FOUND. */
export async function metricsQuery(dataSource: DataSource, criteria?: MetricCriteria | null): Promise<SelectQueryBuilder<Metric>> {
  const query = dataSource.getRepository(Metric).createQueryBuilder('metric');
  if (criteria?.pilotModel) {
    const model = await requireByCode(dataSource, PilotModel, 'pilot model', criteria.pilotModel);
    query.andWhere('metric.pilotModelId = :pilotModelId', { pilotModelId: model.id });
  }
  if (criteria?.department) {
    const department = await requireByCode(dataSource, Department, 'department', criteria.department);
    query.andWhere('metric.departmentId = :departmentId', { departmentId: department.id });
  }
  if (criteria?.kind) query.andWhere('metric.kind = :kind', { kind: criteria.kind });
  if (criteria?.frequency) query.andWhere('metric.frequency = :frequency', { frequency: criteria.frequency });
  return query;
}

/**
 * Sets a metric's target value and date (an amendment of the metric, recorded in its history). An omitted
 * (undefined) targetValue keeps the current one (only the date moves); null removes the target.
 */
export function setMetricTarget(
  scope: RequestScope,
  code: string,
  targetValue: number | null | undefined,
  targetDate?: string | null,
): Promise<Metric> {
  return updateMetric(scope, code, { targetValue, targetDate: targetDate ?? undefined }, '');
}
