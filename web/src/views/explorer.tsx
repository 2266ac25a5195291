import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { csvText, graphql, saveBlob, SignedOut } from '../api';
import { useConsole, useName } from '../context';
import { formatNumber } from '../i18n';
import { AGGREGATE, METRICS } from '../operations';
import { GRANULARITIES, periodOf, type Granularity } from '../periods';
import { Chart } from './chart';

interface MetricItem { code: string; name: string; nameVi: string; unit: string; frequency: Granularity }
interface Named { code: string; name: string; nameVi?: string }
interface Row { period: string | null; unit: Named | null; department: Named | null; pilotModel: Named | null; taskGroup: Named | null; measures: Array<{ metric: MetricItem; value: number | null }> }
type Dimension = 'PERIOD' | 'UNIT' | 'DEPARTMENT' | 'PILOT_MODEL' | 'TASK_GROUP';
const DIMENSIONS: Dimension[] = ['PERIOD', 'UNIT', 'DEPARTMENT', 'PILOT_MODEL', 'TASK_GROUP'];

interface Question { metrics: string[]; from: string; to: string; granularity: Granularity; level: string; groupBy: Dimension[] }

function variablesOf(question: Question): Record<string, unknown> {
  return {
    metrics: question.metrics,
    from: periodOf(question.from, question.granularity),
    to: periodOf(question.to, question.granularity),
    granularity: question.granularity,
    level: question.level || null,
    groupBy: question.groupBy,
  };
}

