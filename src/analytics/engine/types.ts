/** The engine's requests, options and answers. */
import type { MetricKind, UnitLevel } from '../../common/enums';
import type { Frequency, Period } from '../../common/period';
import type { Principal } from '../../security/principal';
import type { UnitEdition, UnitRecord } from '../unit-map';

/** Default largest number of rows (aggregate) or points (series) one request may produce. */
export const DEFAULT_MAX_AGGREGATE_ROWS = 10_000;
/** Most metrics one request may name. */
export const MAX_METRICS = 50;

export enum Dimension {
  PERIOD = 'PERIOD',
  UNIT = 'UNIT',
  DEPARTMENT = 'DEPARTMENT',
  PILOT_MODEL = 'PILOT_MODEL',
  TASK_GROUP = 'TASK_GROUP',
}

/** What rows can be ordered by: a dimension, or the value of one of the measures. */
export enum OrderField {
  PERIOD = 'PERIOD',
  UNIT = 'UNIT',
  DEPARTMENT = 'DEPARTMENT',
  PILOT_MODEL = 'PILOT_MODEL',
  TASK_GROUP = 'TASK_GROUP',
  VALUE = 'VALUE',
}

export interface AnalyticsOptions {
  /** The caller: metrics of departments outside its scope are refused. Default: no restriction. */
  principal?: Principal;
  /** Bound on rows / points; default DEFAULT_MAX_AGGREGATE_ROWS. */
  maxRows?: number;
  /** Today (YYYY-MM-DD): periods starting later are not expected yet. Default: today in UTC. */
  today?: string;
  /** 'rollup' refuses nothing but reads raw observations only when it must; 'raw' always reads them. */
  source?: 'auto' | 'raw';
}

/** Arguments shared by series and aggregates; periods may be given as text ('2024-Q1') or parsed. */
export interface AnalyticsFilter {
  metrics: readonly string[];
  from: Period | string;
  to: Period | string;
  /** Units whose values are included (with everything under them); codes, read in unitEdition when given. */
  units?: readonly string[] | null;
  /** Re-express values on this map; null: each value stays on the map it was reported on. */
  unitEdition?: UnitEdition | null;
  /** What was known at this time (revisions replaced later are used); null: current values. */
  asOf?: Date | null;
}

export interface SeriesRequest extends AnalyticsFilter {
  granularity: Frequency;
  /** One series per unit of this level; null: one series for all units. */
  level?: UnitLevel | null;
  /** Combine all metrics into one series (they must share kind and unit of measure). */
  combine?: boolean | null;
}

export interface OrderBy {
  field: OrderField;
  /** Metric code whose measure orders the rows (VALUE only). */
  metric?: string | null;
  direction?: 'ASC' | 'DESC' | null;
}

export interface AggregateRequest extends AnalyticsFilter {
  groupBy: readonly Dimension[];
  /** Required with PERIOD. */
  granularity?: Frequency | null;
  /** Required with UNIT. */
  level?: UnitLevel | null;
  departments?: readonly string[] | null;
  pilotModels?: readonly string[] | null;
  taskGroups?: readonly string[] | null;
  orderBy?: readonly OrderBy[] | null;
  /** Rows returned (after ordering); default all, at most the row bound. */
  limit?: number | null;
}

/** A combined value and how much of what was expected it rests on. */
export interface Measure {
  /** Null when nothing was reported (missing, never zero) or a RATE has no usable denominator. */
  value: number | null;
  numerator: number | null;
  denominator: number | null;
  /** Reports expected: units at the reporting level × periods of the metric's frequency (started by today/asOf). */
  expected: number;
  /** Reports that arrived. */
  reported: number;
  complete: boolean;
  /** Part of the value was re-expressed from another map edition by a PARTIAL share (split evenly). */
  approximate: boolean;
  /** Level of the units whose reports were used (the coarsest that reported); null when none did. */
  level: UnitLevel | null;
  /** The sources (observation.source) of the reports used, sorted; empty when none. */
  sources: string[];
}

export interface AnalyticsMetric {
  id: number;
  code: string;
  name: string;
  nameVi: string;
  unit: string;
  kind: MetricKind;
  frequency: Frequency;
  departmentId: number;
  departmentCode: string;
  pilotModelId: number;
  pilotModelCode: string;
  /** Null when its pilot model is filed under no task group. */
  taskGroupId: number | null;
  taskGroupCode: string | null;
}

export interface SeriesPoint extends Measure {
  period: Period;
  /**
   * True when this point's values come from another level than the nearest earlier point with values (e.g.
   * district reports up to March, commune reports from April): the two are not like for like, mark a break.
   */
  levelChanged: boolean;
  /** That earlier point's level when `levelChanged`; otherwise null. */
  previousLevel: UnitLevel | null;
  /**
   * True when this point's values come from other sources than the nearest earlier point with values (the demo
   * seed, then a connector; one connector replaced by another; a second source joining): mark a break too.
   */
  sourceChanged: boolean;
  /** That earlier point's sources when `sourceChanged`; otherwise null. */
  previousSources: string[] | null;
}

export interface SeriesResult {
  metrics: AnalyticsMetric[];
  /** The unit of a per-unit series; null for all units. */
  unit: UnitRecord | null;
  points: SeriesPoint[];
}

export interface AggregateMeasure extends Measure {
  metric: AnalyticsMetric;
}

export interface AggregateRow {
  period: Period | null;
  unit: UnitRecord | null;
  departmentId: number | null;
  pilotModelId: number | null;
  taskGroupId: number | null;
  measures: AggregateMeasure[];
  approximate: boolean;
}

export interface AggregateResult {
  rows: AggregateRow[];
  /** Rows before `limit`. */
  totalRows: number;
}

