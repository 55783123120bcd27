/**
 * Per-job resource usage end to end, on the real Docker engine, the local executor, a Swarm
 * task on the manager's engine and a pod of the test Kubernetes cluster: a job
 * that holds 200 MiB shows a peak near 200 MiB in `GET /jobs/{id}/usage`, in its document and
 * in `godocker show --usage`; a busy loop's cpu seconds are about its run time; the series
 * survives a daemon restart; a job that asked for far more memory than it used is told so.
 * local/memhog:latest comes from scripts/build-test-images.sh (busybox and a static memhog).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job, JobUsage, UsageReport } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Caller, caller } from '../../scheduler/test/helpers/api-caller.js';
import {
  ADMIN_TOKEN,
  type ExecutorKind,
  logsOf,
  SWARM_SOCKET,
  startTestDaemon,
  type TestDaemon,
  until,
  waitJob,
} from '../../scheduler/test/helpers/test-daemon.js';
import { runCli } from './helpers/cli-harness.js';

const MEMHOG = 'local/memhog:latest';
const BUILD_IMAGES = fileURLToPath(new URL('../../../scripts/build-test-images.sh', import.meta.url));
const HOLD_MB = 200;
// What else the job holds (its shell, memhog's own pages, page cache cgroup v1 counts in its peak).
const SLACK_MB = 40;

const USAGE = { usage: { sampleSeconds: 0.5, saveSeconds: 0 } };

/** How each executor is told to hold 200 MiB for a few seconds. */
const HOLD_SCRIPT: Record<'docker' | 'local', string> = {
  docker: `memhog ${HOLD_MB} 4`,
  local: `/usr/bin/python3 -c "b=bytearray(${HOLD_MB}*1024*1024); import time; time.sleep(4)"`,
};

// A busy loop in the shell itself (no process per turn); then the shell says the cpu time it and
// its children used (`times`), and stays a little so that the last reading comes after the loop.
const BUSY_SCRIPT = 'i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done; times; sleep 1.5';

/** The four "0m1.230s" of `times` (the shell's and its children's user and system time), summed. */
function cpuOfTimes(text: string): number {
  return [...text.matchAll(/(\d+)m([\d.]+)s/g)].reduce((s, m) => s + Number(m[1]) * 60 + Number(m[2]), 0);
}

function cli(t: TestDaemon, args: string[]) {
  return runCli(args, { GODOCKER_URL: t.url, GODOCKER_TOKEN: ADMIN_TOKEN }, tmpdir());
}

async function usageOf(who: Caller, id: number): Promise<JobUsage> {
  const r = await who.call<JobUsage>('GET', `/api/v1/jobs/${id}/usage`);
  expect(r.status).toBe(200);
  return r.body;
}

/**
 * Runs a job that holds HOLD_MB MiB (asking 1 GiB) to its end: its peak is near HOLD_MB in the
 * API, from at least `minSamples` readings, and its record carries the same peak.
 */
async function holdAndRead(
  t: TestDaemon,
  alice: Caller,
  script: string,
  image: string,
  minSamples: number,
): Promise<{ job: Job; usage: JobUsage }> {
  const job = await t.run(alice, { command: { script }, container: { image }, requirements: { ram: 1024 } });
  expect(job.status.state).toBe('done');
  const usage = await usageOf(alice, job.id);
  expect(usage.totals.samples).toBeGreaterThanOrEqual(minSamples);
  expect(usage.totals.peakMemoryMb).toBeGreaterThanOrEqual(HOLD_MB - 5);
  expect(usage.totals.peakMemoryMb).toBeLessThanOrEqual(HOLD_MB + SLACK_MB);
  // The job's own record carries the totals once it ended.
  expect(job.usage.maxMemoryMb).toBe(usage.totals.peakMemoryMb);
  return { job, usage };
}

