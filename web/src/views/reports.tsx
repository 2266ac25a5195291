import { useState, type FormEvent } from 'react';
import { download, SignedOut } from '../api';
import { useConsole, useName, useQuery } from '../context';
import { formatDate, formatNumber } from '../i18n';
import { PROGRESS_REPORT, SCORECARDS } from '../operations';
import { periodOf, today } from '../periods';
import { Badge, Counts, Loaded } from './common';
import { OverdueTable } from './overview';

interface Named { code: string; name: string; nameVi: string }
interface StatusCounts { total: number; completed: number; inProgress: number; notStarted: number; overdue: number }
interface DeadlineScore { total: number; doneOnTime: number; doneLate: number; openOverdue: number; openNotYetDue: number }

interface Scorecards {
  departmentScorecards: Array<{ department: Named; pilotModels: StatusCounts; tasks: DeadlineScore; freshness: { onTime: number; late: number; missing: number; status: string | null }; connectors: number | null }>;
}

export function ScorecardsPage() {
  const { t, lang } = useConsole();
  const name = useName();
  const state = useQuery<Scorecards>(SCORECARDS, {});
  const n = (value: number | null) => formatNumber(lang, value, 0);
  return (
    <>
      <h1>{t('scorecards')}</h1>
      <Loaded state={state}>
        {(data) => (
          <div className="scroll">
            <table>
              <thead>
                <tr><th scope="col">{t('code')}</th><th scope="col">{t('name')}</th><th scope="col" className="num">{t('models')}</th><th scope="col" className="num">{t('COMPLETED')}</th><th scope="col" className="num">{t('tasksDue')}</th><th scope="col" className="num">{t('doneOnTime')}</th><th scope="col" className="num">{t('doneLate')}</th><th scope="col" className="num">{t('openOverdue')}</th><th scope="col">{t('freshness')}</th><th scope="col" className="num">{t('connectors')}</th></tr>
              </thead>
              <tbody>
                {data.departmentScorecards.map((card) => (
                  <tr key={card.department.code}>
                    <td>{card.department.code}</td>
                    <td>{name(card.department)}</td>
                    <td className="num">{n(card.pilotModels.total)}</td>
                    <td className="num">{n(card.pilotModels.completed)}</td>
                    <td className="num">{n(card.tasks.total)}</td>
                    <td className="num">{n(card.tasks.doneOnTime)}</td>
                    <td className="num">{n(card.tasks.doneLate)}</td>
                    <td className="num">{n(card.tasks.openOverdue)}</td>
                    <td><Badge value={card.freshness.status} /></td>
                    <td className="num">{n(card.connectors)}</td>
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

interface Report {
  progressReport: { period: string; asOf: string; csvUrl: string; markdownUrl: string; pilotModels: StatusCounts; tasks: StatusCounts; pilotModelsDueInPeriod: DeadlineScore; tasksDueInPeriod: DeadlineScore; overdue: Array<Named & { kind: string; daysLate: number; responsiblePerson: string | null; leadDepartment: Named }> };
}

export function ReportPage() {
  const { t, lang, signOut } = useConsole();
  const [input, setInput] = useState(() => periodOf(today(), 'QUARTER'));
  const [period, setPeriod] = useState(input);
  const [failure, setFailure] = useState<string | null>(null);
  // The download links in the console's language (`lang=vi|en`).
  const state = useQuery<Report>(PROGRESS_REPORT, { period, lang });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPeriod(input.trim());
  };
  const save = (url: string, name: string) => {
    setFailure(null);
    download(url, name).catch((error: unknown) => (error instanceof SignedOut ? signOut(true) : setFailure((error as Error).message)));
  };
  return (
    <>
      <h1>{t('reportTitle')}</h1>
      <form className="inline" onSubmit={submit}>
        <label htmlFor="period">{t('reportPeriod')}</label>
        <input id="period" value={input} onChange={(event) => setInput(event.target.value)} pattern="\d{4}(-(Q[1-4]|\d{2}))?" required />
        <button type="submit">{t('show')}</button>
      </form>
      {failure && <p role="alert" className="error">{failure}</p>}
      <Loaded state={state}>
        {({ progressReport: report }) => (
          <>
            <p>{t('period')} {report.period} · {t('asOf')} {formatDate(report.asOf)}</p>
            <p className="actions">
              <button type="button" onClick={() => save(report.markdownUrl, `progress-${report.period}.md`)}>{t('downloadMarkdown')}</button>
              <button type="button" onClick={() => save(report.csvUrl, `progress-${report.period}.csv`)}>{t('downloadCsv')}</button>
            </p>
            <div className="cards">
              <Counts title={t('pilotModels')} counts={report.pilotModels} />
              <Counts title={t('tasks')} counts={report.tasks} />
            </div>
            <OverdueTable items={report.overdue} caption={t('overdue')} />
          </>
        )}
      </Loaded>
    </>
  );
}
