import { Field, Float, Int, ObjectType } from 'type-graphql';
import type { DataSource, SelectQueryBuilder } from 'typeorm';
import type { RequestScope } from '../../common/request-scope';
import { canAccessDepartment } from '../../security/access';
import { combineReports, pickCoarsest, targetIsCumulative, type ReportSums } from '../../analytics/value-rules';
import { MetricKind, UnitLevel } from '../../common/enums';
import { parsePeriod } from '../../common/period';
import { CalendarDateScalar, PeriodScalar } from '../../common/scalars';
import { Metric } from '../metrics/metric.entity';
import { AdministrativeUnit } from '../units/administrative-unit.entity';
import { guardedSum, readSum } from '../../database/sum-guard';
import { Observation } from './observation.entity';

@ObjectType({ description: 'A metric’s value for one period, combined over the units that reported it.' })
export class MetricPoint {
  @Field(() => PeriodScalar, { description: 'The period, written per the metric\'s frequency, e.g. 2024-03.' })
  period: string;

  @Field(() => CalendarDateScalar, { description: 'First day of the period.' })
  periodStart: string;

  @Field(() => CalendarDateScalar, { description: 'Last day of the period (inclusive).' })
  periodEnd: string;

  @Field(() => Float, { nullable: true, description: 'Sum for COUNT and STOCK; sum(numerator) / sum(denominator) × 100 for RATE.' })
  value: number | null;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: sum of the numerators; null for COUNT and STOCK.' })
  numerator: number | null;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: sum of the denominators; null for COUNT and STOCK.' })
  denominator: number | null;

  @Field(() => UnitLevel, { description: 'Level of the units combined (the coarsest level that reported).' })
  level: UnitLevel;

  @Field(() => Int, { description: 'How many units reported a value for this period.' })
  reportingUnits: number;
}

/** One level's reports of a metric in a period, as summed by the database. */
interface LevelSum {
  metricId: number;
  period: string;
  level: UnitLevel;
  sums: ReportSums;
  reportingUnits: number;
}

/** A metric's point from the sums of the level chosen for it, combined by the metric's kind. */
function pointOf(kind: MetricKind, sum: LevelSum): MetricPoint {
  const { value, numerator, denominator } = combineReports(kind, sum.sums);
  const { start, end } = parsePeriod(sum.period);
  return { period: sum.period, periodStart: start, periodEnd: end, value, numerator, denominator, level: sum.level, reportingUnits: sum.reportingUnits };
}

type SumRow = {
  metricId: number | string;
  period: string;
  level: UnitLevel;
  value: number | string | null;
  numerator: number | string | null;
  denominator: number | string | null;
  reportingUnits: number | string;
  numeratorCount: number | string;
};

function toLevelSum(row: SumRow): LevelSum {
  const reportingUnits = Number(row.reportingUnits);
  return {
    metricId: Number(row.metricId),
    period: row.period,
    level: row.level,
    sums: {
      // A sum that overflowed (src/database/sum-guard.ts) reads as Infinity: the field answers null with an error.
      value: readSum(Number(row.value ?? 0)),
      numerator: readSum(Number(row.numerator ?? 0)),
      denominator: readSum(Number(row.denominator ?? 0)),
      reports: reportingUnits,
      numerators: Number(row.numeratorCount),
    },
    reportingUnits,
  };
}

/**
 * Starts the statement of the latest points of the metrics of the pilot models `modelIds` selects (a subquery with
 * an `id` column, e.g. a page being read at the same time) that the caller may read, without waiting for the
 * metrics themselves: the latest period start of each metric is found by a correlated look-up on the
 * (metricId, periodStart) index, so the statement costs what the one over a list of metric ids costs
 * (latestPoints) and saves the round trip that reads the metrics first. The returned function, given the
 * metrics once read, primes the request's latestPoints loader with their points (a failure reaches the `latest`
 * fields through it).
 */
