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

  @Field(() => ChangedField, { description: 'Which fact changed.' })
  @Column({ type: 'varchar', length: 32 })
  field: ChangedField;

  @Field(() => String, { nullable: true, description: 'Value before the change; null for the initial record.' })
  @Column({ type: 'varchar', length: 300, nullable: true })
  fromValue: string | null;

  @Field(() => String, { description: 'Value after the change, as text: a status name, a date YYYY-MM-DD, a role title or a number.' })
  @Column({ type: 'varchar', length: 300 })
  toValue: string;

  @Field(() => Date, { description: 'When the change was recorded (UTC timestamp).' })
  @Index()
  @Column({ type: 'datetime' })
  changedAt: Date;

  @Field({ description: 'Who made the change.' })
  @Column({ type: 'varchar', length: 200 })
  author: string;

  @Field(() => String, { nullable: true, description: 'Why the change was made, as its author wrote it; null when none was given.' })
  @Column({ type: 'text', nullable: true })
  note: string | null;
}
