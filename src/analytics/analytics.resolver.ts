import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';
import { Arg, Authorized, Ctx, Field, FieldResolver, Float, Info, InputType, Int, ObjectType, Query, registerEnumType, Resolver, Root } from 'type-graphql';
import { listCost } from '../graphql/limits';
import { MetricFrequency, SortDirection, UnitLevel } from '../common/enums';
import type { Period } from '../common/period';
import { CalendarDateScalar, PeriodScalar } from '../common/scalars';
import { scopeOf, type HubContext } from '../graphql/context';
import { PilotModel } from '../modules/catalogue/pilot-model.entity';
import { TaskGroup } from '../modules/catalogue/task-group.entity';
import { Department } from '../modules/departments/department.entity';
import { Metric } from '../modules/metrics/metric.entity';
import { AdministrativeUnit } from '../modules/units/administrative-unit.entity';
import { ALL_ROLES } from '../security/access';
import {
  Dimension,
  OrderField,
  runAggregate,
  runSeries,
  type AggregateMeasure,
  type AggregateRow,
  type Measure,
  type SeriesPoint,
  type SeriesResult,
} from './engine';
import { UnitEdition } from './unit-map';

registerEnumType(Dimension, {
  name: 'AggregateDimension',
  description: 'What aggregate rows can be grouped by.',
  valuesConfig: {
    PERIOD: { description: 'One row per period of the requested frequency.' },
    UNIT: { description: 'One row per administrative unit of the requested level and map edition.' },
    DEPARTMENT: { description: 'One row per department responsible for the metric.' },
    PILOT_MODEL: { description: 'One row per pilot model the metric measures.' },
    TASK_GROUP: { description: 'One row per task group of the plan the metric belongs to.' },
  },
});
registerEnumType(OrderField, {
  name: 'AggregateOrderField',
  description: 'A groupBy dimension, or VALUE: the value of one metric’s measure.',
  valuesConfig: {
    PERIOD: { description: 'By period, earliest first in ascending order.' },
    UNIT: { description: 'By administrative unit code.' },
    DEPARTMENT: { description: 'By department code.' },
    PILOT_MODEL: { description: 'By pilot model code.' },
    TASK_GROUP: { description: 'By task group code.' },
    VALUE: { description: 'By the value of the measure named in the ordering\'s metric.' },
  },
});

@ObjectType('AnalyticsMeasure', { description: 'A combined value and the reports it rests on.' })
class MeasureFields {
  @Field(() => Float, { nullable: true, description: 'COUNT: sum; STOCK: latest value of each unit, summed; RATE: sum(numerator) / sum(denominator) × 100. Null when nothing was reported.' })
  value: number | null;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: sum of the numerators reported; null for COUNT and STOCK, or when nothing was reported.' })
  numerator: number | null;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: sum of the denominators reported; null for COUNT and STOCK, or when nothing was reported.' })
  denominator: number | null;

  @Field(() => Int, { description: 'Reports expected: units of the reporting level × periods of the metric’s frequency that had started by today (or asOf).' })
  expected: number;

  @Field(() => Int, { description: 'Reports that arrived.' })
  reported: number;

  @Field({ description: 'True when every expected report arrived.' })
  complete: boolean;

  @Field({ description: 'True when part of the value was re-expressed on another map through a PARTIAL predecessor share (split evenly).' })
  approximate: boolean;

  @Field(() => UnitLevel, { nullable: true, description: 'Level of the units whose reports were combined (the coarsest that reported).' })
  level: UnitLevel | null;
}

@ObjectType('SeriesPoint', { description: 'A metric’s value for one period of a series.' })
class SeriesPointType extends MeasureFields {
  @Field(() => PeriodScalar, { description: 'The period, written per the series\' granularity, e.g. 2024-03 or 2024-Q1.' })
  period: Period;

  @Field(() => CalendarDateScalar, { description: 'First day of the period (YYYY-MM-DD).' })
  periodStart: string;

  @Field(() => CalendarDateScalar, { description: 'Last day of the period, inclusive (YYYY-MM-DD).' })
  periodEnd: string;

  @Field({
    description:
      'True when this point’s values come from another level (`level`) than the nearest earlier point with values, e.g. district reports up to March and ' +
      'commune reports from April: the two are not like for like, so a chart should mark a break here.',
  })
  levelChanged: boolean;

  @Field(() => UnitLevel, { nullable: true, description: 'When `levelChanged`: the level of that earlier point; otherwise null.' })
  previousLevel: UnitLevel | null;

