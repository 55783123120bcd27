/**
 * The end-to-end suite on a real Docker Swarm (scripts/swarm-up.sh): each job a service of
 * one replica. Swarm cannot pause a service, so suspend is refused; what only containers do
 * (memory and cpu limits, OOM) is checked here as for the docker executor.
 */
import { expect, it } from 'vitest';
import { describeDaemonE2E } from './daemon-e2e.suite.js';
import { logsOf } from './helpers/test-daemon.js';

describeDaemonE2E('swarm', {
  suspend: false,
  extra: (get) => {
    it('OOM-kills a job over its memory limit: failed, reason says out of memory', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, {
        command: { script: 'x=$(head -c 200000000 /dev/zero | tr "\\000" a); printf %s "$x" | wc -c' },
        requirements: { ram: 16 },
      });
      expect(job.status).toMatchObject({ state: 'failed', oomKilled: true, exitCode: 137 });
      expect(job.status.reason).toMatch(/out of memory/);
    });

    it('gives the task the cpu limit asked for', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, {
        command: { script: 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max' },
        requirements: { cpu: 0.5 },
      });
      expect(job.status.state).toBe('done');
      expect((await logsOf(alice, job.id)).trim()).toBe('50000');
    });
  },
});
