/**
 * One large array submit: 100,000 held tasks by default, 1,000,000 with
 * BENCH_ARRAY_TASKS=1000000 (about two minutes here), in one POST /api/v1/jobs
 * through the SDK client. Measured: the time to the answer (the parent, 202), the
 * time until every task is stored (the client polls the parent), and, in the daemon,
 * the longest event-loop stall from the submit until the last task is stored (the
 * goal: no request waits more than 50 ms behind them); also the daemon's peak memory
 * and what a task costs the store (its stored document against the whole job).
 *
 * Baseline, in the same run: the daemon's longest stall while it answers GET
 * /healthz for as long as the landing took (32 in flight), and its memory before
 * the submit. The stall ratio is what the array costs the loop beyond plain HTTP.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { JobSubmission } from '@godocker/sdk';
import Database from 'better-sqlite3';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { pool } from './lib/pool.js';
import { fixed, memory, row, target, title } from './lib/report.js';

const TASKS = Number(process.env.BENCH_ARRAY_TASKS ?? 100_000);
const WIDTH = 32;
const TARGET_STALL_MS = 50;
const WARMUP_ARRAYS = 3;
/** Over ANSWER_WHOLE_ARRAY_UP_TO (10,000): answered 202 while its tasks land, as the measured one. */
const WARMUP_TASKS = 12_000;

async function healthzFor(url: string, ms: number): Promise<number> {
  const until = performance.now() + ms;
  let n = 0;
  await pool(WIDTH, WIDTH, async () => {
    while (performance.now() < until) {
      const res = await fetch(`${url}/healthz`);
      await res.text();
      n++;
    }
  });
  return n;
}

/** Average bytes of the stored documents of the tasks of `parent`, read through a second connection. */
function storedTaskBytes(dataDir: string, parent: number): number {
  const db = new Database(join(dataDir, 'godocker.db'), { readonly: true });
  try {
    const sql = 'SELECT AVG(LENGTH(doc)) AS bytes FROM jobs WHERE parent_id = ?';
    return db.prepare<[number], { bytes: number }>(sql).get(parent)?.bytes ?? Number.NaN;
  } finally {
    db.close();
  }
}

async function main(): Promise<void> {
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: { cpu: 8, ram: 16384 },
    config: { limits: { maxArraySize: Math.max(TASKS, 100_000) } },
  });
  try {
    title('array-submit', [
      `what:     one array of ${TASKS} held tasks, POST /api/v1/jobs (SDK client, waits until every task is stored)`,
      'baseline: GET /healthz for as long, 32 in flight: the stall plain HTTP shows on this machine; memory before the submit',
    ]);
    // Warm both processes up, and start the loop measurement afresh. The daemon's code
    // on the way, the first time it runs, compiles for tens of ms, once: Fastify builds
    // the serializer of each route's answer of each status on its first use (75-95 ms
    // here for the 202 and the 200 of POST /jobs), so the warm-up gets every answer the
    // measured submit gets (202, then 200 for the retry, then GET /jobs/ID).
    await healthzFor(daemon.url, 1000);
    const warmup: JobSubmission = { command: { script: 'true' }, array: `1-${WARMUP_TASKS}`, hold: true };
    for (let i = 0; i < WARMUP_ARRAYS; i++) {
      const idempotencyKey = randomUUID();
      await daemon.client.submit(warmup, { idempotencyKey, waitForTasks: false });
      await daemon.client.submit(warmup, { idempotencyKey });
    }
    const before = await daemon.memory();
    await daemon.loopDelay();
    const start = performance.now();
    const submission: JobSubmission = { command: { script: 'true' }, array: `1-${TASKS}`, hold: true };
    const idempotencyKey = randomUUID();
    const answered = await daemon.client.submit(submission, { idempotencyKey, waitForTasks: false });
    const answerMs = performance.now() - start;
    // The same key again: the same array, and the client waits until every task is stored.
    const landed = await daemon.client.submit(submission, { idempotencyKey });
    const landMs = performance.now() - start;
    const array = await daemon.loopDelay();
    if (landed.array?.created !== TASKS) throw new Error(`the array has ${landed.array?.created} of ${TASKS} tasks`);
    const after = await daemon.memory();

    // The first task: the parent's id is taken first, its tasks come next.
    const task = await daemon.client.getJob(landed.id + 1);
    const requests = await healthzFor(daemon.url, landMs);
    const base = await daemon.loopDelay();

    row('answer', `${fixed(answerMs, 0)} ms`, `the parent, with ${answered.array?.created} of ${TASKS} tasks stored`);
    row('landed', `${fixed(landMs, 0)} ms`, `${fixed((TASKS / landMs) * 1000, 0)} tasks/s`);
    row(
      'stall',
      `${fixed(array.maxMs, 1)} ms`,
      `longest event-loop delay in the daemon while the tasks landed (p99 ${fixed(array.p99Ms, 1)} ms)`,
    );
    row(
      'baseline',
      `${fixed(base.maxMs, 1)} ms`,
      `longest delay while answering ${requests} GET /healthz (p99 ${fixed(base.p99Ms, 1)} ms)`,
    );
    row('ratio', fixed(array.maxMs / base.maxMs, 2), 'array stall / healthz stall');
    const { id: _, ...whole } = task;
    row(
      'task doc',
      `${fixed(storedTaskBytes(daemon.dataDir, landed.id), 0)} bytes`,
      `stored per task on average; the whole task as answered (GET /api/v1/jobs/${task.id}, without its id) is ${JSON.stringify(whole).length}`,
    );
    row(
      'peak rss',
      `${fixed(after.maxRssMiB, 0)} MiB`,
      `daemon; ${fixed(before.rssMiB, 0)} MiB before the submit, ${fixed(after.rssMiB, 0)} MiB after`,
    );
    memory('daemon', after);
    target(`longest stall <= ${TARGET_STALL_MS} ms while ${TASKS} tasks land`, array.maxMs <= TARGET_STALL_MS);
  } finally {
    await shutdown(daemon);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
