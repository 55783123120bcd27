/**
 * The ssh gateway into a job of the kubernetes executor (the real test cluster, scripts/k8s-up.sh),
 * driven by the real OpenSSH client: the command runs in the job's pod through the API server's exec.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { addKey, makeKey, openssh, sshOnce, submitSleeper } from './helpers/ssh-client.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

describe('ssh gateway (kubernetes executor, real OpenSSH client)', () => {
  let t: TestDaemon;
  let alice: Caller;
  let keys: string;
  let key: string;
  let port: number;

  beforeAll(async () => {
    t = await startTestDaemon('kubernetes', { ssh: { enabled: true, port: 0 } });
    port = t.daemon.ssh?.port as number;
    alice = await t.addUser('alice', 2001);
    keys = await mkdtemp(join(tmpdir(), 'godocker-ssh-keys-'));
    key = await makeKey(keys, 'alice');
    await addKey(alice, key);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    if (keys) await rm(keys, { recursive: true, force: true });
  });

  it('runs a command in the pod as the job\u2019s uid, with stdin, its exit status and a terminal', async () => {
    const job = await submitSleeper(alice);
    const id = await sshOnce(port, key, 'alice', [String(job.id), '--', 'id -u; echo $GODOCKER_JOB_ID; exit 5']);
    expect([id.code, id.stdout.trim().split('\n'), id.stderr]).toEqual([5, ['2001', String(job.id)], '']);
    const cat = await sshOnce(port, key, `alice+${job.id}`, ['cat'], 'hi from stdin\n');
    expect([cat.code, cat.stdout]).toEqual([0, 'hi from stdin\n']);
    const shell = openssh(port, key, 'alice', [String(job.id)], { tty: true });
    shell.child.stdin.write('tty; stty size; exit 3\n');
    const r = await shell.done;
    expect(r.code).toBe(3);
    expect(r.stdout.replaceAll('\r', '')).toMatch(/^24 80$/m);
    await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
  }, 120_000);
});
