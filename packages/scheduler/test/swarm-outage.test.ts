/**
 * The swarm's manager does not answer the daemon for 30 s under a queue of jobs. The swarm itself
 * goes on (scripts/swarm-up.sh; other tests use it); the daemon reaches the manager's socket
 * through a relay the test cuts (plugins/test/helpers/tcp-cut.ts): the socket file gone,
 * connections reset under open requests and event streams.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { startUnixCut, type TcpCut } from '../../plugins/test/helpers/tcp-cut.js';
import type { Caller } from './helpers/api-caller.js';
import { expectOutageLosesNothing } from './helpers/outage.js';
import { SWARM_SOCKET, startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

describe('the swarm manager does not answer for 30 s under a queue of jobs', () => {
  let relay: TcpCut;
  let t: TestDaemon;
  let alice: Caller;
  const scratch = mkdtempSync(join(tmpdir(), 'godocker-swarm-outage-'));
  const runs = join(scratch, 'runs');

  beforeAll(async () => {
    const socketPath = join(scratch, 'manager.sock');
    relay = await startUnixCut(socketPath, SWARM_SOCKET);
    mkdirSync(runs);
    chmodSync(scratch, 0o755);
    chmodSync(runs, 0o777);
    t = await startTestDaemon('swarm', {
      executor: { options: { socketPath, capacity: { cpu: 4, ram: 4096 } } },
      volumes: [{ name: 'runs', hostPath: runs, containerPath: '/runs', mode: 'rw' }],
      limits: { defaultCpu: 1 },
    });
    alice = await t.addUser('alice', 2001);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await relay?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('fails no job: those running end as they ended, the queue runs once it is back, none twice', async () => {
    await expectOutageLosesNothing({
      alice,
      runs,
      tasks: 16,
      seconds: 30,
      cut: () => relay.cut(),
      restore: () => relay.restore(),
      unavailable: /executor does not answer.*Docker engine/,
    });
  }, 360_000);
});
