/**
 * The ldap authenticator against a real OpenLDAP (a private slapd seeded from
 * fixtures/directory.ldif): posixAccount users, posixGroup and groupOfNames groups, an
 * Active Directory-shaped entry, ldaps and StartTLS with the test's CA, and the directory down.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AccountNotUsableError,
  type Authenticator,
  ConfigError,
  DirectoryUnavailableError,
  INVALID_CREDENTIALS_MESSAGE,
  InvalidCredentialsError,
  type Logger,
} from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLdapAuthenticator, type LdapAuthenticatorOptions } from '../src/index.js';
import { BASE_DN, PASSWORDS, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd } from './helpers/slapd.js';

let slapd: Slapd;
const warnings: object[] = [];
const logger: Logger = { debug() {}, info() {}, warn: (o) => warnings.push(o as object), error() {} };

beforeAll(async () => {
  slapd = await startSlapd('authenticator');
  writeFileSync(join(slapd.dir, 'bind-password'), `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
});

afterAll(async () => {
  await slapd?.destroy();
});

function options(extra: Partial<LdapAuthenticatorOptions> = {}): LdapAuthenticatorOptions {
  return {
    url: slapd.url,
    baseDn: `ou=people,${BASE_DN}`,
    bindDn: SERVICE_DN,
    bindPasswordFile: join(slapd.dir, 'bind-password'),
    groups: { baseDn: `ou=groups,${BASE_DN}` },
    timeoutSeconds: 3,
    ...extra,
  };
}

async function make(extra: Partial<LdapAuthenticatorOptions> = {}, env: NodeJS.ProcessEnv = {}): Promise<Authenticator> {
  return createLdapAuthenticator(options(extra), { clusterId: 'test', dataDir: slapd.dir, logger }, env);
}

async function refusal(auth: Authenticator, user: string, password: string): Promise<unknown> {
  return auth.authenticate(user, password).then(
    () => null,
    (e: unknown) => e,
  );
}

describe('the ldap authenticator', () => {
  it('logs in a posixAccount user through the service account: uid, gid, home, mail and groups from the directory', async () => {
    const auth = await make();
    expect(await auth.authenticate('alice', PASSWORDS.alice)).toEqual({
      name: 'alice',
      uid: 2101,
      gid: 2100,
      home: '/home/alice',
      mail: 'alice@example.org',
      groups: ['genomics', 'imaging'],
    });
    // A groupOfNames lists members by DN.
    expect((await auth.authenticate('carol', PASSWORDS.carol)).groups).toEqual(['godocker-admins']);
  });

  it('finds the user by any login attribute: the mail logs in the same account', async () => {
    const auth = await make();
    expect(await auth.authenticate('bob@example.org', PASSWORDS.bob)).toMatchObject({ name: 'bob', uid: 2102 });
  });

  it('logs in an Active Directory-shaped entry: sAMAccountName, unixHomeDirectory, memberOf', async () => {
    const auth = await make();
    expect(await auth.authenticate('dave', PASSWORDS.dave)).toEqual({
      name: 'dave',
      uid: 2104,
      gid: 2100,
      home: '/home/dave',
      mail: 'dave.lefebvre@example.org',
      groups: ['godocker-admins', 'imaging'],
    });
    // AD matches sAMAccountName without regard to case.
    expect((await auth.authenticate('DAVE', PASSWORDS.dave)).name).toBe('dave');
  });

  it('searches anonymously when no service account is given', async () => {
    const auth = await make({ bindDn: undefined, bindPasswordFile: undefined });
    expect(await auth.authenticate('alice', PASSWORDS.alice)).toMatchObject({ name: 'alice', uid: 2101 });
  });

  it('answers a wrong password and an unknown user alike, and never takes an empty password', async () => {
    const auth = await make();
    const wrong = await refusal(auth, 'alice', 'not-her-password');
    const unknown = await refusal(auth, 'mallory', 'whatever');
    const empty = await refusal(auth, 'alice', '');
    for (const e of [wrong, unknown, empty]) {
      expect(e).toBeInstanceOf(InvalidCredentialsError);
      expect((e as Error).message).toBe(INVALID_CREDENTIALS_MESSAGE);
    }
    expect([wrong, unknown, empty].map((e) => (e as InvalidCredentialsError).reason)).toEqual([
      'wrong password',
      'unknown user',
      'empty password',
    ]);
  });

  it('takes what a person types as a value, never as filter syntax', async () => {
    const auth = await make();
    const e = await refusal(auth, 'a*', PASSWORDS.alice);
    expect((e as InvalidCredentialsError).reason).toBe('unknown user');
    expect(((await refusal(auth, 'alice)(uid=*', PASSWORDS.alice)) as InvalidCredentialsError).reason).toBe('unknown user');
  });

  it('refuses an account without a uidNumber, after its password, with the reason', async () => {
    const auth = await make();
    const e = await refusal(auth, 'nouid', PASSWORDS.nouid);
    expect(e).toBeInstanceOf(AccountNotUsableError);
    expect((e as Error).message).toMatch(/has no uidNumber: GoDocker runs jobs as your own uid/);
    // Without the password, nothing is told about the account.
    expect(await refusal(auth, 'nouid', 'wrong')).toBeInstanceOf(InvalidCredentialsError);
  });

  it('maps other attribute names (a directory whose uid number is elsewhere)', async () => {
    const auth = await make({ attributes: { uid: ['gidNumber'], gid: ['gidNumber'] } });
    expect(await auth.authenticate('alice', PASSWORDS.alice)).toMatchObject({ uid: 2100, gid: 2100 });
  });

  it('speaks ldaps and StartTLS, trusting the CA of caFile', async () => {
    const ldaps = await make({ url: slapd.ldapsUrl, caFile: slapd.caFile });
    expect((await ldaps.authenticate('alice', PASSWORDS.alice)).uid).toBe(2101);
    const startTls = await make({ startTls: true, caFile: slapd.caFile });
    expect((await startTls.authenticate('bob', PASSWORDS.bob)).uid).toBe(2102);
    // Without the CA, the server's certificate is not trusted: the directory is as good as away.
    const untrusted = await make({ url: slapd.ldapsUrl });
    expect(await refusal(untrusted, 'alice', PASSWORDS.alice)).toBeInstanceOf(DirectoryUnavailableError);
    const untrustedStartTls = await make({ startTls: true });
    expect(await refusal(untrustedStartTls, 'alice', PASSWORDS.alice)).toBeInstanceOf(DirectoryUnavailableError);
  });

  it('says at start what is wrong with the bind password', async () => {
    await expect(make({ bindPasswordFile: join(slapd.dir, 'missing') })).rejects.toThrow(ConfigError);
    await expect(make({ bindPasswordFile: undefined, bindPasswordEnv: 'LDAP_PW' }, {})).rejects.toThrow(/LDAP_PW/);
    const fromEnv = await make({ bindPasswordFile: undefined, bindPasswordEnv: 'LDAP_PW' }, { LDAP_PW: SERVICE_PASSWORD });
    expect((await fromEnv.authenticate('alice', PASSWORDS.alice)).name).toBe('alice');
  });

  it('answers that the directory is unreachable when it is down, and works again when it is back', async () => {
    const auth = await make();
    await slapd.stop();
    try {
      const e = await refusal(auth, 'alice', PASSWORDS.alice);
      expect(e).toBeInstanceOf(DirectoryUnavailableError);
      expect((e as DirectoryUnavailableError).status).toBe(503);
      expect((e as Error).message).toMatch(/is unreachable.*tokens you already have keep working/);
      expect(warnings.some((w) => JSON.stringify(w).includes(slapd.url))).toBe(true);
    } finally {
      await slapd.start();
    }
    expect((await auth.authenticate('alice', PASSWORDS.alice)).uid).toBe(2101);
  });
});