/** The metric explorer: metrics, a level, a range, a granularity and a grouping; a table, a chart, a CSV, GraphiQL. */
export function ExplorerPage() {
  const { t, lang, signOut } = useConsole();
  const name = useName();
  const [metrics, setMetrics] = useState<MetricItem[]>([]);
  const [question, setQuestion] = useState<Question>({ metrics: [], from: '2024-01-01', to: '2024-03-31', granularity: 'MONTH', level: 'DISTRICT', groupBy: ['PERIOD', 'UNIT'] });
  const [answer, setAnswer] = useState<{ question: Question; rows: Row[]; totalRows: number } | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let current = true;
    (async () => {
      const found: MetricItem[] = [];
      let after: string | null = null;
      for (;;) {
        const page: { metrics: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: Array<{ node: MetricItem }> } } = await graphql(METRICS, { after });
        found.push(...page.metrics.edges.map((edge) => edge.node));
        if (!page.metrics.pageInfo.hasNextPage) break;
        after = page.metrics.pageInfo.endCursor;
      }
      if (current) setMetrics(found);
    })().catch((error: unknown) => (error instanceof SignedOut ? signOut(true) : setFailure((error as Error).message)));
    return () => {
      current = false;
    };
  }, [signOut]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    const asked = question;
    graphql<{ aggregate: { rows: Row[]; totalRows: number } }>(AGGREGATE, variablesOf(asked))
      .then(({ aggregate }) => setAnswer({ question: asked, rows: aggregate.rows, totalRows: aggregate.totalRows }))
      .catch((error: unknown) => (error instanceof SignedOut ? signOut(true) : setFailure((error as Error).message)))
      .finally(() => setBusy(false));
  };
  const table = useMemo(() => {
    if (!answer) return null;
    const groups = answer.question.groupBy;
    const label = (row: Row, dimension: Dimension): string => {
      if (dimension === 'PERIOD') return row.period ?? '—';
      const item = dimension === 'UNIT' ? row.unit : dimension === 'DEPARTMENT' ? row.department : dimension === 'PILOT_MODEL' ? row.pilotModel : row.taskGroup;
      return item ? `${item.code} ${name(item as { name: string; nameVi: string })}` : '—';
    };
    const header = [...groups.map((dimension) => t(dimension)), t('metrics'), t('value')];
    const rows = answer.rows.flatMap((row) => row.measures.map((measure) => [...groups.map((dimension) => label(row, dimension)), `${measure.metric.code} ${name(measure.metric)}`, measure.value]));
    // The chart: one line per metric (and unit, when grouped by unit) over the periods.
    const periods = [...new Set(answer.rows.map((row) => row.period).filter((period): period is string => period !== null))].sort();
    const lines = new Map<string, Map<string, number | null>>();
    for (const row of answer.rows) {
      for (const measure of row.measures) {
        const key = [`${measure.metric.code}`, ...groups.filter((dimension) => dimension !== 'PERIOD').map((dimension) => label(row, dimension))].join(' · ');
        if (!lines.has(key)) lines.set(key, new Map());
        lines.get(key)?.set(row.period ?? '', measure.value);
      }
    }
    const chartLines = [...lines.entries()].slice(0, 8).map(([key, values]) => ({ label: key, values: periods.map((period) => values.get(period) ?? null) }));
    return { header, rows, periods, chartLines };
  }, [answer, name, t]);
  const graphiqlLink = answer ? `graphql#${new URLSearchParams({ query: AGGREGATE.trim(), variables: JSON.stringify(variablesOf(answer.question), null, 2) }).toString()}` : null;
  const toggleGroup = (dimension: Dimension) => setQuestion({ ...question, groupBy: question.groupBy.includes(dimension) ? question.groupBy.filter((d) => d !== dimension) : [...question.groupBy, dimension] });
  return (
    <>
      <h1>{t('explorer')}</h1>
      <form className="explorer" onSubmit={submit}>
        <div className="field">
          <label htmlFor="metrics">{t('chooseMetrics')}</label>
          <select id="metrics" multiple size={8} required value={question.metrics} onChange={(event) => setQuestion({ ...question, metrics: [...event.target.selectedOptions].map((option) => option.value) })}>
            {metrics.map((metric) => <option key={metric.code} value={metric.code}>{metric.code} — {name(metric)} ({metric.unit})</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="from">{t('from')}</label>
          <input id="from" type="date" required value={question.from} onChange={(event) => setQuestion({ ...question, from: event.target.value })} />
          <label htmlFor="to">{t('to')}</label>
          <input id="to" type="date" required value={question.to} onChange={(event) => setQuestion({ ...question, to: event.target.value })} />
          <label htmlFor="granularity">{t('granularity')}</label>
          <select id="granularity" value={question.granularity} onChange={(event) => setQuestion({ ...question, granularity: event.target.value as Granularity })}>
            {GRANULARITIES.map((value) => <option key={value} value={value}>{t(value)}</option>)}
          </select>
          <label htmlFor="level">{t('level')}</label>
          <select id="level" value={question.level} onChange={(event) => setQuestion({ ...question, level: event.target.value })}>
            <option value="">{t('anyLevel')}</option>
            {['PROVINCE', 'DISTRICT', 'COMMUNE'].map((value) => <option key={value} value={value}>{t(value)}</option>)}
          </select>
        </div>
        <fieldset className="field">
          <legend>{t('groupBy')}</legend>
          {DIMENSIONS.map((dimension) => (
            <label key={dimension} className="check"><input type="checkbox" checked={question.groupBy.includes(dimension)} onChange={() => toggleGroup(dimension)} /> {t(dimension)}</label>
          ))}
        </fieldset>
        <p className="actions"><button type="submit" disabled={busy || question.metrics.length === 0}>{busy ? t('loading') : t('run')}</button></p>
      </form>
      {failure && <p role="alert" className="error">{failure}</p>}
      {table && answer && (
        <section aria-labelledby="answer-heading">
          <h2 id="answer-heading">{t('rowsShown')}: {formatNumber(lang, answer.totalRows, 0)}</h2>
          <p className="actions">
            <button type="button" onClick={() => saveBlob(new Blob([csvText(table.header, table.rows)], { type: 'text/csv;charset=utf-8' }), `pilothub-${answer.question.metrics.join('-')}.csv`)}>{t('exportCsv')}</button>
            {graphiqlLink && <a className="button" href={graphiqlLink}>{t('openInGraphiql')}</a>}
          </p>
          {table.periods.length > 1 && table.chartLines.length > 0 && <Chart periods={table.periods} lines={table.chartLines} lang={lang} label={t('chart')} />}
          <div className="scroll">
            <table>
              <thead><tr>{table.header.map((cell, index) => <th scope="col" key={index} className={index === table.header.length - 1 ? 'num' : undefined}>{cell}</th>)}</tr></thead>
              <tbody>{table.rows.slice(0, 500).map((row, index) => <tr key={index}>{row.map((cell, column) => <td key={column} className={column === row.length - 1 ? 'num' : undefined}>{typeof cell === 'number' ? formatNumber(lang, cell, 2) : cell ?? '—'}</td>)}</tr>)}</tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
