import type { ReactNode } from 'react';
import { useConsole, type QueryState } from '../context';
import { formatNumber } from '../i18n';

/** Loading and error states of a query, then its content. */
export function Loaded<T>({ state, children }: { state: QueryState<T>; children: (data: T) => ReactNode }) {
  const { t } = useConsole();
  if (state.error) return <p role="alert" className="error">{t('error')}: {state.error}</p>;
  if (!state.data) return <p className="loading" aria-live="polite">{t('loading')}</p>;
  return <>{children(state.data)}</>;
}

/** A status shown as a word and a colour (the word carries the meaning, the colour only repeats it). */
export function Badge({ value }: { value: string | null | undefined }) {
  const { t } = useConsole();
  if (!value) return <span>—</span>;
  return <span className={`badge badge-${value.toLowerCase()}`}>{t(value)}</span>;
}

export function Counts({ title, counts }: { title: string; counts: { total: number; completed: number; inProgress: number; notStarted: number; overdue: number } }) {
  const { t, lang } = useConsole();
  const n = (value: number) => formatNumber(lang, value, 0);
  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      <dl className="counts">
        <div><dt>{t('total')}</dt><dd>{n(counts.total)}</dd></div>
        <div className="completed"><dt>{t('COMPLETED')}</dt><dd>{n(counts.completed)}</dd></div>
        <div className="in_progress"><dt>{t('IN_PROGRESS')}</dt><dd>{n(counts.inProgress)}</dd></div>
        <div className="not_started"><dt>{t('NOT_STARTED')}</dt><dd>{n(counts.notStarted)}</dd></div>
        <div className="overdue"><dt>{t('overdueCount')}</dt><dd>{n(counts.overdue)}</dd></div>
      </dl>
    </section>
  );
}

/** Edges of a connection as a list of nodes. */
export function nodes<T>(connection: { edges: Array<{ node: T }> }): T[] {
  return connection.edges.map((edge) => edge.node);
}
