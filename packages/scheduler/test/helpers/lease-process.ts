/**
 * One RedisLeaderLease in a process of its own, run with vite-node (sources, no build), so a
 * test can SIGSTOP it like a daemon paused by the kernel, a debugger or a long GC, and see
 * what it believes when it wakes. argv: redis url, lease key, holder, lease ms.
 *
 * Prints JSON lines: `acquired` and `lost` as the lease tells them, and `woke` on the first
 * tick of its work loop after a gap longer than the lease, with what isLeader() and epoch()
 * answered right then — the moment a real leader would decide whether to act.
 */
import { RedisLeaderLease } from '../../src/coordination/leader-lease.js';

const [url, key, holder, leaseMs] = process.argv.slice(2);
if (!url || !key || !holder || !leaseMs) throw new Error('usage: lease-process URL KEY HOLDER LEASE_MS');

const say = (line: object) => process.stdout.write(`${JSON.stringify({ ...line, at: Date.now() })}\n`);
const lease = new RedisLeaderLease({ redis: url, key, holder, leaseMs: Number(leaseMs) });
lease.onAcquired((epoch) => say({ ev: 'acquired', epoch }));
lease.onLost((loss) => say({ ev: 'lost', epoch: loss.epoch, reason: loss.reason }));

const tickMs = 20;
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  if (now - last > Number(leaseMs))
    say({ ev: 'woke', gapMs: Math.round(now - last), leader: lease.isLeader(), epoch: lease.epoch() });
  last = now;
}, tickMs);

process.on('SIGTERM', () => {
  lease.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await lease.start();
say({ ev: 'started' });
