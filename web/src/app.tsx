import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { graphql, SignedOut } from './api';
import { Console, mayUse, type ConsoleContext, type Viewer } from './context';
import { messages, saveLang, savedLang, type Lang } from './i18n';
import { VIEWER } from './operations';
import { credential, forgetCredential, storeCredential } from './session';
import { ConnectorPage, ConnectorsPage } from './views/connectors';
import { ExplorerPage } from './views/explorer';
import { OverviewPage, PilotModelPage } from './views/overview';
import { EditConnectorPage, RegisterConnectorPage } from './views/register';
import { ReportPage, ScorecardsPage } from './views/reports';

/** The route in the URL fragment (`#/connectors/<id>`): the hub serves one page, so any prefix works. */
function useRoute(): string[] {
  const read = () => location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const changed = () => setRoute(read());
    window.addEventListener('hashchange', changed);
    return () => window.removeEventListener('hashchange', changed);
  }, []);
  return route;
}

function SignIn({ lang, setLang, notice, onSignedIn }: { lang: Lang; setLang: (lang: Lang) => void; notice: string | null; onSignedIn: (viewer: Viewer) => void }) {
  const t = messages(lang);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = value.trim();
      const { viewer } = await graphql<{ viewer: Viewer }>(VIEWER, {}, token);
      storeCredential(token);
      performance.mark('pilothub:signed-in');
      onSignedIn(viewer);
    } catch (failure) {
      setError(failure instanceof SignedOut ? t('refused') : (failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="sign-in">
      <LangSwitch lang={lang} setLang={setLang} />
      <h1>{t('appName')}</h1>
      <form onSubmit={submit} aria-describedby="sign-in-help">
        <h2>{t('signInTitle')}</h2>
        {notice && <p role="alert" className="notice">{notice}</p>}
        <p id="sign-in-help">{t('signInHelp')}</p>
        <label htmlFor="credential">{t('credential')}</label>
        <input id="credential" name="credential" type="password" autoComplete="off" required value={value} onChange={(event) => setValue(event.target.value)} />
        <button type="submit" disabled={busy}>{busy ? t('signingIn') : t('signIn')}</button>
        {error && <p role="alert" className="error">{error}</p>}
      </form>
    </main>
  );
}

function LangSwitch({ lang, setLang }: { lang: Lang; setLang: (lang: Lang) => void }) {
  const t = messages(lang);
  return (
    <div className="lang" role="group" aria-label={t('language')}>
      <button type="button" aria-pressed={lang === 'vi'} onClick={() => setLang('vi')} lang="vi">Tiếng Việt</button>
      <button type="button" aria-pressed={lang === 'en'} onClick={() => setLang('en')} lang="en">English</button>
    </div>
  );
}

function Page({ route }: { route: string[] }): ReactNode {
  const [first, second, third] = route;
  if (first === 'models' && second) return <PilotModelPage code={second} />;
  if (first === 'scorecards') return <ScorecardsPage />;
  if (first === 'report') return <ReportPage />;
  if (first === 'connectors' && second === 'new') return <RegisterConnectorPage />;
  if (first === 'connectors' && second && third === 'edit') return <EditConnectorPage id={second} />;
  if (first === 'connectors' && second) return <ConnectorPage id={second} />;
  if (first === 'connectors') return <ConnectorsPage />;
  if (first === 'explorer') return <ExplorerPage />;
  return <OverviewPage />;
}

export function App() {
  const [lang, setLangState] = useState<Lang>(savedLang);
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [checking, setChecking] = useState(() => credential() !== null);
  const [notice, setNotice] = useState<string | null>(null);
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const setLang = useCallback((next: Lang) => {
    saveLang(next);
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const signOut = useCallback(
    (revoked?: boolean) => {
      forgetCredential();
      setViewer(null);
      setNotice(revoked ? messages(lang)('revoked') : null);
    },
    [lang],
  );
  // A credential from earlier in this tab: check it once.
  useEffect(() => {
    if (!checking) return;
    graphql<{ viewer: Viewer }>(VIEWER).then(
      ({ viewer: found }) => setViewer(found),
      (error: unknown) => signOut(error instanceof SignedOut),
    ).finally(() => setChecking(false));
  }, [checking, signOut]);
  // A new page: focus its main region, so keyboard and screen-reader users start there.
  useEffect(() => {
    main.current?.focus();
  }, [route.join('/')]);
  const context = useMemo<ConsoleContext | null>(() => (viewer ? { lang, t: messages(lang), viewer, signOut } : null), [lang, viewer, signOut]);
  if (checking) return <p className="loading">{messages(lang)('loading')}</p>;
  if (!context) return <SignIn lang={lang} setLang={setLang} notice={notice} onSignedIn={(found) => { setNotice(null); setViewer(found); }} />;
  const { t } = context;
  const links: Array<[string, 'overview' | 'scorecards' | 'report' | 'connectors' | 'explorer', string]> = [
    ['#/', 'overview', t('navOverview')],
    ['#/scorecards', 'scorecards', t('navScorecards')],
    ['#/report', 'report', t('navReport')],
    ['#/connectors', 'connectors', t('navConnectors')],
    ['#/explorer', 'explorer', t('navExplorer')],
  ];
  const current = route[0] ?? '';
  return (
    <Console.Provider value={context}>
      <a className="skip" href="#main" onClick={(event) => { event.preventDefault(); main.current?.focus(); }}>{t('skip')}</a>
      <header className="top">
        <span className="brand">{t('appName')}</span>
        <nav aria-label={t('appName')}>
          <ul>
            {links.filter(([, page]) => mayUse(context.viewer, page)).map(([href, page, label]) => (
              <li key={page}><a href={href} aria-current={(page === 'overview' ? ['', 'models'].includes(current) : current === page) ? 'page' : undefined}>{label}</a></li>
            ))}
            <li><a href="graphql">{t('navGraphiql')}</a></li>
          </ul>
        </nav>
        <div className="who">
          <span>{t('signedInAs')} <strong>{context.viewer.name}</strong> ({context.viewer.role}{context.viewer.departments?.length ? ` · ${context.viewer.departments.map((d) => d.code).join(', ')}` : ''})</span>
          <LangSwitch lang={lang} setLang={setLang} />
          <button type="button" onClick={() => signOut()}>{t('signOut')}</button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Page route={route} />
      </main>
    </Console.Provider>
  );
}