  @Field(() => [String], {
    description:
      'Where this point’s values come from: the `source` of the observations used (`connector:<id>` for a connector, `demo-seed` for the demo data), ' +
      'sorted; empty when nothing was reported.',
  })
  sources: string[];

  @Field({
    description:
      'True when this point’s `sources` differ from those of the nearest earlier point with values, e.g. the demo seed up to March and a connector ' +
      'from April, one connector replaced by another, or a second source joining: a chart should mark a break here too.',
  })
  sourceChanged: boolean;

  @Field(() => [String], { nullable: true, description: 'When `sourceChanged`: the sources of that earlier point; otherwise null.' })
  previousSources: string[] | null;
}

@ObjectType('Series', { description: 'Values of one metric (or several combined) for every period of a range, for all units or one unit.' })
class SeriesType {
  /** Internal: the metric ids, resolved to Metric objects by the field resolver. */
  metricIds: number[];

  @Field(() => [SeriesPointType], { complexity: listCost, description: 'One point per period of the range, in order; periods without reports have a null value.' })
  points: SeriesPointType[];

  @Field(() => AdministrativeUnit, { nullable: true, description: 'The unit of a per-unit series (level given); null: all units.' })
  unit: AdministrativeUnit | null;
}

@ObjectType('AggregateMeasure', { description: 'One metric’s measure in an aggregate row.' })
class AggregateMeasureType extends MeasureFields {
  metricId: number;

  /**
   * Set by `aggregate` (which loads the few metrics once for all the measures) when the operation selects it: a
   * plain property, so thousands of measures cost no resolver call.
   */
  @Field(() => Metric, { description: 'The metric measured.' })
  metric?: Metric;
}

@ObjectType('AggregateRow', { description: 'One group: its dimension values (null when not grouped by them) and its measures.' })
class AggregateRowType {
  @Field(() => PeriodScalar, { nullable: true, description: 'The period of the row when grouped by PERIOD (per granularity, e.g. 2024-03); otherwise null.' })
  period: Period | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day of the row\'s period (YYYY-MM-DD); null when not grouped by PERIOD.' })
  periodStart: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Last day of the row\'s period, inclusive; null when not grouped by PERIOD.' })
  periodEnd: string | null;

  @Field(() => AdministrativeUnit, { nullable: true, description: 'The row\'s unit when grouped by UNIT; otherwise null.' })
  unit: AdministrativeUnit | null;

  departmentId: number | null;
  pilotModelId: number | null;
  taskGroupId: number | null;

  @Field(() => [AggregateMeasureType], { complexity: listCost, description: 'One per requested metric of the row’s department, model or task group.' })
  measures: AggregateMeasureType[];

  @Field({ description: 'True when any measure is approximate.' })
  approximate: boolean;
}

@ObjectType('AggregateResult', { description: 'Rows of an aggregate, ordered and limited as requested.' })
class AggregateResultType {
  @Field(() => [AggregateRowType], { complexity: listCost, description: 'The rows, in the requested order (at most limit).' })
  rows: AggregateRowType[];

  @Field(() => Int, { description: 'Rows before limit.' })
  totalRows: number;
}

@InputType('AggregateOrder', { description: 'One ordering key; rows are then ordered by every groupBy dimension ascending.' })
class AggregateOrder {
  @Field(() => OrderField, { description: 'What to order by: a groupBy dimension, or VALUE with metric.' })
  field: OrderField;

  @Field(() => String, { nullable: true, description: 'Metric code whose measure value orders the rows (field VALUE).' })
  metric?: string | null;

  @Field(() => SortDirection, { nullable: true, defaultValue: SortDirection.ASC, description: 'ASC (default) or DESC.' })
  direction?: SortDirection | null;
}

function measureFields(measure: Measure): MeasureFields {
  const { value, numerator, denominator, expected, reported, complete, approximate, level } = measure;
  return { value, numerator, denominator, expected, reported, complete, approximate, level };
}

function pointType(point: SeriesPoint): SeriesPointType {
  return {
    ...measureFields(point),
    period: point.period,
    periodStart: point.period.start,
    periodEnd: point.period.end,
    levelChanged: point.levelChanged,
    previousLevel: point.previousLevel,
    sources: point.sources,
    sourceChanged: point.sourceChanged,
    previousSources: point.previousSources,
  };
}

