import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** Longest owner id the `owner` columns (scheduler_lease, connector_run) hold. */
export const OWNER_MAX_LENGTH = 100;

let current: string | undefined;

/**
 * Identifies this process among every hub process sharing the database: `<hostname>:<pid>:<random>`.
 * The random part keeps a restarted process (same host, recycled pid, e.g. pid 1 in a container) distinct
 * from its predecessor. Stable for the life of the process.
 */
export function processOwnerId(): string {
  if (!current) {
    const suffix = `:${process.pid}:${randomBytes(4).toString('hex')}`;
    const host = (os.hostname() || 'host').slice(0, OWNER_MAX_LENGTH - suffix.length);
    current = `${host}${suffix}`;
  }
  return current;
}
