import { Field, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, JoinTable, ManyToMany, ManyToOne } from 'typeorm';
import { Department } from '../departments/department.entity';
import { AccountableItem } from './accountable-item';
import { ChangeRecord } from './change-record';
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

  @Column({ type: 'int' })
  taskGroupId: number;

  @ManyToOne(() => TaskGroup, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'taskGroupId' })
  taskGroup?: TaskGroup;

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
