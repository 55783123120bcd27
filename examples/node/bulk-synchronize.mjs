// A bulk job of five tasks, waited for with DRMAA1's synchronize, then each
// task's exit status collected with wait(SESSION_ANY), which reaps as it goes.
//
//   GODOCKER_URL=... GODOCKER_TOKEN=... node examples/node/bulk-synchronize.mjs
import { drmaa1 } from '@godocker/sdk';

const session = new drmaa1.Session();
await session.init();
console.log(`session contact: ${session.getContact()}`);

// Each task sees its index in GODOCKER_TASK_ID; it exits with index % 2.
const ids = await session.runBulkJobs(
  { remoteCommand: '/bin/sh', args: ['-c', 'echo "task $GODOCKER_TASK_ID"; exit $((GODOCKER_TASK_ID % 2))'] },
  1,
  5,
  1,
);
console.log(`submitted tasks ${ids.join(', ')}`);

// dispose=false: the tasks stay in the session for wait() below.
await session.synchronize([drmaa1.SESSION_ALL], drmaa1.TIMEOUT_WAIT_FOREVER, false);
console.log('all tasks have ended');

const lines = [];
for (let i = 0; i < ids.length; i++) {
  const info = await session.wait(drmaa1.SESSION_ANY, drmaa1.TIMEOUT_NO_WAIT);
  lines.push(`task job ${info.jobId}: exit status ${info.exitStatus} (${await session.jobPs(info.jobId)})`);
}
console.log(lines.sort().join('\n'));

// Every task was reaped: the session has no job left to wait for.
try {
  await session.wait(drmaa1.SESSION_ANY, drmaa1.TIMEOUT_NO_WAIT);
} catch (e) {
  if (!(e instanceof drmaa1.InvalidJobError)) throw e;
  console.log('no job left in the session');
}
await session.exit();