export function prefetchLatestPointsOfModels(scope: RequestScope, modelIds: SelectQueryBuilder<{ id: number }>): (metrics: readonly Metric[]) => void {
  const departmentIds = scope.principal.departmentIds;
  if (departmentIds !== null && departmentIds.length === 0) return () => undefined;
  const { dataSource } = scope;
  const latestStart = dataSource
    .createQueryBuilder(Metric, 'metric')
    .select('metric.id', 'metricId')
    .addSelect(
      (subquery) =>
        subquery
          .select('recent.periodStart')
          .from(Observation, 'recent')
          .where('recent.metricId = metric.id')
          .orderBy('recent.periodStart', 'DESC')
          .limit(1),
      'periodStart',
    )
    // DISTINCT (the ids are distinct already) keeps the look-ups in a table of their own, computed once per metric,
    // rather than merged into the join below, where they would run once per observation.
    .distinct(true)
    .innerJoin(`(${modelIds.getQuery()})`, 'page', 'page.id = metric.pilotModelId');
  if (departmentIds !== null) latestStart.where('metric.departmentId IN (:...latestDepartmentIds)');
  const sums: Promise<Map<number, LevelSum[]>> = latestSums(dataSource, latestStart.getQuery())
    .setParameters({ ...modelIds.getParameters(), ...(departmentIds !== null ? { latestDepartmentIds: [...departmentIds] } : {}) })
    .getRawMany<SumRow>()
    .then((rows) => {
      const byMetric = new Map<number, LevelSum[]>();
      for (const sum of rows.map(toLevelSum)) {
        const list = byMetric.get(sum.metricId);
        if (list) list.push(sum);
        else byMetric.set(sum.metricId, [sum]);
      }
      return byMetric;
    });
  sums.catch(() => undefined);
  return (metrics) => {
    const loader = scope.loaders.latestPoints;
    for (const metric of metrics) {
      if (!canAccessDepartment(scope.principal, metric.departmentId)) continue;
      const point = sums.then((byMetric) => {
        const chosen = pickCoarsest(byMetric.get(metric.id) ?? []);
        return chosen ? pointOf(metric.kind, chosen) : null;
      });
      point.catch(() => undefined);
      loader.prime(metric, point);
    }
  };
}

/**
 * The latest period with data of each metric, combined over units: one statement for any number of metrics.
 * With `asOf` (YYYY-MM-DD), only periods that had ended by that day count.
 */
export async function latestPoints(dataSource: DataSource, metrics: readonly Metric[], asOf?: string): Promise<Array<MetricPoint | null>> {
  if (metrics.length === 0) return [];
  const [sql, parameters] = latestStatement(dataSource, metrics.length, Boolean(asOf));
  const metricIds = metrics.map((metric) => metric.id);
  const rows: SumRow[] = await dataSource.query(
    sql,
    parameters.map((parameter) => (parameter === ASOF_SLOT ? asOf : metricIds[parameter])),
  );
  const sums = rows.map(toLevelSum);
  return metrics.map((metric) => {
    const chosen = pickCoarsest(sums.filter((sum) => sum.metricId === metric.id));
    return chosen ? pointOf(metric.kind, chosen) : null;
  });
}

/** Where a parameter of a cached latest statement comes from: an index into the metric ids, or `asOf`. */
const ASOF_SLOT = -1;
/** The latest statement by data source, number of metrics and whether asOf is given: built once, it is sent as soon as the metrics are known. */
const latestStatements = new WeakMap<DataSource, Map<string, [string, number[]]>>();

function latestStatement(dataSource: DataSource, metricCount: number, withAsOf: boolean): [string, number[]] {
  let statements = latestStatements.get(dataSource);
  if (!statements) {
    statements = new Map();
    latestStatements.set(dataSource, statements);
  }
  const key = `${metricCount}:${withAsOf}`;
  let statement = statements.get(key);
  if (!statement) {
    // Built with stand-in values (negative ids, an impossible date) whose positions tell where each real value goes.
    const standInIds = Array.from({ length: metricCount }, (_value, index) => -1 - index);
    const standInAsOf = '0000-00-00#asOf';
    const [sql, parameters] = buildLatestQuery(dataSource, standInIds, withAsOf ? standInAsOf : undefined).getQueryAndParameters();
    const slots = parameters.map((parameter) => {
      if (parameter === standInAsOf) return ASOF_SLOT;
      if (typeof parameter === 'number' && parameter < 0) return -1 - parameter;
      throw new Error(`unexpected parameter in the latest statement: ${String(parameter)}`);
    });
    statement = [sql, slots];
    // Metric counts vary little (a page of models, a dashboard): a bounded number of shapes is kept.
    if (statements.size < 256) statements.set(key, statement);
  }
  return statement;
}

