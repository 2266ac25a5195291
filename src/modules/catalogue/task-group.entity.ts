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

  @Field()
  @Index('UQ_task_group_code', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  code: string;

  @Field(() => Int)
  @Column({ type: 'int' })
  number: number;

  @Field()
  @Column({ type: 'varchar', length: 300 })
  name: string;

  @Field()
  @Column({ type: 'varchar', length: 300 })
  nameVi: string;

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

  @Field(() => FactBasis)
  @Column({ type: 'varchar', length: 16 })
  basis: FactBasis;
}
