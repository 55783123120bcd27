/**
 * Depth curve: 1,000 trivial jobs (`true`) through the local process executor with
 * 8 slots, in a daemon whose store already holds D jobs that cannot start, for D in
 * 1k, 10k, 100k (and 1M with --max-depth 1000000). Target: >= 150 jobs/s at every
 * depth, i.e. a flat curve.
 *
 * The queued jobs are another user's, behind a begin time far ahead (--kind begin,
 * the default) or held (--kind held; --kind both runs each). A job behind a begin
 * time is pending: it is in the queue every pass must consider, and becomes
 * eligible with no event to announce it. A held job is out of the queue until
 * released, so it costs only what the daemon keeps of it. The begin kind is the
 * harder of the two; held shows whether the daemon still pays for jobs it cannot run.
 *
 * Runs interleave, depth 0 then depth D, --pairs times per depth, each in a fresh
 * daemon (a child process) on a fresh copy of the depth's store (queue-store.ts,
 * built once and cached). The ratio of a depth is the median of its pairs'
 * ratios; the depth-0 rate printed is the median of every depth-0 run. A run gives
 * up --limit-seconds after its first submit: its rate is then the jobs that ended
 * by that time, so a slow depth costs bounded time and still gives a figure (its
 * daemon then stops with jobs still running, and warns that it lost track of them).
 *
 * The jobs are 1,000 single submits (16 in flight) and one POST /api/v1/jobs/wait,
 * as in local-throughput, after 16 jobs to warm the daemon up.
 */
import type { JobSubmission } from '@godocker/sdk';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { runBatch, runWithin } from './lib/jobs.js';
import { OptionError, oneOf, readOptions, wholeNumber } from './lib/options.js';
import { phase } from './lib/phase.js';
import { QUEUE_KINDS, type QueueKind, queueStore } from './lib/queue-store.js';
import { fixed, residentMiB, row, target, title } from './lib/report.js';
import { median, perSecond, since } from './lib/stats.js';

const DEPTHS = [1000, 10_000, 100_000, 1_000_000];
const SLOTS = 8;
const SUBMIT_WIDTH = 16;
const WARMUP = 16;
const TARGET_JOBS_PER_S = 150;

const job: JobSubmission = { command: { script: 'true' }, requirements: { cpu: 1, ram: 64 } };

interface Run {
  jobsPerS: number;
  ended: number;
  daemonCpuMsPerJob: number;
  readyMs: number;
  rssMiB: number;
}

/** One daemon, started on `store` (empty without), through which `jobs` jobs run. */
async function measure(store: string | undefined, jobs: number, limitSeconds: number): Promise<Run> {
  const start = performance.now();
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: { cpu: SLOTS, ram: 16384 },
    ...(store ? { store } : {}),
  });
  try {
    const readyMs = since(start);
    await runBatch(daemon.client, job, WARMUP, SUBMIT_WIDTH);
    const run = await phase(daemon, () => runWithin(daemon.client, job, jobs, SUBMIT_WIDTH, limitSeconds));
    return {
      jobsPerS: perSecond(run.result.ended, run.wallMs),
      ended: run.result.ended,
      daemonCpuMsPerJob: run.daemonCpuMs / Math.max(1, run.result.ended),
      readyMs,
      rssMiB: residentMiB(daemon.pid).rssMiB,
    };
  } finally {
    await shutdown(daemon);
  }
}

/** Two decimals below 10 jobs/s: a deep queue's 0.27 must not print as 0.0. */
function rate(jobsPerS: number): string {
  return fixed(jobsPerS, jobsPerS < 10 ? 2 : 1);
}

function describe(r: Run, jobs: number): string {
  const partial = r.ended < jobs ? ` (${r.ended} of ${jobs} ended in the time allowed)` : '';
  return `${rate(r.jobsPerS)} jobs/s${partial}, daemon ${fixed(r.daemonCpuMsPerJob, 2)} ms CPU/job, ready in ${fixed(r.readyMs / 1000, 1)} s, rss ${fixed(r.rssMiB, 0)} MiB`;
}