function buildLatestQuery(dataSource: DataSource, metricIds: number[], asOf?: string) {
  const latestStart = dataSource
    .createQueryBuilder(Observation, 'recent')
    .select('recent.metricId', 'metricId')
    .addSelect('MAX(recent.periodStart)', 'periodStart')
    .where('recent.metricId IN (:...metricIds)')
    .groupBy('recent.metricId');
  if (asOf) latestStart.andWhere('recent.periodEnd <= :asOf');
  return latestSums(dataSource, latestStart.getQuery()).setParameters({ metricIds, ...(asOf ? { asOf } : {}) });
}

/** The sums per metric, period and unit level of the observations at each metric's latest period start (`latestStart`: metricId, periodStart). */
function latestSums(dataSource: DataSource, latestStart: string) {
  return dataSource
    .createQueryBuilder(Observation, 'observation')
    .innerJoin(`(${latestStart})`, 'latest', 'latest.metricId = observation.metricId AND latest.periodStart = observation.periodStart')
    .innerJoin(AdministrativeUnit, 'unit', 'unit.id = observation.unitId')
    .select('observation.metricId', 'metricId')
    .addSelect('observation.period', 'period')
    .addSelect('unit.level', 'level')
    .addSelect(guardedSum('observation.value'), 'value')
    .addSelect(guardedSum('observation.numerator'), 'numerator')
    .addSelect(guardedSum('observation.denominator'), 'denominator')
    .addSelect('COUNT(*)', 'reportingUnits')
    .addSelect('COUNT(observation.numerator)', 'numeratorCount')
    .groupBy('observation.metricId')
    .addGroupBy('observation.period')
    .addGroupBy('unit.level');
}

/** A COUNT metric's total towards its dated target, at the coarsest level that reported. */
export interface CumulativeTotal {
  value: number | null;
  level: UnitLevel;
  /** Units whose reports were summed. */
  reportingUnits: number;
}

/**
 * For COUNT metrics, the total from the first day of the target year to the target date (or to `asOf` when that is
 * earlier), combined over the coarsest reporting level; one statement for any number of metrics.
 */
export async function cumulativeTotals(dataSource: DataSource, metrics: readonly Metric[], asOf?: string): Promise<Map<number, CumulativeTotal>> {
  const withTargets = metrics.filter((metric) => targetIsCumulative(metric.kind, metric.targetDate));
  if (withTargets.length === 0) return new Map();
  const query = dataSource
    .createQueryBuilder(Observation, 'observation')
    .innerJoin(AdministrativeUnit, 'unit', 'unit.id = observation.unitId')
    .select('observation.metricId', 'metricId')
    .addSelect("'total'", 'period')
    .addSelect('unit.level', 'level')
    .addSelect(guardedSum('observation.value'), 'value')
    .addSelect(guardedSum('observation.numerator'), 'numerator')
    .addSelect(guardedSum('observation.denominator'), 'denominator')
    .addSelect('COUNT(DISTINCT observation.unitId)', 'reportingUnits')
    .addSelect('COUNT(observation.numerator)', 'numeratorCount');
  const windows = withTargets.map((metric, index) => {
    query.setParameter(`metric${index}`, metric.id);
    query.setParameter(`from${index}`, `${metric.targetDate!.slice(0, 4)}-01-01`);
    query.setParameter(`to${index}`, asOf && asOf < metric.targetDate! ? asOf : metric.targetDate);
    return `(observation.metricId = :metric${index} AND observation.periodStart >= :from${index} AND observation.periodEnd <= :to${index})`;
  });
  const rows = await query
    .where(`(${windows.join(' OR ')})`)
    .groupBy('observation.metricId')
    .addGroupBy('unit.level')
    .getRawMany<SumRow>();
  const sums = rows.map(toLevelSum);
  const result = new Map<number, CumulativeTotal>();
  for (const metric of withTargets) {
    const chosen = pickCoarsest(sums.filter((sum) => sum.metricId === metric.id));
    if (chosen) result.set(metric.id, { value: combineReports(metric.kind, chosen.sums).value, level: chosen.level, reportingUnits: chosen.reportingUnits });
  }
  return result;
}
