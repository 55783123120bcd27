/**
 * Submits per second on a site: three daemons on one MongoDB-wire database (FerretDB, at
 * GODOCKER_MONGO_URL or mongodb://127.0.0.1:27017/) and one Redis (a private redis-server on
 * a free port), the submits spread over the three in turn: a follower forwards each to the
 * leader (follower-proxy.ts), so two in three cross one more HTTP hop. Held jobs (they never
 * run: only the submit path and the store are measured), 32 in flight, SDK clients, each
 * daemon in a child process with the local executor.
 *
 * Baseline: one daemon alone on the MongoDB store (no Redis), before and after the site
 * (their mean), each on a fresh database: the ratio is the site's submits/s over it. No
 * target in the issue. The databases are dropped and redis-server killed afterwards.
 *
 *   npm run bench -- site-submit
 *   BENCH_SUBMIT_COUNT (default 100) submits per run after BENCH_SUBMIT_WARMUP (default 10);
 *   no submit is sent after BENCH_SUBMIT_LIMIT_S (default 120) s of a run: the rate is then
 *   over those answered.
 */
import { randomBytes } from 'node:crypto';
import type { JobSubmission } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { type SubmitRun, submitSpread } from './lib/jobs.js';
import { cpuDetail, type Phase, phase } from './lib/phase.js';
import { startRedis } from './lib/redis-server.js';
import { fixed, row, runMain, title } from './lib/report.js';
import { dropDatabases, MONGO_URL, siteLeader, startSite } from './lib/site.js';
import { perSecond } from './lib/stats.js';

const COUNT = Number(process.env.BENCH_SUBMIT_COUNT ?? 100);
const WARMUP = Number(process.env.BENCH_SUBMIT_WARMUP ?? Math.min(300, Math.ceil(COUNT / 10)));
const LIMIT_MS = Number(process.env.BENCH_SUBMIT_LIMIT_S ?? 120) * 1000;
const WIDTH = 32;
const DAEMONS = 3;
const LEASE_MS = 10_000;
const CAPACITY = { cpu: 8, ram: 16384 };

const held: JobSubmission = { command: { script: 'true' }, hold: true };

type Measured = Phase & { result: SubmitRun };

const rate = (m: Measured) => perSecond(m.result.submitted, m.result.ms);

async function measure(daemons: readonly BenchDaemon[]): Promise<Measured> {
  const clients = daemons.map((d) => d.client);
  await submitSpread(clients, held, WARMUP, WIDTH);
  return phase(daemons, () => submitSpread(clients, held, COUNT, WIDTH, LIMIT_MS));
}

async function alone(database: string): Promise<Measured> {
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: CAPACITY,
    config: { store: { type: 'mongodb', url: MONGO_URL, database } },
  });
  try {
    return await measure([daemon]);
  } finally {
    await shutdown(daemon);
  }
}

async function site(database: string, redisUrl: string): Promise<Measured & { leader: number }> {
  const daemons = await startSite({
    daemons: DAEMONS,
    database,
    redisUrl,
    leaseMs: LEASE_MS,
    executor: 'local',
    capacity: CAPACITY,
  });
  let leader: BenchDaemon | undefined;
  try {
    leader = await siteLeader(daemons);
    return { ...(await measure(daemons)), leader: daemons.indexOf(leader) };
  } finally {
    // The leader last: stopped first, it would hand the lead to a follower being stopped too.
    for (const d of [...daemons.filter((d) => d !== leader), ...daemons.filter((d) => d === leader)]) await shutdown(d);
  }
}

function detail(m: Measured): string {
  const partial = m.result.submitted < COUNT ? `, only ${m.result.submitted} of ${COUNT} within the limit` : '';
  return `${m.result.submitted} in ${fixed(m.result.ms / 1000, 1)} s${partial}`;
}

async function main(): Promise<void> {
  if (![COUNT, WARMUP, LIMIT_MS].every((n) => Number.isFinite(n) && n >= 0) || COUNT < 1)
    throw new Error('BENCH_SUBMIT_COUNT must be a whole number > 0; BENCH_SUBMIT_WARMUP, BENCH_SUBMIT_LIMIT_S >= 0');
  const tag = randomBytes(4).toString('hex');
  const databases = ['before', 'site', 'after'].map((run) => `godocker_bench_${tag}_${run}`);
  const [beforeDb, siteDb, afterDb] = databases as [string, string, string];
  title('site-submit', [
    `what:     ${COUNT} held jobs as single submits (SDK clients, ${WIDTH} in flight) spread over ${DAEMONS} daemons in turn`,
    `          (one MongoDB database at ${MONGO_URL}, one redis-server, lease ${LEASE_MS} ms), after ${WARMUP} warm-up submits`,
    'baseline: one daemon alone on the MongoDB store, before and after (their mean), a fresh database each',
  ]);
  const redis = await startRedis();
  try {
    const before = await alone(beforeDb);
    const spread = await site(siteDb, redis.url);
    const after = await alone(afterDb);
    const base = (rate(before) + rate(after)) / 2;
    row(
      'one daemon',
      `${fixed(base, 1)} jobs/s`,
      `(${fixed(rate(before), 1)} before: ${detail(before)}; ${fixed(rate(after), 1)} after)`,
    );
    row('site of 3', `${fixed(rate(spread), 1)} jobs/s`, `${detail(spread)}; daemon ${spread.leader + 1} of 3 led`);
    row('', '', cpuDetail(spread, spread.result.submitted, 'submit (3 daemons)'));
    row('', '', cpuDetail(before, before.result.submitted, 'submit (one daemon, before)'));
    row('ratio', fixed(rate(spread) / base, 2), 'site submits/s / one MongoDB daemon');
  } finally {
    await redis.close();
    await dropDatabases(databases);
  }
}

runMain(main);
