// Watching a session's jobs change state, as an async iterator over the
// daemon's server-sent events (no polling).
//
//   GODOCKER_URL=... GODOCKER_TOKEN=... node examples/node/watch-events.mjs
import { connect } from '@godocker/sdk';

const manager = await connect();
const session = await manager.createJobSession();

// Start listening before submitting, so no change is missed.
let connected;
const ready = new Promise((resolve) => {
  connected = resolve;
});
const ended = new Set();
const watching = (async () => {
  for await (const ev of session.events({ onConnect: connected })) {
    console.log(`job ${ev.jobId}: ${ev.previousState ?? 'new'} -> ${ev.state} (${ev.jobState}): ${ev.reason}`);
    if (ev.jobState === 'DONE' || ev.jobState === 'FAILED') ended.add(ev.jobId);
    if (ended.size === 2) break;
  }
})();
await ready;

await session.runJob({ remoteCommand: 'true', jobName: 'quick' });
await session.runJob({ script: 'sleep 1; exit 2', jobName: 'failing' });
await watching;
console.log('both jobs have ended');
await manager.destroyJobSession(session.name);
