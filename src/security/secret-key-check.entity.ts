import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The check value of a secrets key, recorded the first time a process runs with the key: an HMAC of a fixed label
 * under the key bytes. A process given other bytes under the same key id refuses to start instead of writing
 * secrets the other processes cannot read (or failing every run of the connectors whose secrets it holds).
 */
@Entity('secret_key_check')
export class SecretKeyCheck {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  keyId: string;

  /** HMAC-SHA256 of the check label under the key, hex. Reveals nothing about the key. */
  @Column({ type: 'varchar', length: 64 })
  checkValue: string;

  @Column({ type: 'datetime' })
  recordedAt: Date;
}
