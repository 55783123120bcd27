/**
 * Single submits over HTTP: POST /api/v1/jobs, one held job each (held: only the
 * submit path is measured, nothing runs), from 16 clients at once and from 1, to a
 * daemon in its own process (local executor). Each submit carries its own
 * Idempotency-Key, as the SDK and the CLI send one.
 *
 * Group commit on against off, in the same run: two daemons side by side, one with
 * `store.groupCommit: false` (the config switch exists for this comparison: each
 * submit then commits its own transaction). Runs interleave, on off / off on / ...,
 * and each figure is the median over the rounds; the ratio is the median of the
 * per-round ratios, since one baseline then one measured run swings ±25% here.
 *
 * The load comes from wrk (lib/wrk.ts), each connection sending its next submit when
 * the last is answered: on 2 cores the client shares the machine with the daemon, and
 * a client in Node costs as much CPU per request as a third of the daemon's work.
 * Targets (group commit on): >= 5,000 submits/s with 16 clients, >= 2,000 with 1.
 *
 * BENCH_HTTP_ROUNDS (default 5) and BENCH_HTTP_SECONDS (per run, default 3) make it
 * longer or shorter. Needs wrk (apt-get install wrk; scripts/setup.sh installs it).
 */
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { phase } from './lib/phase.js';
import { fixed, memory, row, target, title } from './lib/report.js';
import { median } from './lib/stats.js';
import { checkWrk, wrk } from './lib/wrk.js';

const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const CLIENTS = 16;
const TARGET_MANY = 5000;
const TARGET_ONE = 2000;

const BODY = JSON.stringify({ command: { script: 'true' }, hold: true });

interface Side {
  label: string;
  daemon: BenchDaemon;
}

interface Run {
  perSecond: number;
  /** Daemon CPU per submit, ms. */
  cpuMs: number;
}

/** Submits for `seconds` from `clients` connections; every one must be answered 2xx. */
async function submits(side: Side, clients: number, seconds = SECONDS): Promise<Run> {
  const { daemon } = side;
  const p = await phase(daemon, () =>
    wrk({ url: daemon.url, token: daemon.token, path: '/api/v1/jobs', body: BODY, connections: clients, seconds }),
  );
  const { requests, perSecond, failed } = p.result;
  if (failed > 0) throw new Error(`${side.label}: ${failed} of ${requests} submits failed (not 2xx, or a socket error)`);
  return { perSecond, cpuMs: p.daemonCpuMs / requests };
}

async function start(label: string, groupCommit: boolean): Promise<Side> {
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: { cpu: 8, ram: 16384 },
    config: { store: { groupCommit } },
  });
  return { label, daemon };
}

function report(label: string, on: Run[], off: Run[], goal: number): void {
  const rate = (runs: Run[]) => median(runs.map((r) => r.perSecond));
  const cpu = (runs: Run[]) => median(runs.map((r) => r.cpuMs));
  const ratios = on.map((r, i) => r.perSecond / (off[i] as Run).perSecond);
  row(label, `${fixed(rate(on), 0)} jobs/s`, `group commit on; daemon ${fixed(cpu(on), 3)} ms CPU per submit`);
  row('', `${fixed(rate(off), 0)} jobs/s`, `group commit off; daemon ${fixed(cpu(off), 3)} ms CPU per submit`);
  row(
    '',
    `ratio ${fixed(median(ratios), 2)}`,
    `on / off, median of ${ratios.length} interleaved rounds: ${ratios.map((x) => fixed(x, 2)).join(' ')}`,
  );
  row('', '', `runs on:  ${on.map((r) => fixed(r.perSecond, 0)).join(' ')}`);
  row('', '', `runs off: ${off.map((r) => fixed(r.perSecond, 0)).join(' ')}`);
  target(`>= ${goal} single submits/s from ${label} (group commit on)`, rate(on) >= goal);
}

async function main(): Promise<void> {
  await checkWrk();
  const on = await start('group commit on', true);
  const off = await start('group commit off', false);
  try {
    title('http-submit', [
      `what:     single submits (POST /api/v1/jobs, a held job, an Idempotency-Key each) from ${CLIENTS} clients at once and from 1, ${SECONDS} s a run`,
      'baseline: the same against a second daemon with group commit off (store.groupCommit: false), runs interleaved',
      'client:   undici Pool, keep-alive, one connection per client, body serialised once',
    ]);
    // The JIT of both processes settles; not timed.
    for (const side of [on, off]) {
      await submits(side, CLIENTS, 2);
      await submits(side, 1, 1);
    }
    const many = { on: [] as Run[], off: [] as Run[] };
    const one = { on: [] as Run[], off: [] as Run[] };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [on, off] : [off, on];
      for (const side of order) (side === on ? many.on : many.off).push(await submits(side, CLIENTS));
      for (const side of order) (side === on ? one.on : one.off).push(await submits(side, 1));
    }
    report(`${CLIENTS} clients`, many.on, many.off, TARGET_MANY);
    report('1 client', one.on, one.off, TARGET_ONE);
    memory('on', await on.daemon.memory());
    memory('off', await off.daemon.memory());
  } finally {
    await shutdown(on.daemon);
    await shutdown(off.daemon);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
