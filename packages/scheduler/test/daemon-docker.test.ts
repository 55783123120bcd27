/**
 * The end-to-end suite on the real Docker engine, plus what only containers do:
 * memory and cpu limits, volumes from the catalogue with their ACL, root rights.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, taskKey } from '@godocker/sdk';
import { expect, it } from 'vitest';
import { describeDaemonE2E } from './daemon-e2e.suite.js';
import { sampleValue } from './helpers/exposition.js';
import { logsOf, waitJob } from './helpers/test-daemon.js';

const volumes = mkdtempSync(join(tmpdir(), 'godocker-vol-'));
mkdirSync(join(volumes, 'home', 'alice'), { recursive: true });
chownSync(join(volumes, 'home', 'alice'), 2001, 2002);
mkdirSync(join(volumes, 'ref'));
writeFileSync(join(volumes, 'ref', 'genome.fa'), '>chr1\nACGT\n');

function containerExists(name: string): boolean {
  try {
    execFileSync('docker', ['inspect', '--type', 'container', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describeDaemonE2E('docker', {
  overrides: {
    volumes: [
      { name: 'home', hostPath: join(volumes, 'home', '$USER'), containerPath: '/home/$USER', mode: 'rw' },
      { name: 'ref', hostPath: join(volumes, 'ref'), containerPath: '/ref', mode: 'ro' },
    ],
    security: { rootUsers: ['admin'] },
    images: { catalogue: ['local/busybox:latest', 'local/missing:latest'] },
  },
  extra: (get) => {
    it('OOM-kills a job over its memory limit: failed, reason says out of memory', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, {
        command: { script: 'x=$(head -c 200000000 /dev/zero | tr "\\000" a); printf %s "$x" | wc -c' },
        requirements: { ram: 16 },
      });
      expect(job.status).toMatchObject({ state: 'failed', oomKilled: true, exitCode: 137, signal: 'SIGKILL' });
      expect(job.status.reason).toMatch(/out of memory/);
      const text = (await t.admin.call('GET', '/metrics')).text;
      expect(sampleValue(text, 'godocker_jobs_ended_total', { project: job.project, result: 'oom' })).toBe(1);
    });

    it('gives the container the cpu limit asked for', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, {
        command: { script: 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cut -d" " -f1 /sys/fs/cgroup/cpu.max' },
        requirements: { cpu: 0.5 },
      });
      expect(job.status.state).toBe('done');
      expect((await logsOf(alice, job.id)).trim()).toBe('50000');
    });

    it('mounts catalogue volumes with their ACL and $USER substituted', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, {
        command: {
          script:
            'cat /ref/genome.fa; echo result > /home/alice/out.txt && echo wrote; touch /ref/x 2>/dev/null || echo ro-refused',
        },
        container: { volumes: [{ name: 'home' }, { name: 'ref' }] },
      });
      expect(job.status.state).toBe('done');
      expect(await logsOf(alice, job.id)).toBe('>chr1\nACGT\nwrote\nro-refused\n');
      expect(readFileSync(join(volumes, 'home', 'alice', 'out.txt'), 'utf8')).toBe('result\n');
      const ro = await t.run(alice, {
        command: { script: 'echo x > /home/alice/ro.txt' },
        container: { volumes: [{ name: 'home', mode: 'ro' }] },
      });
      expect(ro.status.state).toBe('failed');
    });

    it('removes the container of a killed job', async () => {
      const { t, alice } = get();
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 300' } });
      await waitJob(alice, s.body.id, 'started');
      const name = taskKey(t.daemon.clusterId, s.body.id);
      expect(containerExists(name)).toBe(true);
      await alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      await waitJob(alice, s.body.id);
      expect(containerExists(name)).toBe(false);
    });

    it('runs as root only for users the admin allows', async () => {
      const { t, alice } = get();
      const refused = await alice.call('POST', '/api/v1/jobs', { command: { script: 'id -u' }, container: { root: true } });
      expect(refused.status).toBe(403);
      const job = await t.run(t.admin, { command: { script: 'id -u' }, container: { root: true } });
      expect(await logsOf(t.admin, job.id)).toBe('0\n');
    });

    it('records a start failure as failed with no exit code, no signal and no start; `exit 130` as exit code 130', async () => {
      const { t, alice } = get();
      const missing = await t.run(alice, { command: { script: 'true', workdir: '/no/such/dir' } });
      expect(missing.status).toMatchObject({
        state: 'failed',
        reason: 'could not start: working directory /no/such/dir does not exist',
        exitCode: null,
        signal: null,
        startedAt: null,
      });
      const exited = await t.run(alice, { command: { script: 'exit 130' } });
      expect(exited.status).toMatchObject({ state: 'failed', reason: 'exited with code 130', exitCode: 130, signal: null });
    });

    it('reports the signal of a stop GoDocker sent (kill, time limit); `exit 137` is an exit code', async () => {
      const { t, alice } = get();
      const s = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 300' } });
      await waitJob(alice, s.body.id, 'started');
      await alice.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' });
      // sleep is PID 1 of its container and ignores SIGTERM: the SIGKILL after the grace ends it.
      const killed = await waitJob(alice, s.body.id);
      expect(killed.status).toMatchObject({ state: 'failed', reason: 'killed by alice', exitCode: 137, signal: 'SIGKILL' });
      const limited = await t.run(alice, { command: { script: 'sleep 300' }, requirements: { timeLimit: 1 } });
      expect(limited.status).toMatchObject({ state: 'failed', exitCode: 137, signal: 'SIGKILL', oomKilled: false });
      expect(limited.status.reason).toMatch(/time limit of 1s exceeded/);
      const exited = await t.run(alice, { command: { script: 'exit 137' } });
      expect(exited.status).toMatchObject({ state: 'failed', reason: 'exited with code 137', exitCode: 137, signal: null });
    });

    it('fails a job whose image is in the catalogue but not on the engine, saying so', async () => {
      const { t, alice } = get();
      const job = await t.run(alice, { command: { script: 'true' }, container: { image: 'local/missing:latest' } });
      expect(job.status.state).toBe('failed');
      expect(job.status.exitCode).toBeNull();
      expect(job.status.reason).toMatch(/could not start: .*local\/missing:latest/);
    });
  },
});
