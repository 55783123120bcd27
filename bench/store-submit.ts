/**
 * Submits per second on the MongoDB store (FerretDB, at GODOCKER_MONGO_URL or
 * mongodb://127.0.0.1:27017/) against the SQLite store, measured in the same run: the same
 * held jobs as single submits over HTTP (32 in flight, SDK client, an Idempotency-Key each),
 * then one array, each daemon in a child process with the local executor. Held jobs never
 * run: only the submit path and the store are measured. The database is dropped afterwards.
 *
 * Baseline: the SQLite daemon, interleaved with the MongoDB one (SQLite, MongoDB, SQLite):
 * the ratio is MongoDB submits/s over the SQLite mean. No target in the issue: this says
 * what a site pays for sharing its store.
 *
 *   npm run bench -- store-submit
 *   BENCH_SUBMIT_COUNT (default 300) jobs per run after BENCH_SUBMIT_WARMUP (default a tenth, at
 *   most 300); no single submit is sent after BENCH_SUBMIT_LIMIT_S (default 120) s: the rate is
 *   then over those answered (the array is always COUNT tasks).
 */
import { randomBytes } from 'node:crypto';
import type { JobSubmission } from '@godocker/sdk';
import { MongoClient } from 'mongodb';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { type SubmitRun, submitSpread } from './lib/jobs.js';
import { cpuDetail, type Phase, phase } from './lib/phase.js';
import { fixed, row, title } from './lib/report.js';
import { perSecond } from './lib/stats.js';

const COUNT = Number(process.env.BENCH_SUBMIT_COUNT ?? 300);
const WIDTH = 32;
// Warm-up submits go into the measured store too: on FerretDB a deeper store is a slower one.
const WARMUP = Number(process.env.BENCH_SUBMIT_WARMUP ?? Math.min(300, Math.ceil(COUNT / 10)));
const LIMIT_MS = Number(process.env.BENCH_SUBMIT_LIMIT_S ?? 120) * 1000;
const MONGO_URL = process.env.GODOCKER_MONGO_URL ?? 'mongodb://127.0.0.1:27017/';

const held: JobSubmission = { command: { script: 'true' }, hold: true };

type Singles = Phase & { result: SubmitRun };

async function measure(daemon: BenchDaemon): Promise<{ ones: Singles; arr: Phase }> {
  await submitSpread([daemon.client], held, WARMUP, WIDTH);
  const ones = await phase(daemon, () => submitSpread([daemon.client], held, COUNT, WIDTH, LIMIT_MS));
  const arr = await phase(daemon, async () => {
    const parent = await daemon.client.submit({ ...held, array: `1-${COUNT}` });
    if (parent.array?.count !== COUNT) throw new Error(`array of ${COUNT} came back with ${parent.array?.count} tasks`);
  });
  return { ones, arr };
}

async function run(store: 'sqlite' | 'mongodb', database: string): Promise<{ ones: Singles; arr: Phase }> {
  const daemon = await startBenchDaemon({
    executor: 'local',
    capacity: { cpu: 8, ram: 16384 },
    ...(store === 'mongodb' ? { config: { store: { type: 'mongodb', url: MONGO_URL, database } } } : {}),
  });
  try {
    return await measure(daemon);
  } finally {
    await shutdown(daemon);
  }
}

async function main(): Promise<void> {
  if (!(Number.isInteger(COUNT) && COUNT > 0 && Number.isInteger(WARMUP) && WARMUP >= 0 && LIMIT_MS >= 0))
    throw new Error('BENCH_SUBMIT_COUNT must be a whole number > 0; BENCH_SUBMIT_WARMUP, BENCH_SUBMIT_LIMIT_S >= 0');
  const database = `godocker_bench_${randomBytes(4).toString('hex')}`;
  title('store-submit', [
    `what:     ${COUNT} held jobs (after ${WARMUP} warm-up submits) as single submits (SDK client, ${WIDTH} in flight), then ${COUNT} as one array, on the MongoDB store (${MONGO_URL})`,
    'baseline: the same on the SQLite store, before and after (their mean)',
  ]);
  try {
    const before = await run('sqlite', database);
    const mongo = await run('mongodb', database);
    const after = await run('sqlite', database);
    const rate = (p: Phase) => perSecond(COUNT, p.wallMs);
    const singles = (p: Singles) => perSecond(p.result.submitted, p.result.ms);
    const sqliteSingles = (singles(before.ones) + singles(after.ones)) / 2;
    const sqliteArray = (rate(before.arr) + rate(after.arr)) / 2;
    row(
      'sqlite',
      `${fixed(sqliteSingles, 0)} jobs/s`,
      `single submits (${fixed(singles(before.ones), 0)} before, ${fixed(singles(after.ones), 0)} after)`,
    );
    const partial =
      mongo.ones.result.submitted < COUNT ? `: only ${mongo.ones.result.submitted} of ${COUNT} within the limit` : '';
    row('mongodb', `${fixed(singles(mongo.ones), 1)} jobs/s`, `single submits${partial}`);
    row('', '', cpuDetail(mongo.ones, mongo.ones.result.submitted, 'submit'));
    row('ratio', fixed(singles(mongo.ones) / sqliteSingles, 3), 'MongoDB single submits/s / SQLite');
    row('array', `${fixed(rate(mongo.arr), 0)} jobs/s`, `MongoDB, one array of ${COUNT}; SQLite ${fixed(sqliteArray, 0)} jobs/s`);
    row('ratio', fixed(rate(mongo.arr) / sqliteArray, 4), 'MongoDB array tasks/s / SQLite');
  } finally {
    const client = new MongoClient(MONGO_URL);
    await client
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await client.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