function describeUsage(kind: 'docker' | 'local'): void {
  describe(`job usage (${kind} executor)`, () => {
    let t: TestDaemon;
    let alice: Caller;

    beforeAll(async () => {
      if (kind === 'docker') execFileSync('bash', [BUILD_IMAGES], { stdio: 'pipe' });
      t = await startTestDaemon(kind as ExecutorKind, {
        ...USAGE,
        images: { catalogue: ['local/busybox:latest', MEMHOG] },
      });
      alice = await t.addUser('alice', 2001, 2002);
    });
    afterAll(async () => {
      await t?.stop();
    });

    it(`a job holding ${HOLD_MB} MiB shows a peak near ${HOLD_MB} MiB: API, job document, godocker show --usage`, async () => {
      const { job, usage } = await holdAndRead(
        t,
        alice,
        HOLD_SCRIPT[kind],
        kind === 'docker' ? MEMHOG : 'local/busybox:latest',
        3,
      );
      expect(usage.series.length).toBeGreaterThanOrEqual(2);
      expect(Math.max(...usage.series.map((p) => p.peakMemoryMb ?? 0))).toBe(usage.totals.peakMemoryMb);
      expect(job.usage.cpuSeconds).toBe(usage.totals.cpuSeconds);

      const shown = await cli(t, ['show', String(job.id), '--usage']);
      expect(shown.stderr).toBe('');
      expect(shown.code).toBe(0);
      const peak = /Peak memory:\s+(\d+)M of 1G asked/.exec(shown.stdout);
      expect(peak, shown.stdout).not.toBeNull();
      expect(Number(peak?.[1])).toBe(Math.ceil(usage.totals.peakMemoryMb ?? 0));
      expect(shown.stdout).toMatch(/CPU \(cores\):/);
      expect(shown.stdout).toMatch(/Block io:\s+read \d/);
      // A local job has no network of its own (nor has a container with none: this one has none either).
      expect(shown.stdout).toMatch(/Network:\s+not measured$/m);
      expect(shown.stdout).toMatch(/UNTIL\s+SECONDS\s+CORES\s+MEM\s+PEAK/);
      const json = await cli(t, ['show', String(job.id), '--usage', '-o', 'json']);
      expect(JSON.parse(json.stdout)).toEqual(usage);
      // Accounting reads the same totals from the job's record.
      const acct = await cli(t, ['acct', '-u', 'alice', '-o', 'JobIDRaw,MaxRSS,TotalCPURaw', '--json']);
      const row = (JSON.parse(acct.stdout) as Array<Record<string, unknown>>).find((r) => r.JobIDRaw === job.id);
      expect(row).toEqual({
        JobIDRaw: job.id,
        MaxRSS: `${Math.round(usage.totals.peakMemoryMb ?? 0)}M`,
        TotalCPURaw: usage.totals.cpuSeconds,
      });
    });

    it('a busy loop: the cpu seconds sampled are those the job says it used, and no more than it ran', async () => {
      const job = await t.run(alice, { command: { script: BUSY_SCRIPT }, requirements: { cpu: 1 } });
      expect(job.status.state).toBe('done');
      const own = cpuOfTimes(await logsOf(alice, job.id));
      expect(own).toBeGreaterThan(0.2);
      const usage = await usageOf(alice, job.id);
      const cpu = usage.totals.cpuSeconds ?? 0;
      // The machine's other work may keep the loop waiting (cpu below wall time), never make it faster than one core.
      expect(cpu).toBeGreaterThan(own * 0.9 - 0.05);
      expect(cpu).toBeLessThan(own * 1.1 + 0.15);
      expect(cpu).toBeLessThanOrEqual(job.usage.wallSeconds * 1.05);
      expect(job.usage.cpuSeconds).toBe(cpu);
      const sum = usage.series.reduce((s, p) => s + (p.cpuSeconds ?? 0), 0);
      expect(sum).toBeCloseTo(cpu, 6);
      // `godocker usage` puts the cpu used beside the cpu reserved (1 core times its run time).
      const report = JSON.parse((await cli(t, ['usage', '--by', 'user', '--since', '1h', '--json'])).stdout) as UsageReport;
      const all = JSON.parse((await cli(t, ['acct', '-u', 'alice', '-o', 'TotalCPURaw', '--json'])).stdout) as Array<{
        TotalCPURaw: number | null;
      }>;
      const alices = report.rows.find((r) => r.name === 'alice');
      expect(alices?.cpuUsedSeconds).toBeCloseTo(
        all.reduce((s, r) => s + (r.TotalCPURaw ?? 0), 0),
        6,
      );
      expect(alices?.cpuUsedSeconds).toBeGreaterThanOrEqual(cpu);
    });

    it("a job that never ran has no reading; another user's job, or a bad id, is refused with its code", async () => {
      const held = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, hold: true });
      expect(held.status).toBe(201);
      expect(await usageOf(alice, held.body.id)).toEqual({
        jobId: held.body.id,
        stepSeconds: USAGE.usage.sampleSeconds,
        totals: expect.objectContaining({ samples: 0, sampledAt: null, cpuSeconds: null, peakMemoryMb: null }),
        series: [],
      });
      const bob = await t.addUser(`bob${kind}`, 2003, 2004);
      const other = await bob.call<{ error: { code: string } }>('GET', `/api/v1/jobs/${held.body.id}/usage`);
      expect(other.status).toBe(404);
      expect(other.body.error.code).toBe('GOD_JOB_NOT_FOUND');
      const bad = await alice.call<{ error: { code: string; field?: string } }>('GET', '/api/v1/jobs/x1/usage');
      expect(bad.status).toBe(400);
      expect(bad.body.error.code).toBe('GOD_INVALID_REQUEST');
      const shown = await cli(t, ['show', '999999', '--usage']);
      expect(shown.code).not.toBe(0);
      expect(shown.stderr).toMatch(/999999/);
    });

    it('an ended job that used a small part of the memory it asked for is told to ask for less', async () => {
      const job = await t.run(alice, { command: { script: 'sleep 2' }, requirements: { ram: 2048 } });
      expect(job.usage.maxMemoryMb).not.toBeNull();
      const shown = await cli(t, ['show', String(job.id)]);
      expect(shown.stdout).toMatch(
        /Efficiency:\s+used 1% of the 2G of memory it asked for \(peak \d+M\): ask for less \(--mem 64M\)/,
      );
      const fits = await t.run(alice, {
        command: { script: HOLD_SCRIPT[kind].replace(' 4', ' 1').replace('sleep(4)', 'sleep(1)') },
        container: { image: kind === 'docker' ? MEMHOG : 'local/busybox:latest' },
        requirements: { ram: 256 },
      });
      expect((await cli(t, ['show', String(fits.id)])).stdout).not.toMatch(/Efficiency/);
    });
  });
}

