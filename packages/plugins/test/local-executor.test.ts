/**
 * The local process executor with real processes: no mocks. Every test file
 * gets its own data folder and cluster id, so tasks of other runs are never seen.
 */

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ConfigError,
  type Executor,
  ExecutorUnavailableError,
  type Logger,
  NotFoundError,
  type PluginContext,
  type TaskHandle,
} from '@godocker/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor } from '../src/local/index.js';
import { type LocalSpecInput, makeRunSpec } from './helpers/local-run-spec.js';

const isRoot = process.getuid?.() === 0;

interface Logged {
  level: string;
  msg: string;
}

function recordingLogger(into: Logged[]): Logger {
  const log = (level: string) => (obj: object | string, msg?: string) => {
    into.push({ level, msg: msg ?? (typeof obj === 'string' ? obj : JSON.stringify(obj)) });
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

let base: string;
let dataDir: string;
let logRoot: string;
const clusterId = `t${randomBytes(4).toString('hex')}`;
const logged: Logged[] = [];
const context = (): PluginContext => ({ clusterId, dataDir, logger: recordingLogger(logged) });
let nextJobId = 1;
const executors: Executor[] = [];
/** Process groups to reap if a test fails half-way. */
const groups = new Set<number>();

async function executor(options: Record<string, unknown> = {}): Promise<Executor> {
  const created = await createLocalExecutor(options, context());
  executors.push(created);
  return created;
}

function spec(script: string, extra: Partial<LocalSpecInput> = {}) {
  return makeRunSpec({ clusterId, jobId: nextJobId++, script, logRoot, ...extra });
}

async function started(ex: Executor, script: string, extra: Partial<LocalSpecInput> = {}) {
  const s = spec(script, extra);
  const handle = await ex.start(s);
  if (handle.id !== null) groups.add(Number(handle.id));
  return { spec: s, handle };
}

function logOf(logDir: string, stream: 'stdout' | 'stderr'): string {
  return readFileSync(join(logDir, stream), 'utf8');
}

/** Alive means neither gone nor a zombie waiting for a reaper. */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/**
 * A process group whose leader has left and whose member lives on, owned by root and older
 * than any job of the test: what a daemon started from a script leaves (dockerd's group).
 */
function strayGroup(): { pgid: number; member: number } {
  const out = execFileSync('setsid', ['sh', '-c', 'sleep 120 </dev/null >/dev/null 2>&1 & echo $$ $!'], { encoding: 'utf8' });
  const [pgid, member] = out.trim().split(' ').map(Number) as [number, number];
  groups.add(pgid);
  return { pgid, member };
}

/** Every file system mounted at `path`, stacked ones too, then the folder. */
async function unmountAll(path: string): Promise<void> {
  while (
    readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .some((line) => line.split(' ')[1] === path)
  ) {
    execFileSync('umount', ['-l', path]);
  }
  await rm(path, { recursive: true, force: true });
}

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

async function linesOf(path: string): Promise<number> {
  try {
    return (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '').length;
  } catch {
    return 0;
  }
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'godocker-local-'));
  // Jobs running as another uid must reach their task folder through this one.
  await chmod(base, 0o755);
  dataDir = join(base, 'data');
  logRoot = join(base, 'logs');
});

afterEach(async () => {
  for (const ex of executors.splice(0)) await ex.close();
});

afterAll(async () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone, as it should be.
    }
  }
  await rm(base, { recursive: true, force: true });
});

