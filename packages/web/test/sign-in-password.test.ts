/**
 * Signing in to the dashboard with a user name and password when the daemon has a directory:
 * a private slapd (plugins/test/helpers/slapd.ts), a real chromium. A wrong password is refused
 * with the daemon's reason; the right one opens the person's jobs, as the directory's user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapAuthConfig, PASSWORDS, type Slapd, startSlapd } from '../../plugins/test/helpers/slapd.js';
import { startTestDaemon, type TestDaemon } from '../../scheduler/test/helpers/test-daemon.js';
import { openBrowser, screenshot, seriousViolations, type TestBrowser } from './helpers/browser.js';

describe('dashboard sign-in with the directory’s password', () => {
  let slapd: Slapd;
  let t: TestDaemon;
  let browser: TestBrowser;
  beforeAll(async () => {
    slapd = await startSlapd('web');
    t = await startTestDaemon('local', { auth: { ldap: ldapAuthConfig(slapd) } });
    browser = await openBrowser();
    browser.page.setDefaultTimeout(30_000);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    await slapd?.destroy();
  });

  it('refuses a wrong password with the reason, then signs alice in as the directory’s alice', async () => {
    const { page } = browser;
    await page.goto(t.url);
    await page.getByRole('button', { name: 'Sign in with password' }).waitFor();
    await screenshot(page, 'sign-in-password');
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel('User name').fill('alice');
    await page.getByLabel('Password').fill('not-her-password');
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/password/i);
    await page.getByLabel('Password').fill(PASSWORDS.alice);
    await page.getByRole('button', { name: 'Sign in with password' }).click();
    await page.getByRole('heading', { name: 'My jobs' }).waitFor();
    await page.getByRole('banner').getByText('alice', { exact: true }).waitFor();
    // The session outlives a reload: the token the login made is kept.
    await page.reload();
    await page.getByRole('heading', { name: 'My jobs' }).waitFor();
  });

  it('offers no password form on a daemon without a directory', async () => {
    const plain = await startTestDaemon('local');
    try {
      await browser.page.getByRole('button', { name: 'Sign out' }).click();
      await browser.page.goto(plain.url);
      await browser.page.getByRole('button', { name: 'Sign in with token' }).waitFor();
      expect(await browser.page.getByRole('button', { name: 'Sign in with password' }).count()).toBe(0);
    } finally {
      await plain.stop();
    }
  });
});
