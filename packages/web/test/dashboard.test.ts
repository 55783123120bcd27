/**
 * The web dashboard in a real browser (chromium) against a live daemon running real jobs
 * in Docker: sign in, submit, watch a job run and read its logs live, kill one, see why
 * another waits, an admin changes a quota; no serious accessibility violation on any page;
 * a screenshot of each page under test-artifacts/web/.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultWebRoot } from '@godocker/scheduler';
import type { Job, JobUsage, ShareTreeView, User } from '@godocker/sdk';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, caller } from '../../scheduler/test/helpers/api-caller.js';
import { ADMIN_TOKEN, startTestDaemon, TEST_IMAGE, type TestDaemon, waitJob } from '../../scheduler/test/helpers/test-daemon.js';
import { openBrowser, screenshot, seriousViolations, type TestBrowser } from './helpers/browser.js';

const UI_TIMEOUT = 30_000;
/** busybox and a static memhog that holds N MiB for S seconds (scripts/build-test-images.sh). */
const MEMHOG = 'local/memhog:latest';
const BUILD_IMAGES = fileURLToPath(new URL('../../../scripts/build-test-images.sh', import.meta.url));
const HOLD_MB = 200;
// What else the job holds besides memhog's pages (its shell; page cache cgroup v1 counts in its peak).
const SLACK_MB = 40;
/** The job list's page (PAGE_SIZE of src/pages/jobs.tsx). */
const PAGE_SIZE = 50;

