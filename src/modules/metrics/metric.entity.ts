import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { FactBasis, MetricFrequency, MetricKind, UnitLevel } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { PilotModel } from '../catalogue/pilot-model.entity';
import { Department } from '../departments/department.entity';
import { Node } from '../../graphql/node-id';
import { ChangeRecord } from '../catalogue/change-record';

/** Every level, in the order levels are stored and listed (a metric defined before levels existed: all of them). */
export const METRIC_LEVELS_DEFAULT = Object.values(UnitLevel).join(',');

@ObjectType({ implements: Node, description: 'A measured quantity of a pilot model, reported per administrative unit and period.' })
@Entity('metric')
export class Metric {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Stable code of the metric, e.g. KCB_BIOMETRIC_VISITS.' })
  @Index('UQ_metric_code', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  code: string;

  @Field({ description: 'Name in English.' })
  @Column({ type: 'varchar', length: 300 })
  name: string;

  @Field({ description: 'Name in Vietnamese (tên chỉ tiêu).' })
  @Column({ type: 'varchar', length: 300 })
  nameVi: string;

  @Field({ description: 'Unit of measure, e.g. visits, VND million, %.' })
  @Column({ type: 'varchar', length: 64 })
  unit: string;

  @Field(() => MetricKind, { description: 'How its values combine over periods and units (COUNT, STOCK, RATE).' })
  @Column({ type: 'varchar', length: 16 })
  kind: MetricKind;

  @Field(() => MetricFrequency, { description: 'Length of its reporting periods; values are reported one per unit and period.' })
  @Column({ type: 'varchar', length: 16 })
  frequency: MetricFrequency;

  @Field(() => [UnitLevel], {
    description: 'Levels of administrative unit its values are reported at (PROVINCE, DISTRICT, COMMUNE); ingestion rejects rows of a unit at another level (WRONG_LEVEL).',
  })
  @Column({ type: 'varchar', length: 64, default: METRIC_LEVELS_DEFAULT, transformer: { to: (levels: UnitLevel[] | undefined) => levels?.join(','), from: (text: string) => text.split(',') as UnitLevel[] } })
  levels: UnitLevel[];

  @Column({ type: 'int' })
  pilotModelId: number;

  @ManyToOne(() => PilotModel, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'pilotModelId' })
  pilotModel?: PilotModel;

  @Column({ type: 'int' })
  departmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'departmentId' })
  department?: Department;

  @Field(() => Float, { name: 'target', nullable: true, description: 'Value to reach by targetDate (a percentage for RATE metrics).' })
  @Column({ type: 'double', nullable: true })
  targetValue: number | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date by which the target is to be reached (YYYY-MM-DD); null when open-ended or without target.' })
  @Column({ type: 'date', nullable: true })
  targetDate: string | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Smallest value accepted from sources; null = the default of the kind (0). It can only narrow the kind\'s range.',
  })
  @Column({ type: 'double', nullable: true })
  minValue: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Largest value accepted from sources; null = the default of the kind (100 for RATE, below 10^15 for COUNT and STOCK). It can only narrow the kind\'s range.',
  })
  @Column({ type: 'double', nullable: true })
  maxValue: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Days after a period ends by which its value is due; null = the default for the frequency.',
  })
  @Column({ type: 'int', nullable: true })
  reportingLagDays: number | null;

  @Field(() => String, { nullable: true, description: 'What the metric counts and how, in the words of its definition; null when none was given.' })
  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Field(() => CalendarDateScalar, {
    nullable: true,
    description: 'Day the metric was retired (YYYY-MM-DD): no new values are accepted (METRIC_RETIRED); its data stays readable. Null while current.',
  })
  @Column({ type: 'date', nullable: true })
  retiredOn: string | null;

  @Field(() => FactBasis, { description: 'Evidence behind the definition and target: INFERRED rows are demo data.' })
  @Column({ type: 'varchar', length: 16 })
  basis: FactBasis;

  @Field({ description: 'True when the metric definition or target is demo data.' })
  get isDemo(): boolean {
    return this.basis === FactBasis.INFERRED;
  }
}

@Entity('metric_change')
@Index(['subjectId', 'changedAt'])
export class MetricChange extends ChangeRecord {
  @ManyToOne(() => Metric, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subjectId' })
  metric?: Metric;
}