describe('local executor options', () => {
  it('defaults to this machine', async () => {
    const ex = await executor();
    const [node] = await ex.nodes();
    expect(node?.cpu).toBeGreaterThanOrEqual(1);
    expect(node?.ram).toBeGreaterThan(0);
    expect(node?.gpus).toBe(0);
  });

  it('takes a node name, capacity and labels', async () => {
    const ex = await executor({ nodeName: 'n1', capacity: { cpu: 8, ram: 1024, gpus: 2 }, labels: { zone: 'a' } });
    expect(await ex.nodes()).toEqual([{ name: 'n1', cpu: 8, ram: 1024, gpus: 2, labels: { zone: 'a' } }]);
  });

  it.each([
    [{ bogus: 1 }, 'executor.options.bogus'],
    [{ nodeName: '' }, 'executor.options.nodeName'],
    [{ capacity: { cpu: -1 } }, 'executor.options.capacity.cpu'],
    [{ capacity: { ram: 1.5 } }, 'executor.options.capacity.ram'],
    [{ capacity: { disks: 1 } }, 'executor.options.capacity.disks'],
    [{ capacity: 4 }, 'executor.options.capacity'],
    [{ labels: { zone: 1 } }, 'executor.options.labels.zone'],
    [{ killGraceSeconds: 'soon' }, 'executor.options.killGraceSeconds'],
  ])('refuses %j naming the key', async (options, field) => {
    const error = await createLocalExecutor(options, context()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
});

describe('local executor: running jobs', () => {
  it('runs echo: exit 0, stdout and stderr in their own files in logDir', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'echo hello\necho oops >&2');
    expect(handle.key).toBe(s.key);
    const info = await ex.wait(handle);
    expect(info).toMatchObject({ exitCode: 0, signal: null, oomKilled: false, error: null, cpuSeconds: null, maxMemoryMb: null });
    expect(Date.parse(info.startedAt ?? '')).toBeLessThanOrEqual(Date.parse(info.endedAt ?? ''));
    expect(logOf(s.jobDir, 'stdout')).toBe('hello\n');
    expect(logOf(s.jobDir, 'stderr')).toBe('oops\n');
    expect(await ex.status(handle)).toMatchObject({ state: 'exited', exitCode: 0 });
  });

  it('reports the exit code', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'exit 3');
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 3, signal: null, error: null });
  });

  it('runs a script with a shebang with its own interpreter', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, '#!/usr/bin/awk -f\nBEGIN { print "from awk", ARGV[1] }', { args: ['x1'] });
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    expect(logOf(s.jobDir, 'stdout')).toBe('from awk x1\n');
  });

  it('passes args and env, with PATH and HOME, and nothing of the daemon env', async () => {
    const ex = await executor();
    process.env.GODOCKER_LEAK_TEST = 'leaked';
    const { spec: s, handle } = await started(
      ex,
      'printf "%s|" "$1" "$2" "$#" "$GODOCKER_JOB_ID" "$FOO" "$PATH" "$GODOCKER_LEAK_TEST"; test -n "$HOME" && echo home',
      {
        args: ['a b', 'c'],
        env: { FOO: 'bar baz' },
      },
    );
    delete process.env.GODOCKER_LEAK_TEST;
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    expect(logOf(s.jobDir, 'stdout')).toBe(`a b|c|2|${s.job.id}|bar baz|/usr/local/bin:/usr/bin:/bin||home\n`);
  });

  it('runs in the workdir when one is given', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'pwd', { workdir: base });
    await ex.wait(handle);
    expect(logOf(s.jobDir, 'stdout')).toBe(`${base}\n`);
  });

  it('ends with a readable error when the job cannot start, and no exit status: it never ran', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'echo never', { workdir: join(base, 'no-such-folder') });
    const info = await ex.wait(handle);
    expect(info).toMatchObject({ exitCode: -1, signal: null, startedAt: null });
    expect(info.error).toBe(`working directory ${join(base, 'no-such-folder')} does not exist`);
    expect(logOf(s.jobDir, 'stdout')).toBe('');
  });

  it('starts a key once, however often start is called', async () => {
    const ex = await executor();
    const counter = join(base, `count-${nextJobId}`);
    const s = spec(`echo run >> ${counter}; sleep 0.3`);
    const [a, b] = await Promise.all([ex.start(s), ex.start(s)]);
    const c = await ex.start(s);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    await ex.wait(a);
    const d = await ex.start(s);
    expect(d.key).toBe(a.key);
    await ex.wait(d);
    expect(await linesOf(counter)).toBe(1);
  });

  it('lists the tasks of its cluster only, and collect forgets a task', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'exit 0');
    const other = await createLocalExecutor({}, { ...context(), clusterId: `${clusterId}x` });
    executors.push(other);
    const foreign = await other.start(spec('exit 0', { clusterId: `${clusterId}x` }));
    await ex.wait(handle);
    const listed = await ex.list();
    expect(listed).toContainEqual({ key: s.key, jobId: s.job.id, handle: expect.objectContaining({ key: s.key }) as TaskHandle });
    expect(listed.map((t) => t.key)).not.toContain(foreign.key);

    await ex.collect(handle, s.jobDir);
    await ex.collect(handle, s.jobDir);
    expect(await ex.status(handle)).toEqual({ state: 'missing' });
    expect((await ex.list()).map((t) => t.key)).not.toContain(s.key);
    expect(logOf(s.jobDir, 'stdout')).toBe('');
    await expect(ex.wait(handle)).rejects.toBeInstanceOf(NotFoundError);
    await other.wait(foreign);
    await other.collect(foreign, join(base, 'elsewhere'));
  });

  it('copies the logs when collect is given another folder', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'echo kept');
    await ex.wait(handle);
    const elsewhere = join(base, `copied-${handle.key}`);
    await ex.collect(handle, elsewhere);
    expect(logOf(elsewhere, 'stdout')).toBe('kept\n');
  });
});

