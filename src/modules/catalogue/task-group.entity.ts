import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { FactBasis } from '../../common/enums';
import { Department } from '../departments/department.entity';
import { Program } from './program.entity';
import { Node } from '../../graphql/node-id';

@ObjectType({ implements: Node, description: 'A group of tasks in a programme plan.' })
@Entity('task_group')
export class TaskGroup {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Stable code of the group, e.g. TG01.' })
  @Index('UQ_task_group_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code: string;

  @Field(() => Int, { description: 'Position of the group in the plan (TG01 = 1).' })
  @Column({ type: 'int' })
  number: number;

  @Field({ description: 'Name in English.' })
  @Column({ type: 'varchar', length: 300 })
  name: string;

  @Field({ description: 'Name in Vietnamese, as in the plan (nhóm nhiệm vụ).' })
  @Column({ type: 'varchar', length: 300 })
  nameVi: string;

  @Field(() => Int, { description: 'Year of the plan the group and its tasks belong to (the seeded plan: 2024).' })
  @Index()
  @Column({ type: 'int', default: 2024 })
  planYear: number;

  @Column({ type: 'int' })
  programId: number;

  @ManyToOne(() => Program, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'programId' })
  program?: Program;

  @Column({ type: 'int' })
  leadDepartmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'leadDepartmentId' })
  leadDepartment?: Department;

  @Field(() => FactBasis, { description: 'Evidence behind this row: INFERRED rows are demo data.' })
  @Column({ type: 'varchar', length: 16 })
  basis: FactBasis;
}
