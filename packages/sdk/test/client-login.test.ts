import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_URL, loadLogin, loginFilePath, resolveConnection, saveLogin } from '@godocker/sdk';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let dir: string;
let env: Record<string, string | undefined>;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'godocker-login-'));
  env = { XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('login file', () => {
  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(loginFilePath(env)).toBe(join(dir, 'config', 'godocker', 'login.json'));
    expect(loginFilePath({ HOME: dir })).toBe(join(dir, '.config', 'godocker', 'login.json'));
  });

  it('saves with mode 0600, replacing a looser file, and loads it back', async () => {
    expect(loadLogin(env)).toBeNull();
    const path = saveLogin({ url: 'http://h:1/api/v1/', token: 'one' }, env);
    await writeFile(path, '{"url":"x","token":"y"}', { mode: 0o644 });
    saveLogin({ url: 'http://h:1/', token: 'two' }, env);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'config', 'godocker'))).mode & 0o777).toBe(0o700);
    expect(loadLogin(env)).toEqual({ url: 'http://h:1', token: 'two' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: 'http://h:1', token: 'two' });
  });

  it('names a damaged file', async () => {
    const path = saveLogin({ url: 'http://h:1', token: 't' }, env);
    await writeFile(path, 'not json');
    expect(() => loadLogin(env)).toThrowError(ConfigError);
    expect(() => loadLogin(env)).toThrowError(path);
  });
});

describe('resolveConnection', () => {
  it('falls back to the default local daemon', () => {
    expect(resolveConnection({ env })).toEqual({ url: DEFAULT_URL, token: undefined, urlFrom: 'default', tokenFrom: 'none' });
  });

  it('prefers explicit values, then the environment, then the saved login', () => {
    saveLogin({ url: 'http://saved:1', token: 'saved-token' }, env);
    expect(resolveConnection({ env })).toMatchObject({
      url: 'http://saved:1',
      token: 'saved-token',
      urlFrom: 'login',
      tokenFrom: 'login',
    });
    const withEnv = { ...env, GODOCKER_URL: 'http://env:2', GODOCKER_TOKEN: 'env-token' };
    expect(resolveConnection({ env: withEnv })).toMatchObject({
      url: 'http://env:2',
      token: 'env-token',
      urlFrom: 'env',
      tokenFrom: 'env',
    });
    expect(resolveConnection({ env: withEnv, url: 'http://opt:3/', token: 'opt-token' })).toMatchObject({
      url: 'http://opt:3',
      token: 'opt-token',
      urlFrom: 'option',
      tokenFrom: 'option',
    });
  });

  it('never sends the saved token to another daemon', () => {
    saveLogin({ url: 'http://saved:1', token: 'saved-token' }, env);
    expect(resolveConnection({ env, url: 'http://other:9' }).token).toBeUndefined();
    expect(resolveConnection({ env, url: 'http://saved:1/' }).token).toBe('saved-token');
  });
});
