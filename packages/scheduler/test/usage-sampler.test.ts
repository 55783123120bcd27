/**
 * The sampler never waits on an executor: a reading that fails or never answers is skipped
 * and the round ends on time with the others; records reach the store (SQLite, real) every
 * `saveSeconds` and at a job's end, and a sampler started afresh (a restarted daemon) goes on
 * from the stored record. The executor here is a fake that only answers `usage`: the point is
 * what the sampler does when an executor misbehaves, which a real one cannot be made to do on cue.
 */
import type { Executor, TaskHandle, UsageSample } from '@godocker/sdk';
import { describe, expect, it } from 'vitest';
import { type SampledTask, UsageSampler } from '../src/runtime/usage-sampler.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const MiB = 2 ** 20;
const START = Date.now();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** A fake executor: `usage` only, answering per task key with a reading, an error or nothing ever. */
function fakeUsageExecutor(answer: (key: string) => Promise<UsageSample | null>): Executor {
  return { usage: (handle: TaskHandle) => answer(handle.key) } as unknown as Executor;
}

function task(jobId: number): SampledTask {
  return { jobId, handle: { key: `k${jobId}`, id: null, node: 'n' }, startedAt: new Date(START).toISOString() };
}

/** A reading `cpu` seconds after the start: two readings in the same millisecond would be one too many. */
function reading(cpu: number, memMb: number): UsageSample {
  return {
    at: new Date(START + cpu * 1000).toISOString(),
    cpuSeconds: cpu,
    memoryBytes: memMb * MiB,
    peakMemoryBytes: null,
    readBytes: null,
    writeBytes: null,
    rxBytes: null,
    txBytes: null,
  };
}

describe('usage sampler', () => {
  it('a failing or silent reading is skipped; the round ends within its deadline with the others kept', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    let cpu = 0;
    const executor = fakeUsageExecutor(async (key) => {
      if (key === 'k2') throw new Error('engine said no');
      if (key === 'k3') return new Promise<never>(() => undefined);
      cpu += 1;
      return reading(cpu, 64);
    });
    const sampler = new UsageSampler({
      store,
      executor,
      logger: silent,
      settings: { sampleSeconds: 0.3, maxPoints: 10, saveSeconds: 0 },
      tasks: () => [task(1), task(2), task(3)],
    });
    const begun = Date.now();
    await sampler.sampleNow();
    expect(Date.now() - begun).toBeLessThan(2000);
    await sampler.sampleNow();
    expect((await store.getJobUsage(1))?.totals).toMatchObject({ samples: 2, cpuSeconds: 2, peakMemoryMb: 64 });
    expect(await store.getJobUsage(2)).toBeNull();
    expect(await store.getJobUsage(3)).toBeNull();
    expect(await sampler.ended(2)).toBeNull();
    await store.close();
  });

  it('saves every saveSeconds and at the end; a new sampler goes on from the stored record', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    let cpu = 0;
    const executor = fakeUsageExecutor(async () => reading(++cpu, 100));
    const settings = { sampleSeconds: 1, maxPoints: 10, saveSeconds: 3600 };
    const first = new UsageSampler({ store, executor, logger: silent, settings, tasks: () => [task(5)] });
    await first.sampleNow();
    await first.sampleNow();
    // The first save is due at once (none before); the second waits an hour.
    expect((await store.getJobUsage(5))?.totals.samples).toBe(1);
    expect(first.current(5)?.totals.samples).toBe(2);
    await first.stop();
    expect((await store.getJobUsage(5))?.totals.samples).toBe(2);

    const second = new UsageSampler({ store, executor, logger: silent, settings, tasks: () => [task(5)] });
    await second.sampleNow();
    const totals = await second.ended(5);
    expect(totals).toMatchObject({ samples: 3, cpuSeconds: 3 });
    expect((await store.getJobUsage(5))?.totals).toEqual(totals);
    // Ended: a reading still in flight for it, or a round that lists it once more, adds nothing.
    await second.sampleNow();
    expect((await store.getJobUsage(5))?.totals.samples).toBe(3);
    await store.close();
  });

  it('a job that stops running (requeued) keeps its unsaved readings until they are saved', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    let cpu = 0;
    let listed = [task(9)];
    const executor = fakeUsageExecutor(async () => reading(++cpu, 10));
    const settings = { sampleSeconds: 1, maxPoints: 10, saveSeconds: 3600 };
    const sampler = new UsageSampler({ store, executor, logger: silent, settings, tasks: () => listed });
    await sampler.sampleNow();
    await sampler.sampleNow();
    listed = [];
    await sampler.sampleNow();
    await sampler.stop();
    expect((await store.getJobUsage(9))?.totals.samples).toBe(2);
    await store.close();
  });
});
