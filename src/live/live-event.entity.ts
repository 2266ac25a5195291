import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The change feed of live updates (LIVE_UPDATES_FEED=database): one row per commit that changed something a
 * subscription reports (a run's progress, observations). Every hub process reads the rows after the last id it
 * has seen, a few times a second while it has subscribers; rows older than LIVE_UPDATES_RETENTION_SECONDS are deleted.
 */
@Entity('live_event')
export class LiveEvent {
  @PrimaryGeneratedColumn()
  id: number;

  /** The process that published it: it has delivered the events to its own subscribers already. */
  @Column({ type: 'varchar', length: 100 })
  origin: string;

  /** The events, as JSON (src/live/live-updates.ts LiveChange[]). */
  @Column({ type: 'text' })
  payload: string;

  /** When it was published (pruning reads it). */
  @Index()
  @Column({ type: 'datetime' })
  createdAt: Date;
}
