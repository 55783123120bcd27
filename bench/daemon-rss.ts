/**
 * Daemon memory with a deep queue: the resident set (VmRSS of /proc/PID/status) of a
 * daemon whose store holds 1,000,000 queued jobs, with 8 jobs running (long sleeps,
 * local executor, 8 slots), once it has started and settled. Target: <= 300 MB.
 * Also printed: the peak resident set since its start (VmHWM), its heap after a full
 * GC, and the same daemon with 100,000 queued jobs.
 *
 * Baseline, in the same run: the same daemon on an empty store, with the same 8
 * running jobs; the difference is what the queue costs. Memory does not swing with
 * the machine's load as time does: one daemon per store, no interleaving. When the
 * collector last ran does move the resident set, so it is read again after a full GC.
 *
 * The queued jobs are another user's, behind a begin time far ahead (--kind begin,
 * the default: they are pending, in the queue the engine keeps) or held (--kind
 * held, or both); queue-store.ts builds the stores once and caches them. Settled:
 * after the 8 have started, three more jobs behind a begin time are submitted one
 * after the other, and each is waited for until the API explains it with the
 * engine's reason (BeginTime), i.e. until a scheduling pass has seen it.
 */
import type { JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { OptionError, oneOf, readOptions, wholeNumber } from './lib/options.js';
import { QUEUE_KINDS, type QueueKind, queueStore } from './lib/queue-store.js';
import { fixed, residentMiB, row, target, title } from './lib/report.js';
import { since } from './lib/stats.js';

const DEPTHS = [100_000, 1_000_000];
const SLOTS = 8;
const SETTLE_PASSES = 3;
const SETTLE_LIMIT_MS = 300_000;
const TARGET_BYTES = 300e6;
const MIB = 2 ** 20;

const sleeper: JobSubmission = { command: { script: 'sleep 3600' }, requirements: { cpu: 1, ram: 64 } };
const probe: JobSubmission = {
  command: { script: 'true' },
  requirements: { cpu: 1, ram: 64 },
  beginAt: '2099-01-01T00:00:00Z',
  meta: { name: 'settle-probe' },
};

interface Sample {
  rssMiB: number;
  peakMiB: number;
  heapMiB: number;
  /** VmRSS again, after a full GC: how much of rssMiB was garbage not yet collected. */
  collectedMiB: number;
  readyMs: number;
  settleMs: number;
}

/** Until a scheduling pass has seen `id`: the API explains it with the engine's reason, not "Pending". */
async function passed(daemon: BenchDaemon, id: number): Promise<void> {
  const start = performance.now();
  for (;;) {
    const why = await daemon.client.explain(id);
    if (why.code !== 'Pending') return;
    if (since(start) > SETTLE_LIMIT_MS) {
      throw new Error(`no scheduling pass explained job ${id} within ${SETTLE_LIMIT_MS / 1000} s: "${why.message}"`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function sample(store: string | undefined): Promise<Sample> {
  const start = performance.now();
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: { cpu: SLOTS, ram: 16384 },
    ...(store ? { store } : {}),
  });
  const running: number[] = [];
  try {
    const readyMs = since(start);
    const settleStart = performance.now();
    for (let i = 0; i < SLOTS; i++) running.push((await daemon.client.submit(sleeper)).id);
    const started = await daemon.client.waitMany(running, { mode: 'all', for: 'started', timeout: SETTLE_LIMIT_MS / 1000 });
    if (started.timedOut) throw new Error(`only ${started.ready.length} of ${SLOTS} sleeps started`);
    for (let i = 0; i < SETTLE_PASSES; i++) await passed(daemon, (await daemon.client.submit(probe)).id);
    const settleMs = since(settleStart);
    const { rssMiB, peakMiB } = residentMiB(daemon.pid);
    // The resident set as an admin sees it first; then after a full GC, which may shrink it (GC timing is noise).
    const collected = await daemon.memory();
    return { rssMiB, peakMiB, heapMiB: collected.heapUsedMiB, collectedMiB: collected.rssMiB, readyMs, settleMs };
  } finally {
    // A daemon's stop leaves its tasks running (a restart picks them up): end them first.
    for (const id of running) await daemon.client.kill(id).catch(() => undefined);
    await daemon.client.waitMany(running, { mode: 'all', timeout: 60 }).catch(() => undefined);
    await shutdown(daemon);
  }
}

function print(label: string, s: Sample): void {
  row(
    label,
    `${fixed(s.rssMiB, 0)} MiB`,
    `${fixed(s.collectedMiB, 0)} MiB after a full GC (heap ${fixed(s.heapMiB, 0)} MiB), peak ${fixed(s.peakMiB, 0)} MiB; ready in ${fixed(s.readyMs / 1000, 1)} s, settled ${fixed(s.settleMs / 1000, 1)} s later`,
  );
}

async function queued(kind: QueueKind, depths: readonly number[], empty: Sample): Promise<void> {
  console.log(`\n  -- queued jobs ${kind === 'held' ? 'held' : 'behind a begin time'} --`);
  let deepest: { depth: number; rssMiB: number | null } | undefined;
  for (const depth of depths) {
    const store = await queueStore(kind, depth);
    try {
      const s = await sample(store);
      print(String(depth), s);
      row(
        '',
        `+${fixed(s.rssMiB - empty.rssMiB, 0)} MiB`,
        `over the empty store: ${fixed(((s.rssMiB - empty.rssMiB) * MIB) / depth, 0)} bytes per queued job`,
      );
      deepest = { depth, rssMiB: s.rssMiB };
    } catch (e) {
      // A daemon that cannot hold the queue (out of memory) is a figure too.
      row(String(depth), 'failed', (e as Error).message.split('\n')[0]);
      deepest = { depth, rssMiB: null };
    }
  }
  if (!deepest) return;
  const { depth, rssMiB } = deepest;
  target(
    `daemon rss <= ${TARGET_BYTES / 1e6} MB (${fixed(TARGET_BYTES / MIB, 0)} MiB) with ${depth} queued (${kind}) and ${SLOTS} running`,
    rssMiB !== null && rssMiB * MIB <= TARGET_BYTES,
  );
}

async function main(): Promise<void> {
  const options = readOptions({
    'max-depth': { default: '1000000', help: `the deepest queue measured, of ${DEPTHS.join(', ')}` },
    kind: { default: 'begin', help: 'the queued jobs: begin (behind a begin time), held, or both' },
  });
  const maxDepth = wholeNumber(options['max-depth'], 'max-depth');
  const depths = DEPTHS.filter((d) => d <= maxDepth);
  if (depths.length === 0) throw new OptionError(`--max-depth ${maxDepth} is below the shallowest depth, ${DEPTHS[0]}`);
  const kind = oneOf(options.kind, 'kind', [...QUEUE_KINDS, 'both'] as const);
  title('daemon-rss', [
    `what:     daemon VmRSS with D jobs of another user queued in its store (D = ${depths.join(', ')}) and ${SLOTS} running`,
    `          (sleep, local executor), after ${SETTLE_PASSES} scheduling passes the API confirms`,
    'baseline: the same daemon on an empty store, the same 8 running',
  ]);
  const empty = await sample(undefined);
  print('empty', empty);
  for (const k of kind === 'both' ? QUEUE_KINDS : [kind]) await queued(k, depths, empty);
}

main().catch((e: unknown) => {
  console.error(e instanceof OptionError ? `daemon-rss: ${e.message}` : e);
  process.exitCode = e instanceof OptionError ? 2 : 1;
});
