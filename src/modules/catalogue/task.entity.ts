import { Field, Float, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { CalendarDateScalar } from '../../common/scalars';
import { AccountableItem } from './accountable-item';
import { ChangeRecord } from './change-record';
import { TaskGroup } from './task-group.entity';
import { Node } from '../../graphql/node-id';

@ObjectType({ implements: Node, description: 'A task of the programme plan with its accountable department, person, deadline and product.' })
@Entity('task')
@Index('UQ_task_code', ['code'], { unique: true })
export class Task extends AccountableItem {
  @Field({ description: 'What the task requires, in English.' })
  @Column({ type: 'varchar', length: 500 })
  title: string;

  @Field({ description: 'What the task requires, in Vietnamese, as in the plan (nội dung nhiệm vụ).' })
  @Column({ type: 'varchar', length: 500 })
  titleVi: string;

  @Field({ description: 'Accountable role (a role title, not a person’s name).' })
  @Column({ type: 'varchar', length: 200 })
  responsiblePerson: string;

  @Field(() => CalendarDateScalar, { description: 'Date by which it must be completed (YYYY-MM-DD).' })
  @Index()
  @Column({ type: 'date' })
  deadline: string;

  @Column({ type: 'int' })
  taskGroupId: number;

  @ManyToOne(() => TaskGroup, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'taskGroupId' })
  taskGroup?: TaskGroup;

  @Field({ description: 'The quantitative product the task must deliver.' })
  @Column({ type: 'varchar', length: 500 })
  product: string;

  @Field(() => Float, { nullable: true, description: 'Target quantity of the product.' })
  @Column({ type: 'double', nullable: true })
  targetValue: number | null;

  @Field(() => String, { nullable: true, description: 'Unit of the target quantity.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  targetUnit: string | null;

  /** The unfinished task of an earlier plan year this one carries over (see `carriedOverFrom`). */
  @Column({ type: 'int', nullable: true })
  originTaskId: number | null;

  @ManyToOne(() => Task, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'originTaskId' })
  originTask?: Task | null;
}

@Entity('task_change')
@Index(['subjectId', 'changedAt'])
export class TaskChange extends ChangeRecord {
  @ManyToOne(() => Task, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subjectId' })
  task?: Task;
}
