import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row per schedule fire (`<task name>:<slot time>`): the first process to insert it runs the fire, so
 * several hub processes on one database execute each fire exactly once.
 */
@Entity('scheduler_lease')
export class SchedulerLease {
  @PrimaryColumn({ type: 'varchar', length: 191 })
  key: string;

  @Column({ type: 'varchar', length: 100 })
  owner: string;

  @Column({ type: 'datetime' })
  acquiredAt: Date;

  @Column({ type: 'datetime' })
  expiresAt: Date;
}
