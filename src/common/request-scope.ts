import type { DataSource } from 'typeorm';
import type { RequestLoaders } from '../graphql/loaders';
import type { Principal } from '../security/principal';

/**
 * What a service needs of the request it serves, and nothing of how the request came in: the database, the
 * caller, the request's loaders and the day the request judges dates on.
 */
export interface RequestScope {
  readonly dataSource: DataSource;
  /** The authenticated caller; every authorization decision reads it. */
  readonly principal: Principal;
  /** Recorded as the author of the changes the request makes (the principal's name). */
  readonly actor: string;
  /** The request's DataLoaders (see src/graphql/loaders.ts). */
  readonly loaders: RequestLoaders;
  /** Today in the hub's time zone, fixed for the whole request: every item of a response is judged on the same day. */
  readonly today: string;
  /** The hub's time zone (TIME_ZONE). */
  readonly timeZone: string;
}

/** Whether the database is the embedded SQLite (no row locks, its own date text, a case-insensitive LIKE). */
export function isSqlite(dataSource: DataSource): boolean {
  return dataSource.options.type === 'better-sqlite3';
}
