/**
 * The docker executor against the real engine on this machine (no mocks):
 * local/busybox:latest must exist (scripts/build-test-images.sh).
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setTimeout as delay } from 'node:timers/promises';
import {
  ConfigError,
  type Executor,
  ExecutorError,
  ExecutorUnavailableError,
  type ExitInfo,
  type RunSpec,
  TASK_LABELS,
  type TaskHandle,
} from '@godocker/sdk';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOptions } from '../src/docker/container-spec.js';
import { createDockerExecutor } from '../src/docker/index.js';
import { makeRunSpec, type RunSpecOverrides, testLogger } from './helpers/run-spec.js';

const SOCKET = '/var/run/docker.sock';
const clusterId = `test-${process.pid}-${Date.now()}`;
const docker = new Docker({ socketPath: SOCKET });
const context = { clusterId, dataDir: '/tmp', logger: testLogger };

let executor: Executor;
let scratch: string;
let nextJobId = 1;
const entrypointImage = `local/godocker-test-entrypoint:${process.pid}`;

function spec(overrides: RunSpecOverrides = {}): RunSpec {
  const jobId = nextJobId++;
  return makeRunSpec(clusterId, jobId, { jobDir: join(scratch, 'logs', String(jobId)), ...overrides });
}

interface Finished {
  handle: TaskHandle;
  exit: ExitInfo;
  stdout: string;
  stderr: string;
}

/** start, wait, collect: what the daemon does with every job. */
async function run(overrides: RunSpecOverrides = {}): Promise<Finished> {
  const s = spec(overrides);
  const handle = await executor.start(s);
  const exit = await executor.wait(handle);
  await executor.collect(handle, s.jobDir);
  return {
    handle,
    exit,
    stdout: await readFile(join(s.jobDir, 'stdout'), 'utf8'),
    stderr: await readFile(join(s.jobDir, 'stderr'), 'utf8'),
  };
}

async function snapshot(handle: TaskHandle, stream: 'stdout' | 'stderr' = 'stdout'): Promise<string> {
  return text(await executor.logs(handle, stream, { follow: false }));
}

async function until(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await delay(100);
  }
}

const counter = 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done';
const lineCount = (s: string): number => s.split('\n').filter((l) => l !== '').length;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'godocker-docker-test-'));
  executor = await createDockerExecutor({ socketPath: SOCKET }, context);
});

