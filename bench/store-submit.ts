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
 */
import { randomBytes } from 'node:crypto';
import type { GodockerClient, JobSubmission } from '@godocker/sdk';
import { MongoClient } from 'mongodb';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { cpuDetail, type Phase, phase } from './lib/phase.js';
import { pool } from './lib/pool.js';
import { fixed, row, title } from './lib/report.js';
import { perSecond } from './lib/stats.js';

const COUNT = Number(process.env.BENCH_SUBMIT_COUNT ?? 2_000);
const WIDTH = 32;
const WARMUP = 300;
const MONGO_URL = process.env.GODOCKER_MONGO_URL ?? 'mongodb://127.0.0.1:27017/';

const held: JobSubmission = { command: { script: 'true' }, hold: true };

async function singles(client: GodockerClient, count: number): Promise<void> {
  await pool(count, WIDTH, () => client.submit(held));
}

async function measure(daemon: BenchDaemon): Promise<{ ones: Phase; arr: Phase }> {
  await singles(daemon.client, WARMUP);
  const ones = await phase(daemon, () => singles(daemon.client, COUNT));
  const arr = await phase(daemon, async () => {
    const parent = await daemon.client.submit({ ...held, array: `1-${COUNT}` });
    if (parent.array?.count !== COUNT) throw new Error(`array of ${COUNT} came back with ${parent.array?.count} tasks`);
  });
  return { ones, arr };
}

async function run(store: 'sqlite' | 'mongodb', database: string): Promise<{ ones: Phase; arr: Phase }> {
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
  const database = `godocker_bench_${randomBytes(4).toString('hex')}`;
  title('store-submit', [
    `what:     ${COUNT} held jobs as single submits (SDK client, ${WIDTH} in flight), then ${COUNT} as one array, on the MongoDB store (${MONGO_URL})`,
    'baseline: the same on the SQLite store, before and after (their mean)',
  ]);
  try {
    const before = await run('sqlite', database);
    const mongo = await run('mongodb', database);
    const after = await run('sqlite', database);
    const rate = (p: Phase) => perSecond(COUNT, p.wallMs);
    const sqliteSingles = (rate(before.ones) + rate(after.ones)) / 2;
    const sqliteArray = (rate(before.arr) + rate(after.arr)) / 2;
    row(
      'sqlite',
      `${fixed(sqliteSingles, 0)} jobs/s`,
      `single submits (${fixed(rate(before.ones), 0)} before, ${fixed(rate(after.ones), 0)} after)`,
    );
    row('mongodb', `${fixed(rate(mongo.ones), 0)} jobs/s`, 'single submits');
    row('', '', cpuDetail(mongo.ones, COUNT, 'submit'));
    row('ratio', fixed(rate(mongo.ones) / sqliteSingles, 2), 'MongoDB single submits/s / SQLite');
    row('array', `${fixed(rate(mongo.arr), 0)} jobs/s`, `MongoDB, one array of ${COUNT}; SQLite ${fixed(sqliteArray, 0)} jobs/s`);
    row('ratio', fixed(rate(mongo.arr) / sqliteArray, 2), 'MongoDB array tasks/s / SQLite');
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
