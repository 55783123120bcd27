/**
 * Docker latency: from submit to container started, N=30, against the same
 * container started directly through the Docker API, samples interleaved so
 * noise hits both alike. Target: GoDocker median ≤ raw median + 50 ms.
 *
 * What is comparable: GoDocker sets a job's status.startedAt once the engine
 * has answered its container start call. So the raw side is timed from the
 * create call to the answer of the start call (dockerode createContainer +
 * start, the same two API calls any client needs, with the limits GoDocker
 * sets: cpu, memory, no network, a user). `docker run -d` would add the CLI's
 * own process start (tens of ms) to the baseline and flatter GoDocker. The
 * GoDocker side runs from just before the submit request (client clock) to
 * startedAt (the daemon's clock: same machine); the time until
 * GET /jobs/{id}/wait?for=started answers is printed too, as a client sees it.
 * Each job and container is waited for and removed before the next sample.
 */
import { randomUUID } from 'node:crypto';
import type { GodockerClient, JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { BENCH_LABEL, IMAGE, rawStartMs as rawSample, removeLabelled } from './lib/docker.js';
import { expectAllDone } from './lib/jobs.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 30);
const WARMUP = 3;
const TARGET_EXTRA_MS = 50;

const job: JobSubmission = { command: { script: 'true' }, container: { image: IMAGE }, requirements: { cpu: 1, ram: 64 } };

interface OursSample {
  /** Submit (client clock) to status.startedAt (daemon clock). */
  startedMs: number;
  /** Submit to the answer of wait?for=started. */
  observedMs: number;
}

async function oursSample(client: GodockerClient): Promise<OursSample> {
  const t0 = Date.now();
  const { id } = await client.submit(job);
  const started = await client.wait(id, { for: 'started', timeout: 60 });
  const observedMs = Date.now() - t0;
  if (started.timedOut || started.job.status.startedAt === null)
    throw new Error(`job ${id} did not start: ${started.job.status.reason}`);
  const startedMs = Date.parse(started.job.status.startedAt) - t0;
  const ended = await client.wait(id, { timeout: 60 });
  expectAllDone([ended.job]);
  return { startedMs, observedMs };
}

async function measure(daemon: BenchDaemon, label: string): Promise<void> {
  for (let i = 0; i < WARMUP; i++) {
    await rawSample(label);
    await oursSample(daemon.client);
  }
  const raw: number[] = [];
  const ours: OursSample[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    raw.push(await rawSample(label));
    ours.push(await oursSample(daemon.client));
  }
  const started = ours.map((s) => s.startedMs);
  const observed = ours.map((s) => s.observedMs);
  const line = (xs: number[]) => `median ${fixed(median(xs), 0)} ms, p90 ${fixed(percentile(xs, 90), 0)} ms`;
  row('godocker', `${fixed(median(started), 0)} ms`, `submit -> startedAt: ${line(started)}`);
  row('', `${fixed(median(observed), 0)} ms`, `submit -> wait?for=started answered: ${line(observed)}`);
  row('raw', `${fixed(median(raw), 0)} ms`, `create -> start answered: ${line(raw)}`);
  const extra = median(started) - median(raw);
  row('difference', `${fixed(extra, 0)} ms`, 'godocker median - raw median');
  row('ratio', fixed(median(started) / median(raw), 2), 'godocker median / raw median');
  target(`median <= raw median + ${TARGET_EXTRA_MS} ms`, extra <= TARGET_EXTRA_MS);
}

async function main(): Promise<void> {
  const label = `${BENCH_LABEL}=${randomUUID()}`;
  const daemon = await startBenchDaemon({ executor: 'docker', capacity: { cpu: 8, ram: 16384 } });
  try {
    title('docker-latency', [
      `what:     submit -> container started, 1 job \`true\` at a time in ${IMAGE} (cpu 1, ram 64 MiB), N=${SAMPLES}, SDK client`,
      'baseline: docker API create + start of the same container (dockerode), interleaved with the jobs',
    ]);
    await measure(daemon, label);
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
