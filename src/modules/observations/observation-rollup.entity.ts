import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { UnitLevel } from '../../common/enums';

/**
 * Month × unit × metric totals of the observations reported for that unit itself (not its descendants),
 * re-derived from raw observations by the ingestion path in the batch's own transaction. Months, quarters and
 * years are read from here; ancestors and other map editions are reached at query time (see analytics/engine.ts).
 */
@Entity('observation_rollup')
@Index(['metricId', 'month'])
// The levels a metric was reported at, read without visiting its rows.
@Index(['metricId', 'level'])
export class ObservationRollup {
  @PrimaryColumn({ type: 'int' })
  metricId: number;

  @PrimaryColumn({ type: 'int' })
  unitId: number;

  /** 'YYYY-MM' of the observations' periodStart: a week or a quarter counts in the month it starts. */
  @PrimaryColumn({ type: 'varchar', length: 7 })
  month: string;

  /** Level of the unit, copied so the reporting level of a metric is read without a join. */
  @Column({ type: 'varchar', length: 16 })
  level: UnitLevel;

  /**
   * The sources (observation.source: `connector:<id>`, `demo-seed`, …) of the month's observations: distinct,
   * comma-separated, in no set order (new observations append their source when it is not there yet; a changed
   * value re-derives the list). What a series compares to flag a change of source.
   */
  @Column({ type: 'text' })
  sources: string;

  @Column({ type: 'double' })
  valueSum: number;

  @Column({ type: 'double', nullable: true })
  numeratorSum: number | null;

  @Column({ type: 'double', nullable: true })
  denominatorSum: number | null;

  /** Observations (periods) reported in the month. */
  @Column({ type: 'int' })
  observationCount: number;

  /** Observations that carried a numerator (RATE sums are only meaningful when all did). */
  @Column({ type: 'int' })
  numeratorCount: number;

  /** Start of the latest period reported in the month, and its value: what a STOCK metric reads. */
  @Column({ type: 'date' })
  latestPeriodStart: string;

  @Column({ type: 'double' })
  latestValue: number;
}
