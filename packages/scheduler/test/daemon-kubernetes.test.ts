/**
 * The end-to-end suite on a real Kubernetes cluster (scripts/k8s-up.sh): each job a batch/v1 Job
 * of one pod. A pod cannot be paused, so suspend is refused; what the cluster enforces (memory and
 * cpu limits, OOM) is checked here as for the docker executor.
 */

import type { Job } from '@godocker/sdk';
import { expect, it } from 'vitest';
import { K8S_NODE, kubectl } from '../../plugins/test/helpers/kubernetes.js';
import { describeDaemonE2E } from './daemon-e2e.suite.js';
import { logsOf, until, waitJob } from './helpers/test-daemon.js';

describeDaemonE2E('kubernetes', {
  suspend: false,
  // A pod the cluster cannot place goes back to the queue after this long (the default is 60 s).
  overrides: { executor: { options: { unschedulableSeconds: 2 } } },
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

    it('a pod the cluster cannot place goes back to pending with the scheduler’s reason, then runs', async () => {
      const { alice } = get();
      // Tainted, the node stays Ready for GoDocker but takes no pod without a toleration.
      kubectl('taint', 'node', K8S_NODE, 'godocker.test/maintenance=1:NoSchedule');
      let untainted = false;
      const untaint = () => {
        if (!untainted) kubectl('taint', 'node', K8S_NODE, 'godocker.test/maintenance=1:NoSchedule-');
        untainted = true;
      };
      try {
        const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'echo placed at last' } });
        const requeued = await until('the job requeued', 30, async () => {
          const j = (await alice.call<Job>('GET', `/api/v1/jobs/${s.body.id}`)).body;
          return j.status.history.find((h) => h.reason.startsWith('requeued: the cluster could not place it'));
        });
        expect(requeued.state).toBe('pending');
        expect(requeued.reason, requeued.reason).toMatch(
          /^requeued: the cluster could not place it on node 127\.0\.0\.1 for 2 s: 0\/1 nodes are available: 1 node\(s\) had untolerated taint/,
        );
        untaint();
        const done = await waitJob(alice, s.body.id, 'terminated', 60);
        expect(done.status.state).toBe('done');
        expect(await logsOf(alice, s.body.id)).toBe('placed at last\n');
      } finally {
        untaint();
      }
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
