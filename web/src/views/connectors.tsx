import { useEffect, useState, type FormEvent } from 'react';
import { graphql, SignedOut } from '../api';
import { useConsole, useName, useQuery } from '../context';
import { formatDate, formatDateTime, formatNumber } from '../i18n';
import { CONNECTOR, CONNECTORS, REJECTIONS, RUN_CONNECTOR, SET_ENABLED } from '../operations';
import { Badge, Loaded, nodes } from './common';
import { PushUpload } from './push-upload';
import { useRunProgress, type Run } from './run-progress';

interface Named { code: string; name: string; nameVi: string }
interface Health { status: string; lastRunAt: string | null; lastSuccessAt: string | null; nextRunAt: string | null; consecutiveFailures: number; lastError: string | null }
interface ConnectorRow { id: string; name: string; kind: string; enabled: boolean; schedule: string | null; department: Named; health: Health }

export function ConnectorsPage() {
  const { t, viewer } = useConsole();
  const name = useName();
  const state = useQuery<{ connectors: { totalCount: number; edges: Array<{ node: ConnectorRow }> } }>(CONNECTORS, {});
  return (
    <>
      <h1>{t('navConnectors')}</h1>
      {(viewer.role === 'ADMIN' || viewer.role === 'DEPARTMENT_IT') && <p><a className="button" href="#/connectors/new">{t('registerConnector')}</a></p>}
      <Loaded state={state}>
        {(data) => (
          <div className="scroll">
            <table>
              <thead><tr><th scope="col">{t('name')}</th><th scope="col">{t('kind')}</th><th scope="col">{t('department')}</th><th scope="col">{t('health')}</th><th scope="col">{t('lastRun')}</th><th scope="col">{t('nextRun')}</th><th scope="col">{t('status')}</th></tr></thead>
              <tbody>
                {nodes(data.connectors).map((connector) => (
                  <tr key={connector.id}>
                    <td><a href={`#/connectors/${encodeURIComponent(connector.id)}`}>{connector.name}</a></td>
                    <td>{connector.kind}</td>
                    <td>{name(connector.department)}</td>
                    <td><Badge value={connector.health.status} /></td>
                    <td>{formatDateTime(connector.health.lastRunAt)}</td>
                    <td>{formatDateTime(connector.health.nextRunAt)}</td>
                    <td>{connector.enabled ? t('enabled') : t('disabled')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </>
  );
}

interface ConnectorDetail extends ConnectorRow {
  timeZone: string;
  lookbackDays: number;
  maxWindowDays: number | null;
  config: Record<string, unknown>;
  mappingVersion: number;
  mappingVersions: Array<{ version: number; mapping: Record<string, unknown>; createdAt: string; createdBy: string }>;
  version: number;
  secretNames: string[];
  runs: { totalCount: number; edges: Array<{ node: Run }> };
}

function RunSummary({ run }: { run: Run }) {
  const { t, lang } = useConsole();
  const n = (value: number) => formatNumber(lang, value, 0);
  return <>{t('fetched')} {n(run.summary.fetched)} · {t('imported')} {n(run.summary.imported)} · {t('updated')} {n(run.summary.updated)} · {t('unchanged')} {n(run.summary.unchanged)} · {t('rejected')} {n(run.summary.rejected)}</>;
}

/** A started run, followed until it finishes: status, rows so far, then its summary. */
function RunProgress({ started, connectorId, onFinished }: { started: Run; connectorId: string; onFinished: () => void }) {
  const { t, lang } = useConsole();
  const { run, source } = useRunProgress(started, connectorId);
  const done = run !== null && run.status !== 'RUNNING';
  useEffect(() => {
    if (done) onFinished();
  }, [done, onFinished]);
  if (!run) return null;
  return (
    <section className="card progress" aria-live="polite" aria-label={t('progress')} data-run-status={run.status} data-run-source={source ?? ''} data-run-batches={run.batches}>
      <h2>{t('progress')} #{run.databaseId}</h2>
      <p><Badge value={run.status} /> {run.windowFrom ? `${formatDate(run.windowFrom)} – ${formatDate(run.windowTo)}` : ''}</p>
      {run.status === 'RUNNING' && <progress aria-label={t('progress')} />}
      <p>{t('rowsSoFar')}: <RunSummary run={run} /></p>
      <p>{t('batches')}: {formatNumber(lang, run.batches, 0)}{source && <> · <span>{source === 'live' ? t('liveUpdates') : t('polling')}</span></>}</p>
      {run.errorMessage && <p className="error">{run.errorClass}: {run.errorMessage}</p>}
    </section>
  );
}

function Rejections({ runId }: { runId: string }) {
  const { t } = useConsole();
  const state = useQuery<{ connectorRun: { databaseId: number; rejections: { totalCount: number; edges: Array<{ node: { rowIndex: number; reason: string; message: string; raw: Record<string, unknown> } }> } } | null }>(REJECTIONS, { id: runId });
  const [reason, setReason] = useState('');
  return (
    <Loaded state={state}>
      {({ connectorRun: run }) => {
        if (!run) return <p>{t('notFound')}</p>;
        const rows = nodes(run.rejections);
        const reasons = [...new Set(rows.map((row) => row.reason))].sort();
        const shown = reason ? rows.filter((row) => row.reason === reason) : rows;
        return (
          <section aria-labelledby="rejections-heading">
            <h2 id="rejections-heading">{t('rejections')} #{run.databaseId} ({run.rejections.totalCount})</h2>
            <label htmlFor="reason">{t('reason')}</label>{' '}
            <select id="reason" value={reason} onChange={(event) => setReason(event.target.value)}>
              <option value="">{t('allReasons')}</option>
              {reasons.map((value) => <option key={value} value={value}>{value}</option>)}
            </select>
            <div className="scroll">
              <table>
                <thead><tr><th scope="col" className="num">{t('row')}</th><th scope="col">{t('reason')}</th><th scope="col">{t('message')}</th><th scope="col">{t('raw')}</th></tr></thead>
                <tbody>{shown.map((row) => <tr key={row.rowIndex}><td className="num">{row.rowIndex}</td><td>{row.reason}</td><td>{row.message}</td><td><code>{JSON.stringify(row.raw)}</code></td></tr>)}</tbody>
              </table>
            </div>
          </section>
        );
      }}
    </Loaded>
  );
}

export function ConnectorPage({ id }: { id: string }) {
  const { t, viewer, signOut } = useConsole();
  const name = useName();
  const state = useQuery<{ connector: ConnectorDetail | null; connectorKinds: Array<{ kind: string; secretNames: string[] }> }>(CONNECTOR, { id });
  const [started, setStarted] = useState<Run | null>(null);
  const [rejectionsOf, setRejectionsOf] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [range, setRange] = useState({ from: '', to: '' });
  const mayWrite = viewer.role === 'ADMIN' || viewer.role === 'DEPARTMENT_IT';
  const act = (operation: Promise<unknown>) =>
    operation.catch((error: unknown) => (error instanceof SignedOut ? signOut(true) : setFailure((error as Error).message)));
  const run = (variables: Record<string, unknown>) => {
    setFailure(null);
    act(graphql<{ runConnector: Run }>(RUN_CONNECTOR, { id, ...variables }).then(({ runConnector }) => setStarted(runConnector)));
  };
  const backfill = (event: FormEvent) => {
    event.preventDefault();
    run({ from: range.from, to: range.to });
  };
  const reload = state.reload;
  return (
    <Loaded state={state}>
      {({ connector, connectorKinds }) => {
        if (!connector) return <p>{t('notFound')}</p>;
        const kindSecrets = connectorKinds.find((kind) => kind.kind === connector.kind)?.secretNames ?? [];
        const secrets = [...new Set([...kindSecrets, ...connector.secretNames])];
        return (
          <>
            <p><a href="#/connectors">← {t('navConnectors')}</a></p>
            <h1>{connector.name}</h1>
            {mayWrite && <p><a className="button" href={`#/connectors/${encodeURIComponent(id)}/edit`}>{t('editConnector')}</a></p>}
            <dl className="facts">
              <div><dt>{t('kind')}</dt><dd>{connector.kind}</dd></div>
              <div><dt>{t('department')}</dt><dd>{name(connector.department)}</dd></div>
              <div><dt>{t('health')}</dt><dd><Badge value={connector.health.status} /></dd></div>
              <div><dt>{t('status')}</dt><dd>{connector.enabled ? t('enabled') : t('disabled')}</dd></div>
              <div><dt>{t('schedule')}</dt><dd>{connector.schedule ?? '—'} ({connector.timeZone})</dd></div>
              <div><dt>{t('lastRun')}</dt><dd>{formatDateTime(connector.health.lastRunAt)}</dd></div>
              <div><dt>{t('nextRun')}</dt><dd>{formatDateTime(connector.health.nextRunAt)}</dd></div>
              <div><dt>{t('mappingVersion')}</dt><dd>{connector.mappingVersion}</dd></div>
            </dl>
            {mayWrite && (
              <section className="card" aria-label={t('runNow')}>
                <p className="actions">
                  <button type="button" onClick={() => act(graphql(SET_ENABLED, { id, enabled: !connector.enabled }).then(reload))}>{connector.enabled ? t('disable') : t('enable')}</button>
                  <button type="button" onClick={() => run({})} disabled={!connector.enabled}>{t('runNow')}</button>
                </p>
                <form className="inline" onSubmit={backfill}>
                  <span>{t('backfill')}:</span>
                  <label htmlFor="backfill-from">{t('from')}</label>
                  <input id="backfill-from" type="date" required value={range.from} onChange={(event) => setRange({ ...range, from: event.target.value })} />
                  <label htmlFor="backfill-to">{t('to')}</label>
                  <input id="backfill-to" type="date" required value={range.to} onChange={(event) => setRange({ ...range, to: event.target.value })} />
                  <button type="submit" disabled={!connector.enabled}>{t('backfill')}</button>
                </form>
                {failure && <p role="alert" className="error">{failure}</p>}
              </section>
            )}
            {mayWrite && connector.kind === 'push' && <PushUpload connectorId={id} config={connector.config} onPushed={reload} />}
            {started && <RunProgress key={started.id} started={started} connectorId={id} onFinished={reload} />}
            <section aria-labelledby="config-heading">
              <h2 id="config-heading">{t('configuration')}</h2>
              <pre className="json" tabIndex={0}>{JSON.stringify(connector.config, null, 2)}</pre>
              <h3>{t('secrets')}</h3>
              {secrets.length === 0 ? <p>{t('none')}</p> : <ul>{secrets.map((secret) => <li key={secret}><code>{secret}</code>: {connector.secretNames.includes(secret) ? t('set') : t('notSet')}</li>)}</ul>}
              <h3>{t('mappingVersions')}</h3>
              {connector.mappingVersions.map((item) => (
                <details key={item.version} className="mapping-version" open={item.version === connector.mappingVersion}>
                  <summary>{t('mappingVersion')} {item.version}{item.version === connector.mappingVersion ? ` (${t('currentVersion')})` : ''} · {formatDateTime(item.createdAt)} · {item.createdBy}</summary>
                  <pre className="json" tabIndex={0}>{JSON.stringify(item.mapping, null, 2)}</pre>
                </details>
              ))}
            </section>
            <section aria-labelledby="runs-heading">
              <h2 id="runs-heading">{t('runs')} ({connector.runs.totalCount})</h2>
              <div className="scroll">
                <table>
                  <thead><tr><th scope="col">#</th><th scope="col">{t('started')}</th><th scope="col">{t('trigger')}</th><th scope="col">{t('window')}</th><th scope="col">{t('mappingVersion')}</th><th scope="col">{t('status')}</th><th scope="col">{t('rowsSoFar')}</th><th scope="col">{t('rejections')}</th></tr></thead>
                  <tbody>
                    {nodes(connector.runs).map((item) => (
                      <tr key={item.id}>
                        <td>{item.databaseId}</td>
                        <td>{formatDateTime(item.startedAt)}</td>
                        <td>{item.trigger}</td>
                        <td>{item.windowFrom ? `${formatDate(item.windowFrom)} – ${formatDate(item.windowTo)}` : '—'}</td>
                        <td>{item.mappingVersion ?? '—'}</td>
                        <td><Badge value={item.status} /></td>
                        <td><RunSummary run={item} /></td>
                        <td>{item.summary.rejected > 0 ? <button type="button" onClick={() => setRejectionsOf(item.id)}>{t('rejections')} #{item.databaseId}</button> : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </section>
            {rejectionsOf && <Rejections key={rejectionsOf} runId={rejectionsOf} />}
          </>
        );
      }}
    </Loaded>
  );
}
