/**
 * Password logins end to end: a daemon on the real Docker engine with `auth.ldap` pointing at a
 * private slapd (plugins/test/helpers/slapd.ts). Logins through REST and through the built
 * `godocker` executable, every refusal with its status and message, tokens listed, revoked and
 * expired, directory groups made projects and the admin right, the directory going down, the
 * rate limits, and a job of a directory user running as the directory's uid.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLdapAuthenticator } from '@godocker/plugins';
import { type DeepPartial, type GodockerConfig, loadConfig } from '@godocker/scheduler';
import type { Logger, LoginResult, Project, TokenInfo, User } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin } from '../../cli/test/helpers/built-bin.js';
import {
  BASE_DN,
  ldapAuthConfig,
  PASSWORDS,
  SERVICE_PASSWORD,
  type Slapd,
  startSlapd,
} from '../../plugins/test/helpers/slapd.js';
import { LoginService } from '../src/auth/login-service.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { type Caller, caller, type Reply } from './helpers/api-caller.js';
import { logsOf, startTestDaemon, TEST_IMAGE, type TestDaemon } from './helpers/test-daemon.js';

let slapd: Slapd;
let d: TestDaemon;
let anonymous: Caller;

function ldapConfig(extra: DeepPartial<GodockerConfig['auth']> = {}): DeepPartial<GodockerConfig> {
  return {
    auth: {
      ldap: {
        ...ldapAuthConfig(slapd),
        groups: {
          baseDn: `ou=groups,${BASE_DN}`,
          projects: { genomics: 'genomics', imaging: 'imaging' },
          admin: 'godocker-admins',
        },
        timeoutSeconds: 3,
      },
      ...extra,
    },
  };
}

beforeAll(async () => {
  slapd = await startSlapd('daemon');
  d = await startTestDaemon('docker', ldapConfig({ loginLimits: { perUser: { failures: 3, windowSeconds: 60 } } }));
  anonymous = caller(d.url, '');
});

afterAll(async () => {
  await d?.stop();
  await slapd?.destroy();
});

function login(user: string, password: string, on: Caller = anonymous): Promise<Reply<LoginResult>> {
  return on.call<LoginResult>('POST', '/api/v1/auth/login', { user, password });
}

async function loggedIn(user: keyof typeof PASSWORDS): Promise<Caller & { login: LoginResult }> {
  const r = await login(user, PASSWORDS[user]);
  expect(r.status, r.text).toBe(200);
  return { ...caller(d.url, r.body.token), login: r.body };
}

function errorOf(r: Reply): { code: string; message: string } {
  return (r.body as { error: { code: string; message: string } }).error;
}

describe('password login against the directory', () => {
  it('answers a token that expires, for a user made from the directory', async () => {
    const before = Date.now();
    const alice = await loggedIn('alice');
    expect(alice.login.user).toMatchObject({
      name: 'alice',
      uid: 2101,
      gid: 2100,
      home: '/home/alice',
      mail: 'alice@example.org',
      admin: false,
      fromDirectory: true,
    });
    const expires = Date.parse(alice.login.expiresAt);
    expect(expires - before).toBeGreaterThan(7 * 86400_000 - 60_000);
    expect(expires - before).toBeLessThanOrEqual(7 * 86400_000 + 60_000);
    const me = await alice.call<User>('GET', '/api/v1/users/me');
    expect(me.body.name).toBe('alice');
  });

  it('runs a job of a directory user as the directory’s uid', async () => {
    const alice = await loggedIn('alice');
    const job = await d.run(alice, { command: { script: 'id -u; id -g' }, container: { image: TEST_IMAGE } }, 120);
    expect(job.status.state, job.status.reason).toBe('done');
    expect(job.user).toMatchObject({ name: 'alice', uid: 2101, gid: 2100 });
    expect(await logsOf(alice, job.id)).toBe('2101\n2100\n');
  });

  it('refuses a wrong password and an unknown user with the same 401', async () => {
    const wrong = await login('alice', 'not-her-password');
    const unknown = await login('mallory', 'whatever');
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(errorOf(r)).toEqual({ code: 'GOD_UNAUTHENTICATED', message: 'wrong user name or password' });
    }
  });

  it('refuses an account without a uidNumber with 403 and the reason', async () => {
    const r = await login('nouid', PASSWORDS.nouid);
    expect(r.status).toBe(403);
    expect(errorOf(r).code).toBe('GOD_FORBIDDEN');
    expect(errorOf(r).message).toMatch(/has no uidNumber: GoDocker runs jobs as your own uid.*ask your directory admin/);
  });

  it('refuses a directory login under the name of a local user', async () => {
    await d.addUser('bob', 3333);
    const r = await login('bob', PASSWORDS.bob);
    expect(r.status).toBe(403);
    expect(errorOf(r).message).toMatch(/a local GoDocker user named bob exists/);
    // The local bob is as he was.
    expect((await d.admin.call<User>('GET', '/api/v1/users/bob')).body).toMatchObject({ uid: 3333 });
  });

  it('makes members of the mapped projects at login, and takes them out when they left the group', async () => {
    const alice = await loggedIn('alice');
    const projects = await alice.call<{ projects: Project[] }>('GET', '/api/v1/projects');
    expect(projects.body.projects.map((p) => p.name).sort()).toEqual(['default', 'genomics', 'imaging']);
    // The directory changes: alice leaves imaging.
    await slapd.modify(`dn: cn=imaging,ou=groups,${BASE_DN}\nchangetype: modify\ndelete: memberUid\nmemberUid: alice\n`);
    try {
      const again = await loggedIn('alice');
      const after = await again.call<{ projects: Project[] }>('GET', '/api/v1/projects');
      expect(after.body.projects.map((p) => p.name).sort()).toEqual(['default', 'genomics']);
      const imaging = await d.admin.call<Project>('GET', '/api/v1/projects/imaging');
      expect(imaging.body.members.map((m) => m.user)).not.toContain('alice');
    } finally {
      await slapd.modify(`dn: cn=imaging,ou=groups,${BASE_DN}\nchangetype: modify\nadd: memberUid\nmemberUid: alice\n`);
    }
  });

  it('gives the admin right to members of the admin group (groupOfNames, and AD memberOf)', async () => {
    const carol = await loggedIn('carol');
    expect(carol.login.user.admin).toBe(true);
    expect((await carol.call('GET', '/api/v1/users')).status).toBe(200);
    const dave = await loggedIn('dave');
    expect(dave.login.user).toMatchObject({ name: 'dave', uid: 2104, home: '/home/dave', admin: true });
    const projects = await dave.call<{ projects: Project[] }>('GET', '/api/v1/projects?user=dave');
    expect(projects.body.projects.map((p) => p.name)).toContain('imaging');
  });

  it('lists a user’s own tokens and lets them revoke one; another user’s answers 404', async () => {
    const alice = await loggedIn('alice');
    const spare = await loggedIn('alice');
    const list = await alice.call<{ tokens: TokenInfo[] }>('GET', '/api/v1/tokens');
    expect(list.status).toBe(200);
    const mine = list.body.tokens.find((t) => t.id === spare.login.tokenId);
    expect(mine).toMatchObject({ user: 'alice', label: 'login from 127.0.0.1', expiresAt: spare.login.expiresAt });
    expect(list.body.tokens.every((t) => t.user === 'alice')).toBe(true);
    // Used a moment ago: its last use is recorded.
    expect(list.body.tokens.find((t) => t.id === alice.login.tokenId)?.lastUsedAt).not.toBeNull();

    const carol = await loggedIn('carol');
    const dave = await loggedIn('dave');
    // dave is an admin and may; but first a plain user: bob's local token cannot revoke alice's.
    const bob = caller(d.url, (await d.admin.call<{ token: string }>('POST', '/api/v1/users/bob/tokens')).body.token);
    expect((await bob.call('DELETE', `/api/v1/tokens/${spare.login.tokenId}`)).status).toBe(404);
    expect((await bob.call('GET', '/api/v1/tokens?user=alice')).status).toBe(403);
    expect((await carol.call('GET', '/api/v1/tokens?user=alice')).status).toBe(200);

    expect((await alice.call('DELETE', `/api/v1/tokens/${spare.login.tokenId}`)).status).toBe(204);
    const revoked = await spare.call('GET', '/api/v1/users/me');
    expect(revoked.status).toBe(401);
    expect(errorOf(revoked).message).toMatch(/unknown or revoked token/);
    expect((await alice.call('DELETE', `/api/v1/tokens/${spare.login.tokenId}`)).status).toBe(404);
    expect((await dave.call('DELETE', `/api/v1/tokens/${alice.login.tokenId}`)).status).toBe(204);
    expect((await alice.call('GET', '/api/v1/users/me')).status).toBe(401);
  });

  it('logs in with the godocker executable: the password from stdin, the token saved and used', async () => {
    const home = await mkdtemp(join(tmpdir(), 'godocker-ldap-cli-'));
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), GODOCKER_URL: d.url };
    delete env.GODOCKER_TOKEN;
    const godocker = async (args: string[], stdin = '') => {
      const child = spawn(process.execPath, [builtBin(), ...args], { env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c));
      child.stderr.on('data', (c: Buffer) => (stderr += c));
      child.stdin.end(stdin);
      const [code] = (await once(child, 'close')) as [number | null];
      return { code, stdout, stderr };
    };
    try {
      const bad = await godocker(['login', '--user', 'alice'], 'wrong\n');
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/wrong user name or password/);
      // On a terminal (util-linux `script` gives it one) the password is asked without echo.
      const tty = spawn('script', ['-qc', `${process.execPath} ${builtBin()} login --user dave`, '/dev/null'], { env });
      let seen = '';
      let typed = false;
      tty.stdout.on('data', (c: Buffer) => {
        seen += c;
        if (!typed && seen.includes('password for dave at ')) {
          typed = true;
          tty.stdin.write(`${PASSWORDS.dave}\r`);
        }
      });
      const [ttyCode] = (await once(tty, 'close')) as [number | null];
      expect(seen).toMatch(/password for dave at http:\/\/127\.0\.0\.1:\d+: /);
      expect(seen).toMatch(/logged in to .* as dave \(admin\)/);
      expect(seen).not.toContain(PASSWORDS.dave);
      expect(ttyCode).toBe(0);
      const ok = await godocker(['login', '--user', 'alice', '--label', 'laptop'], `${PASSWORDS.alice}\n`);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^logged in to .* as alice \(uid 2101, gid 2100\); the token expires at \S+; saved in /);
      const list = await godocker(['token', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/^ID\s+LABEL\s+CREATED\s+EXPIRES\s+LAST USED\n/);
      const line = list.stdout.split('\n').find((l) => / laptop /.test(l)) ?? '';
      const id = line.split(/\s+/)[0] ?? '';
      expect(id).toMatch(/^tok_/);
      expect((await godocker(['token', 'revoke', id])).stdout).toBe(`token ${id} revoked\n`);
      const after = await godocker(['jobs']);
      expect(after.code).not.toBe(0);
      expect(after.stderr).toMatch(/unknown or revoked token/);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it('says the directory is unreachable (503, Retry-After) while tokens already given keep working', async () => {
    const alice = await loggedIn('alice');
    await slapd.stop();
    try {
      const r = await login('alice', PASSWORDS.alice);
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('30');
      expect(errorOf(r)).toMatchObject({ code: 'GOD_UNAVAILABLE' });
      expect(errorOf(r).message).toMatch(/directory .* is unreachable.*tokens you already have keep working/);
      expect((await alice.call('GET', '/api/v1/users/me')).status).toBe(200);
    } finally {
      await slapd.start();
    }
    expect((await login('alice', PASSWORDS.alice)).status).toBe(200);
  });

  it('rate-limits failed logins per user (429, Retry-After) without locking out the others', async () => {
    for (let i = 0; i < 3; i++) expect((await login('carol', 'guess')).status).toBe(401);
    const limited = await login('carol', PASSWORDS.carol);
    expect(limited.status).toBe(429);
    expect(errorOf(limited)).toMatchObject({ code: 'GOD_RATE_LIMITED' });
    expect(errorOf(limited).message).toMatch(/too many failed logins for user carol: try again in \d+ s/);
    const after = Number(limited.headers.get('retry-after'));
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThanOrEqual(60);
    expect((await login('dave', PASSWORDS.dave)).status).toBe(200);
  });
});

describe('a daemon with short tokens and a strict limit per address', () => {
  let short: TestDaemon;

  beforeAll(async () => {
    short = await startTestDaemon(
      'local',
      ldapConfig({ tokenTtl: '2s', loginLimits: { perUser: { failures: 100 }, perAddress: { failures: 2, windowSeconds: 2 } } }),
    );
  });

  afterAll(async () => {
    await short?.stop();
  });

  it('answers an expired token 401 with a message to log in again', async () => {
    const r = await caller(short.url, '').call<LoginResult>('POST', '/api/v1/auth/login', {
      user: 'bob',
      password: PASSWORDS.bob,
    });
    expect(r.status, r.text).toBe(200);
    const bob = caller(short.url, r.body.token);
    expect((await bob.call('GET', '/api/v1/users/me')).status).toBe(200);
    await delay(Date.parse(r.body.expiresAt) - Date.now() + 100);
    const expired = await bob.call('GET', '/api/v1/users/me');
    expect(expired.status).toBe(401);
    expect(errorOf(expired).message).toMatch(/this token expired at .*: log in again with `godocker login --user bob`/);
  });

  it('rate-limits failed logins from one address whatever the user names, then lets it in after the window', async () => {
    const from = caller(short.url, '');
    expect((await login('mallory', 'x', from)).status).toBe(401);
    expect((await login('trudy', 'x', from)).status).toBe(401);
    const limited = await login('alice', PASSWORDS.alice, from);
    expect(limited.status).toBe(429);
    expect(errorOf(limited).message).toMatch(/too many failed logins from your address/);
    await delay(Number(limited.headers.get('retry-after')) * 1000 + 200);
    expect((await login('alice', PASSWORDS.alice, from)).status).toBe(200);
  });
});

describe('the log of logins', () => {
  it('has every refused login with the user, the address and the reason, and never a password', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'godocker-login-log-'));
    const lines: string[] = [];
    const record = (level: string) => (obj: object | string, msg?: string) => lines.push(JSON.stringify({ level, obj, msg }));
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const store = SqliteStore.open(join(dir, 'godocker.db'));
    await store.migrate();
    const { auth } = loadConfig({ overrides: { dataDir: dir, ...ldapConfig() }, env: {} });
    const authenticator = await createLdapAuthenticator(auth.ldap ?? { url: '', baseDn: '' }, {
      clusterId: 't',
      dataDir: dir,
      logger,
    });
    const service = new LoginService({ store, authenticator, auth, logger });
    const attempt = (user: string, password: string) => service.login({ user, password, address: '10.1.2.3' }).catch(() => null);
    try {
      await attempt('alice', 'secret-guess-1');
      await attempt('mallory', 'secret-guess-2');
      await attempt('nouid', PASSWORDS.nouid);
      expect((await attempt('alice', PASSWORDS.alice))?.user.name).toBe('alice');
      const failed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'failed login');
      expect(failed.map((l) => [l.level, l.obj.user, l.obj.address])).toEqual([
        ['warn', 'alice', '10.1.2.3'],
        ['warn', 'mallory', '10.1.2.3'],
        ['warn', 'nouid', '10.1.2.3'],
      ]);
      expect(failed.map((l) => l.obj.reason)).toEqual([
        'wrong password',
        'unknown user',
        expect.stringMatching(/has no uidNumber/),
      ]);
      expect(lines.some((l) => l.includes('"msg":"login"') && l.includes('"user":"alice"'))).toBe(true);
      for (const secret of ['secret-guess-1', 'secret-guess-2', PASSWORDS.nouid, PASSWORDS.alice, SERVICE_PASSWORD]) {
        expect(lines.join('\n')).not.toContain(secret);
      }
    } finally {
      await authenticator.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