describe('local executor: unknown and ended tasks', () => {
  it('answers for a key it never started', async () => {
    const ex = await executor();
    const handle: TaskHandle = { key: `godocker-${clusterId}-999999`, id: null, node: null };
    expect(await ex.status(handle)).toEqual({ state: 'missing' });
    await expect(ex.wait(handle)).rejects.toBeInstanceOf(NotFoundError);
    await expect(ex.suspend(handle)).rejects.toBeInstanceOf(NotFoundError);
    await expect(ex.logs(handle, 'stdout', { follow: true })).rejects.toBeInstanceOf(NotFoundError);
    await ex.kill(handle, 1);
    await ex.collect(handle, join(base, 'nothing'));
  });

  it('refuses keys that are not plain folder names', async () => {
    const ex = await executor();
    await expect(ex.status({ key: '../escape', id: null, node: null })).rejects.toThrow(/safe folder name/);
    await expect(ex.start({ ...spec('true'), key: 'a/b' })).rejects.toThrow(/safe folder name/);
  });

  it('takes kill, suspend and resume of an ended task calmly', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'exit 5');
    await ex.wait(handle);
    await ex.kill(handle, 0);
    await ex.suspend(handle);
    await ex.resume(handle);
    expect(await ex.status(handle)).toMatchObject({ state: 'exited', exitCode: 5 });
  });
});

describe('local executor: signals', () => {
  it('kills the whole process group, quickly', async () => {
    const ex = await executor();
    const childPid = join(base, `child-${nextJobId}`);
    const { handle } = await started(ex, `sleep 300 & echo $! > ${childPid}; sleep 300`);
    await until(() => existsSync(childPid) && readFileSync(childPid, 'utf8').endsWith('\n'));
    const sleeper = Number(readFileSync(childPid, 'utf8'));
    expect(processAlive(sleeper)).toBe(true);
    expect(await ex.status(handle)).toEqual({ state: 'running' });

    const t0 = Date.now();
    await ex.kill(handle, 1);
    const info = await ex.wait(handle);
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(['SIGTERM', 'SIGKILL']).toContain(info.signal);
    expect(info.exitCode).toBeGreaterThan(128);
    expect(info.error).toBeNull();
    await until(() => !processAlive(sleeper), 2000);
  });

  it('escalates to SIGKILL after the grace when TERM is ignored', async () => {
    const ex = await executor();
    const { handle } = await started(ex, "trap '' TERM; sleep 300");
    await sleep(100);
    const t0 = Date.now();
    await ex.kill(handle, 1);
    const info = await ex.wait(handle);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(info).toMatchObject({ exitCode: 137, signal: 'SIGKILL', error: null });
    // The monitor records the end, then leaves.
    await until(() => !processAlive(Number(handle.id)), 2000);
  });

  it('suspends and resumes the whole job', async () => {
    const ex = await executor();
    const out = join(base, `counter-${nextJobId}`);
    const { handle } = await started(ex, `while true; do echo tick >> ${out}; sleep 0.1; done`);
    await until(async () => (await linesOf(out)) >= 3);

    await ex.suspend(handle);
    expect(await ex.status(handle)).toEqual({ state: 'paused' });
    await sleep(150);
    const frozen = await linesOf(out);
    await sleep(500);
    expect(await linesOf(out)).toBe(frozen);

    await ex.resume(handle);
    expect(await ex.status(handle)).toEqual({ state: 'running' });
    await until(async () => (await linesOf(out)) >= frozen + 3, 3000);

    // A suspended task still dies on kill.
    await ex.suspend(handle);
    await ex.kill(handle, 5);
    expect(await ex.wait(handle)).toMatchObject({ signal: 'SIGTERM', exitCode: 143 });
  });

  it('reports a monitor killed behind its back as a SIGKILL, says it vanished, and ends what it left', async () => {
    const ex = await executor();
    const childPid = join(base, `orphan-${nextJobId}`);
    const { handle } = await started(ex, `sleep 300 & echo $! > ${childPid}; wait`);
    await until(() => existsSync(childPid) && readFileSync(childPid, 'utf8').endsWith('\n'));
    const sleeper = Number(readFileSync(childPid, 'utf8'));
    process.kill(Number(handle.id), 'SIGKILL');
    const info = await ex.wait(handle);
    expect(info).toMatchObject({ exitCode: 137, signal: 'SIGKILL', error: null });
    expect(readFileSync(join(dataDir, 'local-tasks', handle.key, 'error'), 'utf8')).toBe('process vanished');
    await until(() => !processAlive(sleeper), 2000);
  });
});

