/** Submitting many jobs and waiting for their end, as a workflow engine would. */
import type { GodockerClient, Job, JobSubmission } from '@godocker/sdk';
import { pool } from './pool.js';
import { since } from './stats.js';

export interface BatchTiming {
  /** From the first submit to the answer of the wait for all. */
  totalMs: number;
  /** From the first submit to the last submit's answer. */
  submitMs: number;
}

/** No wait is left to time out on its own: a stuck job fails the benchmark instead of hanging it. */
const WAIT_LIMIT_SECONDS = 900;

/**
 * Submits `count` copies of `submission` one request each (`width` in flight),
 * then waits for all of them with one POST /api/v1/jobs/wait mode all. Throws
 * unless every job ended done with exit code 0.
 */
export async function runBatch(
  client: GodockerClient,
  submission: JobSubmission,
  count: number,
  width: number,
): Promise<BatchTiming> {
  const run = await runWithin(client, submission, count, width, WAIT_LIMIT_SECONDS);
  if (run.ended < count) throw new Error(`only ${run.ended} of ${count} jobs ended within ${WAIT_LIMIT_SECONDS} s`);
  return run;
}

export interface BoundedRun extends BatchTiming {
  /** How many of the jobs ended (all done, exit 0) by `totalMs`. */
  ended: number;
}

/**
 * As runBatch, but gives up waiting `limitSeconds` after the first submit (never
 * before every submit is answered): a slow daemon still gives a rate, ended / totalMs,
 * in bounded time. The jobs that had not ended are left to the caller's daemon.
 */
export async function runWithin(
  client: GodockerClient,
  submission: JobSubmission,
  count: number,
  width: number,
  limitSeconds: number,
): Promise<BoundedRun> {
  const start = performance.now();
  const ids = await pool(count, width, async () => (await client.submit(submission)).id);
  return waitEnded(client, ids, start, limitSeconds);
}

/** Submits `count` copies of `submission` in one POST /api/v1/jobs/batch, then waits as runBatch does. */
export async function runOneBatch(client: GodockerClient, submission: JobSubmission, count: number): Promise<BatchTiming> {
  const start = performance.now();
  const jobs = await client.submitBatch(Array.from({ length: count }, () => submission));
  const run = await waitEnded(
    client,
    jobs.map((job) => job.id),
    start,
    WAIT_LIMIT_SECONDS,
  );
  if (run.ended < jobs.length) throw new Error(`only ${run.ended} of ${jobs.length} jobs ended within ${WAIT_LIMIT_SECONDS} s`);
  return run;
}

/** Waits for the jobs until `limitSeconds` after `start`: those that ended must have ended well. */
async function waitEnded(client: GodockerClient, ids: number[], start: number, limitSeconds: number): Promise<BoundedRun> {
  const submitMs = since(start);
  const timeout = Math.max(0, limitSeconds - submitMs / 1000);
  const result = await client.waitMany(ids, { mode: 'all', timeout });
  const totalMs = since(start);
  expectAllDone(result.ready);
  return { totalMs, submitMs, ended: result.ready.length };
}

export function expectAllDone(jobs: readonly Job[]): void {
  const bad = jobs.filter((j) => j.status.state !== 'done' || j.status.exitCode !== 0);
  if (bad.length > 0) {
    const first = bad[0] as Job;
    throw new Error(
      `${bad.length} of ${jobs.length} jobs did not end done with exit 0; job ${first.id}: ${first.status.state}, ${first.status.reason}`,
    );
  }
}

export interface SubmitRun {
  /** Submits answered (201) before the limit. */
  submitted: number;
  ms: number;
}

/**
 * `count` single submits of `submission`, `width` in flight, the i-th to `clients[i % n]`
 * (one daemon, or a site's daemons in turn); no new one is sent `limitMs` after the first:
 * a slow store still gives a rate, submitted / ms, in bounded time.
 */
export async function submitSpread(
  clients: readonly GodockerClient[],
  submission: JobSubmission,
  count: number,
  width: number,
  limitMs = Number.POSITIVE_INFINITY,
): Promise<SubmitRun> {
  const start = performance.now();
  let submitted = 0;
  await pool(count, width, async (i) => {
    if (since(start) > limitMs) return;
    await (clients[i % clients.length] as GodockerClient).submit(submission);
    submitted++;
  });
  return { submitted, ms: since(start) };
}
