/**
 * `GET /metrics` of a daemon whose store holds 100,000 jobs (held, of another user: out of
 * the scheduler's memory, in the store only), as Prometheus scrapes it: the exposition is
 * built at each scrape, the jobs by state and project counted from the store then.
 *
 * Baseline, in the same run and the same daemon: `GET /healthz`, the cheapest answer the
 * daemon gives over the same HTTP path. /metrics and /healthz run in pairs, A B A B (each
 * sample a few calls in a row, body read), and the figure is the median of the per-pair
 * ratios, with each one's median time per call. Printed beside them: the store's count by
 * project and state alone (countByProjectState on a copy of the same store, in this process),
 * the part of a scrape that grows with the jobs.
 *
 *   npm run bench -- metrics-scrape
 *   npm run bench -- metrics-scrape --jobs 1000000 --pairs 21
 */

import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '@godocker/scheduler';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { OptionError, readOptions, wholeNumber } from './lib/options.js';
import { queueStore } from './lib/queue-store.js';
import { fixed, memories, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';

/** Prometheus' default scrape timeout is 10 s; a scrape should stay a small part of it at any size. */
const TARGET_MS = 100;
const WARMUP = 5;

async function get(url: string): Promise<number> {
  const r = await fetch(url);
  const body = await r.text();
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}: ${body.slice(0, 200)}`);
  return body.length;
}

/** Milliseconds per call of `calls` GETs in a row. */
async function sample(url: string, calls: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < calls; i++) await get(url);
  return (performance.now() - start) / calls;
}

/** Median ms of the store's count by project and state, on a copy of `store` (the cache's file is never written). */
async function storeCount(store: string, samples: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'godocker-bench-count-'));
  try {
    await copyFile(store, join(dir, 'godocker.db'));
    const copy = SqliteStore.open(join(dir, 'godocker.db'));
    try {
      await copy.migrate();
      await copy.countByProjectState();
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const start = performance.now();
        await copy.countByProjectState();
        times.push(performance.now() - start);
      }
      return median(times);
    } finally {
      await copy.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = readOptions({
    jobs: { default: '100000', help: 'jobs in the store' },
    pairs: { default: '15', help: 'interleaved (/metrics, /healthz) pairs' },
    calls: { default: '10', help: 'GETs in a row per sample' },
  });
  const jobs = wholeNumber(options.jobs, 'jobs');
  const pairs = wholeNumber(options.pairs, 'pairs');
  const calls = wholeNumber(options.calls, 'calls');
  title('metrics-scrape', [
    `what:     GET /metrics of a daemon (local executor, SQLite) whose store holds ${jobs} held jobs`,
    `baseline: GET /healthz of the same daemon; interleaved, ${pairs} pairs of ${calls} calls each`,
  ]);
  const store = await queueStore('held', jobs);
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: 4, ram: 16384 }, store });
  try {
    const metricsUrl = `${daemon.url}/metrics`;
    const healthUrl = `${daemon.url}/healthz`;
    const bytes = await get(metricsUrl);
    // The daemon sees the jobs the store holds: the counts are real, not an empty store's.
    const text = await (await fetch(metricsUrl)).text();
    const held = /^godocker_jobs\{state="held",project="default"\} (\d+)$/m.exec(text)?.[1];
    if (Number(held) !== jobs) throw new Error(`/metrics counts ${held} held jobs, not the ${jobs} of the store`);
    for (let i = 0; i < WARMUP; i++) {
      await get(metricsUrl);
      await get(healthUrl);
    }
    const scrapes: number[] = [];
    const healths: number[] = [];
    const ratios: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const m = await sample(metricsUrl, calls);
      const h = await sample(healthUrl, calls);
      scrapes.push(m);
      healths.push(h);
      ratios.push(m / h);
    }
    const scrapeMs = median(scrapes);
    row('/metrics', `${fixed(scrapeMs, 2)} ms`, `median per call; ${fixed(bytes / 1024, 1)} KiB of exposition`);
    row('/healthz', `${fixed(median(healths), 2)} ms`, 'median per call');
    row('ratio', `${fixed(median(ratios), 1)}x`, 'median of the pair ratios');
    row('store count', `${fixed(await storeCount(store, pairs * calls), 2)} ms`, 'countByProjectState alone, median');
    target(`/metrics with ${jobs} jobs in the store within ${TARGET_MS} ms (${fixed(scrapeMs, 2)} ms)`, scrapeMs <= TARGET_MS);
    await memories(daemon);
  } finally {
    await shutdown(daemon);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof OptionError ? `metrics-scrape: ${e.message}` : e);
  process.exitCode = e instanceof OptionError ? 2 : 1;
});
