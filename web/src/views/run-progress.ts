import { useEffect, useState } from 'react';
import { graphql, SignedOut } from '../api';
import { useConsole } from '../context';
import { RUN } from '../operations';

export interface Run {
  id: string;
  databaseId: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'PARTIAL' | 'FAILED' | 'INTERRUPTED';
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  windowFrom: string | null;
  windowTo: string | null;
  mappingVersion: number | null;
  durationMs: number | null;
  errorClass: string | null;
  errorMessage: string | null;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
}

/** How often a RUNNING run is read again: its counts are committed after each batch. */
const POLL_MS = 1_000;

/**
 * The live state of a run, from the moment it was started until it finishes. Today it reads `connectorRun(id)`
 * every second; with subscriptions this hook alone changes (to `connectorRunUpdated(connectorId)` filtered by
 * run id), the views that show it stay as they are.
 */
export function useRunProgress(started: Run | null): Run | null {
  const { signOut } = useConsole();
  const [run, setRun] = useState<Run | null>(started);
  useEffect(() => {
    setRun(started);
    if (!started || started.status !== 'RUNNING') return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      graphql<{ connectorRun: Run | null }>(RUN, { id: started.id }).then(
        ({ connectorRun }) => {
          if (stopped || !connectorRun) return;
          setRun(connectorRun);
          if (connectorRun.status === 'RUNNING') timer = setTimeout(poll, POLL_MS);
        },
        (error: unknown) => {
          if (stopped) return;
          if (error instanceof SignedOut) signOut(true);
          else timer = setTimeout(poll, POLL_MS * 3);
        },
      );
    };
    timer = setTimeout(poll, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [started, signOut]);
  return run;
}
