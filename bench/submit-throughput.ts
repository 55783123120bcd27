/**
 * Submit throughput over HTTP: 10,000 held jobs as single submits (32 requests
 * in flight on keep-alive connections, through the SDK client, which sends an
 * Idempotency-Key with each as users' code does), and 10,000 held jobs as one
 * array submit. Held jobs never run: only the submit path is measured.
 * Target: ≥ 2,000 single submits/s.
 *
 * Baseline: GET /healthz at the same concurrency over the same HTTP stack
 * (Node's fetch), before and after the submits (their mean, so drift during the
 * run hits both sides); the ratio is the share of bare HTTP speed the submit
 * path keeps. The daemon (local executor) runs in a child process.
 */
import type { GodockerClient, JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { cpuDetail, type Phase, phase } from './lib/phase.js';
import { pool } from './lib/pool.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { perSecond } from './lib/stats.js';

const COUNT = Number(process.env.BENCH_SUBMIT_COUNT ?? 10_000);
const WIDTH = 32;
const WARMUP = 2000;
const TARGET_SINGLES_PER_S = 2000;

const held: JobSubmission = { command: { script: 'true' }, hold: true };

async function healthz(url: string, count: number): Promise<void> {
  await pool(count, WIDTH, async () => {
    const res = await fetch(`${url}/healthz`);
    if (!res.ok) throw new Error(`GET /healthz answered ${res.status}`);
    await res.text();
  });
}

async function singles(client: GodockerClient, count: number): Promise<void> {
  await pool(count, WIDTH, () => client.submit(held));
}

async function array(client: GodockerClient, count: number): Promise<void> {
  const parent = await client.submit({ ...held, array: `1-${count}` });
  if (parent.array?.count !== count) throw new Error(`array of ${count} came back with ${parent.array?.count} tasks`);
}

async function measure(daemon: BenchDaemon): Promise<void> {
  // Enough requests for the JIT of both processes to settle; not timed.
  await healthz(daemon.url, WARMUP);
  await singles(daemon.client, WARMUP);
  const before = await phase(daemon, () => healthz(daemon.url, COUNT));
  const ones = await phase(daemon, () => singles(daemon.client, COUNT));
  const arr = await phase(daemon, () => array(daemon.client, COUNT));
  const after = await phase(daemon, () => healthz(daemon.url, COUNT));
  const rate = (p: Phase) => perSecond(COUNT, p.wallMs);
  const base = (rate(before) + rate(after)) / 2;
  row('singles', `${fixed(rate(ones), 0)} jobs/s`, `${COUNT} POST /api/v1/jobs, ${WIDTH} in flight`);
  row('', '', cpuDetail(ones, COUNT, 'submit'));
  // The client (fetch) costs about as much CPU as the daemon: on 2 cores this is what the daemon alone could do.
  row(
    '',
    '',
    `daemon-bound: ~${fixed((1000 * COUNT) / ones.daemonCpuMs, 0)} submits/s on one core (1000 / daemon CPU ms per submit)`,
  );
  row('array', `${fixed(rate(arr), 0)} jobs/s`, `one POST /api/v1/jobs with array 1-${COUNT} (${fixed(arr.wallMs, 0)} ms)`);
  row(
    'healthz',
    `${fixed(base, 0)} req/s`,
    `GET /healthz, ${WIDTH} in flight: ${fixed(rate(before), 0)} before, ${fixed(rate(after), 0)} after`,
  );
  row('', '', cpuDetail(after, COUNT, 'request'));
  row('ratio', fixed(rate(ones) / base, 2), 'single submits/s / healthz req/s');
  target(`>= ${TARGET_SINGLES_PER_S} single submits/s`, rate(ones) >= TARGET_SINGLES_PER_S);
}

async function main(): Promise<void> {
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: 8, ram: 16384 } });
  try {
    title('submit-throughput', [
      `what:     ${COUNT} held jobs as single submits (SDK client, ${WIDTH} in flight, keep-alive), then ${COUNT} as one array`,
      `baseline: GET /healthz, ${COUNT} requests at the same concurrency (fetch), before and after`,
    ]);
    await measure(daemon);
    memory('bench', processMemory());
    memory('daemon', await daemon.memory());
  } finally {
    await shutdown(daemon);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
