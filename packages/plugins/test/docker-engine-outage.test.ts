/**
 * The docker executor while its engine is stopped and started again: a Docker engine of the
 * test's own (helpers/private-docker.ts), really stopped, so every call meets what an engine
 * restart gives (a socket that is gone, connections cut under open requests).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { type Executor, ExecutorUnavailableError, type RunSpec } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDockerExecutor } from '../src/docker/index.js';
import { type PrivateEngine, startPrivateEngine } from './helpers/private-docker.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';

const clusterId = `outage-${process.pid}-${Date.now()}`;
let engine: PrivateEngine;
let executor: Executor;
let scratch: string;
let nextJobId = 1;

function spec(overrides: RunSpecOverrides = {}): RunSpec {
  const jobId = nextJobId++;
  return makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), ...overrides });
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'godocker-outage-test-'));
  engine = await startPrivateEngine();
  executor = await createDockerExecutor({ socketPath: engine.socketPath }, { clusterId, dataDir: scratch, logger: testLogger });
});

afterAll(async () => {
  await executor?.close();
  await engine?.destroy();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('docker executor: an engine that stops and starts again', () => {
  it('every call says ExecutorUnavailableError while it is away; the ends are read once it is back', async () => {
    // Ends by itself while the engine stops (the engine waits for its containers, up to their stop grace).
    const first = spec({ script: 'sleep 1; echo first' });
    const handle = await executor.start(first);
    const waiting = executor.wait(handle).catch((e: unknown) => e);
    await engine.stop();

    // The stopping engine still answers on connections already open, so the wait may read the real end;
    // if it could not, the end is unknown (ExecutorUnavailableError), never a failure of the job.
    const seen = await waiting;
    if (seen instanceof Error) expect(seen).toBeInstanceOf(ExecutorUnavailableError);
    else expect(seen).toMatchObject({ exitCode: 0, signal: null, error: null });
    const later = spec({ script: 'echo later' });
    const calls: [string, () => Promise<unknown>][] = [
      ['nodes', () => executor.nodes()],
      ['start', () => executor.start(later)],
      ['wait', () => executor.wait(handle)],
      ['status', () => executor.status(handle)],
      ['list', () => executor.list()],
      ['kill', () => executor.kill(handle, 1)],
      ['collect', () => executor.collect(handle, first.jobDir)],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => new Error(`${name} answered while the engine was stopped`),
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(ExecutorUnavailableError);
      expect((error as Error).message, name).toMatch(/the Docker engine does not answer \(connect ENOENT/);
    }

    await engine.start();
    expect(await executor.wait(handle)).toMatchObject({ exitCode: 0, signal: null, error: null });
    await executor.collect(handle, first.jobDir);
    expect(await readFile(join(first.jobDir, 'stdout'), 'utf8')).toBe('first\n');
    // The start that could not reach the engine made nothing: this one runs the job once.
    const again = await executor.start(later);
    expect(await executor.wait(again)).toMatchObject({ exitCode: 0 });
    await executor.collect(again, later.jobDir);
    expect(await readFile(join(later.jobDir, 'stdout'), 'utf8')).toBe('later\n');
  }, 180_000);

  // Last: the engine is not started again (destroy() ends what it left running).
  it('a wait open when the engine is killed ends in ExecutorUnavailableError at once: it does not hang', async () => {
    const s = spec({ script: 'sleep 300' });
    const handle = await executor.start(s);
    const waiting = executor.wait(handle).catch((e: unknown) => e);
    // The engine has answered the wait's headers: it sends them before the container ends.
    await delay(500);
    await engine.crash();
    const seen = await Promise.race([waiting, delay(10_000).then(() => 'still waiting 10 s after the engine died')]);
    expect(seen).toBeInstanceOf(ExecutorUnavailableError);
    expect((seen as Error).message).toMatch(/the Docker engine does not answer/);
  }, 180_000);
});
