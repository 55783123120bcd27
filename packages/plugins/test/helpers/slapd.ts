/**
 * A private OpenLDAP server (Debian's `slapd`) for a test: its own slapd.conf, database and
 * TLS certificates (a CA and a server certificate for 127.0.0.1 made with openssl) in a temp
 * folder, loaded from test/fixtures/directory.ldif with slapadd, listening on ldap:// (StartTLS
 * offered) and ldaps:// on free loopback ports. `stop()` is the directory going down; `start()`
 * brings it back on the same ports.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../../scheduler/test/helpers/free-port.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export const BASE_DN = 'dc=example,dc=org';
export const SERVICE_DN = `cn=godocker,ou=services,${BASE_DN}`;
export const SERVICE_PASSWORD = 'service-secret';
const ROOT_PASSWORD = 'admin-secret';
/** Passwords of the fixture's people. */
export const PASSWORDS = {
  alice: 'alice-secret',
  bob: 'bob-secret',
  carol: 'carol-secret',
  nouid: 'nouid-secret',
  dave: 'dave-secret',
} as const;

export interface Slapd {
  /** ldap://127.0.0.1:PORT (StartTLS offered). */
  url: string;
  /** ldaps://127.0.0.1:PORT */
  ldapsUrl: string;
  /** PEM of the CA that signed the server's certificate. */
  caFile: string;
  dir: string;
  /** Applies an LDIF change (changetype: modify...) as the directory's admin: a person joins or leaves a group. */
  modify(ldif: string): void;
  /** The directory going down: slapd stopped, its ports closed. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, and a server certificate it signed for 127.0.0.1 and localhost. */
function makeCertificates(dir: string): void {
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=GoDocker test CA',
    ],
    dir,
  );
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'san.ext',
    ],
    dir,
  );
}

function slapdConf(dir: string): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
include ${join(FIXTURES, 'ad-posix.schema')}
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
TLSCACertificateFile ${dir}/ca.pem
TLSCertificateFile ${dir}/server.pem
TLSCertificateKeyFile ${dir}/server.key
database mdb
maxsize 10485760
suffix "${BASE_DN}"
rootdn "cn=admin,${BASE_DN}"
rootpw ${ROOT_PASSWORD}
directory ${dir}/db
access to attrs=userPassword by self write by anonymous auth by * none
access to * by * read
`;
}

function answers(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

export async function startSlapd(name: string): Promise<Slapd> {
  const dir = await mkdtemp(join(tmpdir(), `godocker-slapd-${name}-`));
  await mkdir(join(dir, 'db'));
  makeCertificates(dir);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, slapdConf(dir));
  execFileSync('slapadd', ['-f', conf, '-l', join(FIXTURES, 'directory.ldif')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const [port, tlsPort] = [await freePort(), await freePort()];
  const url = `ldap://127.0.0.1:${port}`;
  const ldapsUrl = `ldaps://127.0.0.1:${tlsPort}`;
  let child: ChildProcess | null = null;
  let log = '';

  const start = async () => {
    // -d keeps slapd in the foreground (a child of this test, ended by it); level 0 logs nothing but errors.
    const c = spawn('/usr/sbin/slapd', ['-d', '0', '-f', conf, '-h', `${url}/ ${ldapsUrl}/`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    c.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    child = c;
    for (let i = 0; i < 100; i++) {
      if (c.exitCode !== null) throw new Error(`slapd exited with ${c.exitCode}: ${log}`);
      if ((await answers(port)) && (await answers(tlsPort))) return;
      await delay(100);
    }
    throw new Error(`slapd did not listen on ${url} within 10 s: ${log}`);
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return {
    url,
    ldapsUrl,
    caFile: join(dir, 'ca.pem'),
    dir,
    modify(ldif) {
      execFileSync('ldapmodify', ['-x', '-H', url, '-D', `cn=admin,${BASE_DN}`, '-w', ROOT_PASSWORD], {
        input: ldif,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
    },
    stop,
    start,
    async destroy() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A daemon's `auth.ldap` for this directory: its people, the service account (its password
 * written to a file, as a site keeps it). Groups and limits are each test's own.
 */
export function ldapAuthConfig(slapd: Slapd): {
  url: string;
  startTls: true;
  caFile: string;
  baseDn: string;
  bindDn: string;
  bindPasswordFile: string;
} {
  const bindPasswordFile = join(slapd.dir, 'bind-password');
  writeFileSync(bindPasswordFile, `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
  return {
    url: slapd.url,
    startTls: true,
    caFile: slapd.caFile,
    baseDn: `ou=people,${BASE_DN}`,
    bindDn: SERVICE_DN,
    bindPasswordFile,
  };
}
