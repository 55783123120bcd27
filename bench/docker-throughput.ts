/**
 * Docker throughput: 200 trivial jobs (`true` in local/busybox:latest) through
 * the daemon with the docker executor and 8 slots (node cpu 8, each job cpu 1),
 * against 200 `docker run --rm --network none local/busybox:latest true` run 8
 * at a time by `xargs -P 8` on the same engine, in the same run.
 * Target: GoDocker jobs/s ≥ 0.8 × docker run/s.
 *
 * The jobs are 200 single submits (16 requests in flight, through the SDK
 * client), then one POST /api/v1/jobs/wait mode all; the clock runs from the
 * first submit to that wait's answer. The daemon runs in a child process.
 */
import { randomUUID } from 'node:crypto';
import type { JobSubmission } from '@godocker/sdk';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { BENCH_LABEL, dockerRuns, IMAGE, removeLabelled } from './lib/docker.js';
import { runBatch } from './lib/jobs.js';
import { cpuDetail, phase } from './lib/phase.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { perSecond, since } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_DOCKER_JOBS ?? 200);
const SLOTS = 8;
const SUBMIT_WIDTH = 16;
const WARMUP = SLOTS;
const TARGET_RATIO = 0.8;

const job: JobSubmission = { command: { script: 'true' }, container: { image: IMAGE }, requirements: { cpu: 1, ram: 64 } };

async function main(): Promise<void> {
  const label = `${BENCH_LABEL}=${randomUUID()}`;
  const daemon = await startBenchDaemon({ executor: 'docker', capacity: { cpu: SLOTS, ram: 16384 } });
  try {
    title('docker-throughput', [
      `what:     ${JOBS} jobs \`true\` in ${IMAGE}, docker executor, ${SLOTS} slots (node cpu ${SLOTS}, job cpu 1, ram 64 MiB);`,
      `          ${JOBS} single submits (${SUBMIT_WIDTH} in flight, SDK client) + POST /api/v1/jobs/wait mode all`,
      `baseline: ${JOBS} × docker run --rm --network none ${IMAGE} true, through xargs -P ${SLOTS}, same engine`,
    ]);
    // Warm the engine, the daemon's code paths and the store; not timed.
    await dockerRuns(WARMUP, SLOTS, label);
    await runBatch(daemon.client, job, WARMUP, SUBMIT_WIDTH);

    const baseStart = performance.now();
    await dockerRuns(JOBS, SLOTS, label);
    const baseMs = since(baseStart);
    const batch = await phase(daemon, () => runBatch(daemon.client, job, JOBS, SUBMIT_WIDTH));
    const timing = batch.result;

    const ours = perSecond(JOBS, timing.totalMs);
    const base = perSecond(JOBS, baseMs);
    row(
      'godocker',
      `${fixed(ours, 2)} jobs/s`,
      `${JOBS} jobs in ${fixed(timing.totalMs / 1000, 2)} s (submits took ${fixed(timing.submitMs)} ms)`,
    );
    row('', '', cpuDetail(batch, JOBS, 'job'));
    row('docker run', `${fixed(base, 2)} runs/s`, `${JOBS} runs in ${fixed(baseMs / 1000, 2)} s`);
    row('ratio', fixed(ours / base, 2), 'godocker / docker run');
    target(`ratio >= ${TARGET_RATIO}`, ours / base >= TARGET_RATIO);
    memory('bench', processMemory());
    memory('daemon', await daemon.memory());
  } finally {
    await shutdown(daemon);
    await removeLabelled(label);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
