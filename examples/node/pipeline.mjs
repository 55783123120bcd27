// A three-step pipeline: each step starts only once the one before it has
// ended well (Slurm's afterok), so the steps run in order without the program
// waiting between submissions.
//
//   GODOCKER_URL=... GODOCKER_TOKEN=... node examples/node/pipeline.mjs
import { connect, INFINITE_TIME } from '@godocker/sdk';

const manager = await connect();
const session = await manager.createJobSession();

const steps = [];
for (const [name, seconds] of [
  ['fetch', 1],
  ['align', 1],
  ['report', 0],
]) {
  const previous = steps.at(-1);
  const job = await session.runJob({
    jobName: name,
    script: `echo "${name} starts"; sleep ${seconds}; echo "${name} ends"`,
    ...(previous ? { dependencies: [{ type: 'afterok', jobId: previous.id }] } : {}),
  });
  console.log(`submitted ${name} as job ${job.getId()}${previous ? ` (after job ${previous.getId()})` : ''}`);
  steps.push(job);
}

await steps.at(-1).waitTerminated(INFINITE_TIME);
let ended = null;
for (const job of steps) {
  const info = await job.getInfo();
  const order =
    ended === null ? 'the first step' : `started ${info.dispatchTime >= ended ? 'after' : 'BEFORE'} the step before it ended`;
  ended = info.finishTime;
  console.log(`${info.jobName}: ${info.jobState}, ${order}`);
  process.stdout.write(await manager.client.logs(job.id));
}
await manager.destroyJobSession(session.name);