function seriesType(series: SeriesResult): SeriesType {
  return {
    metricIds: series.metrics.map((metric) => metric.id),
    unit: series.unit as AdministrativeUnit | null,
    points: series.points.map(pointType),
  };
}

function rowType(row: AggregateRow): AggregateRowType {
  return {
    period: row.period,
    periodStart: row.period?.start ?? null,
    periodEnd: row.period?.end ?? null,
    unit: row.unit as AdministrativeUnit | null,
    departmentId: row.departmentId,
    pilotModelId: row.pilotModelId,
    taskGroupId: row.taskGroupId,
    approximate: row.approximate,
    measures: row.measures.map((measure: AggregateMeasure) => ({ ...measureFields(measure), metricId: measure.metric.id, metric: undefined })),
  };
}

const optionsOf = (context: HubContext) => {
  const scope = scopeOf(context);
  return { principal: scope.principal, maxRows: context.config.maxAggregateRows, today: scope.today };
};

/** Whether the operation selects `path` below the current field (inline fragments and fragment spreads included). */
function selectsPath(info: GraphQLResolveInfo | undefined, path: readonly string[]): boolean {
  if (!info) return true;
  const visit = (selectionSet: SelectionSetNode | undefined, depth: number): boolean =>
    (selectionSet?.selections ?? []).some((selection) => {
      if (selection.kind === Kind.FIELD) {
        return selection.name.value === path[depth] && (depth === path.length - 1 || visit(selection.selectionSet, depth + 1));
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) return visit(selection.selectionSet, depth);
      const fragment = info.fragments[selection.name.value];
      return fragment ? visit(fragment.selectionSet, depth) : false;
    });
  return info.fieldNodes.some((node) => visit(node.selectionSet, 0));
}

@Resolver()
export class AnalyticsResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => [SeriesType], {
    complexity: listCost,
    description:
      'Values of metrics per period of a range at a granularity (never finer than a metric’s frequency): one series per metric ' +
      '(or one for all with combine), for all units or per unit of level.',
  })
  async series(
    @Ctx() context: HubContext,
    @Arg('metrics', () => [String], { description: 'Metric codes.' }) metrics: string[],
    @Arg('from', () => PeriodScalar, { description: 'First period (widened to the start of its granule).' }) from: Period,
    @Arg('to', () => PeriodScalar, { description: 'Last period (widened to the end of its granule).' }) to: Period,
    @Arg('granularity', () => MetricFrequency, { description: 'Period length of the points: each point combines the metric\'s periods within it (e.g. MONTH values into QUARTER).' }) granularity: MetricFrequency,
    @Arg('level', () => UnitLevel, { nullable: true, description: 'One series per unit of this level.' }) level?: UnitLevel | null,
    @Arg('units', () => [String], { nullable: true, description: 'Only values of these units (codes) and the units below them.' }) units?: string[] | null,
    @Arg('unitEdition', () => UnitEdition, { nullable: true, description: 'Re-express every value on this map.' }) unitEdition?: UnitEdition | null,
    @Arg('asOf', () => Date, { nullable: true, description: 'Values as known at this time.' }) asOf?: Date | null,
    @Arg('combine', () => Boolean, { nullable: true, description: 'One series for all metrics (same kind and unit of measure).' }) combine?: boolean | null,
  ): Promise<SeriesType[]> {
    const result = await runSeries(
      context.dataSource,
      { metrics, from, to, granularity, level, units, unitEdition, asOf, combine },
      optionsOf(context),
    );
    return result.map(seriesType);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => AggregateResultType, {
    description: 'Measures of metrics grouped by period, unit, department, pilot model and/or task group: the groups with at least one report.',
  })
  async aggregate(
    @Ctx() context: HubContext,
    @Arg('metrics', () => [String], { description: 'Metric codes (at most 50), e.g. ["KCB_BIOMETRIC_VISITS"].' }) metrics: string[],
    @Arg('groupBy', () => [Dimension], { description: 'Dimensions of the rows, each at most once, e.g. [PERIOD, UNIT].' }) groupBy: Dimension[],
    @Arg('from', () => PeriodScalar, { description: 'First period (widened to the start of its granule), e.g. 2024-01.' }) from: Period,
    @Arg('to', () => PeriodScalar, { description: 'Last period (widened to the end of its granule), e.g. 2024-03.' }) to: Period,
    @Arg('granularity', () => MetricFrequency, { nullable: true, description: 'Required with PERIOD.' }) granularity?: MetricFrequency | null,
    @Arg('level', () => UnitLevel, { nullable: true, description: 'Required with UNIT.' }) level?: UnitLevel | null,
    @Arg('units', () => [String], { nullable: true, description: 'Only values of these units (codes) and the units below them.' }) units?: string[] | null,
    @Arg('departments', () => [String], { nullable: true, description: 'Only metrics of these departments (codes).' }) departments?: string[] | null,
    @Arg('pilotModels', () => [String], { nullable: true, description: 'Only metrics of these pilot models (codes).' }) pilotModels?: string[] | null,
    @Arg('taskGroups', () => [String], { nullable: true, description: 'Only metrics of these task groups (codes).' }) taskGroups?: string[] | null,
    @Arg('unitEdition', () => UnitEdition, { nullable: true, description: 'Re-express every value on this map (unit codes, in units too, are read on it); null: values stay on the map they were reported against.' }) unitEdition?: UnitEdition | null,
    @Arg('asOf', () => Date, { nullable: true, description: 'Values as known at this time (ISO timestamp): later revisions are ignored.' }) asOf?: Date | null,
    @Arg('orderBy', () => [AggregateOrder], { nullable: true, description: 'Ordering keys, applied in turn; default by the groupBy dimensions ascending.' }) orderBy?: AggregateOrder[] | null,
    @Arg('limit', () => Int, { nullable: true, description: 'Rows returned after ordering (at most MAX_AGGREGATE_ROWS).' }) limit?: number | null,
    @Info() info?: GraphQLResolveInfo,
  ): Promise<AggregateResultType> {
    const result = await runAggregate(
      context.dataSource,
      { metrics, groupBy, from, to, granularity, level, units, departments, pilotModels, taskGroups, unitEdition, asOf, orderBy, limit },
      optionsOf(context),
    );
    const rows = result.rows.map(rowType);
    if (selectsPath(info, ['rows', 'measures', 'metric'])) {
      // Thousands of measures share a few metrics: each measure gets its metric's entity, not a promise of it.
      const ids = [...new Set(rows.flatMap((row) => row.measures.map((measure) => measure.metricId)))];
      const byId = new Map((await Promise.all(ids.map((id) => context.loaders.related(Metric, id)))).map((metric) => [metric.id, metric]));
      for (const row of rows) for (const measure of row.measures) measure.metric = byId.get(measure.metricId);
    }
    return { rows, totalRows: result.totalRows };
  }
}

