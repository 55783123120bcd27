import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultDataDir, loadConfig } from '@godocker/scheduler';
import { ConfigError } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'godocker-config-'));
function file(text: string): string {
  const p = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(p, text);
  return p;
}
function error(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('configuration', () => {
  it('has defaults for everything: loopback, port 6543, sqlite in the data folder, auto executor', () => {
    const c = loadConfig({ env: { HOME: '/home/x' } });
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 6543 });
    expect(c.dataDir).toBe(process.getuid?.() === 0 ? '/var/lib/godocker' : '/home/x/.local/share/godocker');
    expect(c.executor.type).toBe('auto');
    expect(c.store.type).toBe('sqlite');
    expect(c.images.default).toBe('local/busybox:latest');
  });

  it('keeps data in XDG_DATA_HOME for a user, /var/lib/godocker for root', () => {
    expect(defaultDataDir({ HOME: '/home/x' }, 1000)).toBe('/home/x/.local/share/godocker');
    expect(defaultDataDir({ HOME: '/home/x', XDG_DATA_HOME: '/data' }, 1000)).toBe('/data/godocker');
    expect(defaultDataDir({ HOME: '/root' }, 0)).toBe('/var/lib/godocker');
  });

  it('reads YAML, then env overrides it', () => {
    const path = file('server:\n  port: 7000\nexecutor:\n  type: local\nlimits:\n  maxCpu: 8\n');
    const c = loadConfig({ path, env: { GODOCKER_PORT: '7100', GODOCKER_DATA_DIR: '/var/lib/gd' } });
    expect(c.server.port).toBe(7100);
    expect(c.executor.type).toBe('local');
    expect(c.limits.maxCpu).toBe(8);
    expect(c.dataDir).toBe('/var/lib/gd');
  });

  it('reads an auth.ldap section with its defaults, and names what is missing or contradictory in it', () => {
    const ldap = 'auth:\n  ldap:\n    url: ldaps://dir.example.org\n    baseDn: ou=people,dc=example,dc=org\n';
    const c = loadConfig({ path: file(ldap), env: {} });
    expect(c.auth.tokenTtl).toBe('7d');
    expect(c.auth.loginLimits.perUser).toEqual({ failures: 5, windowSeconds: 300 });
    expect(c.auth.ldap).toMatchObject({ startTls: false, loginAttributes: ['uid', 'sAMAccountName', 'mail'], timeoutSeconds: 5 });
    expect(c.auth.ldap?.attributes.uid).toEqual(['uidNumber']);
    const noPassword = error(() => loadConfig({ path: file(`${ldap}    bindDn: cn=godocker,dc=example,dc=org\n`), env: {} }));
    expect(noPassword.field).toBe('auth.ldap.bindDn');
    expect(noPassword.message).toMatch(/bindPasswordFile .* or auth.ldap.bindPasswordEnv/);
    const plainCa = 'auth:\n  ldap:\n    url: ldap://dir\n    baseDn: dc=x\n    caFile: /etc/ca.pem\n';
    expect(error(() => loadConfig({ path: file(plainCa), env: {} })).message).toMatch(
      /ldaps:\/\/ url, or set auth.ldap.startTls/,
    );
    expect(error(() => loadConfig({ path: file(`${ldap}    startTls: true\n`), env: {} })).field).toBe('auth.ldap.startTls');
    const ttl = error(() => loadConfig({ path: file('auth:\n  tokenTtl: forever\n'), env: {} }));
    expect(ttl.field).toBe('auth.tokenTtl');
    expect(ttl.message).toMatch(/"auth.tokenTtl" is not a duration: "forever"/);
  });

  it('names an unknown key', () => {
    const e = error(() => loadConfig({ path: file('server:\n  prot: 7000\n'), env: {} }));
    expect(e.field).toBe('server.prot');
    expect(e.message).toMatch(/"server.prot" is not a known key/);
  });

  it('names a key with a bad value', () => {
    const e = error(() => loadConfig({ path: file('limits:\n  maxCpu: lots\n'), env: {} }));
    expect(e.field).toBe('limits.maxCpu');
    const v = error(() => loadConfig({ path: file('volumes:\n  - name: data\n    hostPath: relative/path\n'), env: {} }));
    expect(v.field).toBe('volumes.0.hostPath');
  });

  it('refuses a bad env value, naming the variable', () => {
    const e = error(() => loadConfig({ env: { GODOCKER_PORT: 'http' } }));
    expect(e.message).toMatch(/GODOCKER_PORT/);
  });

  it('refuses YAML that does not parse, and a missing file', () => {
    expect(error(() => loadConfig({ path: file('server: [\n'), env: {} })).message).toMatch(/not valid YAML/);
    expect(error(() => loadConfig({ path: join(dir, 'nope.yaml'), env: {} })).message).toMatch(/cannot read config file/);
  });

  it('refuses a default image outside the catalogue and duplicate volumes', () => {
    expect(error(() => loadConfig({ path: file('images:\n  default: x/y\n'), env: {} })).field).toBe('images.default');
    const dup = 'volumes:\n  - {name: a, hostPath: /a}\n  - {name: a, hostPath: /b}\n';
    expect(error(() => loadConfig({ path: file(dup), env: {} })).field).toBe('volumes.1.name');
  });

  it('gives every node a host-port pool of 20000-20099 by default, and refuses a pool outside 1024-65535', () => {
    expect(loadConfig({ env: {} }).ports).toEqual({ start: 20000, range: 100 });
    const past = error(() => loadConfig({ path: file('ports:\n  start: 65500\n  range: 100\n'), env: {} }));
    expect(past.field).toBe('ports.range');
    expect(past.message).toMatch(/the pool 65500-65599 goes past 65535/);
    expect(error(() => loadConfig({ path: file('ports:\n  start: 80\n'), env: {} })).field).toBe('ports.start');
    const executors = 'executors:\n  - {name: a, type: local}\n  - {name: b, type: local, ports: {start: 60000, range: 6000}}\n';
    expect(error(() => loadConfig({ path: file(executors), env: {} })).field).toBe('executors.1.ports.range');
    const fine = 'executors:\n  - {name: a, type: local, ports: {start: 30000, range: 10, bindAddress: 127.0.0.1}}\n';
    expect(loadConfig({ path: file(fine), env: {} }).executors?.[0]?.ports).toEqual({
      start: 30000,
      range: 10,
      bindAddress: '127.0.0.1',
    });
  });
});
