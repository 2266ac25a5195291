import { useState, type FormEvent } from 'react';
import { SignedOut } from '../api';
import { useConsole } from '../context';
import { formatNumber } from '../i18n';
import { credential, hubUrl } from '../session';

/** The most rows one push may carry when the connector does not set maxRowsPerPush (as the hub counts it). */
const DEFAULT_MAX_ROWS = 50_000;

interface PushAnswer {
  run: { id: string; status: string };
  summary: { fetched: number; imported: number; updated: number; unchanged: number; rejected: number };
  rejections: Array<{ rowIndex: number; reason: string; message: string; raw: unknown }>;
}

/** Data rows of a CSV text: its non-empty lines after the header (a quoted cell spanning lines counts once per line, so never fewer). */
export function csvDataLines(text: string): number {
  const lines = text.split(/\r\n|\n|\r/).filter((line) => line.trim() !== '');
  return Math.max(0, lines.length - 1);
}

/**
 * A CSV file pushed to a push connector (`POST /ingest/<id>` with the tab's credential), then the hub's summary and
 * the rows it rejected. A file with more data lines than the connector's maxRowsPerPush is refused here, before
 * anything is sent (the hub would refuse it whole with 413): split it, or send it with `pilothub data push`,
 * which sends it in parts.
 */
export function PushUpload({ connectorId, config, onPushed }: { connectorId: string; config: Record<string, unknown>; onPushed: () => void }) {
  const { t, lang, signOut } = useConsole();
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [answer, setAnswer] = useState<PushAnswer | null>(null);
  const maxRows = typeof config.maxRowsPerPush === 'number' ? config.maxRowsPerPush : DEFAULT_MAX_ROWS;
  const n = (value: number) => formatNumber(lang, value, 0);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file) return;
    setFailure(null);
    setAnswer(null);
    const text = await file.text();
    const rows = csvDataLines(text);
    if (rows > maxRows) {
      setFailure(t('uploadTooManyRows').replace('{rows}', n(rows)).replace('{max}', n(maxRows)));
      return;
    }
    setBusy(true);
    try {
      const response = await fetch(hubUrl(`/ingest/${encodeURIComponent(connectorId)}`), {
        method: 'POST',
        headers: { authorization: `Bearer ${credential() ?? ''}`, 'content-type': 'text/csv; charset=utf-8', accept: 'application/json' },
        body: text,
      });
      if (response.status === 401) throw new SignedOut('401');
      const body = (await response.json()) as PushAnswer | { errors?: Array<{ message: string }> };
      if (!response.ok || !('summary' in body)) throw new Error(`HTTP ${response.status}: ${('errors' in body && body.errors?.map((error) => error.message).join('; ')) || ''}`);
      setAnswer(body);
      onPushed();
    } catch (error) {
      if (error instanceof SignedOut) signOut(true);
      else setFailure((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="upload-heading">
      <h2 id="upload-heading">{t('uploadCsv')}</h2>
      <p>{t('uploadHelp').replace('{max}', n(maxRows))}</p>
      <form className="inline" onSubmit={(event) => void submit(event)}>
        <label htmlFor="push-file">{t('csvFile')}</label>
        <input id="push-file" type="file" accept=".csv,text/csv" required onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
        <button type="submit" disabled={!file || busy}>{t('upload')}</button>
      </form>
      {failure && <p role="alert" className="error">{failure}</p>}
      {answer && (
        <div aria-live="polite" className="push-answer" data-imported={answer.summary.imported} data-rejected={answer.summary.rejected}>
          <p>
            {t('fetched')} {n(answer.summary.fetched)} · {t('imported')} {n(answer.summary.imported)} · {t('updated')} {n(answer.summary.updated)} · {t('unchanged')} {n(answer.summary.unchanged)} · {t('rejected')} {n(answer.summary.rejected)}
          </p>
          {answer.rejections.length > 0 && (
            <div className="scroll">
              <table aria-label={t('rejections')}>
                <thead><tr><th scope="col" className="num">{t('row')}</th><th scope="col">{t('reason')}</th><th scope="col">{t('message')}</th><th scope="col">{t('raw')}</th></tr></thead>
                <tbody>{answer.rejections.map((row) => <tr key={row.rowIndex}><td className="num">{row.rowIndex}</td><td>{row.reason}</td><td>{row.message}</td><td><code>{JSON.stringify(row.raw)}</code></td></tr>)}</tbody>
              </table>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
