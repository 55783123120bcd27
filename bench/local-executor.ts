/**
 * Local executor: 1,000 trivial jobs (`true`) through a daemon with the local
 * executor, 8 slots (node cpu 8, job cpu 1), against 1,000 plain `sh -c true`
 * spawned 8 at a time by a plain Node script (lib/sh-true-pool.ts, a process of
 * its own that does nothing else), in the same run. Runs interleave, GoDocker then
 * the script, PAIRS times; the figure is the median of the per-pair ratios
 * (jobs/s of GoDocker over runs/s of the script). Target: >= 0.8.
 *
 * The jobs go in one POST /api/v1/jobs/batch and are waited for with one
 * POST /api/v1/jobs/wait mode all: what is measured is how fast the daemon runs
 * jobs (bench/submit-throughput measures submits). Each GoDocker run also gives
 * the daemon's CPU per job (process.cpuUsage in the daemon's process).
 *
 * BENCH_LOCAL_JOBS (1000), BENCH_LOCAL_PAIRS (5) and BENCH_LOCAL_WARMUP (3000) change the sizes.
 */
import { spawn } from 'node:child_process';
import type { JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { runOneBatch } from './lib/jobs.js';
import { phase } from './lib/phase.js';
import { fixed, memories, row, runMain, target, title } from './lib/report.js';
import { median, perSecond } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_LOCAL_JOBS ?? 1000);
const PAIRS = Math.max(3, Number(process.env.BENCH_LOCAL_PAIRS ?? 5));
const SLOTS = 8;
/**
 * A daemon runs for weeks: measured warm. V8 compiles the daemon's hot paths over its
 * first few thousand jobs (its CPU per job halves from the first 1,000 to the third), so
 * the pairs start after WARMUP jobs; the first 1,000 are shown apart as `cold`.
 */
const WARMUP = Math.max(JOBS, Number(process.env.BENCH_LOCAL_WARMUP ?? 3000));
const TARGET_RATIO = 0.8;

const job: JobSubmission = { command: { script: 'true' }, requirements: { cpu: 1, ram: 64 } };

interface PlainRun {
  ms: number;
  cpuMs: number;
}

/** The plain script in a node process of its own; its own clock, so node's start is not counted. */
function plainScript(count: number): Promise<PlainRun> {
  return new Promise((resolve, reject) => {
    const script = new URL('./lib/sh-true-pool.js', import.meta.url);
    const child = spawn(process.execPath, [script.pathname, String(count), String(SLOTS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as PlainRun);
      else reject(new Error(`the plain script exited with code ${code}`));
    });
  });
}

async function godocker(daemon: BenchDaemon) {
  const run = await phase(daemon, () => runOneBatch(daemon.client, job, JOBS));
  return { rate: perSecond(JOBS, run.wallMs), cpuPerJob: run.daemonCpuMs / JOBS, busy: run.daemonCpuMs / run.wallMs, run };
}

async function main(): Promise<void> {
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: SLOTS, ram: 16384 } });
  try {
    title('local-executor', [
      `what:     ${JOBS} jobs \`true\`, local process executor, ${SLOTS} slots (node cpu ${SLOTS}, job cpu 1),`,
      '          one POST /jobs/batch + one POST /jobs/wait mode all, daemon in a child process',
      `baseline: ${JOBS} × spawn sh -c true, ${SLOTS} at a time, by a plain node script in its own process`,
      `figure:   median over ${PAIRS} interleaved pairs (godocker, script) of (jobs/s / runs/s),`,
      `          after ${WARMUP} jobs of warm-up (the daemon's JIT), the first ${JOBS} shown as cold`,
    ]);
    const cold = await godocker(daemon);
    const coldBase = perSecond(JOBS, (await plainScript(JOBS)).ms);
    row(
      'cold',
      `${fixed(cold.rate, 1)} jobs/s`,
      `the daemon's first ${JOBS} jobs: ${fixed(cold.rate / coldBase, 3)} of the plain script, daemon ${fixed(cold.cpuPerJob, 2)} ms CPU per job`,
    );
    if (WARMUP > JOBS) await runOneBatch(daemon.client, job, WARMUP - JOBS);

    const ratios: number[] = [];
    const cpuPerJob: number[] = [];
    for (let pair = 1; pair <= PAIRS; pair++) {
      const ours = await godocker(daemon);
      const plain = await plainScript(JOBS);
      const base = perSecond(JOBS, plain.ms);
      ratios.push(ours.rate / base);
      cpuPerJob.push(ours.cpuPerJob);
      row(
        `pair ${pair}`,
        `${fixed(ours.rate, 1)} jobs/s`,
        `godocker: ${fixed(ours.run.wallMs / 1000, 2)} s, daemon ${fixed(ours.cpuPerJob, 2)} ms CPU per job (${fixed(ours.busy * 100, 0)}% of a core)`,
      );
      row(
        '',
        `${fixed(base, 1)} runs/s`,
        `plain script: ${fixed(plain.ms / 1000, 2)} s, ${fixed(plain.cpuMs / JOBS, 2)} ms CPU per run`,
      );
      row('', fixed(ours.rate / base, 3), 'ratio');
    }
    const ratio = median(ratios);
    row(
      'ratio',
      fixed(ratio, 3),
      `godocker / plain script, median of ${PAIRS} pairs (${ratios.map((r) => fixed(r, 2)).join(', ')})`,
    );
    row(
      'daemon CPU',
      `${fixed(median(cpuPerJob), 2)} ms/job`,
      `median of ${PAIRS} runs (${cpuPerJob.map((c) => fixed(c, 2)).join(', ')})`,
    );
    target(`godocker / plain script >= ${TARGET_RATIO}`, ratio >= TARGET_RATIO);
    await memories(daemon);
  } finally {
    await shutdown(daemon);
  }
}

runMain(main);
