import type { DataSource } from 'typeorm';
import { ConnectorRun } from '../modules/connectors/connector-run.entity';
import { RunErrorClass, RunStatus } from '../modules/connectors/connector.entity';
import { processOwnerId } from './process-owner';

export const INTERRUPTED_MESSAGE = 'the process running it stopped before it finished';

export interface MarkInterruptedOptions {
  /** Only runs of this owner (a process known to have stopped). */
  owner?: string;
  /**
   * Without `owner`: the process calling (its runs are alive and are left alone). Defaults to this process's
   * id, `processOwnerId()`.
   */
  currentOwner?: string;
  /** Without `owner`: only runs whose heartbeat is at least this old (other live processes keep theirs fresh). Default 0. */
  graceMs?: number;
}

/**
 * Closes `connector_run` rows left RUNNING by a process that stopped: status INTERRUPTED, finishedAt now,
 * errorClass INTERNAL. With `owner`, only that owner's runs; otherwise (start-up of a process) every RUNNING
 * run owned by another process whose heartbeat is at least `graceMs` old. Returns how many runs were closed.
 *
 * Processes are not tracked: on a database shared by several live processes, give a grace period longer than
 * the longest run, or pass the owner of the process known to be gone.
 */
export async function markInterruptedRuns(dataSource: DataSource, options: MarkInterruptedOptions = {}): Promise<number> {
  const now = new Date();
  const query = dataSource
    .createQueryBuilder()
    .update(ConnectorRun)
    .set({ status: RunStatus.INTERRUPTED, finishedAt: now, errorClass: RunErrorClass.INTERNAL, errorMessage: INTERRUPTED_MESSAGE })
    .where('status = :running', { running: RunStatus.RUNNING });
  if (options.owner !== undefined) {
    query.andWhere('owner = :owner', { owner: options.owner });
  } else {
    query
      .andWhere('owner <> :current', { current: options.currentOwner ?? processOwnerId() })
      // A live owner refreshes heartbeatAt while the run goes on; runs from before heartbeats fall back to startedAt.
      .andWhere('COALESCE(heartbeatAt, startedAt) <= :cutoff', { cutoff: new Date(now.getTime() - Math.max(0, options.graceMs ?? 0)) });
  }
  const result = await query.execute();
  return result.affected ?? 0;
}
