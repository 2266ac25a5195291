import { createClient } from 'graphql-ws';
import { useEffect, useState } from 'react';
import { graphql, SignedOut } from '../api';
import { useConsole } from '../context';
import { RUN, RUN_UPDATED } from '../operations';
import { credential, liveEndpoint } from '../session';

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
  batches: number;
  attempts: number;
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
}

/** Where the run's updates come from: the `connectorRunUpdated` subscription, or reading the run every second. */
export type ProgressSource = 'live' | 'polling';

/** How often a RUNNING run is read again when the WebSocket cannot be used: its counts are committed after each batch. */
const POLL_MS = 1_000;

/** A close code of the hub meaning the credential was refused (graphql-ws's Forbidden). */
const FORBIDDEN = 4403;

/**
 * The live state of a run, from the moment it was started until it finishes. It subscribes to
 * `connectorRunUpdated(connectorId)` over graphql-ws (same origin, the page's path) and keeps the events of this
 * run; once the subscription is acknowledged it reads the run once over HTTP, so the batches committed before it
 * are not missed. When the socket cannot be opened, or closes before the run ends, it reads `connectorRun(id)`
 * every second instead.
 */
export function useRunProgress(started: Run | null, connectorId: string): { run: Run | null; source: ProgressSource | null } {
  const { signOut } = useConsole();
  const [run, setRun] = useState<Run | null>(started);
  const [source, setSource] = useState<ProgressSource | null>(null);
  useEffect(() => {
    setRun(started);
    setSource(null);
    if (!started || started.status !== 'RUNNING') return;
    let stopped = false;
    let finished = false;
    let polling = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Later states only: an HTTP read and an event may arrive out of order.
    const show = (next: Run) => {
      if (stopped || finished) return;
      if (next.status !== 'RUNNING') finished = true;
      setRun((previous) => (previous && previous.status === 'RUNNING' && next.status === 'RUNNING' && next.batches < previous.batches ? previous : next));
    };
    const refused = (error: unknown) => {
      if (error instanceof SignedOut) {
        signOut(true);
        return true;
      }
      return false;
    };
    const poll = () => {
      graphql<{ connectorRun: Run | null }>(RUN, { id: started.id }).then(
        ({ connectorRun }) => {
          if (stopped || !connectorRun) return;
          show(connectorRun);
          if (!finished) timer = setTimeout(poll, POLL_MS);
        },
        (error: unknown) => {
          if (stopped || refused(error)) return;
          timer = setTimeout(poll, POLL_MS * 3);
        },
      );
    };
    const fallBack = () => {
      if (stopped || finished || polling) return;
      polling = true;
      setSource('polling');
      timer = setTimeout(poll, 0);
    };
    const client = createClient({
      url: liveEndpoint(),
      connectionParams: () => ({ authorization: `Bearer ${credential() ?? ''}` }),
      lazy: true,
      retryAttempts: 0,
      on: {
        closed: (event) => {
          if (stopped) return;
          if ((event as CloseEvent | undefined)?.code === FORBIDDEN) signOut(true);
          else fallBack();
        },
        error: () => fallBack(),
      },
    });
    const unsubscribe = client.subscribe<{ connectorRunUpdated: Run }>(
      { query: RUN_UPDATED, variables: { connectorId } },
      {
        next: ({ data }) => {
          const update = data?.connectorRunUpdated;
          if (update && update.id === started.id) show(update);
          if (finished) void client.dispose();
        },
        error: () => fallBack(),
        complete: () => {
          if (!finished) fallBack();
        },
      },
    );
    // Acknowledged: the events from now on arrive; one read covers the batches committed before.
    client.on('connected', () => {
      if (stopped || polling) return;
      setSource('live');
      graphql<{ connectorRun: Run | null }>(RUN, { id: started.id }).then(
        ({ connectorRun }) => {
          if (connectorRun) show(connectorRun);
          if (finished) void client.dispose();
        },
        (error: unknown) => void refused(error),
      );
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
      void client.dispose();
    };
  }, [started, connectorId, signOut]);
  return { run, source };
}
