/**
 * The Kubernetes API server stops answering the daemon for 30 s under a queue of jobs. The cluster
 * itself goes on (scripts/k8s-up.sh); the daemon reaches the API server through a relay the test
 * cuts (plugins/test/helpers/tcp-cut.ts): a refused port, connections reset under open watches.
 * What a user relies on: no job fails for it, the jobs that were running end as they really ended,
 * the queue runs once the API server is back, and none runs twice.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpCut, type TcpCut } from '../../plugins/test/helpers/tcp-cut.js';
import type { Caller } from './helpers/api-caller.js';
import { K8S_KUBECONFIG, startTestDaemon, type TestDaemon, tasksOf, until, waitJob } from './helpers/test-daemon.js';

const OUTAGE_MS = 30_000;

describe('the Kubernetes API server does not answer for 30 s under a queue of jobs', () => {
  let relay: TcpCut;
  let t: TestDaemon;
  let alice: Caller;
  const scratch = mkdtempSync(join(tmpdir(), 'godocker-k8s-api-outage-'));
  const runs = join(scratch, 'runs');

  beforeAll(async () => {
    const admin = readFileSync(K8S_KUBECONFIG, 'utf8');
    const server = /server: https:\/\/([\d.]+):(\d+)/.exec(admin);
    if (!server) throw new Error(`no server: line in ${K8S_KUBECONFIG}`);
    relay = await startTcpCut({ host: server[1] as string, port: Number(server[2]) });
    const kubeconfig = join(scratch, 'kubeconfig');
    writeFileSync(kubeconfig, admin.replace(server[0], `server: https://127.0.0.1:${relay.port}`));
    mkdirSync(runs);
    chmodSync(scratch, 0o755);
    chmodSync(runs, 0o777);
    t = await startTestDaemon('kubernetes', {
      executor: { options: { kubeconfig } },
      volumes: [{ name: 'runs', hostPath: runs, containerPath: '/runs', mode: 'rw' }],
      limits: { defaultCpu: 0.25 },
    });
    alice = await t.addUser('alice', 2001);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await relay?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('fails no job: those running end as they ended, the queue runs once it is back, none twice', async () => {
    // mkdir fails on a second run of the same task, so a task run twice would end failed.
    const s = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'mkdir /runs/$GODOCKER_TASK_ID && sleep 3' },
      container: { volumes: [{ name: 'runs' }] },
      array: '1-24',
    });
    expect(s.status).toBe(201);
    const parent = s.body.id;
    await until('some tasks running', 60, async () =>
      (await tasksOf(alice, parent)).some((j) => j.status.state === 'running') ? true : undefined,
    );

    const cutAt = Date.now();
    await relay.cut();
    const waiting = await until('a task waiting for the executor', 20, async () => {
      const j = (await tasksOf(alice, parent)).find((x) => x.status.state === 'pending');
      if (!j) return undefined;
      const why = await alice.call<{ code: string; message: string }>('GET', `/api/v1/jobs/${j.id}/explain`);
      return why.body.code === 'ExecutorUnavailable' ? why.body : undefined;
    });
    expect(waiting.message).toMatch(/executor does not answer.*Kubernetes API server does not answer/);
    while (Date.now() - cutAt < OUTAGE_MS) {
      const failed = (await tasksOf(alice, parent)).filter((j) => j.status.state === 'failed');
      expect(failed.map((j) => `${j.id}: ${j.status.reason}`)).toEqual([]);
      await delay(2_000);
    }
    await relay.restore();

    const end = await waitJob(alice, parent, 'terminated', 240);
    const tasks = await tasksOf(alice, parent);
    expect(tasks.filter((j) => j.status.state !== 'done').map((j) => [j.id, j.status.reason])).toEqual([]);
    expect(tasks).toHaveLength(24);
    expect(end.status.state).toBe('done');
    expect(readdirSync(runs)).toHaveLength(24);
  }, 360_000);
});