describe('local executor: surviving the daemon', () => {
  it('lets a new executor find a task started by a closed one, and its exit code', async () => {
    const first = await executor();
    const { spec: s, handle } = await started(first, 'sleep 1; exit 7');
    const pending = first.wait(handle);
    await first.close();
    await expect(pending).rejects.toThrow(/closed/);

    const second = await executor();
    const found = (await second.list()).find((t) => t.key === s.key);
    expect(found).toMatchObject({ jobId: s.job.id, handle: { key: s.key, id: handle.id } });
    if (!found) throw new Error('not listed');
    expect(await second.status(found.handle)).toEqual({ state: 'running' });
    const t0 = Date.now();
    expect(await second.wait(found.handle)).toMatchObject({ exitCode: 7, error: null });
    // fs.watch, not only the 250 ms poll, brings the news.
    expect(Date.now() - t0).toBeLessThan(1500);
    // Starting it again after the "restart" runs nothing twice.
    expect(await second.start(s)).toEqual(handle);
  });

  it('restarts a start that died before spawning', async () => {
    const ex = await executor();
    const s = spec('echo once');
    // What a daemon killed between claiming the folder and spawning leaves behind.
    const dir = join(dataDir, 'local-tasks', s.key);
    await mkdir(dir);
    await writeFile(join(dir, 'spec.json'), '{}');
    const old = new Date(Date.now() - 10_000);
    await utimes(dir, old, old);
    const handle = await ex.start(s);
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    expect(logOf(s.jobDir, 'stdout')).toBe('once\n');
  });
});

describe('local executor: logs', () => {
  it('follows a log: a line before the end, and the end at the end', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'echo first; sleep 0.6; echo second; echo err >&2');
    const stream = await ex.logs(handle, 'stdout', { follow: true });
    let text = '';
    let firstAt = 0;
    for await (const chunk of stream) {
      text += String(chunk);
      if (firstAt === 0) {
        firstAt = Date.now();
        expect(text).toBe('first\n');
        expect((await ex.status(handle)).state).toBe('running');
      }
    }
    expect(text).toBe('first\nsecond\n');
    expect((await ex.status(handle)).state).toBe('exited');

    const stderr = await ex.logs(handle, 'stderr', { follow: false });
    let err = '';
    for await (const chunk of stderr) err += String(chunk);
    expect(err).toBe('err\n');
  });

  it('ends a follow of an ended task at once', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'echo done');
    await ex.wait(handle);
    const stream = await ex.logs(handle, 'stdout', { follow: true });
    let text = '';
    for await (const chunk of stream) text += String(chunk);
    expect(text).toBe('done\n');
  });

  it('refuses logs of a collected task', async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'true');
    await ex.wait(handle);
    await ex.collect(handle, s.jobDir);
    await expect(ex.logs(handle, 'stdout', { follow: false })).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe.runIf(isRoot)('local executor: as root', () => {
  it("runs the job as the spec's uid and gid", async () => {
    const ex = await executor();
    const home = join(base, 'home-1234');
    await mkdir(home);
    await chown(home, 1234, 1234);
    const { spec: s, handle } = await started(ex, 'id -u; id -g; id -G; echo x > "$HOME/written"; pwd', {
      uid: 1234,
      gid: 1234,
      env: { HOME: home },
    });
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0, error: null });
    // No supplementary group of the daemon's is kept; the home is the working directory.
    expect(logOf(s.jobDir, 'stdout')).toBe(`1234\n1234\n1234\n${home}\n`);
    expect((await stat(join(home, 'written'))).uid).toBe(1234);
    // The log file is the daemon's: the job writes it through the descriptor it was given, and cannot replace it.
    expect((await stat(join(s.jobDir, 'stdout'))).uid).toBe(0);
    expect(logged.filter((l) => l.level === 'warn')).toEqual([]);
  });
});

