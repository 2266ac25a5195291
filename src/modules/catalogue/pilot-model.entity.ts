import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne } from 'typeorm';
import { CalendarDateScalar } from '../../common/scalars';
import { Department } from '../departments/department.entity';
import { AccountableItem } from './accountable-item';
import { ChangeRecord } from './change-record';
import { Program } from './program.entity';
import { TaskGroup } from './task-group.entity';
import { Node } from '../../graphql/node-id';

@ObjectType({ implements: Node, description: 'A pilot model of the programme, measured by its metrics.' })
@Entity('pilot_model')
@Index('UQ_pilot_model_code', ['code'], { unique: true })
export class PilotModel extends AccountableItem {
  @Field(() => Int, { description: 'Row number in the provincial catalogue (M01 = 1).' })
  @Column({ type: 'int' })
  number: number;

  @Field({ description: 'Name in English.' })
  @Column({ type: 'varchar', length: 300 })
  name: string;

  @Field({ description: 'Name in Vietnamese, as in the provincial catalogue (tên mô hình).' })
  @Column({ type: 'varchar', length: 300 })
  nameVi: string;

  @Field(() => String, { nullable: true, description: 'Accountable role (a role title, not a person’s name); null until one is named.' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  responsiblePerson: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Date by which it must be completed (YYYY-MM-DD); null until one is set (never overdue meanwhile).' })
  @Index()
  @Column({ type: 'date', nullable: true })
  deadline: string | null;

  /** The task group it is filed under; null while it is filed under none (see planYear). */
  @Column({ type: 'int', nullable: true })
  taskGroupId: number | null;

  @ManyToOne(() => TaskGroup, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'taskGroupId' })
  taskGroup?: TaskGroup | null;

  /** The programme it belongs to: its task group's, or the one named when it was created without a group. */
  @Column({ type: 'int' })
  programId: number;

  @ManyToOne(() => Program, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'programId' })
  program?: Program;

  @Field(() => Int, {
    description:
      'First plan year it counts in: its task group’s plan year, or without a group the plan in force on the day it was created; filing it under a group of an earlier year moves it back.',
  })
  @Index()
  @Column({ type: 'int' })
  planYear: number;

  @ManyToMany(() => Department)
  @JoinTable({
    name: 'pilot_model_supporting_department',
    joinColumn: { name: 'pilotModelId' },
    inverseJoinColumn: { name: 'departmentId' },
  })
  supportingDepartments?: Department[];

  @Field({ description: 'True when the status split among models is demo data (not published per model).' })
  @Column({ type: 'boolean', default: false })
  statusIsDemo: boolean;
}

@Entity('pilot_model_change')
@Index(['subjectId', 'changedAt'])
export class PilotModelChange extends ChangeRecord {
  @ManyToOne(() => PilotModel, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'subjectId' })
  pilotModel?: PilotModel;
}
