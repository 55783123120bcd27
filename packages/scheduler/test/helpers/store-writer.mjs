// Moves array tasks at random through the BUILT SqliteStore (npm run build first)
// until killed, so a test can kill -9 it in the middle of a change. argv[2]: the
// database file; argv[3]: a seed. Prints the number of changes made, now and then.
import { SqliteStore } from '@godocker/scheduler';

const [path, seedText] = process.argv.slice(2);
let seed = Number(seedText ?? 1) | 0;
const rnd = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];

// Around the states a task never leaves, so the changes go on as long as the writer lives.
const FROM = {
  pending: ['held', 'running'],
  held: ['pending'],
  running: ['pending', 'suspended'],
  suspended: ['running'],
};

const store = SqliteStore.open(path);
await store.migrate();
const tasks = [];
for (const parent of await store.listJobIds({ arrayParent: true })) tasks.push(...(await store.listJobIds({ parentId: parent })));
let changes = 0;
for (;;) {
  const to = pick(Object.keys(FROM));
  const from = Object.keys(FROM).filter((s) => FROM[s].includes(to));
  const at = new Date().toISOString();
  if (!(await store.updateJob(pick(tasks), { state: { to, reason: `to ${to}`, at } }, { states: from }))) continue;
  if (++changes % 100 === 0) process.stdout.write(`${changes}\n`);
}