describe.runIf(isRoot)('local executor: a job never acts through the root daemon', () => {
  const job = { uid: 1000, gid: 1000 };
  let home: string;
  beforeAll(async () => {
    home = join(base, 'home-attacker');
    await mkdir(home, { recursive: true });
    await chown(home, job.uid, job.gid);
  });

  it('cannot point its spec.json (logDir) at a link to a root-only file: the logs API and collect serve its own output', async () => {
    const ex = await executor();
    const secret = join(base, 'root-only-secret');
    await writeFile(secret, 'TOPSECRET\n', { mode: 0o600 });
    const s = spec('', { ...job, env: { HOME: home } });
    const dir = join(dataDir, 'local-tasks', s.key);
    // The attack as a job would run it when its task folder was its own: logDir becomes the
    // task folder, where its stdout is a link to a file only root may read.
    s.script = [
      `d=${dir}`,
      `sed 's#"logDir":"[^"]*"#"logDir":"'"$d"'"#' "$d/spec.json" > "$d/spec.new" && mv -f "$d/spec.new" "$d/spec.json"`,
      `ln -s ${secret} "$d/stdout"`,
      'echo done',
    ].join('\n');
    const handle = await ex.start(s);
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    const served = await ex.logs(handle, 'stdout', { follow: false });
    let text = '';
    for await (const chunk of served) text += String(chunk);
    expect(text).toBe('done\n');
    expect(logOf(s.jobDir, 'stderr')).toMatch(/Permission denied/);
    expect(JSON.parse(readFileSync(join(dir, 'spec.json'), 'utf8')).logDir).toBe(s.jobDir);
    const elsewhere = join(base, `collected-${s.job.id}`);
    await ex.collect(handle, elsewhere);
    expect(readFileSync(join(elsewhere, 'stdout'), 'utf8')).toBe('done\n');
  });

  it('cannot make the daemon signal a stray process group by forging its pid file', async () => {
    const ex = await executor();
    const victim = strayGroup();
    const s = spec('', { ...job, env: { HOME: home } });
    const dir = join(dataDir, 'local-tasks', s.key);
    // A group whose leader has left counted as the job's own leftovers for the clean-up.
    s.script = `printf '%s\\n' ${victim.pgid} > ${dir}/pid.new && mv -f ${dir}/pid.new ${dir}/pid; sleep 30`;
    const handle = await ex.start(s);
    for (let i = 0; i < 5; i++) {
      expect((await ex.status(handle)).state).toBe('running');
      await sleep(100);
    }
    expect(processAlive(victim.member)).toBe(true);
    await ex.kill(handle, 1);
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 143, signal: 'SIGTERM' });
    await sleep(300);
    expect(processAlive(victim.member)).toBe(true);
  });

  it("kills a vanished monitor's leftovers by pid, start time and uid: never a group it cannot tell is the job's", async () => {
    const ex = await executor();
    const victim = strayGroup();
    const leftover = join(home, `leftover-${nextJobId}`);
    const { handle } = await started(ex, `sleep 300 & echo $! > ${leftover}; wait`, { ...job, env: { HOME: home } });
    await until(() => existsSync(leftover) && readFileSync(leftover, 'utf8').endsWith('\n'));
    const sleeper = Number(readFileSync(leftover, 'utf8'));
    // The daemon's own record, were it stale: the job's start time, a group id that is no longer the job's.
    const record = join(dataDir, 'local-tasks', handle.key, 'job');
    const [, startTime] = readFileSync(record, 'utf8').trim().split(' ');
    await writeFile(record, `${victim.pgid} ${startTime}\n`);
    process.kill(Number(handle.id), 'SIGKILL');
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    // A SIGKILL sent takes a moment to land on a busy machine.
    await sleep(300);
    expect(processAlive(victim.member)).toBe(true);
    process.kill(sleeper, 'SIGKILL');
  });

  it('never writes through a link planted where its log goes', async () => {
    const ex = await executor();
    const precious = join(base, `precious-${nextJobId}`);
    await writeFile(precious, 'precious\n');
    const s = spec('echo overwritten');
    await mkdir(s.jobDir, { recursive: true });
    await symlink(precious, join(s.jobDir, 'stdout'));
    const info = await ex.wait(await ex.start(s));
    expect(info).toMatchObject({ exitCode: -1, startedAt: null });
    expect(info.error).toMatch(/ELOOP/);
    expect(readFileSync(precious, 'utf8')).toBe('precious\n');
  });

  it("keeps its task folder out of the job's reach: 0700, the daemon's", async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, `ls ${join(dataDir, 'local-tasks')} || echo refused`, {
      ...job,
      env: { HOME: home },
    });
    await ex.wait(handle);
    expect(logOf(s.jobDir, 'stdout')).toBe('refused\n');
    const root = await stat(join(dataDir, 'local-tasks'));
    expect([root.mode & 0o777, root.uid]).toEqual([0o700, 0]);
    const dir = await stat(join(dataDir, 'local-tasks', s.key));
    expect([dir.mode & 0o777, dir.uid]).toEqual([0o700, 0]);
  });

  it('enters its working directory as its user: no path below a 0700 root folder, not even by a relative one', async () => {
    const ex = await executor();
    const vault = join(base, 'vault');
    await mkdir(join(vault, 'inner'), { recursive: true, mode: 0o755 });
    await chmod(vault, 0o700);
    await writeFile(join(vault, 'inner', 'key'), 'TOPSECRET\n', { mode: 0o644 });
    const { spec: s, handle } = await started(ex, 'cat key', { ...job, env: { HOME: home }, workdir: join(vault, 'inner') });
    const info = await ex.wait(handle);
    expect(info).toMatchObject({ exitCode: -1, startedAt: null });
    expect(info.error).toBe(`cannot enter working directory ${join(vault, 'inner')}: Permission denied (EACCES)`);
    expect(logOf(s.jobDir, 'stdout')).toBe('');
    // And it cannot tell a path that exists there from one that does not.
    const probe = await ex.wait(
      (await started(ex, 'true', { ...job, env: { HOME: home }, workdir: join(vault, 'nope') })).handle,
    );
    expect(probe.error).toBe(`cannot enter working directory ${join(vault, 'nope')}: Permission denied (EACCES)`);
  });

  it("runs with no file of the daemon's folder reachable: a data folder its uid cannot traverse is fine", async () => {
    const ex = await executor();
    await chmod(base, 0o700);
    try {
      const { spec: s, handle } = await started(ex, '#!/bin/sh\necho "ran as $(id -u) in $(pwd)"', {
        ...job,
        env: { HOME: home },
        workdir: '/',
      });
      expect(await ex.wait(handle)).toMatchObject({ exitCode: 0, signal: null, error: null });
      expect(logOf(s.jobDir, 'stdout')).toBe(`ran as ${job.uid} in /\n`);
    } finally {
      await chmod(base, 0o755);
    }
  });

  it('says a missing home does not exist instead of failing the script', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'echo never', { ...job, env: { HOME: '/home/no-such-user' } });
    const info = await ex.wait(handle);
    expect(info).toMatchObject({ exitCode: -1, startedAt: null, error: 'home /home/no-such-user does not exist' });
  });

  it("gives a job's LD_PRELOAD to the job only, never to a process running as root", async () => {
    const ex = await executor();
    const { spec: s, handle } = await started(ex, 'echo "$LD_PRELOAD"', {
      ...job,
      env: { HOME: home, LD_PRELOAD: '/no/such/library.so' },
    });
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    expect(logOf(s.jobDir, 'stdout')).toBe('/no/such/library.so\n');
  });
});

