/**
 * The end-to-end suite on a real Kubernetes cluster (scripts/k8s-up.sh): each job a batch/v1 Job
 * of one pod. A pod cannot be paused, so suspend is refused; what the cluster enforces (memory and
 * cpu limits, OOM) is checked here as for the docker executor.
 */
import { expect, it } from 'vitest';
import { describeDaemonE2E } from './daemon-e2e.suite.js';
import { logsOf } from './helpers/test-daemon.js';

describeDaemonE2E('kubernetes', {
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

    it('gives the pod the cpu limit asked for', async () => {
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
