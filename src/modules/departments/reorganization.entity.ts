import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { CalendarDateScalar } from '../../common/scalars';
import { Department } from './department.entity';

export enum ReorganizationKind {
  MERGE = 'MERGE',
  SPLIT = 'SPLIT',
}
registerEnumType(ReorganizationKind, {
  name: 'ReorganizationKind',
  description: 'How departments were reorganized.',
  valuesConfig: {
    MERGE: { description: 'One or more departments merged into one (sáp nhập).' },
    SPLIT: { description: 'One department split between several (chia tách).' },
  },
});

/** What a department move is about: the item whose department changed on the effective date. */
export enum MovedSubject {
  TASK = 'TASK',
  TASK_GROUP = 'TASK_GROUP',
  PILOT_MODEL = 'PILOT_MODEL',
  /** A pilot model the department supported (pilot_model_supporting_department). */
  PILOT_MODEL_SUPPORT = 'PILOT_MODEL_SUPPORT',
  METRIC = 'METRIC',
  CONNECTOR = 'CONNECTOR',
}

/** One merge or split of departments, with its effective date. Append-only. */
@ObjectType({ description: 'A merge or split of departments (tổ chức lại) and the work it moved.' })
@Entity('department_reorganization')
export class DepartmentReorganization {
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => ReorganizationKind, { description: 'MERGE or SPLIT.' })
  @Column({ type: 'varchar', length: 16 })
  kind: ReorganizationKind;

  @Field(() => CalendarDateScalar, { description: 'First day the successors lead the work (the predecessors’ validTo).' })
  @Index()
  @Column({ type: 'date' })
  effectiveOn: string;

  @Field({ description: 'Why (e.g. the decision that reorganized the departments).' })
  @Column({ type: 'text' })
  note: string;

  @Field({ description: 'Who recorded it.' })
  @Column({ type: 'varchar', length: 200 })
  author: string;

  @Field(() => Date, { description: 'When it was recorded (UTC timestamp).' })
  @Column({ type: 'datetime' })
  recordedAt: Date;
}

/** A predecessor → successor link of a reorganization: one per successor for a split, one per predecessor for a merge. */
@Entity('department_succession')
@Index('UQ_department_succession', ['predecessorId', 'successorId'], { unique: true })
export class DepartmentSuccession {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  reorganizationId: number;

  @ManyToOne(() => DepartmentReorganization, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reorganizationId' })
  reorganization?: DepartmentReorganization;

  @Column({ type: 'int' })
  predecessorId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'predecessorId' })
  predecessor?: Department;

  @Index()
  @Column({ type: 'int' })
  successorId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'successorId' })
  successor?: Department;
}

/**
 * One item that changed department in a reorganization: until `effectiveOn` (exclusive) it belonged to
 * `fromDepartmentId`. Reports as of an earlier day read the department from here (see department-history.ts).
 */
@Entity('department_move')
@Index(['subjectType', 'subjectId', 'effectiveAt'])
export class DepartmentMove {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  reorganizationId: number;

  @ManyToOne(() => DepartmentReorganization, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reorganizationId' })
  reorganization?: DepartmentReorganization;

  @Column({ type: 'varchar', length: 24 })
  subjectType: MovedSubject;

  @Column({ type: 'int' })
  subjectId: number;

  @Column({ type: 'int' })
  fromDepartmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'fromDepartmentId' })
  fromDepartment?: Department;

  @Column({ type: 'int' })
  toDepartmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'toDepartmentId' })
  toDepartment?: Department;

  @Index()
  @Column({ type: 'date' })
  effectiveOn: string;

  /** The instant the effective day begins in the hub's time zone: runs started before it were the predecessor's. */
  @Column({ type: 'datetime' })
  effectiveAt: Date;
}
