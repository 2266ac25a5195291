import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Node } from '../graphql/node-id';

/** How an audited action ended. */
export enum AuditOutcome {
  SUCCESS = 'SUCCESS',
  /** The action was attempted and failed (bad input, not found, conflict, internal error, …). */
  FAILURE = 'FAILURE',
  /** The caller was not allowed to do it (FORBIDDEN / UNAUTHENTICATED). */
  DENIED = 'DENIED',
}
registerEnumType(AuditOutcome, {
  name: 'AuditOutcome',
  description: 'How an audited action ended.',
  valuesConfig: {
    SUCCESS: { description: 'The action was done.' },
    FAILURE: { description: 'The action was attempted and failed (bad input, not found, conflict, internal error, …).' },
    DENIED: { description: 'The caller was not allowed to do it (FORBIDDEN / UNAUTHENTICATED).' },
  },
});

/**
 * One entry of the audit log: who did what to which object, when, and how it ended. Rows are only ever
 * inserted; nothing in the API updates or deletes them.
 */
@ObjectType({ implements: Node, description: 'One entry of the audit log (append-only).' })
@Entity('audit_event')
@Index('IDX_audit_event_at', ['at'])
@Index('IDX_audit_event_actor', ['actorSubject', 'id'])
@Index('IDX_audit_event_action', ['action', 'id'])
@Index('IDX_audit_event_target', ['targetType', 'targetId', 'id'])
@Index('IDX_audit_event_outcome', ['outcome', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => Date, { description: 'When the hub recorded the action (server clock, millisecond precision).' })
  @Column({ type: 'datetime', precision: 3 })
  at: Date;

  @Field({ description: 'Stable id of the caller: `key:<id>`, `jwt:<sub>`, `anonymous`, `unauthenticated` (a write refused at authentication) or `system`.' })
  @Column({ type: 'varchar', length: 200 })
  actorSubject: string;

  @Field({ description: 'Name of the caller at the time (key name, token name, or the scheduler).' })
  @Column({ type: 'varchar', length: 200 })
  actorName: string;

  @Field(() => String, { nullable: true, description: 'Role the caller acted with.' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  actorRole: string | null;

  @Field({ description: 'What was done: the mutation name (e.g. `registerConnector`) or a dotted event (`connector.run.scheduled`, `ingest.push`, `export.series`).' })
  @Column({ type: 'varchar', length: 100 })
  action: string;

  @Field(() => String, { nullable: true, description: 'Kind of object acted on, e.g. `connector`, `pilotModel`.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  targetType: string | null;

  @Field(() => String, { nullable: true, description: 'Id or code of the object acted on, e.g. `12`, `M03`.' })
  @Column({ type: 'varchar', length: 200, nullable: true })
  targetId: string | null;

  @Field(() => AuditOutcome, { description: 'How the action ended: SUCCESS, FAILURE or DENIED.' })
  @Column({ type: 'varchar', length: 16 })
  outcome: AuditOutcome;

  @Field(() => String, { nullable: true, description: 'The error code sent to the caller (`extensions.code`) when the action did not succeed.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Field(() => String, { nullable: true, description: 'X-Request-Id of the request (also on every log line it wrote).' })
  @Column({ type: 'varchar', length: 100, nullable: true })
  requestId: string | null;

  @Field(() => String, { nullable: true, description: 'Network address the request came from.' })
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientIp: string | null;

  /** JSON text: the arguments with credentials redacted, plus what the action produced (e.g. a run id). */
  @Column({ type: 'text', nullable: true })
  details: string | null;
}
