/**
 * Who is signed in: the token kept in this browser, the client that sends it, and the
 * user and daemon facts every page reads. The token is the same bearer token the CLI uses.
 */
import { GodockerClient, type Info, type User } from '@godocker/sdk/browser';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

const TOKEN_KEY = 'godocker.token';

export interface Session {
  client: GodockerClient;
  me: User;
  info: Info;
  signOut(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in session; only pages behind the sign-in use it. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

/** The API of the daemon that served this page. */
export function clientFor(token?: string): GodockerClient {
  return new GodockerClient({ url: location.origin, token });
}

export function savedToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function saveToken(token: string): void {
  localStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/** Checks a token against the daemon: its user and the daemon's facts, or the API's error. */
export async function openSession(token: string): Promise<{ client: GodockerClient; me: User; info: Info }> {
  const client = clientFor(token);
  const [me, info] = await Promise.all([client.me(), client.info()]);
  return { client, me, info };
}
