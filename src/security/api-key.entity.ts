import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinTable, ManyToMany, PrimaryGeneratedColumn } from 'typeorm';
import { Department } from '../modules/departments/department.entity';
import { Role } from './principal';
import { Node } from '../graphql/node-id';

/**
 * An API key. The key itself is never stored: only its SHA-256 hash (keys are 256 random bits, so a fast hash
 * cannot be brute-forced) and a short prefix that tells keys apart in lists.
 */
@ObjectType({ implements: Node, description: 'An API key (its value is shown once, at creation, and never stored).' })
@Entity('api_key')
@Index('UQ_api_key_hash', ['hash'], { unique: true })
export class ApiKey {
  @PrimaryGeneratedColumn()
  id: number;

  @Field({ description: 'What the key is for, e.g. "Health department push".' })
  @Column({ type: 'varchar', length: 200 })
  name: string;

  @Field(() => Role, { description: 'What the key may do.' })
  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Field({ description: 'First characters of the key, to recognise it (not a secret).' })
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  /** Hex SHA-256 of the whole key. */
  @Column({ type: 'varchar', length: 64 })
  hash: string;

  /** Departments a DEPARTMENT_IT key is scoped to (none for other roles). */
  @ManyToMany(() => Department)
  @JoinTable({ name: 'api_key_department', joinColumn: { name: 'apiKeyId' }, inverseJoinColumn: { name: 'departmentId' } })
  departments?: Department[];

  @Field(() => Date, { description: 'When the key was created (UTC timestamp).' })
  @Column({ type: 'datetime' })
  createdAt: Date;

  @Field({ description: 'Who created the key.' })
  @Column({ type: 'varchar', length: 200 })
  createdBy: string;

  @Field(() => Date, { nullable: true, description: 'Last request made with the key (kept to the minute).' })
  @Column({ type: 'datetime', nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked (UTC timestamp); null while it is valid. A revoked key is refused at once.' })
  @Column({ type: 'datetime', nullable: true })
  revokedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'After this time the key is refused; null = no expiry.' })
  @Column({ type: 'datetime', nullable: true })
  expiresAt: Date | null;
}