describe('local executor: exit status exactly as the process ended', () => {
  it('reports `exit N` as exit code N and no signal, for all 256 values', async () => {
    const ex = await executor();
    const results: Array<[number, number, string | null]> = [];
    for (let batch = 0; batch < 256; batch += 32) {
      const codes = Array.from({ length: 32 }, (_, i) => batch + i);
      const ends = await Promise.all(
        codes.map(async (code) => {
          const { spec: s, handle } = await started(ex, `exit ${code}`);
          const info = await ex.wait(handle);
          await ex.collect(handle, s.jobDir);
          return [code, info.exitCode, info.signal] as [number, number, string | null];
        }),
      );
      results.push(...ends);
    }
    expect(results).toEqual(Array.from({ length: 256 }, (_, code) => [code, code, null]));
  });

  it('reports a signal only when one ended the process', async () => {
    const ex = await executor();
    const { handle } = await started(ex, 'kill -USR1 $$');
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 138, signal: 'SIGUSR1', error: null });
    const child = await started(ex, 'sh -c "kill -USR1 \\$\\$"; exit $?');
    // The script itself exited (with its child's status), so that is an exit code.
    expect(await ex.wait(child.handle)).toMatchObject({ exitCode: 138, signal: null });
  });
});

describe('local executor: files of the job', () => {
  it("opens input, output and error files as the job's user before the command starts", async () => {
    const ex = await executor();
    const folder = join(base, `files-${nextJobId}`);
    await mkdir(folder);
    await writeFile(join(folder, 'in.txt'), 'from stdin\n');
    const s = spec('cat; echo to-err >&2', {});
    s.files = {
      stdin: join(folder, 'in.txt'),
      stdout: join(folder, 'out.txt'),
      stderr: folder,
      inDirectory: { stdout: 'x.o1', stderr: 'x.e1' },
    };
    const handle = await ex.start(s);
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0, error: null });
    expect(readFileSync(join(folder, 'out.txt'), 'utf8')).toBe('from stdin\n');
    expect(readFileSync(join(folder, 'x.e1'), 'utf8')).toBe('to-err\n');
  });

  it('a file that cannot be opened is a start failure naming the path and the errno', async () => {
    const ex = await executor();
    const missing = spec('echo never');
    missing.files = { stdin: join(base, 'no-such-input') };
    const h1 = await ex.start(missing);
    expect(await ex.wait(h1)).toMatchObject({
      exitCode: -1,
      error: `cannot open input file ${join(base, 'no-such-input')}: No such file or directory (ENOENT)`,
    });
    const bad = spec('echo never');
    bad.files = { stdout: join(base, 'no-such-folder', 'out') };
    const h2 = await ex.start(bad);
    expect((await ex.wait(h2)).error).toBe(
      `cannot open output file ${join(base, 'no-such-folder', 'out')}: No such file or directory (ENOENT)`,
    );
  });

  it('a #! line naming an interpreter that does not exist is a start failure that names it', async () => {
    const ex = await executor();
    const { handle } = await started(ex, '#!/no/such/interpreter -x\necho never');
    expect(await ex.wait(handle)).toMatchObject({
      exitCode: -1,
      signal: null,
      startedAt: null,
      error: "cannot run the job's script with /no/such/interpreter: No such file or directory (ENOENT)",
    });
  });

  it.runIf(isRoot)("opens the files as the job's user: a folder only root may write is refused", async () => {
    const ex = await executor();
    const folder = join(base, `root-only-${nextJobId}`);
    await mkdir(folder, { mode: 0o755 });
    const s = spec('echo never', { uid: 1000, gid: 1000, env: { HOME: '/' } });
    s.files = { stdout: folder, inDirectory: { stdout: 'job.o1', stderr: 'job.e1' } };
    const info = await ex.wait(await ex.start(s));
    expect(info).toMatchObject({ exitCode: -1, startedAt: null });
    expect(info.error).toBe(`cannot open output file ${folder}/job.o1: Permission denied (EACCES)`);
    expect(existsSync(join(folder, 'job.o1'))).toBe(false);
  });
});

