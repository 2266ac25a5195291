import type { DataSource, SelectQueryBuilder } from 'typeorm';
import { MetricKind, type MetricFrequency } from '../../common/enums';
import { badInput } from '../../common/errors';
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
 * Sets a metric's target value and date. An omitted (undefined) targetValue keeps the current one (only the date
 * moves); null removes the target.
 */
export async function setMetricTarget(
  dataSource: DataSource,
  code: string,
  targetValue: number | null | undefined,
  targetDate?: string | null,
): Promise<Metric> {
  const repository = dataSource.getRepository(Metric);
  const metric = await requireMetric(dataSource, code);
  const value = targetValue === undefined ? metric.targetValue : targetValue;
  if (value == null && targetDate) throw badInput('targetDate', 'there is no target value to date; give targetValue too');
  if (value != null) {
    if (!Number.isFinite(value) || value < 0) throw badInput('targetValue', 'must be a non-negative number');
    if (metric.kind === MetricKind.RATE && value > 100) throw badInput('targetValue', 'a RATE target is a percentage, 0 to 100');
    if (!targetDate && !metric.targetDate) throw badInput('targetDate', 'a target needs a date');
  }
  await repository.update(metric.id, {
    targetValue: value,
    targetDate: value == null ? null : (targetDate ?? metric.targetDate),
  });
  return repository.findOneOrFail({ where: { id: metric.id } });
}
