import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Department } from '../departments/department.entity';
import { Node } from '../../graphql/node-id';

/**
 * A host connectors may reach; see src/security/outbound-policy.ts for the pattern syntax and the address rules.
 * Who may use it: the connectors of the departments granted it (`outbound_host_department`); an entry granted to
 * no department serves only connectors whose configuration an administrator wrote.
 */
@ObjectType({ implements: Node, description: 'An entry of the outbound allowlist: a host connectors may connect to.' })
@Entity('outbound_host')
@Index('UQ_outbound_host_pattern', ['pattern'], { unique: true })
export class OutboundHost {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'Exact host, *.domain or IP address, optionally with :port; stored in canonical form.' })
  @Column({ type: 'varchar', length: 300 })
  pattern: string;

  @Field({ description: 'Whether connections to this exact host and port may go to loopback and private-network addresses.' })
  @Column({ type: 'boolean', default: false })
  allowPrivate: boolean;

  @Field(() => String, { nullable: true, description: 'Why the host is allowed (e.g. whose server it is).' })
  @Column({ type: 'varchar', length: 500, nullable: true })
  note: string | null;

  @Field({ description: 'Who added the entry (a key name or subject).' })
  @Column({ type: 'varchar', length: 200 })
  createdBy: string;

  @Field(() => Date, { description: 'When the entry was added (UTC timestamp).' })
  @Column({ type: 'datetime' })
  createdAt: Date;
}

/** A department whose connectors may use an allowlist entry. */
@Entity('outbound_host_department')
export class OutboundHostDepartment {
  @PrimaryColumn({ type: 'int' })
  outboundHostId: number;

  @PrimaryColumn({ type: 'int' })
  departmentId: number;

  @ManyToOne(() => OutboundHost, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'outboundHostId' })
  outboundHost?: OutboundHost;

  @ManyToOne(() => Department, { nullable: false, onDelete: 'CASCADE' })
  @JoinColumn({ name: 'departmentId' })
  department?: Department;
}
