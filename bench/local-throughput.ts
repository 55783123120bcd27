/**
 * Local throughput: 1,000 trivial jobs (`true`) through the local process
 * executor with 8 slots (node cpu 8, each job cpu 1), against 1,000 plain
 * `sh -c true` spawned 8 at a time by this process, in the same run.
 * Target: ≥ 80 jobs/s. Then one job at a time, submit to done (the answer of
 * GET /jobs/{id}/wait?for=terminated), median of 20. Target: ≤ 100 ms.
 *
 * The jobs are 1,000 single submits (16 in flight, SDK client) and one
 * POST /api/v1/jobs/wait mode all; the daemon runs in a child process.
 */
import { spawn } from 'node:child_process';
import type { GodockerClient, JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { expectAllDone, runBatch } from './lib/jobs.js';
import { cpuDetail, phase } from './lib/phase.js';
import { pool } from './lib/pool.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { median, percentile, perSecond, since } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_LOCAL_JOBS ?? 1000);
const SLOTS = 8;
const SUBMIT_WIDTH = 16;
const WARMUP = 16;
const SERIAL = 20;
const TARGET_JOBS_PER_S = 80;
const TARGET_SERIAL_MS = 100;

const job: JobSubmission = { command: { script: 'true' }, requirements: { cpu: 1, ram: 64 } };

function shTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh -c true exited ${code}`))));
  });
}

/** Submit to the answer of wait?for=terminated, one job after the other. */
async function serial(client: GodockerClient, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const { id } = await client.submit(job);
    const ended = await client.wait(id, { timeout: 60 });
    times.push(since(start));
    expectAllDone([ended.job]);
  }
  return times;
}

async function measure(daemon: BenchDaemon): Promise<void> {
  await pool(WARMUP, SLOTS, shTrue);
  await runBatch(daemon.client, job, WARMUP, SUBMIT_WIDTH);

  const baseStart = performance.now();
  await pool(JOBS, SLOTS, shTrue);
  const baseMs = since(baseStart);
  const batch = await phase(daemon, () => runBatch(daemon.client, job, JOBS, SUBMIT_WIDTH));
  const latencies = await serial(daemon.client, SERIAL);

  const ours = perSecond(JOBS, batch.wallMs);
  const base = perSecond(JOBS, baseMs);
  row(
    'godocker',
    `${fixed(ours, 1)} jobs/s`,
    `${JOBS} jobs in ${fixed(batch.wallMs / 1000, 2)} s (submits took ${fixed(batch.result.submitMs, 0)} ms)`,
  );
  row('', '', cpuDetail(batch, JOBS, 'job'));
  row('sh -c true', `${fixed(base, 1)} runs/s`, `${JOBS} spawns in ${fixed(baseMs / 1000, 2)} s`);
  row('ratio', fixed(ours / base, 3), 'godocker / sh -c true');
  target(`>= ${TARGET_JOBS_PER_S} jobs/s`, ours >= TARGET_JOBS_PER_S);
  const mid = median(latencies);
  row(
    'one job',
    `${fixed(mid, 0)} ms`,
    `submit -> wait?for=terminated answered, median of ${SERIAL} (p90 ${fixed(percentile(latencies, 90), 0)} ms, min ${fixed(Math.min(...latencies), 0)} ms)`,
  );
  target(`one job submit -> done median <= ${TARGET_SERIAL_MS} ms`, mid <= TARGET_SERIAL_MS);
}

async function main(): Promise<void> {
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: SLOTS, ram: 16384 } });
  try {
    title('local-throughput', [
      `what:     ${JOBS} jobs \`true\`, local process executor, ${SLOTS} slots (node cpu ${SLOTS}, job cpu 1);`,
      `          ${JOBS} single submits (${SUBMIT_WIDTH} in flight, SDK client) + POST /api/v1/jobs/wait mode all;`,
      `          then ${SERIAL} jobs one after the other, submit -> done`,
      `baseline: ${JOBS} × spawn sh -c true, ${SLOTS} at a time, from this process`,
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
