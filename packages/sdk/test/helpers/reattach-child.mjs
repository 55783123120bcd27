// A client that creates a session, submits into it, prints what a later process
// needs to reattach, and exits while its jobs still run. Uses the BUILT sdk.
// argv[2]: drmaa2 | drmaa1; GODOCKER_URL and GODOCKER_TOKEN name the daemon.
import { connect, drmaa1 } from '@godocker/sdk';

const job = { remoteCommand: '/bin/sh', args: ['-c', 'sleep 2; exit 4'] };
if (process.argv[2] === 'drmaa1') {
  const session = new drmaa1.Session();
  await session.init();
  const ids = [await session.runJob(job), await session.runJob({ remoteCommand: '/bin/true' })];
  process.stdout.write(`${JSON.stringify({ contact: session.getContact(), ids })}\n`);
  await session.exit();
} else {
  const manager = await connect();
  const session = await manager.createJobSession();
  const ids = [(await session.runJob(job)).id, (await session.runJob({ remoteCommand: '/bin/true' })).id];
  process.stdout.write(`${JSON.stringify({ session: session.name, contact: session.getContact(), ids })}\n`);
}
