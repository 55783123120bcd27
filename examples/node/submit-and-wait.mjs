// Submit one job and wait for it: the smallest GoDocker program.
//
//   GODOCKER_URL=http://127.0.0.1:6543 GODOCKER_TOKEN=... node examples/node/submit-and-wait.mjs
//
// (Without the variables, the login saved by `godocker login` is used.)
import { connect, INFINITE_TIME } from '@godocker/sdk';

const manager = await connect();
const session = await manager.createJobSession();

const job = await session.runJob({
  remoteCommand: 'echo',
  args: ['hello from GoDocker'],
  jobName: 'hello',
  minSlots: 0.5, // cpu cores
  minPhysMemory: 64 * 1024, // KiB, as DRMAA2 counts
});
console.log(`submitted job ${job.getId()} in session ${session.name}`);

await job.waitTerminated(INFINITE_TIME);
const info = await job.getInfo();
console.log(`job ${info.jobId} is ${info.jobState}, exit status ${info.exitStatus}`);
console.log(`output: ${(await manager.client.logs(job.id)).trim()}`);

// The session is kept by the server until destroyed; its job records stay either way.
await manager.destroyJobSession(session.name);
