import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { CalendarDateScalar } from '../../common/scalars';
import { Connector, FireSkipReason, RunErrorClass, RunStatus, RunTrigger } from './connector.entity';
import { Node } from '../../graphql/node-id';

/** One run of a connector: the ledger entry with its import summary. */
@ObjectType({ implements: Node, description: 'One run of a connector with its import summary.' })
@Entity('connector_run')
@Index(['connectorId', 'startedAt'])
@Index(['status'])
export class ConnectorRun {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  connectorId: number;

  @ManyToOne(() => Connector, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'connectorId' })
  connector?: Connector;

  @Field(() => RunTrigger, { description: 'What started the run.' })
  @Column({ type: 'varchar', length: 16 })
  trigger: RunTrigger;

  @Field(() => RunStatus, { description: 'Where the run stands; RUNNING until it finishes.' })
  @Column({ type: 'varchar', length: 16 })
  status: RunStatus;

  @Field(() => Int, { description: 'Attempts made, including retries of transient failures.' })
  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Field(() => Date, { nullable: true, description: 'The schedule slot this run serves (scheduled runs only).' })
  @Column({ type: 'datetime', nullable: true })
  scheduledFor: Date | null;

  @Field(() => Date, { description: 'When the run started (UTC timestamp).' })
  @Column({ type: 'datetime' })
  startedAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the run finished (UTC timestamp); null while RUNNING.' })
  @Column({ type: 'datetime', nullable: true })
  finishedAt: Date | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'First day of the data window read.' })
  @Column({ type: 'date', nullable: true })
  windowFrom: string | null;

  @Field(() => CalendarDateScalar, { nullable: true, description: 'Last day of the data window read.' })
  @Column({ type: 'date', nullable: true })
  windowTo: string | null;

  @Column({ type: 'int', default: 0 })
  fetched: number;

  @Column({ type: 'int', default: 0 })
  imported: number;

  @Column({ type: 'int', default: 0 })
  updated: number;

  @Column({ type: 'int', default: 0 })
  unchanged: number;

  @Column({ type: 'int', default: 0 })
  rejected: number;

  @Field(() => Int, {
    description: 'Batches of rows committed so far by the current attempt: a pulled run commits one per page or chunk its source sends, a push one per request.',
  })
  @Column({ type: 'int', default: 0 })
  batches: number;

  @Field(() => RunErrorClass, { nullable: true, description: 'Class of the failure (FAILED or INTERRUPTED runs); null otherwise.' })
  @Column({ type: 'varchar', length: 32, nullable: true })
  errorClass: RunErrorClass | null;

  @Field(() => String, { nullable: true, description: 'What went wrong, with credentials redacted.' })
  @Column({ type: 'text', nullable: true })
  errorMessage: string | null;

  @Field(() => Int, { nullable: true, description: 'Mapping version the run used.' })
  @Column({ type: 'int', nullable: true })
  mappingVersion: number | null;

  /** Incremental state the connector reported at the end of the run (JSON), resumed by the next run. */
  @Column({ type: 'text', nullable: true })
  state: string | null;

  /** Refreshed by the owning process while the run is RUNNING; a stale one means the process is gone. */
  @Column({ type: 'datetime', nullable: true })
  heartbeatAt: Date | null;

  /** The process that owns the run while it is RUNNING. */
  @Column({ type: 'varchar', length: 100 })
  owner: string;

  @Field(() => String, { nullable: true, description: 'Request id of the call that started the run.' })
  @Column({ type: 'varchar', length: 100, nullable: true })
  requestId: string | null;

  @Field(() => String, { description: 'Who started the run (a key name, or "scheduler").' })
  @Column({ type: 'varchar', length: 200 })
  startedBy: string;

  /**
   * Run time measured by the process that ran it, in milliseconds (startedAt and finishedAt keep whole seconds
   * on MySQL/MariaDB); null while running and for runs recorded before it was measured.
   */
  @Column({ type: 'int', nullable: true })
  durationMs: number | null;

  /** The run, interrupted by a shutdown, that this run does again (a surviving or restarted process started it). */
  @Field(() => ID, { nullable: true, description: 'The database number (`databaseId`) of the run interrupted by a shutdown that this run does again.' })
  @Column({ type: 'int', nullable: true })
  rerunOf: number | null;
}

/**
 * A schedule fire that did not start a run of its own, and why: skipped because the connector was still running
 * (OVERLAP), or several fires missed while no hub process ran, coalesced into one run at the next start (DOWNTIME).
 */
@ObjectType({ implements: Node, description: 'A schedule fire that did not start a run of its own, and why.' })
@Entity('skipped_fire')
@Index(['connectorId', 'id'])
export class SkippedFire {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  connectorId: number;

  @ManyToOne(() => Connector, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorId' })
  connector?: Connector;

  @Field(() => FireSkipReason, { description: 'Why the fire did not start a run of its own.' })
  @Column({ type: 'varchar', length: 16 })
  reason: FireSkipReason;

  @Field(() => Date, { description: 'The schedule slot (for DOWNTIME: the last one missed).' })
  @Column({ type: 'datetime' })
  slot: Date;

  @Field(() => Date, { nullable: true, description: 'DOWNTIME: the first slot missed.' })
  @Column({ type: 'datetime', nullable: true })
  firstSlot: Date | null;

  @Field(() => Int, { description: 'How many slots this record stands for (1 for OVERLAP; counting stops at 10,000).' })
  @Column({ type: 'int', default: 1 })
  missed: number;

  @Field(() => ID, {
    nullable: true,
    description: 'OVERLAP: the run that was still running. DOWNTIME: the run that served the missed slots (or the one already running).',
  })
  @Column({ type: 'int', nullable: true })
  runId: number | null;

  @Field({ description: 'When the skip was recorded.' })
  @Column({ type: 'datetime' })
  recordedAt: Date;

  /** The process that recorded it. */
  @Column({ type: 'varchar', length: 100 })
  owner: string;
}

/** A row a run refused, with its position in the payload, what it held and why. */
@ObjectType({ description: 'A row a run refused: where it was, what it held and why.' })
@Entity('run_rejection')
@Index(['runId', 'rowIndex'])
export class RunRejection {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'int' })
  runId: number;

  @ManyToOne(() => ConnectorRun, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'runId' })
  run?: ConnectorRun;

  @Field(() => Int, { description: 'Zero-based position of the row in what the run read.' })
  @Column({ type: 'int' })
  rowIndex: number;

  @Field({ description: 'Reason code, e.g. UNKNOWN_METRIC or RATE_OUT_OF_RANGE.' })
  @Column({ type: 'varchar', length: 40 })
  reason: string;

  @Field({ description: 'What is wrong with the row, in words (Vietnamese first, English beside it).' })
  @Column({ type: 'varchar', length: 500 })
  message: string;

  /** The row as received, as JSON. */
  @Column({ type: 'text' })
  raw: string;
}

/**
 * The one pulled run a connector may have at a time: inserted in the transaction that records the run (the
 * primary key makes a second one fail, across processes), deleted when the run has recorded how it ended. A row
 * whose run is no longer RUNNING (its process died and the run was marked INTERRUPTED) is taken over.
 */
@Entity('connector_run_lock')
export class ConnectorRunLock {
  @PrimaryColumn({ type: 'int' })
  connectorId: number;

  @ManyToOne(() => Connector, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorId' })
  connector?: Connector;

  @Column({ type: 'int' })
  runId: number;

  @Column({ type: 'datetime' })
  acquiredAt: Date;
}
