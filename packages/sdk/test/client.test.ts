/**
 * GodockerClient against a real daemon, started in this process with the local
 * process executor: no mock of the server anywhere.
 */
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Daemon, startDaemon } from '@godocker/scheduler';
import {
  AuthenticationError,
  ConnectionError,
  type FetchFn,
  GodockerClient,
  GodockerError,
  type Job,
  type JobEvent,
  NotFoundError,
} from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let home: string;
let daemon: Daemon;
let client: GodockerClient;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'godocker-client-'));
  // The admin's jobs start in its home, which must exist (outside the daemon's own data folder).
  home = await mkdtemp(join(tmpdir(), 'godocker-client-home-'));
  if (process.getuid?.() === 0) await chown(home, 1000, 1000);
  daemon = await startDaemon({
    config: {
      dataDir: dir,
      server: { port: 0 },
      executor: { type: 'local' },
      scheduler: { tickSeconds: 0.2 },
      auth: { admin: { home } },
    },
    env: {},
    logger: false,
  });
  client = new GodockerClient({ url: daemon.url, token: daemon.adminToken ?? '' });
});

afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe('GodockerClient', () => {
  it('submits, waits and reads the output', async () => {
    const job = await client.submit({ command: { script: 'echo hi' }, meta: { name: 'hello' } });
    expect(job.id).toBeGreaterThan(0);
    expect(job.meta.name).toBe('hello');
    const { job: ended, timedOut } = await client.wait(job.id, { timeout: 30 });
    expect(timedOut).toBe(false);
    expect(ended.status.state).toBe('done');
    expect(ended.status.exitCode).toBe(0);
    expect(await client.logs(job.id)).toBe('hi\n');
    expect(await client.logs(job.id, 'stderr')).toBe('');
    expect((await client.getJob(job.id)).status.state).toBe('done');
  });

  it('returns a large array once all its tasks exist, or at once when asked', async () => {
    const tasks = 12_000;
    const parent = await client.submit({ command: { script: 'true' }, array: `1-${tasks}`, hold: true });
    expect(parent.array).toMatchObject({ count: tasks, created: tasks, tasks: { held: tasks } });
    const first = await client.listJobs({ parent: parent.id, limit: 1 });
    expect(first.jobs[0]?.taskIndex).toBe(tasks);
    const early = await client.submit({ command: { script: 'true' }, array: `1-${tasks}`, hold: true }, { waitForTasks: false });
    expect(early.array?.created).toBeLessThan(tasks);
    await client.action(early.id, 'kill');
    expect((await client.getJob(early.id)).array?.tasks).toEqual({ failed: tasks });
    await client.action(parent.id, 'kill');
  }, 120_000);

  it('waits for ever by default (a long wait is a loop of long-polls)', async () => {
    const job = await client.submit({ command: { script: 'sleep 1; exit 3' } });
    const started = await client.wait(job.id, { for: 'started' });
    expect(started.timedOut).toBe(false);
    expect(['running', 'done']).toContain(started.job.status.state);
    const { job: ended } = await client.wait(job.id);
    expect(ended.status.exitCode).toBe(3);
  });

  it('answers a wait that times out with timedOut, not an error', async () => {
    const job = await client.submit({ command: { script: 'echo never' }, hold: true });
    expect(job.status.state).toBe('held');
    const t0 = Date.now();
    const r = await client.wait(job.id, { timeout: 1 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(5000);
    const now = await client.wait(job.id, { timeout: 0 });
    expect(now.timedOut).toBe(true);
    await client.kill(job.id);
  });

  it('holds, releases and kills', async () => {
    const job = await client.submit({ command: { script: 'sleep 60' }, hold: true });
    expect(job.status.state).toBe('held');
    expect((await client.release(job.id)).status.state).not.toBe('held');
    await client.wait(job.id, { for: 'started', timeout: 30 });
    await client.kill(job.id);
    const { job: ended } = await client.wait(job.id, { timeout: 30 });
    expect(ended.status.state).toBe('failed');

    const held = await client.submit({ command: { script: 'echo x' }, hold: true });
    expect((await client.action(held.id, 'kill')).status.state).toBe('failed');
  });

  it('waits for many jobs, any or all', async () => {
    const fast = await client.submit({ command: { script: 'true' } });
    const slow = await client.submit({ command: { script: 'sleep 60' } });
    const any = await client.waitMany([fast.id, slow.id], { mode: 'any', timeout: 30 });
    expect(any.timedOut).toBe(false);
    expect(any.ready.map((j) => j.id)).toEqual([fast.id]);
    const all = await client.waitMany([fast.id, slow.id], { mode: 'all', timeout: 1 });
    expect(all.timedOut).toBe(true);
    await client.kill(slow.id);
    const done = await client.waitMany([fast.id, slow.id]);
    expect(done.timedOut).toBe(false);
    expect(done.ready.map((j) => j.id).sort()).toEqual([fast.id, slow.id].sort());
  });

  it('lists jobs page by page and iterates over every page', async () => {
    const tag = unique('page');
    const ids: number[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.submit({ command: { script: 'true' }, meta: { tags: [tag] }, hold: true })).id);
    const first = await client.listJobs({ tag, limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).not.toBeNull();
    const seen: number[] = [];
    for await (const job of client.jobs({ tag, limit: 2 })) seen.push(job.id);
    expect(seen).toEqual([...ids].reverse());
    for (const id of ids) await client.kill(id);
  });

  it('returns the same job for the same idempotency key', async () => {
    const key = unique('key');
    const a = await client.submit({ command: { script: 'true' } }, { idempotencyKey: key });
    const b = await client.submit({ command: { script: 'true' } }, { idempotencyKey: key });
    expect(b.id).toBe(a.id);
  });

  it('retries a submission whose answer was lost, with the same key, creating one job', async () => {
    const name = unique('lost');
    const keys: string[] = [];
    let calls = 0;
    // The request reaches the daemon (a job is created), then the answer is "lost".
    const lossy: FetchFn = async (input, init) => {
      const res = await fetch(input, init);
      keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
      if (++calls === 1) {
        await res.arrayBuffer();
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) });
      }
      return res;
    };
    const flaky = new GodockerClient({ url: daemon.url, token: daemon.adminToken ?? '', fetch: lossy });
    const job = await flaky.submit({ command: { script: 'true' }, meta: { name } });
    expect(calls).toBe(2);
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(keys[1]).toBe(keys[0]);
    const found = await client.listJobs({ name });
    expect(found.jobs.map((j) => j.id)).toEqual([job.id]);
  });

  it('follows logs as they are written, until the job ends', async () => {
    const job = await client.submit({ command: { script: 'echo one; sleep 2; echo two; echo err >&2' } });
    await client.wait(job.id, { for: 'started', timeout: 30 });
    await new Promise((r) => setTimeout(r, 500));
    const chunks: string[] = [];
    const it = client.followLogs(job.id);
    let final: Job | null = null;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        final = r.value;
        break;
      }
      chunks.push(r.value);
    }
    expect(chunks.join('')).toBe('one\ntwo\n');
    expect(chunks.length).toBeGreaterThanOrEqual(2); // it came as written, not at the end
    expect(final?.id).toBe(job.id);
    expect(final?.status.state).toBe('done');
    let err = '';
    for await (const text of client.followLogs(job.id, 'stderr')) err += text;
    expect(err).toBe('err\n');
  });

  it('follows the logs of a job that has not started yet', async () => {
    const job = await client.submit({ command: { script: 'echo early' } });
    let out = '';
    for await (const text of client.followLogs(job.id)) out += text;
    expect(out).toBe('early\n');
  });

  it('streams job events until the caller stops', async () => {
    const controller = new AbortController();
    const seen: JobEvent[] = [];
    let jobId = 0;
    const consumer = (async () => {
      for await (const ev of client.events({ signal: controller.signal })) {
        if (ev.job.id !== jobId) continue;
        seen.push(ev);
        if (ev.job.status.state === 'done') break;
      }
    })();
    // Give the stream a moment to be connected before the job changes state.
    await new Promise((r) => setTimeout(r, 300));
    jobId = (await client.submit({ command: { script: 'true' } })).id;
    const timer = setTimeout(() => controller.abort(), 20_000);
    await consumer;
    clearTimeout(timer);
    expect(seen.map((e) => e.job.status.state)).toContain('done');
    expect(seen.every((e) => e.type === 'job')).toBe(true);
  });

  it('ends an event stream quietly when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    let n = 0;
    for await (const _ of client.events({ signal: controller.signal })) n++;
    expect(n).toBeGreaterThanOrEqual(0);
  });

  it('manages users and tokens', async () => {
    const name = `u${Date.now() % 1e8}`;
    const created = await client.createUser({ name, uid: 2000, gid: 2000 });
    expect(created.user.name).toBe(name);
    expect(created.token.length).toBeGreaterThan(10);
    const asUser = new GodockerClient({ url: daemon.url, token: created.token });
    expect((await asUser.me()).name).toBe(name);
    const second = await client.createToken(name);
    expect((await new GodockerClient({ url: daemon.url, token: second.token }).me()).name).toBe(name);
    expect((await client.listUsers()).map((u) => u.name)).toContain(name);
    const info = await asUser.info();
    expect(info.name).toBe('GoDocker');
    expect(info.user?.name).toBe(name);
    expect((await client.me()).admin).toBe(true);
  });

  it('turns API errors into typed errors with their code', async () => {
    const bad = new GodockerClient({ url: daemon.url, token: 'wrong-token-000000' });
    const e1 = await bad.me().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(AuthenticationError);
    expect((e1 as GodockerError).code).toBe('GOD_UNAUTHENTICATED');
    const e2 = await client.getJob(999_999).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(NotFoundError);
    expect((e2 as GodockerError).code).toBe('GOD_JOB_NOT_FOUND');
    const e3 = await client.submit({ command: { script: 'true' }, requirements: { cpu: 1e9 } }).catch((e: unknown) => e);
    expect(GodockerError.is(e3)).toBe(true);
    expect((e3 as GodockerError).status).toBe(400);
  });

  it('reports an unreachable daemon as a ConnectionError saying what to do', async () => {
    const nobody = new GodockerClient({ url: 'http://127.0.0.1:9', token: 't' });
    const e = await nobody.info().catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConnectionError);
    expect((e as Error).message).toContain('http://127.0.0.1:9');
    expect((e as Error).message).toContain('godocker server');
    expect((e as Error).message).toContain('godocker login');
    // a submission is retried once, then fails the same way
    await expect(nobody.submit({ command: { script: 'true' } })).rejects.toBeInstanceOf(ConnectionError);
  });

  it('accepts a URL with a trailing slash or /api/v1', () => {
    expect(new GodockerClient({ url: `${daemon.url}/api/v1/` }).url).toBe(daemon.url);
    expect(new GodockerClient({ url: '127.0.0.1:6543' }).url).toBe('http://127.0.0.1:6543');
  });
});
