/**
 * The local executor's launcher (native/godocker-launch.c): the process that starts task
 * monitors, so the daemon never forks for a job. Real processes: the launcher binary fed
 * by hand, and the executor with its launcher killed or stopped under it.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Executor, ExecutorUnavailableError, type Logger, type TaskHandle } from '@godocker/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLocalExecutor } from '../src/local/index.js';
import { BACKLOG_MAX_BYTES, LAUNCHER_PATH } from '../src/local/launcher.js';
import { encodeFrame, FRAME_MAX, FrameReader } from '../src/local/launcher-frames.js';
import { MONITOR_PATH } from '../src/local/monitor.js';
import { makeRunSpec } from './helpers/local-run-spec.js';

const quiet: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const clusterId = `l${randomBytes(4).toString('hex')}`;
let base: string;
let nextJobId = 1;
const executors: Executor[] = [];

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'godocker-launcher-'));
  await chmod(base, 0o755);
});

afterEach(async () => {
  for (const ex of executors.splice(0)) await ex.close();
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
  state: string;
}

function proc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      pid,
      ppid: Number(fields[1]),
      comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
      state: fields[0] ?? '',
    };
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  const p = proc(pid);
  return p !== null && p.state !== 'Z' && p.state !== 'X';
}

/** The live launcher this process started for the tasks folder `root`. */
function launcherOf(root: string): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = proc(Number(entry));
    if (p === null || p.ppid !== process.pid || p.comm !== 'godocker-launch' || !alive(p.pid)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')[1] === root) return p.pid;
    } catch {
      // Gone meanwhile.
    }
  }
  return null;
}

/** A start's process of the launcher `launcher`: its child that has not become a monitor. */
function startOf(launcher: number): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const p = proc(Number(entry));
    if (p !== null && p.ppid === launcher && p.comm === 'godocker-launch' && alive(p.pid)) return p.pid;
  }
  return null;
}

