import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum ChangedField {
  STATUS = 'STATUS',
  DEADLINE = 'DEADLINE',
  RESPONSIBLE_PERSON = 'RESPONSIBLE_PERSON',
  TARGET = 'TARGET',
  CREATED = 'CREATED',
  DEFINITION = 'DEFINITION',
  PROGRESS_NOTE = 'PROGRESS_NOTE',
  RETIRED = 'RETIRED',
  CARRIED_OVER = 'CARRIED_OVER',
  LEAD_DEPARTMENT = 'LEAD_DEPARTMENT',
  SUPPORTING_DEPARTMENT = 'SUPPORTING_DEPARTMENT',
}
registerEnumType(ChangedField, {
  name: 'ChangedField',
  description: 'Which accountable fact a change record is about.',
  valuesConfig: {
    STATUS: { description: 'The progress status (values NOT_STARTED, IN_PROGRESS, COMPLETED).' },
    DEADLINE: { description: 'The deadline (values YYYY-MM-DD).' },
    RESPONSIBLE_PERSON: { description: 'The person answerable for it (người chịu trách nhiệm).' },
    TARGET: { description: 'A target (the value to reach, with its date for a metric).' },
    CREATED: { description: 'The item was created (toValue: its code; `changes`: the definition it was created with).' },
    DEFINITION: {
      description: 'Definition fields (names, department, unit, kind bounds, description…) changed; `changes` holds each field with its values before and after.',
    },
    PROGRESS_NOTE: { description: 'The lead department’s progress note (báo cáo tiến độ).' },
    RETIRED: { description: 'The item was retired (toValue: the day, YYYY-MM-DD).' },
    LEAD_DEPARTMENT: {
      description:
        'A reorganization moved it to another department (for a metric: its reporting department): fromValue and toValue are the department codes; `changes.effectiveOn.to` is the first day the new one leads it.',
    },
    SUPPORTING_DEPARTMENT: {
      description:
        'A reorganization replaced a supporting department of a pilot model: fromValue is the predecessor’s code, toValue the successor’s (empty when the successor already leads or supports it); `changes.effectiveOn.to` is the effective date.',
    },
    CARRIED_OVER: {
      description: 'Unfinished, carried over into a later plan year (on the origin: toValue is the new task’s code; on the new task: fromValue is the origin’s code).',
    },
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

  /** JSON: each changed field with its values before and after, `{ "name": { "from": …, "to": … } }`. */
  @Column({ type: 'text', nullable: true })
  details: string | null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'CREATED and DEFINITION records: each field with its values before and after, e.g. { "name": { "from": "…", "to": "…" } }; null otherwise.',
  })
  get changes(): Record<string, { from: unknown; to: unknown }> | null {
    return this.details ? (JSON.parse(this.details) as Record<string, { from: unknown; to: unknown }>) : null;
  }

  @Field(() => String, { nullable: true, description: 'Why the change was made, as its author wrote it; null when none was given.' })
  @Column({ type: 'text', nullable: true })
  note: string | null;
}
