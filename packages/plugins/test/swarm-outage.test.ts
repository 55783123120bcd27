/**
 * The swarm executor while its manager does not answer: the shared test swarm (scripts/swarm-up.sh)
 * goes on, other tests use it; this executor reaches the manager's socket through a relay the test
 * cuts (helpers/tcp-cut.ts): the socket file gone, open connections (event streams, waits) closed.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Executor, ExecutorUnavailableError, type RunSpec, TASK_LABELS } from '@godocker/sdk';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSwarmExecutor } from '../src/index.js';
import { KEY_LABEL } from '../src/swarm/service-spec.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';
import { requireSwarm, SWARM_SOCKET } from './helpers/swarm.js';
import { startUnixCut, type TcpCut } from './helpers/tcp-cut.js';

const clusterId = `swarm-outage-${process.pid}-${Date.now()}`;
const docker = new Docker({ socketPath: SWARM_SOCKET });
let relay: TcpCut;
let executor: Executor;
let scratch: string;
let nodeName: string;
let nextJobId = 1;

function spec(overrides: RunSpecOverrides = {}): RunSpec {
  const jobId = nextJobId++;
  return makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), node: nodeName, ...overrides });
}

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(100);
  }
}

beforeAll(async () => {
  requireSwarm();
  scratch = await mkdtemp(join(tmpdir(), 'godocker-swarm-outage-'));
  relay = await startUnixCut(join(scratch, 'manager.sock'), SWARM_SOCKET);
  // Rounds of the task watch far apart: an open wait that ends at the cut ends for the cut, not for a round.
  executor = await createSwarmExecutor(
    { socketPath: join(scratch, 'manager.sock'), pollSeconds: 5 },
    { clusterId, dataDir: scratch, logger: testLogger },
  );
  const [node] = await executor.nodes();
  if (!node) throw new Error(`the swarm on ${SWARM_SOCKET} has no node`);
  nodeName = node.name;
});

afterAll(async () => {
  await executor?.close();
  await relay?.close();
  const filters = { label: [`${TASK_LABELS.cluster}=${clusterId}`] };
  const services = await docker.listServices({ filters }).catch(() => []);
  await Promise.all(
    services.map((s) =>
      docker
        .getService(s.ID)
        .remove()
        .catch(() => undefined),
    ),
  );
  const configs = (await docker.listConfigs({ filters }).catch(() => [])) as { ID: string }[];
  await Promise.all(
    configs.map((c) =>
      docker
        .getConfig(c.ID)
        .remove()
        .catch(() => undefined),
    ),
  );
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('swarm executor: a manager that does not answer for a while', () => {
  it('every call says ExecutorUnavailableError while it is away, an open wait at once; watchNodes tells both changes; the end is read once it is back', async () => {
    let told = 0;
    const stop = executor.watchNodes?.(() => {
      told += 1;
    });
    // The node event stream's opening is told once.
    await until(async () => told === 1);

    // Ends by itself while the manager is away.
    const first = spec({ script: 'sleep 3; echo first' });
    const handle = await executor.start(first);
    await until(async () => (await executor.status(handle)).state === 'running');
    const waiting = executor.wait(handle).catch((e: unknown) => e);
    await delay(300);
    const cutAt = Date.now();
    await relay.cut();
    expect(await waiting).toBeInstanceOf(ExecutorUnavailableError);
    expect(Date.now() - cutAt).toBeLessThan(2_000);
    await until(async () => told === 2, 5_000);

    const later = spec({ script: 'echo later' });
    const calls: [string, () => Promise<unknown>][] = [
      ['nodes', () => executor.nodes()],
      ['start', () => executor.start(later)],
      ['wait', () => executor.wait(handle)],
      ['status', () => executor.status(handle)],
      ['list', () => executor.list()],
      ['kill', () => executor.kill(handle, 1)],
      ['logs', () => executor.logs(handle, 'stdout', { follow: false })],
      ['collect', () => executor.collect(handle, first.jobDir)],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => new Error(`${name} answered while the manager was away`),
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(ExecutorUnavailableError);
      expect((error as Error).message, name).toMatch(/the Docker engine does not answer \(connect ENOENT/);
    }
    // Past the end of the job: it ended while no one could see it.
    await delay(3_000);

    await relay.restore();
    // The stream opens again (its retry delay grows to 5 s at most) and says so: nodes may have changed meanwhile.
    await until(async () => told === 3, 15_000);
    expect((await executor.nodes()).map((n) => n.name)).toContain(nodeName);
    expect(await executor.wait(handle)).toMatchObject({ exitCode: 0, signal: null, error: null });
    await executor.collect(handle, first.jobDir);
    expect(await readFile(join(first.jobDir, 'stdout'), 'utf8')).toBe('first\n');
    // The start that could not reach the manager made nothing: this one runs the job once.
    expect(await docker.listServices({ filters: { label: [`${KEY_LABEL}=${later.key}`] } })).toHaveLength(0);
    const again = await executor.start(later);
    expect(await executor.wait(again)).toMatchObject({ exitCode: 0 });
    await executor.collect(again, later.jobDir);
    expect(await readFile(join(later.jobDir, 'stdout'), 'utf8')).toBe('later\n');
    stop?.();
  }, 120_000);
});