describe.runIf(isRoot)('local executor: a data folder that turns read-only', () => {
  it('reports the executor unavailable (EROFS, not ENOENT) and loses no end: it is read once the folder is back', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'godocker-local-ro-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', mount]);
    const ex = await createLocalExecutor({}, { clusterId, dataDir: mount, logger: recordingLogger(logged) });
    executors.push(ex);
    const unavailable = (e: unknown) => {
      expect(e).toBeInstanceOf(ExecutorUnavailableError);
      expect((e as Error).message).toMatch(/read-only file system \(EROFS\)/);
    };
    try {
      const ended = await started(ex, 'exit 4');
      expect(await ex.wait(ended.handle)).toMatchObject({ exitCode: 4 });
      const { handle } = await started(ex, 'sleep 0.5; exit 3');
      const pending = ex.wait(handle);
      const orphaned = await started(ex, 'sleep 30');
      await until(() => existsSync(join(mount, 'local-tasks', orphaned.handle.key, 'job')));
      execFileSync('mount', ['-o', 'remount,ro', mount]);
      await sleep(1500);
      // The job has ended, but its monitor cannot write that down yet: still running, not vanished.
      expect((await ex.status(handle)).state).toBe('running');
      unavailable(await ex.start(spec('true')).catch((e: unknown) => e));
      // An end that is known is kept until it can be collected.
      unavailable(await ex.collect(ended.handle, join(base, `ro-${ended.spec.job.id}`)).catch((e: unknown) => e));
      // A monitor that died while nothing can be written: its end is unknown for now, not recorded.
      process.kill(Number(orphaned.handle.id), 'SIGKILL');
      await until(() => !processAlive(Number(orphaned.handle.id)));
      unavailable(await ex.status(orphaned.handle).catch((e: unknown) => e));

      execFileSync('mount', ['-o', 'remount,rw', mount]);
      expect(await pending).toMatchObject({ exitCode: 3, signal: null, error: null });
      expect(await ex.status(ended.handle)).toMatchObject({ state: 'exited', exitCode: 4 });
      await ex.collect(ended.handle, ended.spec.jobDir);
      expect(await ex.status(orphaned.handle)).toMatchObject({ state: 'exited', signal: 'SIGKILL' });
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mount]);
      await ex.close();
      await unmountAll(mount);
    }
  });

  it('takes a tasks folder that is gone (an unmounted data folder) as an outage, not as tasks that vanished', async () => {
    const mount = await mkdtemp(join(tmpdir(), 'godocker-local-gone-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32m,mode=0700', 'tmpfs', mount]);
    const ex = await createLocalExecutor({}, { clusterId, dataDir: mount, logger: recordingLogger(logged) });
    executors.push(ex);
    try {
      const { handle } = await started(ex, 'exit 5');
      expect(await ex.wait(handle)).toMatchObject({ exitCode: 5 });
      // An empty file system over it: the data folder as an unmounted one looks.
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount]);
      for (const call of [() => ex.status(handle), () => ex.wait(handle), () => ex.collect(handle, join(base, 'gone'))]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ExecutorUnavailableError);
        expect((error as Error).message).toMatch(/tasks folder .* is gone/);
      }
      execFileSync('umount', [mount]);
      expect(await ex.status(handle)).toMatchObject({ state: 'exited', exitCode: 5 });
    } finally {
      await ex.close();
      await unmountAll(mount);
    }
  });
});

