import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { FactBasis } from '../../common/enums';
import { CalendarDateScalar } from '../../common/scalars';
import { Node } from '../../graphql/node-id';

@ObjectType({ implements: Node, description: 'A provincial department or agency that leads tasks and pilot models.' })
@Entity('department')
export class Department {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Stable code, e.g. SO_YT.' })
  @Index('UQ_department_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code: string;

  @Field({ description: 'Name in English, e.g. Department of Health.' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Name in Vietnamese.' })
  @Column({ type: 'varchar', length: 200 })
  nameVi: string;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day the department exists; null = long-standing.' })
  @Column({ type: 'date', nullable: true })
  validFrom: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day the department no longer exists (exclusive end).' })
  @Column({ type: 'date', nullable: true })
  validTo: string | null;

  @Column({ type: 'int', nullable: true })
  successorId: number | null;

  @ManyToOne(() => Department, { nullable: true, onDelete: 'SET NULL' })
  @JoinColumn({ name: 'successorId' })
  successor?: Department | null;

  @Field(() => FactBasis, { description: 'Evidence behind this row: INFERRED rows (e.g. merger details) are demo data.' })
  @Column({ type: 'varchar', length: 16 })
  basis: FactBasis;
}
