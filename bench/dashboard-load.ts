/**
 * The web dashboard's first load with 10,000 jobs in the store: a cold browser (Debian's
 * chromium, a fresh profile each run, nothing cached) signed in opens the job list; the
 * figures are the bytes it transferred (on the wire, as chromium counts them: headers and
 * compressed bodies) and the time from navigation start to the first page of rows on screen.
 *
 * Baseline, in the same run: one `GET /api/v1/jobs?user=admin&limit=50` fetched from Node,
 * the API call under the list, alone. Beside it, what a list that loaded every job would
 * fetch (`limit=1000`, page after page), which the dashboard must not do: it shows 50 rows
 * and asks for more only when told. Runs alternate baseline and dashboard; figures are medians.
 *
 * Targets: the list on screen within 1 s and under 100 KB transferred, with 50 rows.
 *
 *   npm run bench -- dashboard-load
 *   BENCH_JOBS=10000 BENCH_DASHBOARD_RUNS=7 npm run bench -- dashboard-load
 */
import type { Job } from '@godocker/sdk';
import { chromium } from 'playwright-core';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { fixed, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const RUNS = Number(process.env.BENCH_DASHBOARD_RUNS ?? 5);
const CHROMIUM = process.env.GODOCKER_CHROMIUM ?? '/usr/bin/chromium';
const PAGE_ROWS = 50;
const BATCH = 1000;
const TARGET_MS = 1000;
const TARGET_KB = 100;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Load {
  ms: number;
  bytes: number;
  requests: number;
  rows: number;
}

/** Bytes of an answer as they crossed the socket, roughly: status line, headers and body. */
async function fetchBytes(url: string, token: string): Promise<{ ms: number; bytes: number; body: string }> {
  const start = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = await res.text();
  const ms = performance.now() - start;
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body.slice(0, 200)}`);
  let head = 17;
  res.headers.forEach((v, k) => {
    head += k.length + v.length + 4;
  });
  return { ms, bytes: head + Buffer.byteLength(body), body };
}

const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: 16, ram: 16384 } });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
try {
  // Held: they stay in the store as they are, nothing runs.
  for (let n = 0; n < JOBS; n += BATCH) {
    const count = Math.min(BATCH, JOBS - n);
    await daemon.client.submitBatch(
      Array.from({ length: count }, (_, i) => ({
        command: { script: `echo job ${n + i}` },
        meta: { name: `bench-${n + i}`, tags: ['bench'] },
        hold: true,
      })),
    );
  }
  const listUrl = `${daemon.url}/api/v1/jobs?user=admin&limit=${PAGE_ROWS}`;

  const dashboardLoad = async (): Promise<Load> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await context.addInitScript(`localStorage.setItem('godocker.token', ${JSON.stringify(daemon.token)})`);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      let bytes = 0;
      let requests = 0;
      cdp.on('Network.requestWillBeSent', () => {
        requests++;
      });
      cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
        bytes += e.encodedDataLength;
      });
      await page.goto(`${daemon.url}/jobs`, { waitUntil: 'commit' });
      // A locator, not waitForFunction: the page's CSP forbids the eval that would need.
      await page
        .locator('tr[data-job]')
        .nth(PAGE_ROWS - 1)
        .waitFor({ timeout: 30_000 });
      // From the navigation's start, as the page's own clock counts it.
      const ms = (await page.evaluate('performance.now()')) as number;
      const rows = (await page.evaluate(`document.querySelectorAll('tr[data-job]').length`)) as number;
      // The last answers' loadingFinished may still be on its way.
      await page.waitForTimeout(300);
      return { ms, bytes, requests, rows };
    } finally {
      await context.close();
    }
  };

  // A first load of each, not counted: the daemon's and chromium's code paths warm up.
  await fetchBytes(listUrl, daemon.token);
  await dashboardLoad();
  const base: { ms: number; bytes: number }[] = [];
  const loads: Load[] = [];
  for (let r = 0; r < RUNS; r++) {
    base.push(await fetchBytes(listUrl, daemon.token));
    loads.push(await dashboardLoad());
  }
  // What loading every job would take: page after page of the largest size.
  let everyMs = 0;
  let everyBytes = 0;
  let listed = 0;
  for (let cursor: string | null = ''; cursor !== null; ) {
    const page = await fetchBytes(
      `${daemon.url}/api/v1/jobs?user=admin&limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
      daemon.token,
    );
    const answer = JSON.parse(page.body) as { jobs: Job[]; nextCursor: string | null };
    everyMs += page.ms;
    everyBytes += page.bytes;
    listed += answer.jobs.length;
    cursor = answer.nextCursor;
  }

  const baseMs = median(base.map((b) => b.ms));
  const baseKb = median(base.map((b) => b.bytes)) / 1024;
  const loadMs = median(loads.map((l) => l.ms));
  const loadKb = median(loads.map((l) => l.bytes)) / 1024;
  const rows = Math.max(...loads.map((l) => l.rows));
  title('dashboard-load', [
    `${JOBS} held jobs in the store (sqlite), local executor; cold chromium (fresh profile) per load, ${RUNS} runs, medians`,
    'dashboard: navigation start -> first page of the job list on screen; bytes as chromium counts them on the wire',
  ]);
  row('baseline', `${fixed(baseMs)} ms`, `one GET /api/v1/jobs page (${PAGE_ROWS} jobs) from Node, ${fixed(baseKb)} KB`);
  row(
    'dashboard',
    `${fixed(loadMs)} ms`,
    `${fixed(loadKb)} KB in ${median(loads.map((l) => l.requests))} requests, ${rows} rows shown`,
  );
  row('ratio', `${fixed(loadMs / baseMs)}x`, `time; bytes ${fixed(loadKb / baseKb)}x the page fetch`);
  row(
    'every job',
    `${fixed(everyMs)} ms`,
    `${listed} jobs in pages of 1000, ${fixed(everyBytes / 1024)} KB: what the list does not load`,
  );
  target(`job list on screen within ${TARGET_MS} ms (${fixed(loadMs)} ms)`, loadMs <= TARGET_MS);
  target(`first load under ${TARGET_KB} KB (${fixed(loadKb)} KB)`, loadKb <= TARGET_KB);
  target(`${PAGE_ROWS} rows shown of ${JOBS}, not all (${rows})`, rows === PAGE_ROWS);
} finally {
  await browser.close();
  await shutdown(daemon);
}
