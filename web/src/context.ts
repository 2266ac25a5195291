import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import { graphql, SignedOut } from './api';
import type { Lang, MessageKey } from './i18n';

export interface Viewer {
  name: string;
  role: 'ADMIN' | 'DEPARTMENT_IT' | 'ANALYST' | 'VIEWER';
  authenticatedBy: string;
  departments: Array<{ code: string; name: string; nameVi: string }> | null;
}

export interface ConsoleContext {
  lang: Lang;
  t: (key: MessageKey | string) => string;
  viewer: Viewer;
  /** Signs out; with `revoked` the sign-in page says the key was refused. */
  signOut: (revoked?: boolean) => void;
}

export const Console = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(Console);
  if (!value) throw new Error('useConsole outside the console');
  return value;
}

/** Vietnamese name from the catalogue in Vietnamese, the English one in English. */
export function useName(): (item: { name: string; nameVi?: string } | null | undefined) => string {
  const { lang } = useConsole();
  return (item) => (item ? (lang === 'vi' && item.nameVi ? item.nameVi : item.name) : '—');
}

export interface QueryState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/** Runs an operation when its variables change; a refused credential signs the person out. */
export function useQuery<T>(query: string, variables: Record<string, unknown> | null): QueryState<T> {
  const { signOut } = useConsole();
  const [state, setState] = useState<{ data: T | null; error: string | null; loading: boolean }>({ data: null, error: null, loading: variables !== null });
  const [round, setRound] = useState(0);
  const key = JSON.stringify(variables);
  useEffect(() => {
    if (key === 'null') return;
    let current = true;
    setState((before) => ({ ...before, loading: true, error: null }));
    graphql<T>(query, JSON.parse(key) as Record<string, unknown>).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error: unknown) => {
        if (!current) return;
        if (error instanceof SignedOut) signOut(true);
        else setState({ data: null, error: (error as Error).message, loading: false });
      },
    );
    return () => {
      current = false;
    };
  }, [query, key, round, signOut]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

/** Which pages a role may use (the hub enforces the same rules; this only hides what would be refused). */
export function mayUse(viewer: Viewer, page: 'overview' | 'scorecards' | 'report' | 'connectors' | 'explorer' | 'graphiql'): boolean {
  if (page === 'report' || page === 'connectors') return viewer.role !== 'VIEWER';
  return true;
}