async function curve(kind: QueueKind, depths: readonly number[], pairs: number, jobs: number, limit: number): Promise<void> {
  console.log(`\n  -- queued jobs ${kind === 'held' ? 'held' : 'behind a begin time'} --`);
  const stores = new Map<number, string>();
  for (const depth of depths) stores.set(depth, await queueStore(kind, depth));
  const bases: Run[] = [];
  const results: { depth: number; runs: Run[]; ratios: number[] }[] = [];
  for (const depth of depths) {
    const runs: Run[] = [];
    const ratios: number[] = [];
    for (let p = 0; p < pairs; p++) {
      const base = await measure(undefined, jobs, limit);
      const deep = await measure(stores.get(depth), jobs, limit);
      bases.push(base);
      runs.push(deep);
      ratios.push(deep.jobsPerS / base.jobsPerS);
      console.log(`  pair ${p + 1}/${pairs} depth ${depth}: depth 0 ${describe(base, jobs)}`);
      console.log(`  ${' '.repeat(`pair ${p + 1}/${pairs} depth ${depth}: `.length)}depth ${depth} ${describe(deep, jobs)}`);
    }
    results.push({ depth, runs, ratios });
  }
  const baseRate = median(bases.map((r) => r.jobsPerS));
  console.log(`\n  curve (${kind}): depth, jobs/s (median of ${pairs}), ratio to depth 0 (median of the pair ratios)`);
  row('depth', 'jobs/s', 'ratio    daemon CPU/job   ready   rss');
  const line = (depth: string, jobsPerS: number, ratio: string, runs: readonly Run[]) =>
    row(
      depth,
      rate(jobsPerS),
      `${ratio.padEnd(8)} ${`${fixed(median(runs.map((r) => r.daemonCpuMsPerJob)), 2)} ms`.padStart(12)}   ${`${fixed(median(runs.map((r) => r.readyMs)) / 1000, 1)} s`.padStart(6)}   ${fixed(median(runs.map((r) => r.rssMiB)), 0)} MiB`,
    );
  line('0', baseRate, '1', bases);
  for (const r of results) {
    const ratio = median(r.ratios);
    line(String(r.depth), median(r.runs.map((x) => x.jobsPerS)), fixed(ratio, ratio < 0.01 ? 4 : 3), r.runs);
  }
  const worst = Math.min(...results.map((r) => median(r.runs.map((x) => x.jobsPerS))));
  target(
    `>= ${TARGET_JOBS_PER_S} jobs/s at every depth up to ${depths.at(-1)} (${kind}; slowest ${rate(worst)})`,
    worst >= TARGET_JOBS_PER_S,
  );
}

async function main(): Promise<void> {
  const options = readOptions({
    'max-depth': { default: '100000', help: `the deepest queue measured, of ${DEPTHS.join(', ')}` },
    kind: { default: 'begin', help: 'the queued jobs: begin (behind a begin time), held, or both' },
    pairs: { default: '3', help: 'interleaved (depth 0, depth D) pairs per depth' },
    jobs: { default: '1000', help: 'jobs run through each daemon' },
    'limit-seconds': { default: '30', help: 'a run stops waiting this long after its first submit' },
  });
  const maxDepth = wholeNumber(options['max-depth'], 'max-depth');
  const depths = DEPTHS.filter((d) => d <= maxDepth);
  if (depths.length === 0) throw new OptionError(`--max-depth ${maxDepth} is below the shallowest depth, ${DEPTHS[0]}`);
  const kind = oneOf(options.kind, 'kind', [...QUEUE_KINDS, 'both'] as const);
  const pairs = wholeNumber(options.pairs, 'pairs');
  const jobs = wholeNumber(options.jobs, 'jobs');
  const limit = wholeNumber(options['limit-seconds'], 'limit-seconds');
  title('depth-curve', [
    `what:     ${jobs} jobs \`true\`, local process executor, ${SLOTS} slots, ${jobs} single submits (${SUBMIT_WIDTH} in flight)`,
    `          + POST /api/v1/jobs/wait, in a daemon whose store holds D queued jobs of another user, D = ${depths.join(', ')}`,
    `baseline: the same in a daemon with an empty store; interleaved, ${pairs} pairs per depth, a fresh daemon each run`,
  ]);
  for (const k of kind === 'both' ? QUEUE_KINDS : [kind]) await curve(k, depths, pairs, jobs, limit);
}

main().catch((e: unknown) => {
  console.error(e instanceof OptionError ? `depth-curve: ${e.message}` : e);
  process.exitCode = e instanceof OptionError ? 2 : 1;
});