describeUsage('docker');
describeUsage('local');

/** Runs memhog holding HOLD_MB MiB on a daemon of `kind`; returns the job, its usage and the daemon (to stop). */
async function heldOn(kind: 'swarm' | 'kubernetes'): Promise<{ t: TestDaemon; alice: Caller; job: Job; usage: JobUsage }> {
  const t = await startTestDaemon(kind, { ...USAGE, images: { catalogue: ['local/busybox:latest', MEMHOG] } });
  try {
    const alice = await t.addUser('alice', 2001, 2002);
    return { t, alice, ...(await holdAndRead(t, alice, `memhog ${HOLD_MB} 5`, MEMHOG, 2)) };
  } catch (e) {
    await t.stop();
    throw e;
  }
}

describe('job usage (swarm executor)', () => {
  it(`a task on the manager's engine is read: ${HOLD_MB} MiB held show as the peak`, async () => {
    execFileSync('bash', [BUILD_IMAGES], { stdio: 'pipe', env: { ...process.env, GODOCKER_DOCKER_SOCKET: SWARM_SOCKET } });
    const { t } = await heldOn('swarm');
    await t.stop();
  });
});

describe('job usage (kubernetes executor)', () => {
  it(`a pod is read from its node's kubelet: ${HOLD_MB} MiB held show as the peak, in the API and godocker show --usage`, async () => {
    // local/memhog:latest is in the test cluster's containerd (scripts/k8s-up.sh copies it in).
    const { t, job, usage } = await heldOn('kubernetes');
    try {
      expect(usage.totals.cpuSeconds).toBeGreaterThan(0);
      // The kubelet's summary has no block io bytes: unknown, not zero.
      expect(usage.totals.readBytes).toBeNull();
      const shown = await cli(t, ['show', String(job.id), '--usage']);
      expect(shown.code).toBe(0);
      const peak = /Peak memory:\s+(\d+)M of 1G asked/.exec(shown.stdout);
      expect(peak, shown.stdout).not.toBeNull();
      expect(Number(peak?.[1])).toBe(Math.ceil(usage.totals.peakMemoryMb ?? 0));
      expect(shown.stdout).toMatch(/Block io:\s+not measured$/m);
    } finally {
      await t.stop();
    }
  });
});

describe('job usage across a daemon restart (docker executor)', () => {
  it('keeps the series sampled before the restart and goes on after it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'godocker-usage-restart-'));
    const overrides = { ...USAGE, images: { catalogue: ['local/busybox:latest', MEMHOG] } };
    let t = await startTestDaemon('docker', overrides, dir);
    try {
      const alice = await t.addUser('alice', 2001, 2002);
      const s = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: 'memhog 50 8' },
        container: { image: MEMHOG },
      });
      expect(s.status).toBe(201);
      const before = await until('three readings', 30, async () => {
        const u = await usageOf(alice, s.body.id);
        return u.totals.samples >= 3 ? u : undefined;
      });
      await t.daemon.stop();
      t = await startTestDaemon('docker', overrides, dir);
      const again = caller(t.url, alice.token);
      const job = await waitJob(again, s.body.id, 'terminated', 60);
      expect(job.status.state).toBe('done');
      const after = await usageOf(again, s.body.id);
      expect(after.totals.samples).toBeGreaterThan(before.totals.samples);
      expect(after.series.slice(0, 1)).toEqual(before.series.slice(0, 1));
      expect(after.totals.peakMemoryMb).toBeGreaterThanOrEqual(45);
    } finally {
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
