import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Department } from '../departments/department.entity';
import { Node } from '../../graphql/node-id';

export enum RunTrigger {
  SCHEDULE = 'SCHEDULE',
  MANUAL = 'MANUAL',
  BACKFILL = 'BACKFILL',
  PUSH = 'PUSH',
}

export enum RunStatus {
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  /** Finished, but some rows were rejected. */
  PARTIAL = 'PARTIAL',
  FAILED = 'FAILED',
  /**
   * Stopped before it finished: by a shutdown of its process (errorClass SHUTDOWN; another process runs it again),
   * or left RUNNING by a process that died (errorClass INTERNAL; closed once its heartbeat is stale).
   */
  INTERRUPTED = 'INTERRUPTED',
}

export enum RunErrorClass {
  SOURCE_UNAVAILABLE = 'SOURCE_UNAVAILABLE',
  TIMEOUT = 'TIMEOUT',
  BAD_PAYLOAD = 'BAD_PAYLOAD',
  CONFIG = 'CONFIG',
  /** The outbound policy refused the destination: a host not on the allowlist, or a forbidden address. */
  OUTBOUND_BLOCKED = 'OUTBOUND_BLOCKED',
  /** Concurrent writers kept changing the same values, after every retry; nothing of the batch was stored. */
  CONFLICT = 'CONFLICT',
  /**
   * Not a failure: the hub process running it was shut down (a deploy, a restart); a surviving or restarted
   * process runs the connector again. Connector health ignores such runs.
   */
  SHUTDOWN = 'SHUTDOWN',
  INTERNAL = 'INTERNAL',
}

/** Why a schedule fire did not start a run of its own (the skipped-fire ledger). */
export enum FireSkipReason {
  /** The connector's previous run was still running (in this process or another): the fire was skipped. */
  OVERLAP = 'OVERLAP',
  /** Fires fell while no hub process was running: they were coalesced into one run, started at the next start. */
  DOWNTIME = 'DOWNTIME',
}

registerEnumType(RunTrigger, {
  name: 'RunTrigger',
  description: 'What started a connector run.',
  valuesConfig: {
    SCHEDULE: { description: 'The connector\'s cron schedule (including a run catching up fires missed while no hub was running).' },
    MANUAL: { description: 'An operator, with runConnector without from/to (the routine window).' },
    BACKFILL: { description: 'A backfill of past days, requested with runConnector(from:, to:).' },
    PUSH: { description: 'A department system posting values to a push connector.' },
  },
});
registerEnumType(RunStatus, {
  name: 'RunStatus',
  description: 'State of a connector run.',
  valuesConfig: {
    RUNNING: { description: 'Still running; rowsFetched and friends grow as it goes.' },
    SUCCEEDED: { description: 'Finished; every row was stored.' },
    PARTIAL: { description: 'Finished, but some rows were rejected (see rejections).' },
    FAILED: { description: 'Stopped by an error (see errorClass and error); nothing of the failed batch was stored.' },
    INTERRUPTED: { description: 'Stopped before it finished: by a shutdown of its process (errorClass SHUTDOWN; another process runs it again), or left RUNNING by a process that died (errorClass INTERNAL).' },
  },
});
registerEnumType(RunErrorClass, {
  name: 'RunErrorClass',
  description: 'Why a run failed (SHUTDOWN: interrupted by a shutdown, not a failure).',
  valuesConfig: {
    SOURCE_UNAVAILABLE: { description: 'The source could not be reached or did not answer in full (connection refused, HTTP 5xx or 429, …); retried.' },
    TIMEOUT: { description: 'No complete answer within the connector\'s time limit; retried.' },
    BAD_PAYLOAD: { description: 'The source answered with something the hub cannot read (malformed JSON or CSV, looping pagination, …).' },
    CONFIG: { description: 'The connector\'s definition does not fit the source (HTTP 4xx, rejected credentials, invalid mapping, …).' },
    OUTBOUND_BLOCKED: { description: 'The outbound policy refused the destination: a host not on the allowlist, or a forbidden address.' },
    CONFLICT: { description: 'Concurrent writers kept changing the same values, after every retry; nothing of the batch was stored.' },
    SHUTDOWN: { description: 'Not a failure: the hub process running it was shut down; another process runs the connector again.' },
    INTERNAL: { description: 'The hub\'s own fault (reported to the error log), or a run left behind by a process that died.' },
  },
});
registerEnumType(FireSkipReason, {
  name: 'FireSkipReason',
  description: 'Why a schedule fire did not start a run of its own.',
  valuesConfig: {
    OVERLAP: { description: 'The connector\'s previous run was still running (in this process or another): the fire was skipped.' },
    DOWNTIME: { description: 'Fires fell while no hub process was running: they were coalesced into one run at the next start.' },
  },
});

