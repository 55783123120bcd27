/**
 * Sign in with an API token (what `godocker user add` or an admin hands out), or with a
 * user name and password when the daemon has a directory (auth.ldap).
 */
import type { Info } from '@godocker/sdk/browser';
import { useEffect, useState } from 'preact/hooks';
import { messageOf } from '../format.js';
import { clientFor, openSession, type Session, saveToken } from '../session.js';

export function SignInPage(props: { problem: string | null; onSignedIn(session: Omit<Session, 'signOut'>): void }) {
  const [info, setInfo] = useState<Info | null>(null);
  const [error, setError] = useState<string | null>(props.problem);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    clientFor()
      .info()
      .then(setInfo)
      .catch((e: unknown) => setError(messageOf(e)));
  }, []);

  const finish = async (token: string) => {
    const session = await openSession(token);
    saveToken(token);
    props.onSignedIn(session);
  };
  const run = (work: () => Promise<void>) => async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };
  const withToken = run(async () => {
    const token = String(new FormData(document.getElementById('token-form') as HTMLFormElement).get('token') ?? '').trim();
    if (!token) throw new Error('Enter your API token: `godocker token create` prints one, or ask your admin.');
    await finish(token);
  });
  const withPassword = run(async () => {
    const form = new FormData(document.getElementById('password-form') as HTMLFormElement);
    const result = await clientFor().login({
      user: String(form.get('user') ?? ''),
      password: String(form.get('password') ?? ''),
      label: 'web dashboard',
    });
    await finish(result.token);
  });

  return (
    <main id="main" class="center">
      <section class="card sign-in">
        <h1>Sign in to GoDocker</h1>
        {info && (
          <p class="muted">
            {info.name} {info.version}, {info.executor} executor
          </p>
        )}
        {error && (
          <p role="alert" class="error">
            {error}
          </p>
        )}
        {info?.passwordLogin && (
          <form id="password-form" onSubmit={withPassword}>
            <label>
              User name
              <input name="user" autocomplete="username" required />
            </label>
            <label>
              Password
              <input name="password" type="password" autocomplete="current-password" required />
            </label>
            <button type="submit" disabled={busy}>
              Sign in with password
            </button>
          </form>
        )}
        <form id="token-form" onSubmit={withToken}>
          <label>
            API token
            <input name="token" type="password" autocomplete="off" spellcheck={false} />
          </label>
          <button type="submit" disabled={busy}>
            Sign in with token
          </button>
        </form>
      </section>
    </main>
  );
}
