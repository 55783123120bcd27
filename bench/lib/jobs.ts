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
  const start = performance.now();
  const ids = await pool(count, width, async () => (await client.submit(submission)).id);
  return waitAllDone(client, ids, start);
}

/** Submits `count` copies of `submission` in one POST /api/v1/jobs/batch, then waits as runBatch does. */
export async function runOneBatch(client: GodockerClient, submission: JobSubmission, count: number): Promise<BatchTiming> {
  const start = performance.now();
  const jobs = await client.submitBatch(Array.from({ length: count }, () => submission));
  return waitAllDone(
    client,
    jobs.map((job) => job.id),
    start,
  );
}

async function waitAllDone(client: GodockerClient, ids: number[], start: number): Promise<BatchTiming> {
  const submitMs = since(start);
  const result = await client.waitMany(ids, { mode: 'all', timeout: WAIT_LIMIT_SECONDS });
  const totalMs = since(start);
  if (result.timedOut) throw new Error(`only ${result.ready.length} of ${ids.length} jobs ended within ${WAIT_LIMIT_SECONDS} s`);
  expectAllDone(result.ready);
  return { totalMs, submitMs };
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
