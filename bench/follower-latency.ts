/**
 * How soon a client held on a follower hears the leader's job changes. Three daemons on one
 * MongoDB-wire database (GODOCKER_MONGO_URL or mongodb://127.0.0.1:27017/) and one private
 * redis-server, local executor; jobs submitted to the leader one after the other. Each change
 * (a job's pending, running, done) is timed where it arrives:
 *
 * - SSE: `GET /api/v1/events` on a follower, against the same change on the leader's own stream;
 * - long-poll: `GET /api/v1/jobs/N/wait?for=terminated` held on a follower, against the job's
 *   end on the leader's stream.
 *
 * All in this process, on one clock. Baseline: a second stream on the leader, timed the same
 * way (what two streams of one daemon differ by: this client's own delay). Target (issue 12):
 * the follower's median within 100 ms of the change.
 *
 *   npm run bench -- follower-latency [--jobs 100]
 */
import { randomBytes } from 'node:crypto';
import type { BenchDaemon } from './lib/daemon.js';
import { readOptions, wholeNumber } from './lib/options.js';
import { startRedis } from './lib/redis-server.js';
import { fixed, row, runMain, target, title } from './lib/report.js';
import { dropDatabases, followEvents, MONGO_URL, siteLeader, startSite } from './lib/site.js';
import { median, percentile } from './lib/stats.js';

const options = readOptions({ jobs: { default: '100', help: 'jobs submitted one after the other' } });
const JOBS = wholeNumber(options.jobs, 'jobs');
const TARGET_MS = 100;

/** When each change (job id and state) arrived on one stream. */
type Arrivals = Map<string, number>;

function listen(daemon: BenchDaemon, signal: AbortSignal, into: Arrivals): Promise<void> {
  return followEvents(daemon, signal, (event) => {
    const key = `${event.job.id}:${event.job.status.state}`;
    if (!into.has(key)) into.set(key, performance.now());
  });
}

/** Delays of `seen` behind `reference`, over the changes both saw. */
function delays(reference: Arrivals, seen: Arrivals): number[] {
  const out: number[] = [];
  for (const [key, at] of seen) {
    const ref = reference.get(key);
    if (ref !== undefined) out.push(at - ref);
  }
  return out;
}

function describe(ms: readonly number[]): string {
  return `median ${fixed(median(ms), 1)} ms, p95 ${fixed(percentile(ms, 95), 1)} ms, over ${ms.length} changes`;
}

async function main(): Promise<void> {
  const database = `godocker_bench_${randomBytes(4).toString('hex')}_latency`;
  title('follower-latency', [
    `what:     3 daemons, one MongoDB database (${MONGO_URL}), one redis-server; ${JOBS} \`true\` jobs submitted to the leader one`,
    '          after the other; each change timed on an SSE stream and a long-poll wait held on a follower',
    "baseline: a second SSE stream on the leader, against the leader's first",
  ]);
  const redisServer = await startRedis();
  const abort = new AbortController();
  let daemons: BenchDaemon[] = [];
  try {
    daemons = await startSite({
      daemons: 3,
      database,
      redisUrl: redisServer.url,
      leaseMs: 5_000,
      executor: 'local',
      capacity: { cpu: 4, ram: 16384 },
      config: { scheduler: { tickSeconds: 1 } },
    });
    const leader = await siteLeader(daemons);
    const follower = daemons.find((d) => d !== leader) as BenchDaemon;
    const onLeader: Arrivals = new Map();
    const onLeaderAgain: Arrivals = new Map();
    const onFollower: Arrivals = new Map();
    await Promise.all([
      listen(leader, abort.signal, onLeader),
      listen(leader, abort.signal, onLeaderAgain),
      listen(follower, abort.signal, onFollower),
    ]);
    const waits: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const job = await leader.client.submit({ command: { script: 'true' } });
      const result = await follower.client.wait(job.id, { timeout: 60 });
      const heard = performance.now();
      if (result.timedOut) throw new Error(`job ${job.id} did not end within 60 s`);
      const ended = onLeader.get(`${job.id}:${result.job.status.state}`);
      if (ended !== undefined) waits.push(heard - ended);
    }
    // The last changes' events may still be on their way.
    await new Promise((r) => setTimeout(r, 500));
    const sse = delays(onLeader, onFollower);
    const base = delays(onLeader, onLeaderAgain);
    row('follower SSE', `${fixed(median(sse), 1)} ms`, describe(sse));
    row('follower wait', `${fixed(median(waits), 1)} ms`, `long-poll returned after the leader's event: ${describe(waits)}`);
    row('leader SSE', `${fixed(median(base), 1)} ms`, `a second stream on the leader: ${describe(base)}`);
    row('ratio', fixed(median(sse) / Math.max(1, median(base)), 1), 'follower SSE / leader SSE, medians (1 ms at least below)');
    target(
      `a follower's SSE stream and long-poll wait within ${TARGET_MS} ms of the change (median)`,
      median(sse) <= TARGET_MS && median(waits) <= TARGET_MS,
    );
  } finally {
    abort.abort();
    for (const d of daemons) await d.stop().catch(() => 0);
    await redisServer.close();
    await dropDatabases([database]);
  }
}

runMain(main);