// Each step waits on real jobs in Docker, on a machine the rest of the suite shares.
describe('web dashboard in chromium', { timeout: 120_000 }, () => {
  let t: TestDaemon;
  let alice: Caller & { user: User };
  let browser: TestBrowser;
  let page: Page;
  /** Every address the page asked for, to show nothing comes from anywhere but the daemon. */
  const requested: string[] = [];
  const reference = mkdtempSync(join(tmpdir(), 'godocker-web-ref-'));
  /** What the browser refused under the page's Content-Security-Policy. */
  const refused: string[] = [];

  beforeAll(async () => {
    const root = defaultWebRoot();
    if (!root || !existsSync(join(root, 'index.html')))
      throw new Error('the dashboard is not built: run `npm run build -w packages/web` (npm test builds it)');
    // A volume of the catalogue, readable by everyone, for the submit form to offer.
    chmodSync(reference, 0o755);
    writeFileSync(join(reference, 'hello.txt'), 'from-the-volume\n', { mode: 0o644 });
    execFileSync('bash', [BUILD_IMAGES], { stdio: 'pipe' });
    t = await startTestDaemon('docker', {
      images: { catalogue: [TEST_IMAGE, MEMHOG], default: TEST_IMAGE },
      // A reading every half second: a job of a few seconds has a series to plot.
      usage: { sampleSeconds: 0.5 },
      volumes: [{ name: 'ref', hostPath: reference, containerPath: '/ref', mode: 'ro' }],
    });
    alice = await t.addUser('alice', 2001);
    browser = await openBrowser();
    page = browser.page;
    page.setDefaultTimeout(UI_TIMEOUT);
    page.on('request', (r) => requested.push(r.url()));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) refused.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    rmSync(reference, { recursive: true, force: true });
  });

  /** Screenshot, then axe: a page is checked as a person sees it. */
  async function check(name: string): Promise<void> {
    await screenshot(page, name);
    expect(await seriousViolations(page), `serious or critical axe violations on ${name}`).toEqual([]);
  }

  async function signIn(token: string): Promise<void> {
    await page.goto(t.url);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await page.getByRole('heading', { name: 'My jobs' }).waitFor();
  }

  it('refuses a wrong token with the API’s reason, then signs in with a good one', async () => {
    await page.goto(t.url);
    await page.getByRole('heading', { name: 'Sign in to GoDocker' }).waitFor();
    await check('sign-in');
    await page.getByLabel('API token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in with token' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/token/i);
    await signIn(alice.token);
    await expect(page.getByText('alice', { exact: true })).toBeDefined();
    await page.getByText('Live', { exact: true }).waitFor();
    await check('jobs-empty');
  });

  it('submits a job from the form, shows it run and its log lines as they are written', async () => {
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByRole('heading', { name: 'Submit a job' }).waitFor();
    await check('submit');
    await page.getByLabel('Name').fill('web-live');
    await page.getByLabel('Script').fill('cat /ref/hello.txt\necho first-line\nsleep 2\necho second-line\nsleep 60\n');
    await page.getByLabel(/^ref/).check();
    await page.getByLabel('Memory').fill('64M');
    await page.getByLabel('Time limit').fill('5m');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    const id = Number(page.url().split('/').pop());
    const job = (await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body;
    expect(job.meta.name).toBe('web-live');
    expect(job.requirements.ram).toBe(64);
    expect(job.requirements.timeLimit).toBe(300);
    expect(job.container.volumes).toEqual([{ name: 'ref', mode: 'ro' }]);

    await page.getByTestId('job-state').getByText('running').waitFor();
    const log = page.getByTestId('log-stdout');
    await expect.poll(() => log.textContent(), { timeout: UI_TIMEOUT }).toContain('first-line');
    expect(await log.textContent()).toContain('from-the-volume');
    // The second line arrives two seconds later on the page already open: the log is followed, not re-read.
    await expect.poll(() => log.textContent(), { timeout: UI_TIMEOUT }).toContain('second-line');
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body.status.state).toBe('running');
    await page.getByText('Following stdout live').waitFor();
    await check('job-running');

    // Suspended and resumed from the page, then killed.
    await page.getByRole('button', { name: 'Suspend' }).click();
    await page.getByTestId('job-state').getByText('suspended').waitFor();
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body.status.state).toBe('suspended');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByTestId('job-state').getByText('running').waitFor();
    await page.getByRole('button', { name: 'Kill' }).click();
    await page.getByRole('button', { name: 'Yes, kill it' }).click();
    await page.getByTestId('job-state').getByText('failed').waitFor();
    const killed = await waitJob(alice, id, 'terminated', 30);
    expect(killed.status.state).toBe('failed');
    await page
      .getByText(/killed/i)
      .first()
      .waitFor();
    await check('job-killed');
  });

  it('shows why a job waits: the explain code and sentence of a job held by its dependency', async () => {
    const first = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 60' }, meta: { name: 'first' } });
    expect(first.status).toBe(201);
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Script').fill('echo after');
    await page.getByLabel('Dependencies').fill(`afterok:${first.body.id}`);
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    await page.getByRole('heading', { name: 'Why it waits' }).waitFor();
    await expect.poll(() => page.getByTestId('explain').textContent()).toMatch(/Dependency/);
    await expect(page.getByTestId('explain').textContent()).resolves.toContain(String(first.body.id));
    await check('job-waiting');
    // Held and released from its page.
    const waiting = Number(page.url().split('/').pop());
    await page.getByRole('button', { name: 'Hold' }).click();
    await page.getByTestId('job-state').getByText('held').waitFor();
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${waiting}`)).body.status.state).toBe('held');
    await page.getByRole('button', { name: 'Release' }).click();
    await page.getByTestId('job-state').getByText('pending').waitFor();
    await alice.call('POST', `/api/v1/jobs/${first.body.id}/actions`, { action: 'kill' });
  });

  it('keeps the job list live: a job submitted elsewhere appears and ends without a reload', async () => {
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.getByText('Live', { exact: true }).waitFor();
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'echo from-the-cli\necho forty-two > "$GODOCKER_JOB_DIR/result.txt"' },
      meta: { name: 'elsewhere' },
    });
    const row = page.locator(`tr[data-job="${s.body.id}"]`);
    await row.getByText('elsewhere').waitFor();
    await row.getByText('done').waitFor();
    // The state filter asks the server again.
    await page.getByLabel('State').selectOption('failed');
    await expect.poll(() => row.count()).toBe(0);
    await expect.poll(() => page.locator('tr[data-job] .badge').allTextContents()).toEqual(expect.arrayContaining(['failed']));
    expect(new Set(await page.locator('tr[data-job] .badge').allTextContents())).toEqual(new Set(['failed']));
    await page.getByLabel('State').selectOption('');
    await page.getByLabel('Search', { exact: true }).fill('elsewhere');
    await expect.poll(() => page.locator('tr[data-job]').count()).toBe(1);
    await check('jobs');
    // Its page lists the file it wrote in its directory, and downloads it.
    await row.getByRole('link', { name: String(s.body.id) }).click();
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'result.txt' }).click();
    const file = await (await download).createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of file) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('forty-two\n');
    await expect.poll(() => page.getByTestId('log-stdout').textContent()).toContain('from-the-cli');
    await check('job-done');
  });

  it('searches every job on the server, not only the page it loaded', async () => {
    // The needle is older than a whole page of newer jobs: no loaded row holds it.
    const batch = (names: string[]) =>
      alice.call<{ jobs: Job[] }>('POST', '/api/v1/jobs/batch', {
        jobs: names.map((name) => ({ command: { script: 'true' }, meta: { name }, hold: true })),
      });
    const needle = (await batch(['Needle-Beyond-The-Page'])).body.jobs[0] as Job;
    const hay = (await batch(Array.from({ length: PAGE_SIZE + 5 }, (_, i) => `hay-${i}`))).body.jobs;
    expect(hay).toHaveLength(PAGE_SIZE + 5);
    try {
      await page.getByRole('link', { name: 'Jobs' }).click();
      await page.locator(`tr[data-job="${hay.at(-1)?.id}"]`).waitFor();
      await expect.poll(() => page.locator('tr[data-job]').count()).toBe(PAGE_SIZE);
      expect(await page.locator(`tr[data-job="${needle.id}"]`).count()).toBe(0);
      const box = page.getByLabel('Search', { exact: true });
      await box.fill('needle-BEYOND');
      await expect.poll(() => page.locator('tr[data-job]').count()).toBe(1);
      await page.locator(`tr[data-job="${needle.id}"]`).getByText('Needle-Beyond-The-Page').waitFor();
      // The address keeps the search: a reload shows the same list.
      await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('needle-BEYOND');
      await page.reload();
      await page.locator(`tr[data-job="${needle.id}"]`).waitFor();
      expect(await page.locator('tr[data-job]').count()).toBe(1);
      // Text the server would refuse is named before it is sent.
      await page.getByLabel('Search', { exact: true }).fill('x'.repeat(201));
      await page
        .getByRole('alert')
        .getByText(/more than 200/)
        .waitFor();
      await page.getByLabel('Search', { exact: true }).fill('');
      await expect.poll(() => page.locator('tr[data-job]').count()).toBe(PAGE_SIZE);
    } finally {
      for (const job of [needle, ...hay]) await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
    }
  });

  it('submits an array from the form', async () => {
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Script').fill('true');
    await page.getByLabel('Array').fill('1-3');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await page.waitForURL(/\/jobs\/\d+$/);
    const parent = (await alice.call<Job>('GET', `/api/v1/jobs/${page.url().split('/').pop()}`)).body;
    expect(parent.array).toMatchObject({ start: 1, end: 3, count: 3 });
    // Its page counts its tasks by state as they end.
    await expect.poll(() => page.getByTestId('array').textContent(), { timeout: 30_000 }).toMatch(/\(3 tasks\), done 3$/);
    // A bad range is refused with the field to fix, and nothing is stored.
    const newest = async () => (await alice.call<{ jobs: Job[] }>('GET', '/api/v1/jobs?limit=1')).body.jobs[0]?.id;
    const before = await newest();
    await page.getByRole('link', { name: 'Submit' }).click();
    await page.getByLabel('Script').fill('true');
    await page.getByLabel('Array').fill('3-1');
    await page.getByRole('button', { name: 'Submit', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/^array: /);
    expect(page.url()).toMatch(/\/submit$/);
    expect(await newest()).toBe(before);
  });

  it('shows the cluster (what runs where) and the fair-share tree with usage plots', async () => {
    const runner = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'sleep 60' },
      meta: { name: 'runs-here' },
    });
    await waitJob(alice, runner.body.id, 'started', 30);
    await page.getByRole('link', { name: 'Cluster' }).click();
    await page.getByText('runs-here').waitFor();
    await check('cluster');
    await alice.call('POST', `/api/v1/jobs/${runner.body.id}/actions`, { action: 'kill' });
    await page.getByRole('link', { name: 'Fair share' }).click();
    await page.getByRole('heading', { name: 'Fair-share tree' }).waitFor();
    await page.getByRole('row', { name: /alice/ }).first().waitFor();
    // The tree as bars: each project and user, its share owed and its usage had, as the API says.
    const tree = (await alice.call<ShareTreeView>('GET', '/api/v1/share')).body;
    const mine = tree.rows.find((r) => r.user === 'alice');
    if (!mine) throw new Error(`alice is not in the fair-share tree: ${JSON.stringify(tree.rows)}`);
    const bars = page.locator(`figure.share-plot li[data-row="${mine.project}/alice"]`);
    await bars.waitFor();
    const text = await bars.textContent();
    expect(text).toContain(`owed ${(mine.normShares * 100).toFixed(1)}%`);
    expect(text).toContain(`had ${(mine.effectiveUsage * 100).toFixed(1)}%`);
    const widthOf = (c: string) => bars.locator(c).evaluate((e) => e.getBoundingClientRect().width);
    // On one scale: the lengths of owed and had are in the ratio of the numbers (within 2 px).
    const owed = await widthOf('.bar.owed');
    expect(owed).toBeGreaterThan(10);
    expect(Math.abs((await widthOf('.bar.used')) - (owed * mine.effectiveUsage) / mine.normShares)).toBeLessThan(2);
    expect(await page.locator('figure.share-plot li').count()).toBe(tree.rows.length);
    await page.locator('figure.plot canvas').first().waitFor();
    await check('share');
  });

  it('plots a running job’s memory and cpu as they are sampled, and its peak near what it held', async () => {
    const hog = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: `memhog ${HOLD_MB} 6` },
      container: { image: MEMHOG },
      requirements: { ram: 1024 },
      meta: { name: 'memhog' },
    });
    expect(hog.status, hog.text).toBe(201);
    const id = hog.body.id;
    await page.goto(`${t.url}/jobs/${id}`);
    await page.getByRole('heading', { name: 'Usage' }).waitFor();
    // The plots come while it runs: the page reads the series again every sampling step.
    await page.getByTestId('usage-memory-plot').locator('canvas').waitFor();
    expect((await alice.call<Job>('GET', `/api/v1/jobs/${id}`)).body.status.state).toBe('running');
    await page.getByTestId('usage-cpu-plot').locator('canvas').waitFor();
    await page.getByTestId('job-state').getByText('done').waitFor();
    const usage = (await alice.call<JobUsage>('GET', `/api/v1/jobs/${id}/usage`)).body;
    // Once it ended the page reads its final totals, and stops.
    await expect.poll(() => page.getByTestId('usage-readings').textContent()).toMatch(new RegExp(`^${usage.totals.samples},`));
    const peak = /^(\d+)M of 1G asked$/.exec((await page.getByTestId('usage-peak').textContent()) ?? '');
    expect(peak).not.toBeNull();
    expect(Number(peak?.[1])).toBe(Math.ceil(usage.totals.peakMemoryMb ?? 0));
    expect(Number(peak?.[1])).toBeGreaterThanOrEqual(HOLD_MB - 5);
    expect(Number(peak?.[1])).toBeLessThanOrEqual(HOLD_MB + SLACK_MB);
    // It held a fifth of the 1G it asked for: the page says so, as `godocker show` does.
    await expect(page.getByTestId('usage-hints').textContent()).resolves.toMatch(
      /of the 1G of memory it asked for.*ask for less/,
    );
    await check('job-usage');
  });

  it('is usable on a phone, in the dark theme too', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Jobs' }).click();
    await page.locator('tr[data-job]').first().waitFor();
    // Nothing wider than the screen: no sideways scrolling.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await check('phone-jobs');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await check('phone-jobs-dark');
    await page.locator('tr[data-job] a').first().click();
    await page.getByRole('heading', { name: 'State history' }).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await check('phone-job-dark');
    // The choice outlives a reload.
    await page.reload();
    await page.getByRole('heading', { name: 'State history' }).waitFor();
    expect(await page.evaluate('document.documentElement.dataset.theme')).toBe('dark');
    await page.getByRole('button', { name: 'Dark theme' }).click();
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('lets an admin change a user’s quota, which the API then enforces', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(ADMIN_TOKEN);
    await page.getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await check('admin');
    await page.getByRole('button', { name: 'Edit the quota of user alice' }).click();
    const form = page.getByRole('form', { name: 'Quota of user alice' });
    await form.getByLabel('Running jobs').fill('1');
    await form.getByLabel('CPU cores at once').fill('2.5');
    await form.getByRole('button', { name: 'Save quota' }).click();
    await page.locator('tr[data-user="alice"] .quota-text').getByText('cpu 2.5, runningJobs 1').waitFor();
    const stored = await t.admin.call<User>('GET', '/api/v1/users/alice');
    expect(stored.body.quota).toMatchObject({ cpu: 2.5, runningJobs: 1 });
    // The engine holds alice's second job back for it, and the job's page says so.
    const running = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 60' } });
    await waitJob(alice, running.body.id, 'started', 30);
    const held = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' } });
    expect(held.status, held.text).toBe(201);
    await page.goto(`${t.url}/jobs/${held.body.id}`);
    await expect.poll(() => page.getByTestId('explain').textContent()).toMatch(/UserRunningJobsLimit/);
    await check('job-over-quota');
    await alice.call('POST', `/api/v1/jobs/${running.body.id}/actions`, { action: 'kill' });
  });

  it('lets an admin drain a node and resume it', async () => {
    await page.getByRole('link', { name: 'Cluster' }).click();
    const drain = page.getByRole('button', { name: /^Drain / });
    const node = ((await drain.first().textContent()) ?? '').replace(/^Drain /, '');
    await drain.first().click();
    await page.getByRole('button', { name: `Resume ${node}` }).waitFor();
    const nodes = await t.admin.call<{ nodes: { name: string; state: string }[] }>('GET', '/api/v1/nodes');
    expect(nodes.body.nodes.find((n) => n.name === node)?.state).toBe('drained');
    await check('cluster-drained');
    await page.getByRole('button', { name: `Resume ${node}` }).click();
    await page.getByRole('button', { name: `Drain ${node}` }).waitFor();
  });

  it('lets an admin add a project and a user, whose token is shown once and works', async () => {
    await page.getByRole('link', { name: 'Admin' }).click();
    const project = page.getByRole('form', { name: 'Add a project' });
    await project.getByLabel('Name').fill('web-proj');
    await project.getByLabel('Shares').fill('3');
    await project.getByRole('button', { name: 'Add project' }).click();
    await page.locator('tr[data-project="web-proj"]').waitFor();
    expect((await t.admin.call<{ shares: number }>('GET', '/api/v1/projects/web-proj')).body.shares).toBe(3);
    const user = page.getByRole('form', { name: 'Add a user' });
    await user.getByLabel('Name').fill('bob');
    await user.getByLabel('uid').fill('2002');
    await user.getByRole('button', { name: 'Add user' }).click();
    const token = (await page.getByTestId('new-token').textContent()) ?? '';
    await page.locator('tr[data-user="bob"]').waitFor();
    const me = await caller(t.url, token).call<User>('GET', '/api/v1/users/me');
    expect([me.status, me.body.name, me.body.gid]).toEqual([200, 'bob', 2002]);
    // A name the daemon refuses is answered with the field to fix.
    await user.getByLabel('Name').fill('Not A Name');
    await user.getByLabel('uid').fill('2003');
    await user.getByRole('button', { name: 'Add user' }).click();
    await expect.poll(() => user.getByRole('alert').textContent()).toMatch(/name/);
  });

  it('asked for nothing but the daemon’s own addresses, and broke no rule of its CSP', () => {
    const origin = new URL(t.url).origin;
    const foreign = requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'));
    expect(requested.length).toBeGreaterThan(10);
    expect(foreign).toEqual([]);
    expect(refused).toEqual([]);
  });
});