describe('local executor: speed', () => {
  it('takes trivial jobs one after another from start to done, each with its exit status', async () => {
    const ex = await executor();
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      const { handle } = await started(ex, 'true');
      expect(await ex.wait(handle)).toMatchObject({ exitCode: 0, signal: null, error: null });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    // Latency is measured against a baseline by bench/ (docker-latency, local-throughput): a timed bound here flakes under load.
    console.info(`local executor: start to done, median ${times[5]?.toFixed(1)} ms, worst ${times[9]?.toFixed(1)} ms`);
  });

  // The target (80/s on 2 cores) is for the daemon; under vitest, with other suites sharing
  // the cores, the same code runs slower, so this only guards against a gross regression.
  it('runs trivial jobs 8 at a time, every one to its end, leaving no staging folder', async () => {
    const ex = await executor();
    const total = 160;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          next++;
          const { spec: s, handle } = await started(ex, 'echo hi');
          await ex.wait(handle);
          await ex.collect(handle, s.jobDir);
        }
      }),
    );
    const perSecond = total / ((performance.now() - t0) / 1000);
    // Speed is measured against a baseline by bench/local-throughput.ts; a timed bound here only flakes under load.
    console.info(`local executor: ${perSecond.toFixed(0)} trivial jobs/s, 8 at a time`);
    expect(await readdir(join(dataDir, 'local-tasks'))).not.toContain(expect.stringContaining('.staging-'));
  });
});
