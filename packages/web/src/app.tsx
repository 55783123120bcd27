/**
 * The shell: sign-in until a token works, then the header, the navigation and the page the
 * address names.
 */
import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Header } from './components/header.js';
import { messageOf } from './format.js';
import { AdminPage } from './pages/admin.js';
import { ClusterPage } from './pages/cluster.js';
import { JobPage } from './pages/job.js';
import { JobsPage } from './pages/jobs.js';
import { SignInPage } from './pages/sign-in.js';
import { SubmitPage } from './pages/submit.js';
import { navigate, useLocation } from './router.js';
import { forgetToken, openSession, type Session, SessionContext, savedToken } from './session.js';

type Opened = Omit<Session, 'signOut'>;

export function App() {
  const [session, setSession] = useState<Opened | null>(null);
  const [checking, setChecking] = useState(savedToken() !== null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const token = savedToken();
    if (!token) return;
    openSession(token)
      .then(setSession)
      .catch((e: unknown) => {
        // A token that no longer works (revoked, expired) is forgotten; the sign-in says why.
        forgetToken();
        setProblem(messageOf(e));
      })
      .finally(() => setChecking(false));
  }, []);

  if (checking)
    return (
      <main id="main" class="center">
        <p role="status">Connecting…</p>
      </main>
    );
  if (!session) return <SignInPage problem={problem} onSignedIn={setSession} />;
  const signOut = () => {
    forgetToken();
    setSession(null);
    setProblem(null);
    navigate('/');
  };
  return (
    <SessionContext.Provider value={{ ...session, signOut }}>
      <Header />
      <main id="main" tabIndex={-1}>
        <Page />
      </main>
    </SessionContext.Provider>
  );
}

function Page() {
  const { path } = useLocation();
  const job = /^\/jobs\/(\d+)$/.exec(path);
  if (job?.[1]) return <JobPage id={Number(job[1])} />;
  switch (path) {
    case '/':
    case '/jobs':
      return <JobsPage />;
    case '/submit':
      return <SubmitPage />;
    case '/cluster':
      return <ClusterPage />;
    case '/share':
      return <SharePage />;
    case '/admin':
      return <AdminPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <a href="/jobs">Go to your jobs</a>.
          </p>
        </section>
      );
  }
}

/** The plots (uPlot) load with their page only: the job list, the first page seen, stays small. */
function SharePage() {
  const [Page, setPage] = useState<FunctionComponent | null>(null);
  useEffect(() => {
    void import('./pages/share.js').then((m) => setPage(() => m.SharePage));
  }, []);
  return Page ? (
    <Page />
  ) : (
    <section>
      <h1>Fair share and usage</h1>
      <p role="status">Loading…</p>
    </section>
  );
}
