import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CalendarDateScalar, PeriodScalar } from '../../common/scalars';
import { ConnectorRun } from '../connectors/connector-run.entity';
import { Metric } from '../metrics/metric.entity';
import { AdministrativeUnit } from '../units/administrative-unit.entity';
import { Node } from '../../graphql/node-id';

/** One value of a metric for one administrative unit and one period: the natural key holds one value. */
@ObjectType({ implements: Node, description: 'The value of a metric for one administrative unit and one period.' })
@Entity('observation')
@Index('UQ_observation_metric_unit_period', ['metricId', 'unitId', 'period'], { unique: true })
@Index(['metricId', 'periodStart'])
@Index(['unitId'])
export class Observation {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  metricId: number;

  @ManyToOne(() => Metric, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'metricId' })
  metric?: Metric;

  @Column({ type: 'int' })
  unitId: number;

  @ManyToOne(() => AdministrativeUnit, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'unitId' })
  unit?: AdministrativeUnit;

  @Field(() => PeriodScalar, { description: 'The period the value is for, written per the metric\'s frequency, e.g. 2024-03 or 2024-Q1.' })
  @Column({ type: 'varchar', length: 10 })
  period: string;

  /** First and last day of the period, stored so range filters use an index. */
  @Field(() => CalendarDateScalar, { description: 'First day of the period.' })
  @Column({ type: 'date' })
  periodStart: string;

  @Field(() => CalendarDateScalar, { description: 'Last day of the period (inclusive).' })
  @Column({ type: 'date' })
  periodEnd: string;

  @Field(() => Float, { description: 'The value; for RATE metrics the percentage numerator / denominator × 100.' })
  @Column({ type: 'double' })
  value: number;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: the count meeting the condition; null for COUNT and STOCK.' })
  @Column({ type: 'double', nullable: true })
  numerator: number | null;

  @Field(() => Float, { nullable: true, description: 'RATE metrics: the count it is a share of; null for COUNT and STOCK.' })
  @Column({ type: 'double', nullable: true })
  denominator: number | null;

  @Field(() => Date, { description: 'When the hub recorded this value.' })
  @Column({ type: 'datetime' })
  recordedAt: Date;

  @Field({ description: 'Where the value came from, e.g. a connector or the demo seed.' })
  @Column({ type: 'varchar', length: 100 })
  source: string;

  /** The connector run that wrote the current value; null for seeded values. */
  @Field(() => ID, { nullable: true, description: 'The connector run that wrote the value; null for seeded values.' })
  @Column({ type: 'int', nullable: true })
  runId: number | null;

  @ManyToOne(() => ConnectorRun, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'runId' })
  run?: ConnectorRun | null;

  @Field(() => Int, { nullable: true, description: 'Version of the connector mapping that produced the value.' })
  @Column({ type: 'int', nullable: true })
  mappingVersion: number | null;

  @Field({ description: 'True for generated demo values.' })
  @Column({ type: 'boolean', default: false })
  isDemo: boolean;
}
