/**
 * An admin adds a user (the token the daemon makes for them is shown once, to hand over)
 * or a project. The daemon checks every field; its error names the one to fix.
 */
import { GodockerError } from '@godocker/sdk/browser';
import { useState } from 'preact/hooks';
import { messageOf } from '../format.js';
import { useSession } from '../session.js';

function useSubmit(work: (form: FormData) => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (event: Event) => {
    event.preventDefault();
    const formEl = event.currentTarget as HTMLFormElement;
    setBusy(true);
    setError(null);
    try {
      await work(new FormData(formEl));
      formEl.reset();
    } catch (e) {
      setError(`${GodockerError.is(e) && e.field ? `${e.field}: ` : ''}${messageOf(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, onSubmit };
}

export function AddUserForm(props: { added(): Promise<void> }) {
  const { client } = useSession();
  const [token, setToken] = useState<{ user: string; token: string } | null>(null);
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const text = (k: string) => String(form.get(k) ?? '').trim();
    const made = await client.createUser({
      name: text('name'),
      uid: Number(text('uid')),
      gid: Number(text('gid') || text('uid')),
      ...(text('home') ? { home: text('home') } : {}),
      ...(form.get('admin') ? { admin: true } : {}),
    });
    setToken({ user: made.user.name, token: made.token });
    await props.added();
  });
  return (
    <form class="add" onSubmit={onSubmit} aria-label="Add a user">
      <label>
        Name
        <input name="name" required autocomplete="off" />
      </label>
      <label>
        uid
        <input name="uid" type="number" min="1" required />
      </label>
      <label>
        gid
        <input name="gid" type="number" min="1" placeholder="the uid" />
      </label>
      <label>
        Home
        <input name="home" placeholder="/home/NAME" />
      </label>
      <label class="check">
        <input type="checkbox" name="admin" /> Admin
      </label>
      <button type="submit" disabled={busy}>
        Add user
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {token && (
        <p role="status" class="token">
          Token of {token.user}, shown only now: <code data-testid="new-token">{token.token}</code>
        </p>
      )}
    </form>
  );
}

export function AddProjectForm(props: { added(): Promise<void> }) {
  const { client } = useSession();
  const { error, busy, onSubmit } = useSubmit(async (form) => {
    const text = (k: string) => String(form.get(k) ?? '').trim();
    await client.createProject({
      name: text('name'),
      ...(text('description') ? { description: text('description') } : {}),
      ...(text('shares') ? { shares: Number(text('shares')) } : {}),
    });
    await props.added();
  });
  return (
    <form class="add" onSubmit={onSubmit} aria-label="Add a project">
      <label>
        Name
        <input name="name" required autocomplete="off" />
      </label>
      <label>
        Description
        <input name="description" />
      </label>
      <label>
        Shares
        <input name="shares" type="number" min="0" placeholder="1" />
      </label>
      <button type="submit" disabled={busy}>
        Add project
      </button>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