afterAll(async () => {
  await executor?.close();
  const ours = await docker.listContainers({ all: true, filters: { label: [`${TASK_LABELS.cluster}=${clusterId}`] } });
  await Promise.all(ours.map((c) => docker.getContainer(c.Id).remove({ force: true })));
  await docker
    .getImage(entrypointImage)
    .remove({ force: true })
    .catch(() => undefined);
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('docker executor: running scripts', () => {
  it('runs an echo job to exit 0 and collects stdout and stderr into files', async () => {
    const r = await run({ script: 'echo hello; echo oops >&2' });
    expect(r.exit).toMatchObject({ exitCode: 0, signal: null, oomKilled: false, error: null });
    expect(r.exit.startedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(Date.parse(r.exit.endedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(r.exit.startedAt ?? ''));
    expect(Date.now() - Date.parse(r.exit.endedAt ?? '')).toBeLessThan(60_000);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).toBe('oops\n');
    expect(r.handle.id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports the exit code of `exit 3`', async () => {
    const r = await run({ script: 'exit 3' });
    expect(r.exit).toMatchObject({ exitCode: 3, signal: null, oomKilled: false });
  });

  it('reports `exit N` as the exit code N, not as a signal, for every N the engine reports as 128+signal', async () => {
    // 129-159 are 128 + SIGHUP..SIGSYS: what a signal would give, and what `exit N` gives too.
    const codes = [...Array.from({ length: 31 }, (_, i) => 129 + i), 1, 126, 127, 128, 192, 255];
    const results: [number, number, string | null][] = [];
    for (let i = 0; i < codes.length; i += 8) {
      const batch = codes.slice(i, i + 8);
      const ends = await Promise.all(batch.map(async (code) => [code, (await run({ script: `exit ${code}` })).exit] as const));
      for (const [code, exit] of ends) results.push([code, exit.exitCode, exit.signal]);
    }
    expect(results).toEqual(codes.map((code) => [code, code, null]));
  }, 120_000);

  it('runs a script with a #!/bin/sh shebang directly', async () => {
    const r = await run({ script: '#!/bin/sh\necho "via $0"\n' });
    expect(r.exit.exitCode).toBe(0);
    expect(r.stdout).toBe('via /godocker/job.sh\n');
  });

  it('passes args and env to the script', async () => {
    const r = await run({
      script: 'echo "n=$# 1=$1 2=$2"; echo "greeting=$GREETING id=$GODOCKER_JOB_ID"',
      args: ['a b', 'c'],
      env: { GREETING: 'hi there' },
    });
    expect(r.stdout).toMatch(/^n=2 1=a b 2=c\ngreeting=hi there id=\d+\n$/);
  });

  it('runs as the spec uid:gid, in the workdir, and a script file belongs to that user', async () => {
    const r = await run({
      // A shebang script is copied into the container as a file (a plain one rides in the command).
      script: '#!/bin/sh\nid -u; id -g; pwd; stat -c "%u:%g %a" /godocker/job.sh',
      uid: 1234,
      gid: 2345,
      workdir: '/tmp',
    });
    expect(r.stdout).toBe('1234\n2345\n/tmp\n1234:2345 755\n');
  });

  it('runs the script even when the image has an ENTRYPOINT', async () => {
    const base = await docker.createContainer({ Image: 'local/busybox:latest', Cmd: ['true'] });
    await base.commit({
      repo: entrypointImage.split(':')[0],
      tag: entrypointImage.split(':')[1],
      changes: ['ENTRYPOINT ["/bin/echo", "entrypoint"]'],
    });
    await base.remove({ force: true });
    const r = await run({ script: 'echo script', image: entrypointImage });
    expect(r.stdout).toBe('script\n');
  });

  it('limits cpu: 0.5 cpu is a CFS quota of 50000 per 100000', async () => {
    const r = await run({
      script: 'cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || cat /sys/fs/cgroup/cpu.max',
      cpu: 0.5,
    });
    expect(r.stdout.trim()).toMatch(/^50000( 100000)?$/);
  });

  it('limits memory without swap: a job over its ram is OOM-killed', async () => {
    // Command substitution keeps the whole 100 MB in the shell's own memory.
    const r = await run({ script: "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", ram: 16 });
    expect(r.exit).toMatchObject({ oomKilled: true, exitCode: 137, signal: 'SIGKILL' });
    expect(r.stdout).not.toContain('survived');
  });

  it('mounts a host folder read-only or read-write', async () => {
    const host = join(scratch, 'volume');
    await mkdir(host);
    await chmod(host, 0o777);
    await writeFile(join(host, 'in.txt'), 'from host\n');

    const ro = await run({
      script: 'cat /data/in.txt; if echo x > /data/out.txt; then echo wrote; else echo refused; fi',
      mounts: [{ hostPath: host, containerPath: '/data', readOnly: true }],
    });
    expect(ro.stdout).toBe('from host\nrefused\n');
    expect(ro.stderr).toMatch(/Read-only file system/);
    await expect(stat(join(host, 'out.txt'))).rejects.toThrow(/ENOENT/);

    const rw = await run({
      script: 'echo made by job > /data/out.txt',
      mounts: [{ hostPath: host, containerPath: '/data', readOnly: false }],
    });
    expect(rw.exit.exitCode).toBe(0);
    expect(await readFile(join(host, 'out.txt'), 'utf8')).toBe('made by job\n');
    expect((await stat(join(host, 'out.txt'))).uid).toBe(1234);
  });
});

describe('docker executor: working directory and files of the standard streams', () => {
  let host: string;
  const data = (name: string) => join(host, name);
  const mounts = () => [{ hostPath: host, containerPath: '/data', readOnly: false }];

  beforeAll(async () => {
    host = join(scratch, 'files');
    await mkdir(host);
    await chmod(host, 0o777);
    // Root's, and closed to others: the job (uid 1234) may neither write nor create here.
    await mkdir(data('locked'), { mode: 0o755 });
  });

  /** A start failure: the command never ran, and nothing says it exited or was signalled. */
  function expectStartFailure(exit: ExitInfo, error: string): void {
    expect(exit).toMatchObject({ error, signal: null, startedAt: null, oomKilled: false });
  }

  it('opens input, output and error files as the job user before the command runs', async () => {
    await writeFile(data('in.txt'), 'line 1\nline 2\n');
    const r = await run({
      script: 'cat; echo to-err >&2',
      mounts: mounts(),
      files: { stdin: '/data/in.txt', stdout: '/data/out.txt', stderr: '/data/err.txt' },
    });
    expect(r.exit).toMatchObject({ exitCode: 0, error: null });
    expect(await readFile(data('out.txt'), 'utf8')).toBe('line 1\nline 2\n');
    expect(await readFile(data('err.txt'), 'utf8')).toBe('to-err\n');
    expect((await stat(data('out.txt'))).uid).toBe(1234);
    expect(r.stdout + r.stderr).toBe('');
  });

  it('a folder as output or error path gets the inDirectory names; joinStderr puts errors with the output', async () => {
    await mkdir(data('logs'), { mode: 0o777 });
    await chmod(data('logs'), 0o777);
    const inDirectory = { stdout: 'job.o7', stderr: 'job.e7' };
    const split = await run({
      script: 'echo o; echo e >&2',
      mounts: mounts(),
      files: { stdout: '/data/logs', stderr: '/data/logs/', inDirectory },
    });
    expect(split.exit.exitCode).toBe(0);
    expect(await readFile(data('logs/job.o7'), 'utf8')).toBe('o\n');
    expect(await readFile(data('logs/job.e7'), 'utf8')).toBe('e\n');
    const joined = await run({
      script: 'echo one; echo two >&2',
      mounts: mounts(),
      files: { stdout: '/data/joined', joinStderr: true },
    });
    expect(joined.exit.exitCode).toBe(0);
    expect(await readFile(data('joined'), 'utf8')).toBe('one\ntwo\n');
    // /dev/stderr is the job's own stderr when the files are opened.
    const swapped = await run({ script: 'echo out', files: { stdout: '/dev/stderr' } });
    expect([swapped.exit.exitCode, swapped.stdout, swapped.stderr]).toEqual([0, '', 'out\n']);
  });

  it('an output file the user cannot create is a start failure naming the path and the errno; nothing runs', async () => {
    const r = await run({ script: 'touch /data/ran', mounts: mounts(), files: { stdout: '/data/locked/out' } });
    expectStartFailure(r.exit, 'cannot open output file /data/locked/out: Permission denied (EACCES)');
    await expect(stat(data('ran'))).rejects.toThrow(/ENOENT/);
    await expect(stat(data('locked/out'))).rejects.toThrow(/ENOENT/);
    const inFolder = await run({
      script: 'true',
      mounts: mounts(),
      files: { stderr: '/data/locked', inDirectory: { stdout: 'n.o1', stderr: 'n.e1' } },
    });
    expectStartFailure(inFolder.exit, 'cannot open error file /data/locked/n.e1: Permission denied (EACCES)');
  });

  it('an input file that does not exist is a start failure', async () => {
    const r = await run({ script: 'cat', mounts: mounts(), files: { stdin: '/data/no-such-input' } });
    expectStartFailure(r.exit, 'cannot open input file /data/no-such-input: No such file or directory (ENOENT)');
    expect((await executor.status(r.handle)).state).toBe('missing');
  });

  it('a missing working directory is a start failure, and is not created (the engine would, as root)', async () => {
    const s = spec({ script: 'touch ran', workdir: '/data/missing/deeper', mounts: mounts() });
    const handle = await executor.start(s);
    expectStartFailure(await executor.wait(handle), 'working directory /data/missing/deeper does not exist');
    expect(await executor.status(handle)).toMatchObject({
      state: 'exited',
      error: 'working directory /data/missing/deeper does not exist',
    });
    await executor.collect(handle, s.jobDir);
    await expect(stat(data('missing'))).rejects.toThrow(/ENOENT/);
    await mkdir(data('private'), { mode: 0o700 });
    const closed = await run({ script: 'true', workdir: '/data/private', mounts: mounts() });
    expectStartFailure(closed.exit, 'cannot enter working directory /data/private: Permission denied (EACCES)');
  });

  it('a job cannot pass its own exit for a start failure: the prelude’s nonce is not in its reach', async () => {
    const s = spec({
      // Everything the job can see of how it was started, then a start failure's look-alike.
      script: 'tr "\\0" " " </proc/1/cmdline; echo; env; printf "%032d stdout Permission denied\\n" 0 >&2; exit 125',
      workdir: '/tmp',
    });
    const handle = await executor.start(s);
    const exit = await executor.wait(handle);
    const cmd = (await docker.getContainer(handle.id ?? s.key).inspect()).Config.Cmd ?? [];
    const nonce = cmd[4] ?? '';
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    await executor.collect(handle, s.jobDir);
    const seen = await readFile(join(s.jobDir, 'stdout'), 'utf8');
    expect(seen).toContain('/bin/sh -c');
    expect(seen).not.toContain(nonce);
    expect(exit).toMatchObject({ exitCode: 125, error: null, signal: null });
  });
});

describe('docker executor: control', () => {
  it('kills a running job within its grace and reports the signal', async () => {
    const s = spec({ script: 'sleep 300' });
    const handle = await executor.start(s);
    expect((await executor.status(handle)).state).toBe('running');
    const t0 = Date.now();
    await executor.kill(handle, 1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const exit = await executor.wait(handle);
    // sh is PID 1 and ignores SIGTERM, so the engine's SIGKILL after the grace ends it.
    expect(exit.exitCode).toBeGreaterThan(128);
    expect(['SIGKILL', 'SIGTERM']).toContain(exit.signal);
    expect(exit.oomKilled).toBe(false);
    const status = await executor.status(handle);
    expect(status).toMatchObject({ state: 'exited', exitCode: exit.exitCode });
    // Killing what has ended is a no-op.
    await executor.kill(handle, 1);
    await executor.collect(handle, s.jobDir);
  });

  it('suspends (output stops advancing) and resumes (output goes on)', async () => {
    const s = spec({ script: counter });
    const handle = await executor.start(s);
    await until(async () => lineCount(await snapshot(handle)) >= 3);

    await executor.suspend(handle);
    await executor.suspend(handle); // idempotent
    expect((await executor.status(handle)).state).toBe('paused');
    const frozen = lineCount(await snapshot(handle));
    await delay(1000);
    expect(lineCount(await snapshot(handle))).toBe(frozen);

    await executor.resume(handle);
    await executor.resume(handle); // idempotent
    expect((await executor.status(handle)).state).toBe('running');
    await until(async () => lineCount(await snapshot(handle)) >= frozen + 3);

    await executor.kill(handle, 1);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('kills a suspended job quickly', async () => {
    const s = spec({ script: counter });
    const handle = await executor.start(s);
    await executor.suspend(handle);
    const t0 = Date.now();
    await executor.kill(handle, 1);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const exit = await executor.wait(handle);
    expect(exit.signal).not.toBeNull();
    await executor.collect(handle, s.jobDir);
  });

  it('refuses to suspend or resume a task that has ended', async () => {
    const s = spec({ script: 'true' });
    const handle = await executor.start(s);
    await executor.wait(handle);
    await expect(executor.suspend(handle)).rejects.toThrow(/only a running task/);
    await expect(executor.resume(handle)).rejects.toThrow(/only a suspended task/);
    await executor.collect(handle, s.jobDir);
  });
});

describe('docker executor: idempotence and recovery', () => {
  it('starting the same key twice (in turn or at once) creates one container', async () => {
    const s = spec({ script: 'echo once; sleep 2' });
    const [a, b] = await Promise.all([executor.start(s), executor.start(s)]);
    const c = await executor.start(s);
    // A second executor (another daemon after a crash) also finds it, by name.
    const other = await createDockerExecutor({ socketPath: SOCKET }, context);
    const d = await other.start(s);
    await other.close();
    expect(new Set([a.id, b.id, c.id, d.id]).size).toBe(1);
    const named = await docker.listContainers({ all: true, filters: { name: [`^/${s.key}$`] } });
    expect(named).toHaveLength(1);
    await executor.wait(a);
    await executor.collect(a, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('once\n');
  });

  it('starts a container that was created but never started (daemon died in between)', async () => {
    const s = spec({ script: 'echo recovered' });
    // What the executor would have created, but without the script and without starting it.
    const created = await docker.createContainer(createOptions(s, clusterId));
    expect((await executor.status({ key: s.key, id: null, node: null })).state).toBe('created');
    const handle = await executor.start(s);
    expect(handle.id).toBe(created.id);
    expect((await executor.wait(handle)).exitCode).toBe(0);
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('recovered\n');
  });

  it('finds the job by key alone when the container id was lost', async () => {
    const s = spec({ script: 'exit 5' });
    await executor.start(s);
    const byKey = { key: s.key, id: null, node: null };
    expect((await executor.wait(byKey)).exitCode).toBe(5);
    await executor.collect(byKey, s.jobDir);
    expect((await executor.status(byKey)).state).toBe('missing');
  });

  it('rejects with ExecutorError when the image is not on the engine, and creates nothing', async () => {
    const s = spec({ image: 'local/no-such-image:never' });
    const error = await executor.start(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).message).toMatch(/local\/no-such-image:never is not on the Docker engine/);
    expect((await executor.status({ key: s.key, id: null, node: null })).state).toBe('missing');
  });

  it('reports a container that cannot start (no GPU driver here) as an ended task with an error', async () => {
    const s = spec({ script: 'echo never', gpus: 1 });
    const error = await executor.start(s).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutorError);
    expect((error as ExecutorError).message).toMatch(/could not start: could not select device driver/);
    const handle = { key: s.key, id: null, node: null };
    expect(await executor.status(handle)).toMatchObject({ state: 'exited', error: expect.stringMatching(/device driver/) });
    const exit = await executor.wait(handle);
    expect(exit.exitCode).not.toBe(0);
    expect(exit.startedAt).toBeNull();
    // A retry starts the never-started container again (it never ran): the same failure, no second container.
    const again = await executor.start(s).catch((e: unknown) => e);
    expect((again as ExecutorError).message).toMatch(/could not start: could not select device driver/);
    const named = await docker.listContainers({ all: true, filters: { name: [s.key] } });
    expect(named).toHaveLength(1);
    await executor.collect(handle, s.jobDir);
    expect((await executor.status(handle)).state).toBe('missing');
  });

  it('reports a shebang naming a missing interpreter as a failed job', async () => {
    const r = await run({ script: '#!/no/such/interpreter\necho never\n' });
    expect(r.exit.exitCode).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no such file or directory/);
  });
});

describe('docker executor: logs, list, collect, nodes', () => {
  it('follows logs: a line arrives before the container ends, and the stream ends with it', async () => {
    const s = spec({ script: 'echo first; echo err-first >&2; sleep 3; echo last' });
    const handle = await executor.start(s);
    const out = await executor.logs(handle, 'stdout', { follow: true });
    const err = await executor.logs(handle, 'stderr', { follow: true });
    const chunks: string[] = [];
    let sawFirstWhileRunning = false;
    for await (const chunk of out) {
      chunks.push(String(chunk));
      if (chunks.join('').includes('first') && !sawFirstWhileRunning) {
        sawFirstWhileRunning = (await executor.status(handle)).state === 'running';
      }
    }
    expect(sawFirstWhileRunning).toBe(true);
    expect(chunks.join('')).toBe('first\nlast\n');
    expect(await text(err)).toBe('err-first\n');
    expect((await executor.status(handle)).state).toBe('exited');
    await executor.collect(handle, s.jobDir);
  });

  it('lists the tasks of its cluster only, by key and job id', async () => {
    const s = spec({ script: 'sleep 30' });
    const handle = await executor.start(s);
    const tasks = await executor.list();
    const mine = tasks.find((t) => t.key === s.key);
    expect(mine).toEqual({ key: s.key, jobId: s.job.id, handle: { key: s.key, id: handle.id, node: handle.node } });
    const other = await createDockerExecutor({ socketPath: SOCKET }, { ...context, clusterId: `${clusterId}-other` });
    expect((await other.list()).find((t) => t.key === s.key)).toBeUndefined();
    await other.close();
    const inspect = await docker.getContainer(s.key).inspect();
    expect(inspect.Config.Labels).toMatchObject({
      [TASK_LABELS.cluster]: clusterId,
      [TASK_LABELS.job]: String(s.job.id),
      [TASK_LABELS.user]: 'alice',
    });
    expect(inspect.HostConfig).toMatchObject({
      NetworkMode: 'none',
      Memory: 64 * 1024 * 1024,
      MemorySwap: 64 * 1024 * 1024,
      AutoRemove: false,
    });
    expect(inspect.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('collect is idempotent and leaves the files; status is then missing', async () => {
    const s = spec({ script: 'echo kept' });
    const handle = await executor.start(s);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
    expect((await executor.status(handle)).state).toBe('missing');
    await executor.collect(handle, s.jobDir);
    expect(await readFile(join(s.jobDir, 'stdout'), 'utf8')).toBe('kept\n');
    await expect(executor.logs(handle, 'stdout', { follow: false })).rejects.toThrow(ExecutorError);
    await expect(executor.wait(handle)).rejects.toThrow(ExecutorError);
  });

  it('refuses to collect a running task', async () => {
    const s = spec({ script: 'sleep 30' });
    const handle = await executor.start(s);
    await expect(executor.collect(handle, s.jobDir)).rejects.toThrow(/still running/);
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });

  it('collects large output intact', async () => {
    // 200 000 lines on stdout and 1000 on stderr, interleaved by the engine.
    const r = await run({ script: 'seq 1 200000; seq 1 1000 >&2' });
    expect(r.stdout.split('\n')).toHaveLength(200_001);
    expect(r.stdout.endsWith('199999\n200000\n')).toBe(true);
    expect(lineCount(r.stderr)).toBe(1000);
  });

  it('reports the node from docker info, and honours capacity overrides and labels', async () => {
    const info = (await docker.info()) as { Name: string; NCPU: number; MemTotal: number };
    const [node] = await executor.nodes();
    expect(node).toEqual({ name: info.Name, cpu: info.NCPU, ram: Math.floor(info.MemTotal / 1024 / 1024), gpus: 0, labels: {} });

    const tuned = await createDockerExecutor(
      { socketPath: SOCKET, nodeName: 'worker-1', capacity: { cpu: 64, ram: 1000, gpus: 2 }, labels: { rack: 'a' } },
      context,
    );
    expect(await tuned.nodes()).toEqual([{ name: 'worker-1', cpu: 64, ram: 1000, gpus: 2, labels: { rack: 'a' } }]);
    const s = spec({ script: 'true' });
    const handle = await tuned.start(s);
    expect(handle.node).toBe('worker-1');
    await tuned.wait(handle);
    await tuned.collect(handle, s.jobDir);
    await tuned.close();
  });
});

describe('docker executor: configuration and lifecycle', () => {
  it.each([
    [{ socketPath: 42 }, 'executor.options.socketPath'],
    [{ capacity: { cpu: -1 } }, 'executor.options.capacity.cpu'],
    [{ capacity: { ram: 1.5 } }, 'executor.options.capacity.ram'],
    [{ capacity: { disks: 2 } }, 'executor.options.capacity.disks'],
    [{ labels: { rack: 3 } }, 'executor.options.labels.rack'],
    [{ killGraceSeconds: 'soon' }, 'executor.options.killGraceSeconds'],
    [{ sockPath: '/x' }, 'executor.options.sockPath'],
  ])('refuses %j with a ConfigError naming the key', async (options, field) => {
    const error = await createDockerExecutor(options, context).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });

  it('says which socket does not answer and how to fix it', async () => {
    const missing = join(scratch, 'no-docker.sock');
    const error = await createDockerExecutor({ socketPath: missing }, context).catch((e: unknown) => e);
    // Unavailable, not wrong: a daemon with several executors starts without it and keeps asking.
    expect(error).toBeInstanceOf(ExecutorUnavailableError);
    expect((error as ExecutorError).message).toContain(missing);
    expect((error as ExecutorError).message).toMatch(/socketPath/);
  });

  it('close() ends pending waits and followed logs, and later calls are refused', async () => {
    const own = await createDockerExecutor({ socketPath: SOCKET }, context);
    const s = spec({ script: 'sleep 60' });
    const handle = await own.start(s);
    const waiting = own.wait(handle).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    const logs: Readable = await own.logs(handle, 'stdout', { follow: true });
    const logsEnded = new Promise<void>((resolve) => logs.once('close', () => resolve()));
    logs.resume();
    await delay(200);
    await own.close();
    expect(await waiting).toBeInstanceOf(ExecutorError);
    await logsEnded;
    await expect(own.status(handle)).rejects.toThrow(/closed/);
    await executor.kill(handle, 0);
    await executor.wait(handle);
    await executor.collect(handle, s.jobDir);
  });
});
