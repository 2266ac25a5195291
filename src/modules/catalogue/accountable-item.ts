import { Field, ObjectType } from 'type-graphql';
import { Column, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { FactBasis, ProgressStatus } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { Department } from '../departments/department.entity';

/**
 * Columns shared by tasks and pilot models: "clear person, clear task, clear time, clear responsibility".
 * Each concrete entity declares its own code index so constraint names stay per table.
 */
@ObjectType()
export abstract class AccountableItem {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Stable code of the item, e.g. M01 for a pilot model, T01.02 for a task.' })
  @Column({ type: 'varchar', length: 32 })
  code: string;

  @Column({ type: 'int' })
  leadDepartmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'leadDepartmentId' })
  leadDepartment?: Department;

  /** Accountable role: declared by each kind (a task always has one, a pilot model may not yet). */
  abstract responsiblePerson: string | null;

  /** Date by which it must be completed (YYYY-MM-DD): declared by each kind (a pilot model may have none yet). */
  abstract deadline: string | null;

  @Field(() => ProgressStatus, { description: 'Current progress status; its changes are in `history`.' })
  @Index()
  @Column({ type: 'varchar', length: 16 })
  status: ProgressStatus;

  @Field(() => Date, { nullable: true, description: 'When the status last became COMPLETED.' })
  @Column({ type: 'datetime', nullable: true })
  completedAt: Date | null;

  @Field(() => String, { nullable: true, description: 'The lead department’s latest note on progress (báo cáo tiến độ); its changes are in `history`.' })
  @Column({ type: 'text', nullable: true })
  progressNote: string | null;

  @Field(() => CalendarDateScalar, {
    nullable: true,
    description: 'Day it was retired (YYYY-MM-DD); null while current. It counts in the plan years before that day’s year only.',
  })
  @Column({ type: 'date', nullable: true })
  retiredOn: string | null;

  @Field(() => FactBasis, { description: 'Evidence behind this row: INFERRED rows are demo data.' })
  @Column({ type: 'varchar', length: 16 })
  basis: FactBasis;

  @Field({ description: 'True when the row is demo data rather than a published fact.' })
  get isDemo(): boolean {
    return this.basis === FactBasis.INFERRED;
  }
}
