import { useEffect, useMemo } from 'react';
// The hub's own translation of the catalogue's responsible persons' titles (the report uses it too).
import { personTitle } from '../../../src/modules/progress/report-language';
import { useConsole, useName, useQuery } from '../context';
import { formatDate, formatDateTime, formatNumber } from '../i18n';
import { OVERVIEW, PILOT_MODEL, SERIES } from '../operations';
import { coarser, periodOf, today, type Granularity } from '../periods';
import { Chart } from './chart';
import { Badge, Counts, Loaded, nodes } from './common';

interface Named { code: string; name: string; nameVi: string }
interface StatusCounts { total: number; completed: number; inProgress: number; notStarted: number; overdue: number }
interface OverdueItem extends Named { kind: string; deadline?: string; daysLate: number; responsiblePerson: string | null; leadDepartment: Named }
interface Overview {
  progress: { asOf: string; pilotModels: StatusCounts; tasks: StatusCounts; overdue: OverdueItem[] };
  pilotModels: { edges: Array<{ node: Named & { status: string; deadline: string | null; leadDepartment: Named } }> };
  departments: { edges: Array<{ node: Named & { validTo: string | null; freshness: { onTime: number; late: number; missing: number; status: string | null } } }> };
}

export function OverdueTable({ items, caption }: { items: OverdueItem[]; caption: string }) {
  const { t, lang } = useConsole();
  const name = useName();
  if (items.length === 0) return <p>{caption}: {t('none')}</p>;
  return (
    <div className="scroll">
      <table>
        <caption>{caption}</caption>
        <thead><tr><th scope="col">{t('kind')}</th><th scope="col">{t('code')}</th><th scope="col">{t('name')}</th><th scope="col">{t('department')}</th><th scope="col">{t('person')}</th>{items[0].deadline !== undefined && <th scope="col">{t('deadline')}</th>}<th scope="col" className="num">{t('daysLate')}</th></tr></thead>
        <tbody>
          {items.map((item) => (
            <tr key={`${item.kind}-${item.code}`}>
              <td>{t(item.kind)}</td>
              <td>{item.kind === 'MODEL' ? <a href={`#/models/${item.code}`}>{item.code}</a> : item.code}</td>
              <td>{name(item)}</td>
              <td>{name(item.leadDepartment)}</td>
              <td>{personTitle(item.responsiblePerson, lang)}</td>
              {item.deadline !== undefined && <td>{formatDate(item.deadline)}</td>}
              <td className="num">{formatNumber(lang, item.daysLate, 0)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function OverviewPage() {
  const { t, lang } = useConsole();
  const name = useName();
  const state = useQuery<Overview>(OVERVIEW, {});
  useEffect(() => {
    if (!state.data || performance.getEntriesByName('pilothub:overview-rendered').length > 0) return;
    performance.mark('pilothub:overview-rendered');
    if (performance.getEntriesByName('pilothub:signed-in').length > 0) performance.measure('pilothub:overview-after-sign-in', 'pilothub:signed-in', 'pilothub:overview-rendered');
  }, [state.data]);
  return (
    <>
      <h1>{t('navOverview')}</h1>
      <Loaded state={state}>
        {(data) => (
          <>
            <p>{t('asOf')} {formatDate(data.progress.asOf)}</p>
            <div className="cards">
              <Counts title={t('pilotModels')} counts={data.progress.pilotModels} />
              <Counts title={t('tasks')} counts={data.progress.tasks} />
            </div>
            <OverdueTable items={data.progress.overdue} caption={t('overdue')} />
            <section aria-labelledby="models-heading">
              <h2 id="models-heading">{t('pilotModels')}</h2>
              <div className="scroll">
                <table>
                  <thead><tr><th scope="col">{t('code')}</th><th scope="col">{t('name')}</th><th scope="col">{t('department')}</th><th scope="col">{t('deadline')}</th><th scope="col">{t('status')}</th></tr></thead>
                  <tbody>
                    {nodes(data.pilotModels).map((model) => (
                      <tr key={model.code}>
                        <td><a href={`#/models/${model.code}`}>{model.code}</a></td>
                        <td>{name(model)}</td>
                        <td>{name(model.leadDepartment)}</td>
                        <td>{formatDate(model.deadline)}</td>
                        <td><Badge value={model.status} /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <section aria-labelledby="freshness-heading">
              <h2 id="freshness-heading">{t('freshness')}</h2>
              <div className="scroll">
                <table>
                  <thead><tr><th scope="col">{t('code')}</th><th scope="col">{t('name')}</th><th scope="col">{t('status')}</th><th scope="col" className="num">{t('onTime')}</th><th scope="col" className="num">{t('late')}</th><th scope="col" className="num">{t('missing')}</th></tr></thead>
                  <tbody>
                    {nodes(data.departments).filter((department) => department.validTo === null).map((department) => (
                      <tr key={department.code}>
                        <td>{department.code}</td>
                        <td>{name(department)}</td>
                        <td><Badge value={department.freshness.status} /></td>
                        <td className="num">{formatNumber(lang, department.freshness.onTime, 0)}</td>
                        <td className="num">{formatNumber(lang, department.freshness.late, 0)}</td>
                        <td className="num">{formatNumber(lang, department.freshness.missing, 0)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}

interface ModelMetric { code: string; name: string; nameVi: string; unit: string; frequency: Granularity; target: number | null; targetDate: string | null; latest: { period: string; value: number | null } | null; progress: { actual: number | null; target: number; ratio: number | null; achieved: boolean } | null }
interface ModelPage {
  pilotModel: (Named & { status: string; deadline: string | null; responsiblePerson: string | null; daysLate: number; overdue: boolean; leadDepartment: Named; taskGroup: Named | null; statusHistory: Array<{ changedAt: string; fromValue: string | null; toValue: string; author: string; note: string | null }>; metrics: ModelMetric[] }) | null;
}
interface SeriesAnswer { series: Array<{ metric: { code: string; name: string; nameVi: string } | null; points: Array<{ period: string; value: number | null }> }> }

function ModelChart({ metrics }: { metrics: ModelMetric[] }) {
  const { t, lang } = useConsole();
  const name = useName();
  const granularity = metrics.reduce<Granularity>((coarsest, metric) => coarser(coarsest, metric.frequency), 'MONTH');
  const variables = useMemo(() => (metrics.length ? { metrics: metrics.map((metric) => metric.code), from: periodOf('2024-01-01', granularity), to: periodOf(today(), granularity), granularity } : null), [metrics, granularity]);
  const state = useQuery<SeriesAnswer>(SERIES, variables);
  const chart = useMemo(() => {
    const series = state.data?.series ?? [];
    const periods = [...new Set(series.flatMap((line) => line.points.map((point) => point.period)))].sort();
    const lines = series.map((line) => {
      const byPeriod = new Map(line.points.map((point) => [point.period, point.value]));
      return { label: name(line.metric), values: periods.map((period) => byPeriod.get(period) ?? null) };
    });
    return { periods, lines };
  }, [state.data, name]);
  if (!variables) return null;
  return (
    <section aria-labelledby="chart-heading">
      <h2 id="chart-heading">{t('chart')} ({t(granularity)})</h2>
      <Loaded state={state}>{() => (chart.periods.length ? <Chart periods={chart.periods} lines={chart.lines} lang={lang} label={`${t('chart')}: ${chart.lines.map((line) => line.label).join(', ')}`} /> : <p>{t('noData')}</p>)}</Loaded>
    </section>
  );
}

export function PilotModelPage({ code }: { code: string }) {
  const { t, lang } = useConsole();
  const name = useName();
  const state = useQuery<ModelPage>(PILOT_MODEL, { code });
  return (
    <Loaded state={state}>
      {({ pilotModel: model }) =>
        !model ? <p>{t('notFound')}</p> : (
          <>
            <p><a href="#/">← {t('navOverview')}</a></p>
            <h1>{model.code} — {name(model)}</h1>
            <dl className="facts">
              <div><dt>{t('status')}</dt><dd><Badge value={model.status} /></dd></div>
              <div><dt>{t('deadline')}</dt><dd>{formatDate(model.deadline)}{model.overdue ? ` (${t('overdueCount')}: ${formatNumber(lang, model.daysLate, 0)} ${t('daysLate').toLowerCase()})` : ''}</dd></div>
              <div><dt>{t('person')}</dt><dd>{personTitle(model.responsiblePerson, lang)}</dd></div>
              <div><dt>{t('department')}</dt><dd>{name(model.leadDepartment)}</dd></div>
            </dl>
            <section aria-labelledby="history-heading">
              <h2 id="history-heading">{t('statusHistory')}</h2>
              {model.statusHistory.length === 0 ? <p>{t('none')}</p> : (
                <table>
                  <thead><tr><th scope="col">{t('changedAt')}</th><th scope="col">{t('from')}</th><th scope="col">{t('to')}</th><th scope="col">{t('author')}</th></tr></thead>
                  <tbody>{model.statusHistory.map((change, index) => <tr key={index}><td>{formatDateTime(change.changedAt)}</td><td>{change.fromValue ? t(change.fromValue) : '—'}</td><td>{t(change.toValue)}</td><td>{change.author}</td></tr>)}</tbody>
                </table>
              )}
            </section>
            <section aria-labelledby="metrics-heading">
              <h2 id="metrics-heading">{t('metrics')}</h2>
              <div className="scroll">
                <table>
                  <thead><tr><th scope="col">{t('code')}</th><th scope="col">{t('name')}</th><th scope="col">{t('period')}</th><th scope="col" className="num">{t('latest')}</th><th scope="col" className="num">{t('target')}</th><th scope="col">{t('targetProgress')}</th></tr></thead>
                  <tbody>
                    {model.metrics.map((metric) => (
                      <tr key={metric.code}>
                        <td>{metric.code}</td>
                        <td>{name(metric)} ({metric.unit})</td>
                        <td>{metric.latest?.period ?? '—'}</td>
                        <td className="num">{formatNumber(lang, metric.latest?.value, 2)}</td>
                        <td className="num">{formatNumber(lang, metric.target, 2)}{metric.targetDate ? ` (${formatDate(metric.targetDate)})` : ''}</td>
                        <td>{metric.progress?.ratio != null ? <><progress max={1} value={Math.min(1, metric.progress.ratio)} aria-label={`${t('targetProgress')} ${metric.code}`} /> {formatNumber(lang, metric.progress.ratio * 100, 1)} %</> : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            <ModelChart metrics={model.metrics} />
          </>
        )
      }
    </Loaded>
  );
}
