import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum ChangedField {
  STATUS = 'STATUS',
  DEADLINE = 'DEADLINE',
  RESPONSIBLE_PERSON = 'RESPONSIBLE_PERSON',
  TARGET = 'TARGET',
}
registerEnumType(ChangedField, {
  name: 'ChangedField',
  description: 'Which accountable fact a change record is about.',
  valuesConfig: {
    STATUS: { description: 'The progress status (values NOT_STARTED, IN_PROGRESS, COMPLETED).' },
    DEADLINE: { description: 'The deadline (values YYYY-MM-DD).' },
    RESPONSIBLE_PERSON: { description: 'The person answerable for it (người chịu trách nhiệm).' },
    TARGET: { description: 'A metric target (the value to reach).' },
  },
});

/** One change of a task's or pilot model's status, deadline, responsible person or target. Append-only. */
@ObjectType('ChangeRecord', { description: 'A recorded change of a task or pilot model.' })
export abstract class ChangeRecord {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  subjectId: number;

  @Field(() => ChangedField)
  @Column({ type: 'varchar', length: 32 })
  field: ChangedField;

  @Field(() => String, { nullable: true, description: 'Value before the change; null for the initial record.' })
  @Column({ type: 'varchar', length: 300, nullable: true })
  fromValue: string | null;

  @Field(() => String)
  @Column({ type: 'varchar', length: 300 })
  toValue: string;

  @Field(() => Date)
  @Index()
  @Column({ type: 'datetime' })
  changedAt: Date;

  @Field({ description: 'Who made the change.' })
  @Column({ type: 'varchar', length: 200 })
  author: string;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  note: string | null;
}