/** Whether the process has `folder` open (a start's process opens the tasks folder once its death signal is set). */
function holdsFolder(pid: number, folder: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === folder;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

async function until<T>(check: () => T | null | false | Promise<T | null | false>, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** An executor with a data folder of its own, so its launcher is told apart by its tasks folder. */
async function ownExecutor(): Promise<{ ex: Executor; dataDir: string; root: string }> {
  const dataDir = join(base, `data-${randomBytes(3).toString('hex')}`);
  const ex = await createLocalExecutor({}, { clusterId, dataDir, logger: quiet });
  executors.push(ex);
  return { ex, dataDir, root: join(dataDir, 'local-tasks') };
}

function spec(script: string) {
  return makeRunSpec({ clusterId, jobId: nextJobId++, script, logRoot: join(base, 'logs') });
}

describe('the launcher fed by hand', () => {
  type Launcher = ChildProcessByStdio<Writable, Readable, Readable>;
  let root: string;
  let launcher: Launcher;
  let frames: Array<string[] | null>;

  beforeAll(async () => {
    root = join(base, 'by-hand');
    await mkdir(root, { mode: 0o700 });
    launcher = spawn(LAUNCHER_PATH, [root, MONITOR_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
    frames = [];
    const reader = new FrameReader();
    launcher.stdout.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
  });

  afterAll(() => {
    launcher.kill('SIGKILL');
  });

  async function answer(fields: Array<string | Buffer>): Promise<string[] | null> {
    const before = frames.length;
    launcher.stdin.write(encodeFrame(fields));
    await until(() => frames.length > before);
    return frames[before] ?? null;
  }

  function raw(bytes: Buffer): Promise<string[] | null> {
    const before = frames.length;
    launcher.stdin.write(bytes);
    return until(() => frames.length > before).then(() => frames[before] ?? null);
  }

  it('refuses a malformed request with an error, makes nothing, and carries on', async () => {
    const lengthPastEnd = Buffer.alloc(12);
    lengthPastEnd.writeUInt32LE(8, 0);
    lengthPastEnd.writeUInt32LE(1000, 4);
    expect(await raw(lengthPastEnd)).toEqual(['refused', '', 'a field runs past the end of its frame']);
    expect(await answer(['start'])).toEqual(['refused', '', 'a request names an operation and an id']);
    expect(await answer(['start', 'x1'])).toEqual(['refused', '', 'the request id is not a number']);
    expect(await answer(['launch', '7'])).toEqual(['refused', '7', 'unknown operation']);
    expect(await answer(['start', '8', 'k1'])).toEqual(['refused', '8', 'start: too few fields']);
    const start = (id: string, key: string, uid: string, gid: string, logDir: string) =>
      answer(['start', id, key, uid, gid, logDir, 'true', '', '{}\n', '--', '/bin/sh', '@SCRIPT@']);
    expect(await start('9', '../escape', '', '', join(base, 'l9'))).toEqual([
      'refused',
      '9',
      'start: the key is not a plain folder name',
    ]);
    expect(await start('10', `k${'.staging-'}x`, '', '', join(base, 'l10'))).toEqual([
      'refused',
      '10',
      'start: the key is not a plain folder name',
    ]);
    expect(await start('11', 'k11', '1000', '', join(base, 'l11'))).toEqual([
      'refused',
      '11',
      'start: uid and gid are both numbers or both empty',
    ]);
    expect(await start('12', 'k12', '-1', '-1', join(base, 'l12'))).toEqual([
      'refused',
      '12',
      'start: uid and gid are both numbers or both empty',
    ]);
    expect(await start('13', 'k13', '', '', 'relative/logs')).toEqual([
      'refused',
      '13',
      'start: the log folder is not an absolute path',
    ]);
    expect(await start('14', 'k1\u0000x', '', '', join(base, 'l14'))).toEqual([
      'refused',
      '14',
      'a field that must be text holds a NUL byte',
    ]);
    expect(await answer(['remove', '15', 'k15', 'extra'])).toEqual([
      'refused',
      '15',
      'remove: one field, a key that is a plain folder name',
    ]);
    expect(await readdir(root)).toEqual([]);

    // A frame longer than any request is refused at once, without reading it in.
    const huge = Buffer.alloc(4);
    huge.writeUInt32LE(FRAME_MAX + 1, 0);
    expect(await raw(huge)).toEqual(['refused', '', 'a frame larger than the launcher takes']);
    expect(alive(launcher.pid as number)).toBe(true);
  });

  it('after all that, starts a task, answers with its monitor, and tells its end', async () => {
    // The huge frame's bytes are still owed: a new launcher, as the executor starts one.
    launcher.kill('SIGKILL');
    launcher = spawn(LAUNCHER_PATH, [root, MONITOR_PATH], { stdio: ['pipe', 'pipe', 'pipe'] });
    frames = [];
    const reader = new FrameReader();
    launcher.stdout.on('data', (chunk: Buffer) => frames.push(...reader.push(chunk)));
    expect(await answer(['start', '1', 'k20', '', '', join(base, 'l20')])).toEqual(['refused', '1', 'start: too few fields']);
    const logDir = join(base, 'l21');
    const started = await answer([
      'start',
      '2',
      'k21',
      '',
      '',
      logDir,
      'echo from-k21; exit 4',
      'PATH=/usr/bin:/bin\0',
      '{}\n',
      '--script-fd=3',
      '--env=env',
      '--',
      '/bin/sh',
      '@SCRIPT@',
    ]);
    expect(started?.slice(0, 2)).toEqual(['started', '2']);
    const pid = started?.[2];
    const ended = await until(() => frames.find((f) => f?.[0] === 'ended') ?? null);
    expect(ended?.slice(0, 5)).toEqual(['ended', pid, 'k21', 'exited 4\n', '']);
    expect(readFileSync(join(logDir, 'stdout'), 'utf8')).toBe('from-k21\n');
    expect((await readdir(join(root, 'k21'))).sort()).toEqual(['env', 'job', 'pid', 'spec.json', 'status']);
    expect(await answer(['start', '3', 'k21', '', '', logDir, 'true', '', '{}\n', '--', '/bin/sh', '@SCRIPT@'])).toEqual([
      'exists',
      '3',
    ]);
    expect(await answer(['remove', '4', 'k21'])).toEqual(['removed', '4']);
    await until(async () => (await readdir(root)).length === 0);
    expect(await answer(['remove', '5', 'k21'])).toEqual(['removed', '5']);
  });
});

describe('the executor and its launcher', () => {
  it('starts every monitor from its launcher: the daemon forks for no job', async () => {
    const { ex, root } = await ownExecutor();
    const launcher = await until(() => launcherOf(root));
    const handles: TaskHandle[] = [];
    for (let i = 0; i < 4; i++) handles.push(await ex.start(spec('sleep 1')));
    for (const handle of handles) {
      expect(proc(Number(handle.id))).toMatchObject({ comm: 'godocker-task', ppid: launcher });
    }
    for (const handle of handles) await ex.kill(handle, 0);
  });

  it('takes a launcher killed under a start as an outage; started again, the job runs once, never twice', async () => {
    const { ex, root } = await ownExecutor();
    const counter = join(base, `runs-${randomBytes(3).toString('hex')}`);
    let outages = 0;
    for (let round = 0; round < 20; round++) {
      const s = spec(`echo ${round} >> ${counter}`);
      const launcher = await until(() => launcherOf(root));
      const starting = ex.start(s);
      // From before its request is written to after its monitor runs.
      if (round % 5 !== 0) await sleep(round % 5);
      process.kill(launcher, 'SIGKILL');
      let handle = await starting.catch((error: unknown) => error);
      if (handle instanceof ExecutorUnavailableError) {
        outages++;
        expect(handle.message).toMatch(/task launcher was killed by SIGKILL/);
        // What the runtime does with a job whose start was an outage: start it again later.
        handle = await ex.start(s);
      }
      expect(await ex.wait(handle as TaskHandle)).toMatchObject({ exitCode: 0 });
      await ex.collect(handle as TaskHandle, s.jobDir);
    }
    expect(outages).toBeGreaterThan(0);
    const runs = (await readFile(counter, 'utf8')).trim().split('\n').map(Number);
    expect(runs).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("reuses the folder of a collected task for the next start: none of its files shows in the new task, and no job reads another job's script", async () => {
    const { ex, root } = await ownExecutor();
    const seen = join(base, `seen-${randomBytes(3).toString('hex')}`);
    // The first job leaves a process outside its group that, once the second job runs, reads the script it inherited.
    const first = spec(
      `setsid sh -c 'while [ ! -e ${seen}.go ]; do sleep 0.05; done; cat /proc/self/fd/3 > ${seen}' </dev/null >/dev/null 2>&1 &\nsleep 0.3 # its own session by then\nexit 3 # first`,
    );
    const one = await ex.start(first);
    expect(await ex.wait(one)).toMatchObject({ exitCode: 3 });
    await ex.collect(one, first.jobDir);
    const spares = (await readdir(root)).filter((name) => name.startsWith('.spare-'));
    expect(spares).toHaveLength(1);
    const spareInode = statSync(join(root, spares[0] as string)).ino;

    const second = spec('sleep 0.3; echo second; # second');
    const two = await ex.start(second);
    expect(statSync(join(root, second.key)).ino).toBe(spareInode);
    expect(await readdir(root)).not.toContain(spares[0]);
    // Running: no status, no error of the task before it.
    expect(await ex.status(two)).toMatchObject({ state: 'running' });
    writeFileSync(`${seen}.go`, '');
    expect(await ex.wait(two)).toMatchObject({ exitCode: 0 });
    expect(readFileSync(join(second.jobDir, 'stdout'), 'utf8')).toBe('second\n');
    expect(await until(() => existsSync(seen) && readFileSync(seen, 'utf8'))).toContain('exit 3 # first');
    expect(readFileSync(seen, 'utf8')).not.toContain('# second');
    await ex.collect(two, second.jobDir);
  });

  it('kills the starts of a killed launcher that have not claimed their key: a start caught before its claim never runs later', async () => {
    const { ex, root } = await ownExecutor();
    const counter = join(base, `late-${randomBytes(3).toString('hex')}`);
    // An environment large enough that its start's process spends a while writing it, before its claim.
    const big = makeRunSpec({
      clusterId,
      jobId: nextJobId,
      script: `echo ran >> ${counter}`,
      env: { PADDING: 'x'.repeat(48 * 1024 * 1024) },
      logRoot: join(base, 'logs'),
    });
    // The same job started again (an environment that big could not be exec'd: a late start would claim the key and fail).
    const s = spec(`echo ran >> ${counter}`);
    expect(s.key).toBe(big.key);
    const launcher = await until(() => launcherOf(root));
    const starting = ex.start(big);
    let caught: number | null = null;
    for (const deadline = Date.now() + 10_000; caught === null && Date.now() < deadline; ) {
      caught = startOf(launcher);
      // Past its PR_SET_PDEATHSIG (it opens the tasks folder right after): stopped any earlier, it
      // would outlive its launcher until continued, then see its parent gone and exit, running nothing.
      if (caught !== null && !holdsFolder(caught, root)) caught = null;
      if (caught === null) await new Promise((resume) => setImmediate(resume));
    }
    expect(caught).not.toBeNull();
    const late = caught as number;
    // Stopped where the machine might have left it, then its launcher dies.
    process.kill(late, 'SIGSTOP');
    expect(await readdir(root)).not.toContain(big.key);
    process.kill(launcher, 'SIGKILL');
    await expect(starting).rejects.toThrow(ExecutorUnavailableError);
    await until(() => !alive(late));
    const handle = await ex.start(s);
    expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
    await ex.collect(handle, s.jobDir);
    try {
      process.kill(late, 'SIGCONT');
    } catch {
      // Gone, as it should be.
    }
    await sleep(300);
    expect(await readFile(counter, 'utf8')).toBe('ran\n');
    expect(await readdir(root)).not.toContain(s.key);
  });

  it('takes a launcher that stops taking requests (its pipe full) as an outage, and replaces it', async () => {
    const { ex, root } = await ownExecutor();
    const counter = join(base, `full-${randomBytes(3).toString('hex')}`);
    const launcher = await until(() => launcherOf(root));
    process.kill(launcher, 'SIGSTOP');
    try {
      // Scripts large enough to fill the pipe and the backlog within a few starts.
      const padding = `#${'x'.repeat(Math.ceil(BACKLOG_MAX_BYTES / 4))}\n`;
      const specs = Array.from({ length: 6 }, (_, i) => spec(`echo ${i} >> ${counter}\n${padding}`));
      const outcomes = await Promise.all(specs.map((s) => ex.start(s).catch((error: unknown) => error)));
      // The starts that were waiting on it fail with it; one after its replacement may start.
      const failed = outcomes.filter((o) => o instanceof ExecutorUnavailableError);
      expect(failed.length).toBeGreaterThanOrEqual(4);
      expect(failed.some((e) => /pipe is full/.test(e.message))).toBe(true);
      await until(() => !alive(launcher));
      // Each job that failed started again, as the runtime does: a new launcher, each job run exactly once.
      for (const [i, s] of specs.entries()) {
        const outcome = outcomes[i];
        const handle = outcome instanceof Error ? await ex.start(s) : (outcome as TaskHandle);
        expect(await ex.wait(handle)).toMatchObject({ exitCode: 0 });
      }
      expect(launcherOf(root)).not.toBe(launcher);
      const runs = (await readFile(counter, 'utf8')).trim().split('\n').map(Number);
      expect(runs.sort()).toEqual([0, 1, 2, 3, 4, 5]);
    } finally {
      if (alive(launcher)) process.kill(launcher, 'SIGKILL');
    }
  });

  it('replaces a launcher that dies while nothing is asked of it, and hears the ends of its tasks from the new one', async () => {
    const { ex, root } = await ownExecutor();
    const first = await until(() => launcherOf(root));
    const before = await ex.start(spec('sleep 0.5'));
    process.kill(first, 'SIGKILL');
    const second = await until(() => {
      const now = launcherOf(root);
      return now !== null && now !== first ? now : null;
    });
    // The task of the dead launcher still ends, found by its folder; the new one starts the next.
    expect(await ex.wait(before)).toMatchObject({ exitCode: 0 });
    const after = await ex.start(spec('sleep 0.3'));
    expect(proc(Number(after.id))?.ppid).toBe(second);
    expect(await ex.wait(after)).toMatchObject({ exitCode: 0 });
  });

  it('ends its launcher on close; the tasks run on', async () => {
    const { ex, root } = await ownExecutor();
    const launcher = await until(() => launcherOf(root));
    const handle = await ex.start(spec('sleep 1'));
    await ex.close();
    await until(() => !alive(launcher));
    expect(alive(Number(handle.id))).toBe(true);
    const again = await createLocalExecutor({}, { clusterId, dataDir: join(root, '..'), logger: quiet });
    executors.push(again);
    expect(await again.wait(handle)).toMatchObject({ exitCode: 0 });
  });
});
