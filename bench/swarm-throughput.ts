/**
 * Swarm throughput: 200 trivial jobs (`true` in local/busybox:latest) through the daemon
 * with the swarm executor and 8 slots (node cpu 8, each job cpu 1), against the same work
 * sent straight to the swarm in the same run: 200 services of one replica (restart
 * condition none, the same limits), created 8 at a time with dockerode on the manager's
 * socket, each watched until its task is complete (a list of its tasks every 100 ms),
 * then removed. Target: GoDocker jobs/s ≥ 0.8 × direct services/s.
 *
 * Also submit-to-running latency, median of LATENCY_RUNS jobs sent one at a time to an idle
 * swarm: from the submit call (GoDocker) or the create call (direct) to the container's
 * StartedAt, as the engine recorded it.
 *
 * BENCH_SWARM_JOBS (200) changes the size; GODOCKER_SWARM_SOCKET the manager.
 */
import { randomUUID } from 'node:crypto';
import type { JobSubmission } from '@godocker/sdk';
import Docker from 'dockerode';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { IMAGE } from './lib/docker.js';
import { runBatch } from './lib/jobs.js';
import { cpuDetail, phase } from './lib/phase.js';
import { pool } from './lib/pool.js';
import { fixed, memory, row, runMain, target, title } from './lib/report.js';
import { median, perSecond, since } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_SWARM_JOBS ?? 200);
const SLOTS = 8;
const SUBMIT_WIDTH = 16;
const TARGET_RATIO = 0.8;
const SOCKET = process.env.GODOCKER_SWARM_SOCKET ?? '/var/run/godocker-swarm.sock';
const LABEL = 'godocker.bench';
const LATENCY_RUNS = 15;

const job: JobSubmission = { command: { script: 'true' }, container: { image: IMAGE }, requirements: { cpu: 1, ram: 64 } };

/** ms from `since` (epoch ms) to the start of the container carrying `label`, on the manager's engine. */
async function startedAfter(docker: Docker, label: string, since: number): Promise<number> {
  for (let i = 0; i < 300; i++) {
    const [found] = await docker.listContainers({ all: true, filters: { label: [label] } });
    if (found) {
      const started = Date.parse((await docker.getContainer(found.Id).inspect()).State.StartedAt);
      if (started > 0) return started - since;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no started container with ${label} within 6 s`);
}

/** One GoDocker job, alone: submit to its container's start. */
async function oneJobLatency(daemon: Awaited<ReturnType<typeof startBenchDaemon>>, docker: Docker): Promise<number> {
  const t0 = Date.now();
  const submitted = await daemon.client.submit({ ...job, command: { script: 'sleep 1' } });
  const ms = await startedAfter(docker, `godocker.job=${submitted.id}`, t0);
  await daemon.client.wait(submitted.id, { for: 'terminated' });
  return ms;
}

/** One service to its end, as a script would drive Swarm: create, watch its task, remove. Returns create-to-running ms. */
async function directService(docker: Docker, run: string): Promise<number> {
  const created = Date.now();
  const service = await docker.createService({
    Name: `bench-${run.slice(0, 8)}-${randomUUID().slice(0, 8)}`,
    Labels: { [LABEL]: run },
    TaskTemplate: {
      ContainerSpec: { Image: IMAGE, Command: ['true'], User: '1000:1000', Labels: { [LABEL]: run } },
      Resources: { Limits: { NanoCPUs: 1e9, MemoryBytes: 64 * 2 ** 20 } },
      RestartPolicy: { Condition: 'none' },
    },
    Mode: { Replicated: { Replicas: 1 } },
  } as Docker.CreateServiceOptions);
  const id = (service as unknown as { id: string }).id;
  try {
    for (;;) {
      const tasks = (await docker.listTasks({ filters: { service: [id] } })) as {
        Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
      }[];
      const task = tasks[0];
      const state = task?.Status?.State;
      if (state === 'complete' || state === 'failed' || state === 'rejected') {
        if (state !== 'complete') throw new Error(`a direct service ended ${state}`);
        const container = task?.Status?.ContainerStatus?.ContainerID;
        if (!container) return Number.NaN;
        const started = Date.parse((await docker.getContainer(container).inspect()).State.StartedAt);
        return started - created;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await docker.getService(id).remove();
  }
}

async function main(): Promise<void> {
  const docker = new Docker({ socketPath: SOCKET });
  const run = randomUUID();
  const daemon = await startBenchDaemon({
    executor: 'swarm',
    options: { socketPath: SOCKET, reserveResources: false },
    capacity: { cpu: SLOTS, ram: 16384 },
  });
  try {
    title('swarm-throughput', [
      `what:     ${JOBS} jobs \`true\` in ${IMAGE}, swarm executor on ${SOCKET}, ${SLOTS} slots (node cpu ${SLOTS}, job cpu 1);`,
      `          ${JOBS} single submits (${SUBMIT_WIDTH} in flight) + POST /api/v1/jobs/wait mode all`,
      `baseline: ${JOBS} services of one replica created ${SLOTS} at a time with dockerode, each watched to its end and removed`,
    ]);
    // Warm the swarm, the daemon's code paths and the store; not timed.
    await pool(SLOTS, SLOTS, () => directService(docker, run));
    await runBatch(daemon.client, job, SLOTS, SUBMIT_WIDTH);

    const baseStart = performance.now();
    await pool(JOBS, SLOTS, () => directService(docker, run));
    const baseMs = since(baseStart);
    const batch = await phase(daemon, () => runBatch(daemon.client, job, JOBS, SUBMIT_WIDTH));
    const ourLatency: number[] = [];
    const directLatency: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      ourLatency.push(await oneJobLatency(daemon, docker));
      directLatency.push(await directService(docker, run));
    }

    const ours = perSecond(JOBS, batch.result.totalMs);
    const base = perSecond(JOBS, baseMs);
    row('godocker', `${fixed(ours, 2)} jobs/s`, `${JOBS} jobs in ${fixed(batch.result.totalMs / 1000, 2)} s`);
    row('', '', cpuDetail(batch, JOBS, 'job'));
    row('direct', `${fixed(base, 2)} services/s`, `${JOBS} services in ${fixed(baseMs / 1000, 2)} s`);
    row('ratio', fixed(ours / base, 2), 'godocker / direct');
    const ourMedian = median(ourLatency);
    const directMedian = median(directLatency.filter(Number.isFinite));
    row(
      'latency',
      `${fixed(ourMedian)} ms`,
      `submit to running, median of ${LATENCY_RUNS} alone (direct: ${fixed(directMedian)} ms)`,
    );
    row('latency ratio', fixed(ourMedian / directMedian, 2), 'godocker / direct (lower is better)');
    target(`ratio >= ${TARGET_RATIO}`, ours / base >= TARGET_RATIO);
    memory('daemon', await daemon.memory());
  } finally {
    await shutdown(daemon);
    const left = await docker.listServices({ filters: { label: [`${LABEL}=${run}`] } });
    await Promise.all(
      left.map((s) =>
        docker
          .getService(s.ID as string)
          .remove()
          .catch(() => undefined),
      ),
    );
  }
}

runMain(main);