@Resolver(() => SeriesType)
export class SeriesResolver {
  @FieldResolver(() => Metric, { nullable: true, description: 'The metric (null when several are combined).' })
  async metric(@Root() series: SeriesType, @Ctx() context: HubContext): Promise<Metric | null> {
    return series.metricIds.length === 1 ? context.loaders.related(Metric, series.metricIds[0]) : null;
  }

  @FieldResolver(() => [Metric], { complexity: listCost, description: 'The metrics of the series (several when combined).' })
  async metrics(@Root() series: SeriesType, @Ctx() context: HubContext): Promise<Metric[]> {
    return Promise.all(series.metricIds.map((id) => context.loaders.related(Metric, id)));
  }
}

@Resolver(() => AggregateRowType)
export class AggregateRowResolver {
  @FieldResolver(() => Department, { nullable: true, description: 'The row\'s department when grouped by DEPARTMENT; otherwise null.' })
  department(@Root() row: AggregateRowType, @Ctx() context: HubContext): Promise<Department | null> {
    return row.departmentId === null ? Promise.resolve(null) : context.loaders.related(Department, row.departmentId);
  }

  @FieldResolver(() => PilotModel, { nullable: true, description: 'The row\'s pilot model when grouped by PILOT_MODEL; otherwise null.' })
  pilotModel(@Root() row: AggregateRowType, @Ctx() context: HubContext): Promise<PilotModel | null> {
    return row.pilotModelId === null ? Promise.resolve(null) : context.loaders.related(PilotModel, row.pilotModelId);
  }

  @FieldResolver(() => TaskGroup, { nullable: true, description: 'The row\'s task group when grouped by TASK_GROUP; otherwise null.' })
  taskGroup(@Root() row: AggregateRowType, @Ctx() context: HubContext): Promise<TaskGroup | null> {
    return row.taskGroupId === null ? Promise.resolve(null) : context.loaders.related(TaskGroup, row.taskGroupId);
  }
}
