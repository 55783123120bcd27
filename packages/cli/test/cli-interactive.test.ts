/**
 * `godocker submit --interactive` (like salloc): the job waits for its user, who works in it
 * through the SSH gateway with the real OpenSSH client; it ends `done` (exit 0) once its last
 * session has been closed for ssh.interactiveIdleSeconds, or when nobody came in within that
 * long of its start. On the Docker engine (the script is PID 1 of its container) and the
 * local executor.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../scheduler/test/helpers/api-caller.js';
import { addKey, makeKey, openssh } from '../../scheduler/test/helpers/ssh-client.js';
import {
  type ExecutorKind,
  startTestDaemon,
  TEST_IMAGE,
  type TestDaemon,
  waitJob,
} from '../../scheduler/test/helpers/test-daemon.js';
import { runCli } from './helpers/cli-harness.js';

const IDLE_SECONDS = 4;

for (const kind of ['docker', 'local'] as ExecutorKind[]) {
  describe(`godocker submit --interactive (${kind} executor, real OpenSSH client)`, () => {
    let t: TestDaemon;
    let alice: Caller;
    let keys: string;
    let key: string;
    let port: number;

    beforeAll(async () => {
      t = await startTestDaemon(kind, {
        ssh: { enabled: true, port: 0, interactiveIdleSeconds: IDLE_SECONDS },
        ...(kind === 'docker' ? { images: { catalogue: [TEST_IMAGE] } } : {}),
      });
      port = t.daemon.ssh?.port as number;
      alice = await t.addUser('alice', 2001);
      keys = await mkdtemp(join(tmpdir(), 'godocker-interactive-keys-'));
      key = await makeKey(keys, 'alice');
      await addKey(alice, key);
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      if (keys) await rm(keys, { recursive: true, force: true });
    });

    const submitInteractive = async (): Promise<Job> => {
      const r = await runCli(['submit', '--interactive', '-q'], { GODOCKER_URL: t.url, GODOCKER_TOKEN: alice.token }, tmpdir());
      expect(r.code, r.stderr).toBe(0);
      const id = Number(r.stdout.trim());
      const started = await waitJob(alice, id, 'started');
      expect(started.container.interactive).toBe(true);
      return started;
    };

    it('runs while a session is open, and ends done once the last one has been closed for the grace', async () => {
      const job = await submitInteractive();
      // A session that outlasts the grace: the job must not end under it.
      const session = openssh(port, key, 'alice', [String(job.id), '--', `sleep ${IDLE_SECONDS + 2}; echo still here`]);
      const result = await session.done;
      expect([result.code, result.stdout]).toEqual([0, 'still here\n']);
      const closedAt = Date.now();
      const after = (await alice.call<Job>('GET', `/api/v1/jobs/${job.id}`)).body;
      expect(after.status.state).toBe('running');

      const ended = await waitJob(alice, job.id, 'terminated', 60);
      const waited = (Date.now() - closedAt) / 1000;
      expect(ended.status).toMatchObject({
        state: 'done',
        exitCode: 0,
        reason: `interactive: its last SSH session closed ${IDLE_SECONDS}s ago`,
      });
      expect(waited).toBeGreaterThanOrEqual(IDLE_SECONDS - 1);
      // Nowhere near its one-hour time limit.
      expect(waited).toBeLessThan(IDLE_SECONDS + 30);
    }, 120_000);

    it('ends done when no session comes in within the grace of its start', async () => {
      const job = await submitInteractive();
      const ended = await waitJob(alice, job.id, 'terminated', 60);
      expect(ended.status).toMatchObject({
        state: 'done',
        exitCode: 0,
        reason: `interactive: no SSH session came in within ${IDLE_SECONDS}s of its start`,
      });
      const ran = (Date.parse(ended.status.endedAt as string) - Date.parse(ended.status.startedAt as string)) / 1000;
      expect(ran).toBeGreaterThanOrEqual(IDLE_SECONDS - 1);
      expect(ran).toBeLessThan(IDLE_SECONDS + 30);
    }, 120_000);

    it('refuses an interactive array, saying why', async () => {
      const r = await alice.call<{ error: { field: string; message: string } }>('POST', '/api/v1/jobs', {
        command: { script: 'true' },
        container: { interactive: true },
        array: '1-2',
      });
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ field: 'container.interactive' });
      expect(r.body.error.message).toMatch(/an array cannot be interactive/);
    });
  });
}
