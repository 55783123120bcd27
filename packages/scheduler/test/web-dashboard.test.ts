/**
 * The daemon serves the web dashboard's build at `/` beside the API: its files, its page for
 * every dashboard address, the API's own 404s under /api/; and without a build it still
 * starts, and `/` says how to make one.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebRoot } from '../src/index.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

describe('the web dashboard served by the daemon', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local');
  });
  afterAll(async () => t?.stop());

  it('answers / and any dashboard address with the page, under a CSP that allows only the daemon itself', async () => {
    for (const path of ['/', '/jobs', '/jobs/42', '/admin']) {
      const r = await fetch(`${t.url}${path}`, { headers: { accept: 'text/html' } });
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await r.text()).toContain('<div id="app">');
    }
  });

  it('keeps /api/ the API’s: an unknown route is its JSON 404, not the page, even for a browser', async () => {
    for (const accept of ['text/html', '*/*']) {
      const r = await fetch(`${t.url}/api/v1/no-such-route`, { headers: { accept } });
      expect(r.status).toBe(404);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('GOD_NOT_FOUND');
    }
    // A client that does not ask for a page gets the API's 404 outside /api/ too.
    expect((await fetch(`${t.url}/no-such-page`, { headers: { accept: 'application/json' } })).status).toBe(404);
  });

  it('sends assets compressed and cacheable forever (their names carry their hash); a missing one is a 404', async () => {
    const root = defaultWebRoot();
    if (!root) throw new Error('@godocker/web is not installed');
    const js = readdirSync(join(root, 'assets')).find((f) => f.endsWith('.js'));
    if (!js) throw new Error(`no script in ${root}/assets: npm run build -w packages/web`);
    const r = await fetch(`${t.url}/assets/${js}`, { headers: { 'accept-encoding': 'br' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-encoding')).toBe('br');
    expect(r.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${t.url}/assets/missing-0000.js`)).status).toBe(404);
  });
});

describe('a daemon without the dashboard built', () => {
  let t: TestDaemon;
  const empty = mkdtempSync(join(tmpdir(), 'godocker-noweb-'));
  beforeAll(async () => {
    t = await startTestDaemon('local', { server: { webRoot: empty } });
  });
  afterAll(async () => {
    await t?.stop();
    rmSync(empty, { recursive: true, force: true });
  });

  it('still serves the API, and / says how to build the dashboard', async () => {
    expect((await fetch(`${t.url}/api/v1/info`)).status).toBe(200);
    const r = await fetch(`${t.url}/`);
    expect(r.status).toBe(404);
    const text = await r.text();
    expect(text).toContain(`no index.html in ${empty}`);
    expect(text).toContain('npm run build -w packages/web');
  });
});