/** A department feed the hub pulls (or receives) on a schedule. Deleted connectors are kept for their ledger. */
@ObjectType({ implements: Node, description: 'A department feed: where values come from, on what schedule, mapped how.' })
@Entity('connector')
// Names are unique within a department, compared byte for byte (NFC-normalised on write; on MySQL/MariaDB the
// column is utf8mb4_bin, so "So Y te" and "Sở Y tế", or two emoji, are different names).
@Index('UQ_connector_department_name', ['departmentId', 'name'], { unique: true })
export class Connector {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Unique name, e.g. "Health: biometric visits".' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field({ description: 'Connector kind: http-json, csv, sql, dhis2 or push.' })
  @Column({ type: 'varchar', length: 32 })
  kind: string;

  @Column({ type: 'int' })
  departmentId: number;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'departmentId' })
  department?: Department;

  @Field(() => String, { nullable: true, description: 'Cron expression (5 or 6 fields); null for push connectors.' })
  @Column({ type: 'varchar', length: 100, nullable: true })
  schedule: string | null;

  @Field({ description: 'IANA time zone the schedule is read in.' })
  @Column({ type: 'varchar', length: 64 })
  timeZone: string;

  @Field({ description: 'False: no scheduled runs and pushes are refused (CONFLICT); manual runs still work.' })
  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  @Field(() => Int, { description: 'Days a run without an explicit window reads back from today (late corrections included).' })
  @Column({ type: 'int', default: 7 })
  lookbackDays: number;

  @Field(() => Int, { nullable: true, description: 'Longest window one read covers; longer runs read consecutive chunks.' })
  @Column({ type: 'int', nullable: true })
  maxWindowDays: number | null;

  /** Kind-specific configuration as JSON; never holds credentials. */
  @Column({ type: 'text' })
  config: string;

  /** The current mapping from source fields to metric, unit, period and values, as JSON. */
  @Column({ type: 'text' })
  mapping: string;

  @Field(() => Int, { description: 'Version of the current mapping; every stored value records the version that produced it.' })
  @Column({ type: 'int', default: 1 })
  mappingVersion: number;

  @Field(() => Int, {
    description: 'Version of the definition: 1 when registered, one more at every change. Pass it as updateConnector’s expectedVersion to refuse a change made against an older definition.',
  })
  @Column({ type: 'int', default: 1 })
  version: number;

  @Field(() => Date, { description: 'When the connector was registered (UTC timestamp).' })
  @Column({ type: 'datetime' })
  createdAt: Date;

  @Field(() => Date, { description: 'When its definition last changed (UTC timestamp).' })
  @Column({ type: 'datetime' })
  updatedAt: Date;

  @Column({ type: 'datetime', nullable: true })
  deletedAt: Date | null;

  /**
   * Whether an administrator wrote the current configuration (registered the connector, or last changed its
   * `config`). Allowlist entries granted to no department serve only such connectors.
   */
  @Column({ type: 'boolean', default: false })
  configuredByAdmin: boolean;
}

/** Every mapping a connector has had, so values can be traced to the mapping that produced them. */
@Entity('connector_mapping_version')
export class ConnectorMappingVersion {
  @PrimaryColumn({ type: 'int' })
  connectorId: number;

  @PrimaryColumn({ type: 'int' })
  version: number;

  @ManyToOne(() => Connector, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorId' })
  connector?: Connector;

  @Column({ type: 'text' })
  mapping: string;

  @Column({ type: 'datetime' })
  createdAt: Date;

  @Column({ type: 'varchar', length: 200 })
  createdBy: string;
}

/**
 * Credentials of a connector, held apart from its configuration, never returned by the API, and encrypted
 * (AES-256-GCM, see src/security/secret-box.ts): ciphertext, IV and tag in base64, and the id of the key.
 */
@Entity('connector_secret')
export class ConnectorSecret {
  @PrimaryColumn({ type: 'int' })
  connectorId: number;

  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  @ManyToOne(() => Connector, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'connectorId' })
  connector?: Connector;

  /**
   * The value in the clear, as stored before secrets were encrypted. Start-up encrypts such rows and clears
   * this column in one transaction; nothing writes it any more.
   */
  @Column({ name: 'value', type: 'text', nullable: true })
  legacyPlaintext: string | null;

  @Column({ type: 'text', nullable: true })
  ciphertext: string | null;

  /** 96-bit IV, base64. */
  @Column({ type: 'varchar', length: 24, nullable: true })
  iv: string | null;

  /** 128-bit GCM tag, base64. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  tag: string | null;

  /** Which key encrypted the value; null while stored in the clear. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  keyId: string | null;

  /**
   * Where the secret may be sent: the `host:port` endpoints of the configuration it was set for (see
   * `secretDestination`), space-separated; null for secrets set before destinations were recorded, which
   * go only where the connector's configuration points now (a move needs the secrets again).
   */
  @Column({ type: 'varchar', length: 1000, nullable: true })
  destination: string | null;
}
