import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { UnitLevel } from '../../common/enums';
import { badInput, notFound } from '../../common/errors';
import type { Period } from '../../common/period';
import { isSqlite, type RequestScope } from '../../common/request-scope';
import { requireByCode } from '../../database/by-code';
import { sqliteDatetime } from '../../database/sql-dialect';
import { ObservationRevision } from './observation-revision.entity';
import { assertDepartmentAccess, departmentScope } from '../../security/access';
import { Metric } from '../metrics/metric.entity';
import { AdministrativeUnit } from '../units/administrative-unit.entity';
import { findUnit } from '../units/unit.service';
import { Observation } from './observation.entity';

/** Filters of observations; all given filters must match. */
export interface ObservationCriteria {
  /** Code of the metric. */
  metric?: string | null;
  /** Code of the administrative unit (the most recent unit with that code). */
  unit?: string | null;
  level?: UnitLevel | null;
  from?: Period | null;
  to?: Period | null;
  /** What was known at this time. */
  asOf?: Date | null;
}

/** A time as the database compares it with its stored times. */
function databaseTime(dataSource: DataSource, at: Date): Date | string {
  return isSqlite(dataSource) ? sqliteDatetime(at) : at;
}

/**
 * Observations matching `criteria` that the caller may read (a connection orders and pages them): a
 * department-scoped caller sees the values of its departments' metrics only, counts included.
 */
export async function observationsQuery(scope: RequestScope, criteria: ObservationCriteria | null | undefined): Promise<SelectQueryBuilder<Observation>> {
  const { dataSource } = scope;
  const query = dataSource.getRepository(Observation).createQueryBuilder('observation');
  if (criteria?.from && criteria.to && criteria.from.start > criteria.to.end) {
    throw badInput('filter.from', `${criteria.from.text} is after filter.to ${criteria.to.text}`);
  }
  if (criteria?.from) query.andWhere('observation.periodStart >= :from', { from: criteria.from.start });
  if (criteria?.to) query.andWhere('observation.periodEnd <= :to', { to: criteria.to.end });
  if (criteria?.metric) {
    const metric = await requireByCode(dataSource, Metric, 'metric', criteria.metric);
    assertDepartmentAccess(scope.principal, metric.departmentId, `metric ${metric.code}`);
    query.andWhere('observation.metricId = :metricId', { metricId: metric.id });
  }
  const departments = departmentScope(scope.principal);
  if (departments) {
    query.andWhere(
      `observation.metricId IN ${query.subQuery().select('scopeMetric.id').from(Metric, 'scopeMetric').where('scopeMetric.departmentId IN (:...scope)').getQuery()}`,
      { scope: [...departments, -1] },
    );
  }
  if (criteria?.unit) {
    const unit = await findUnit(dataSource, criteria.unit);
    if (!unit) throw notFound('administrative unit', criteria.unit);
    query.andWhere('observation.unitId = :unitId', { unitId: unit.id });
  }
  if (criteria?.asOf) {
    query.andWhere(
      '(observation.recordedAt <= :asOf OR EXISTS (SELECT 1 FROM observation_revision known ' +
        'WHERE known.observationId = observation.id AND known.recordedAt <= :asOf AND known.revisedAt > :asOf))',
      { asOf: databaseTime(dataSource, criteria.asOf) },
    );
  }
  if (criteria?.level) {
    query
      .innerJoin(AdministrativeUnit, 'unit', 'unit.id = observation.unitId')
      .andWhere('unit.level = :level', { level: criteria.level });
  }
  return query;
}

/** The revision of each observation that was current at `asOf`, or null; one statement for any number of observations. */
export async function revisionsKnownAt(dataSource: DataSource, ids: readonly number[], asOf: Date): Promise<Array<ObservationRevision | null>> {
  const at = databaseTime(dataSource, asOf);
  const revisions = await dataSource
    .getRepository(ObservationRevision)
    .createQueryBuilder('revision')
    .where('revision.observationId IN (:...ids)', { ids: [...ids] })
    .andWhere('revision.recordedAt <= :at AND revision.revisedAt > :at', { at })
    .getMany();
  const byObservation = new Map(revisions.map((revision) => [revision.observationId, revision]));
  return ids.map((id) => byObservation.get(id) ?? null);
}

/**
 * Observations as known at `asOf`: one recorded after it shows the revision that was current then (the
 * criteria keep only observations that had a value then); the others are returned as they are. The revisions
 * of all observations a response shows are read in one statement, through the request's loader.
 */
export async function asKnownAt(scope: RequestScope, asOf: Date, observations: readonly Observation[]): Promise<Observation[]> {
  const loader = scope.loaders.revisionsKnownAt(asOf);
  return Promise.all(
    observations.map(async (observation) => {
      if (new Date(observation.recordedAt).getTime() <= asOf.getTime()) return observation;
      const revision = await loader.load(observation.id);
      if (!revision) return observation;
      const { value, numerator, denominator, recordedAt, source, runId, mappingVersion } = revision;
      return Object.assign(Object.create(Object.getPrototypeOf(observation) as object) as Observation, observation, {
        value, numerator, denominator, recordedAt, source, runId, mappingVersion,
      });
    }),
  );
}
