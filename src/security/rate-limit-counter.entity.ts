import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A rate-limit counter shared by the processes on one database (RATE_LIMIT_STORE=database): the table of
 * rate-limiter-flexible's MySQL and SQLite stores, which read and write it with their own statements (an atomic
 * upsert per request). The column order is theirs: `INSERT … VALUES (key, points, expire)`.
 */
@Entity('rate_limit_counter')
export class RateLimitCounter {
  /** `<limit>:<caller>`, e.g. `minute:subject:key:12` or `auth:ip:203.0.113.7`. */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  /** Points consumed in the current window. */
  @Column({ type: 'int', default: 0 })
  points: number;

  /** When the window ends, in milliseconds since the epoch. */
  @Column({ type: 'bigint', nullable: true })
  expire: string | null;
}
