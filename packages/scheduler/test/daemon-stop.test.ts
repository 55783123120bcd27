/**
 * A stop leaves running tasks running for the next daemon to adopt: it must not wait for
 * them. It once did (the runtime awaited the executor's wait of each task), so any task left
 * running held a test's afterAll until the hook timed out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, expect, it } from 'vitest';
import { startTestDaemon, waitJob } from './helpers/test-daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'godocker-stop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('stops at once while a task runs; the next daemon adopts the task and can kill it', async () => {
  const first = await startTestDaemon('local', {}, dir);
  const s = await first.admin.call<Job>('POST', '/api/v1/jobs', { command: { script: 'sleep 120' } });
  expect(s.status).toBe(201);
  await waitJob(first.admin, s.body.id, 'started');
  const before = performance.now();
  await first.stop();
  expect(performance.now() - before).toBeLessThan(10_000);

  const second = await startTestDaemon('local', {}, dir);
  try {
    expect((await second.admin.call<Job>('GET', `/api/v1/jobs/${s.body.id}`)).body.status.state).toBe('running');
    expect((await second.admin.call('POST', `/api/v1/jobs/${s.body.id}/actions`, { action: 'kill' })).status).toBe(200);
    const job = await waitJob(second.admin, s.body.id, 'terminated', 30);
    expect([job.status.state, job.status.reason]).toEqual(['failed', 'killed by admin']);
  } finally {
    await second.stop();
  }
});
