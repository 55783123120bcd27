/**
 * The DRMAA2 API end to end, against a live daemon with the Docker executor. One
 * suite, run by drmaa2.test.ts in both modes: embedded (the scheduler inside this
 * process) and HTTP (a daemon started separately, reached by URL and token).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  type Drmaa2Event,
  drmaaNames,
  ErrorCodes,
  GodockerError,
  INFINITE_TIME,
  InvalidSessionError,
  InvalidStateError,
  NotFoundError,
  type SessionJob,
  type SessionManager,
  UnsupportedAttributeError,
  ValidationError,
  WaitTimeoutError,
  ZERO_TIME,
} from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, REPO } from './helpers/built.js';

const run = promisify(execFile);

export interface Drmaa2Fixture {
  manager: SessionManager;
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

async function elapsed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const t0 = Date.now();
  const out = await work();
  return [Date.now() - t0, out];
}

export function describeDrmaa2Suite(mode: string, setup: () => Promise<Drmaa2Fixture>): void {
  describe(`DRMAA2 API (${mode})`, () => {
    let f: Drmaa2Fixture;
    let manager: SessionManager;

    beforeAll(async () => {
      f = await setup();
      manager = f.manager;
    });
    afterAll(async () => {
      await f?.stop();
    });

    const unique = (prefix: string) => `${prefix}-${Date.now() % 1e7}-${Math.floor(Math.random() * 1e4)}`;

    describe('SessionManager', () => {
      it('creates, lists, opens and destroys job sessions', async () => {
        const name = unique('named');
        const session = await manager.createJobSession(name);
        expect(session.getSessionName()).toBe(name);
        expect(session.getContact()).toBe(`${f.url}/api/v1/sessions/${name}`);
        const generated = await manager.createJobSession();
        expect(generated.name).toMatch(/^session-/);
        expect(await manager.getJobSessionNames()).toEqual(expect.arrayContaining([name, generated.name]));
        expect((await manager.openJobSession(name)).name).toBe(name);

        const taken = await rejection(manager.createJobSession(name));
        expect(GodockerError.is(taken) && taken.code).toBe(ErrorCodes.CONFLICT);
        expect(drmaaNames(taken).drmaa2).toBe('InvalidArgumentException');

        await manager.destroyJobSession(name);
        expect(await manager.getJobSessionNames()).not.toContain(name);
        const missing = await rejection(manager.openJobSession(name));
        expect(missing).toBeInstanceOf(InvalidSessionError);
        expect(drmaaNames(missing).drmaa2).toBe('InvalidSessionException');
        expect(await rejection(manager.destroyJobSession(name))).toBeInstanceOf(InvalidSessionError);
        expect(manager.drmsName).toBe('GoDocker');
        expect(await manager.getDrmsVersion()).toMatch(/^\d+\.\d+\.\d+/);
      });

      it('opens a monitoring session: machines, queues (projects) and every job', async () => {
        const monitor = await manager.createMonitoringSession();
        const machines = await monitor.getAllMachines();
        expect(machines.length).toBeGreaterThan(0);
        expect(machines[0]).toMatchObject({ available: true, cpus: 16, physicalMemory: 16384 * 1024 });
        expect(await monitor.getAllMachines(['no-such-node'])).toEqual([]);
        const queues = await monitor.getAllQueues();
        expect(queues.map((q) => q.name)).toContain('default');
        expect((await monitor.getAllQueues(['default']))[0]?.members).toContain(manager.user.name);

        const session = await manager.createJobSession();
        const job = await session.runJob({ remoteCommand: '/bin/true', jobName: unique('mon') });
        await job.waitTerminated(60);
        const all = await monitor.getAllJobs({ jobName: job.document.meta.name });
        expect(all.map((j) => j.id)).toEqual([job.id]);
        expect((await monitor.getAllJobs({ jobName: job.document.meta.name, jobState: 'DONE' })).length).toBe(1);
        expect(await monitor.getAllJobs({ jobState: 'REQUEUED' })).toEqual([]);
        monitor.close();
        await expect(monitor.getAllJobs()).rejects.toBeInstanceOf(InvalidSessionError);
      });
    });

    describe('JobSession and Job', () => {
      it('runs a job from a template: command, args, environment, name; waits; info and state', async () => {
        const session = await manager.createJobSession();
        const job = await session.runJob({
          remoteCommand: 'sh',
          args: ['-c', 'echo "$GREETING $1"', 'sh', "it's"],
          jobEnvironment: { GREETING: 'hello' },
          jobName: 'greeter',
          minSlots: 0.5,
          minPhysMemory: 100 * 1024,
          wallclockTimeLimit: 60,
          priority: 5,
        });
        expect(job.getId()).toBe(String(job.id));
        expect(job.getSessionName()).toBe(session.name);
        expect(job.document.command.script).toBe(`exec 'sh' "$@"`);
        expect(job.document.requirements).toMatchObject({ cpu: 0.5, ram: 100, timeLimit: 60 });
        expect(job.document.priority).toBe(5);
        await job.waitTerminated(INFINITE_TIME);
        expect(await job.getState()).toMatchObject({ state: 'DONE', subState: 'done' });
        const info = await job.getInfo();
        expect(info).toMatchObject({
          jobId: String(job.id),
          jobName: 'greeter',
          exitStatus: 0,
          terminatingSignal: null,
          jobState: 'DONE',
          jobSubState: 'done',
          queueName: 'default',
          slots: 0.5,
          sessionName: session.name,
        });
        expect(info.allocatedMachines.length).toBe(1);
        expect(info.dispatchTime).toBeInstanceOf(Date);
        expect(info.finishTime?.getTime()).toBeGreaterThanOrEqual(info.submissionTime.getTime());
        expect(await manager.client.logs(job.id)).toBe("hello it's\n");
      });

      it('reports a failing job as FAILED with its exit status', async () => {
        const session = await manager.createJobSession();
        const job = await session.runJob({ script: 'echo oops >&2; exit 3' });
        await job.waitTerminated(60);
        expect(await job.getState()).toMatchObject({ state: 'FAILED', subState: 'failed', reason: 'exited with code 3' });
        expect((await job.getInfo()).exitStatus).toBe(3);
      });

      it('redirects input, output and error as the template says (paths inside the container)', async () => {
        const session = await manager.createJobSession();
        const joined = await session.runJob({ script: 'echo out; echo err >&2', joinFiles: true });
        const moved = await session.runJob({ remoteCommand: 'cat', inputPath: ':/etc/hostname', outputPath: ':/dev/stderr' });
        await joined.waitTerminated(60);
        await moved.waitTerminated(60);
        expect(await manager.client.logs(joined.id)).toBe('out\nerr\n');
        expect(await manager.client.logs(joined.id, 'stderr')).toBe('');
        expect(await manager.client.logs(moved.id)).toBe('');
        expect((await manager.client.logs(moved.id, 'stderr')).trim().length).toBeGreaterThan(0);
      });

      it('a job whose file cannot be opened, or whose working directory is missing, never runs: FAILED with no exit status', async () => {
        const session = await manager.createJobSession();
        const denied = await session.runJob({ script: 'echo never', outputPath: ':/proc/no-such/out' });
        const homeless = await session.runJob({ script: 'echo never', workingDirectory: '$DRMAA2_HOME_DIR$/no-such-dir' });
        for (const job of [denied, homeless]) await job.waitTerminated(60);
        const info = await denied.getInfo();
        expect(info).toMatchObject({ jobState: 'FAILED', exitStatus: null, terminatingSignal: null, dispatchTime: null });
        expect(info.annotation).toBe(
          'could not start: cannot open output file /proc/no-such/out: No such file or directory (ENOENT)',
        );
        // The home placeholder is filled in by the daemon with the user's home.
        const home = (await manager.client.getJob(homeless.id)).command.workdir ?? '';
        expect(home).toMatch(/^\/[^$]*\/no-such-dir$/);
        expect(await homeless.getInfo()).toMatchObject({
          jobState: 'FAILED',
          exitStatus: null,
          annotation: `could not start: working directory ${home} does not exist`,
        });
        expect(await manager.client.logs(denied.id)).toBe('');
      });

      it("a relative path (Grid Engine's `:relative/path`) is in the working directory", async () => {
        const session = await manager.createJobSession();
        const job = await session.runJob({
          script: 'echo "in $PWD"',
          workingDirectory: '/tmp',
          outputPath: ':out.txt',
          inputPath: 'in',
        });
        await job.waitTerminated(60);
        const stored = await manager.client.getJob(job.id);
        expect(stored.command).toMatchObject({ workdir: '/tmp', stdout: '/tmp/out.txt', stdin: '/tmp/in' });
        // /tmp/in is not there: it never ran.
        expect((await job.getInfo()).annotation).toBe(
          'could not start: cannot open input file /tmp/in: No such file or directory (ENOENT)',
        );
        const e = await rejection(session.runJob({ remoteCommand: 'true', outputPath: ':out.txt' }));
        expect(e).toBeInstanceOf(ValidationError);
        expect((e as ValidationError).message).toMatch(/relative to the working directory, but no working directory is set/);
      });

      it('refuses what it cannot honour, naming the field, rather than ignoring it', async () => {
        const session = await manager.createJobSession();
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ remoteCommand: 'true', email: ['a@b.c', 'd@e.f'], emailOnTerminated: true }, 'email'],
          [{ remoteCommand: 'true', deadlineTime: new Date() }, 'deadlineTime'],
          [{ remoteCommand: 'true', jobCategory: 'big' }, 'jobCategory'],
          [{ remoteCommand: 'true', resourceLimits: { CPU_TIME: 10 } }, 'resourceLimits.CPU_TIME'],
          [{ remoteCommand: 'true', candidateMachines: ['elsewhere'] }, 'candidateMachines'],
          [{ remoteCommand: 'true', outputPath: 'otherhost:/tmp/x' }, 'outputPath'],
          [{ remoteCommand: 'true', colour: 'blue' }, 'colour'],
        ];
        for (const [template, field] of cases) {
          const e = await rejection(session.runJob(template));
          expect(e).toBeInstanceOf(UnsupportedAttributeError);
          expect((e as UnsupportedAttributeError).field).toBe(field);
          expect(drmaaNames(e).drmaa2).toBe('UnsupportedAttributeException');
        }
        expect(await rejection(session.runJob({}))).toBeInstanceOf(ValidationError);
        expect(await rejection(session.runJob({ remoteCommand: 'true', workingDirectory: 'relative' }))).toBeInstanceOf(
          ValidationError,
        );
        // Every machine of the daemon named: the constraint holds everywhere, so it is accepted.
        const machines = (await (await manager.createMonitoringSession()).getAllMachines()).map((m) => m.name);
        const ok = await session.runJob({ remoteCommand: 'true', candidateMachines: machines });
        await ok.waitTerminated(60);
        expect((await ok.getState()).state).toBe('DONE');
        expect(await session.getJobs({ jobName: 'never-submitted' })).toEqual([]);
      });

      it('suspends and resumes a running job, then terminates it', async () => {
        const session = await manager.createJobSession();
        const job = await session.runJob({ remoteCommand: 'sleep', args: ['30'] });
        await job.waitStarted(60);
        await job.suspend();
        expect((await job.getState()).state).toBe('SUSPENDED');
        await expect(job.suspend()).rejects.toBeInstanceOf(InvalidStateError);
        await job.resume();
        expect((await job.getState()).state).toBe('RUNNING');
        await job.terminate();
        await job.waitTerminated(60);
        const info = await job.getInfo();
        expect(info.jobState).toBe('FAILED');
        expect(info.terminatingSignal).toMatch(/^SIG/);
      });

      it('holds and releases a single job; waits with zero, finite and infinite timeouts', async () => {
        const session = await manager.createJobSession();
        const job = await session.runJob({ remoteCommand: 'true', submitAsHold: true });
        expect((await job.getState()).state).toBe('QUEUED_HELD');
        const [zeroMs, zero] = await elapsed(() => rejection(job.waitStarted(ZERO_TIME)));
        expect(zero).toBeInstanceOf(WaitTimeoutError);
        expect(drmaaNames(zero).drmaa2).toBe('TimeoutException');
        expect(zeroMs).toBeLessThan(900);
        const [finiteMs, finite] = await elapsed(() => rejection(job.waitTerminated(1)));
        expect(finite).toBeInstanceOf(WaitTimeoutError);
        expect(finiteMs).toBeGreaterThanOrEqual(900);
        expect(finiteMs).toBeLessThan(10_000);
        await expect(job.waitStarted(-2)).rejects.toBeInstanceOf(ValidationError);

        // Released while a wait for ever is under way: the wait returns when the job ends.
        const forever = job.waitTerminated(INFINITE_TIME);
        setTimeout(() => void job.release(), 500);
        expect(await forever).toBe(job);
        expect((await job.getState()).state).toBe('DONE');

        // hold on a queued job: one that waits for a dependency stays queued until held.
        const blocker = await session.runJob({ remoteCommand: 'true', submitAsHold: true });
        const queued = await session.runJob({ remoteCommand: 'true', dependencies: [{ type: 'afterok', jobId: blocker.id }] });
        expect((await queued.getState()).state).toBe('QUEUED');
        await queued.hold();
        expect((await queued.getState()).state).toBe('QUEUED_HELD');
        await queued.release();
        await blocker.release();
        await queued.waitTerminated(60);
        expect((await queued.getState()).state).toBe('DONE');
      });

      it('waits for any of several jobs to start or terminate, with zero, finite and infinite timeouts', async () => {
        const session = await manager.createJobSession();
        const held = await session.runJob({ remoteCommand: 'true', submitAsHold: true });
        const other = await session.runJob({ remoteCommand: 'true', submitAsHold: true });
        await expect(session.waitAnyStarted([held, other], ZERO_TIME)).rejects.toBeInstanceOf(WaitTimeoutError);
        const [ms, e] = await elapsed(() => rejection(session.waitAnyTerminated([held, other], 1)));
        expect(e).toBeInstanceOf(WaitTimeoutError);
        expect(ms).toBeGreaterThanOrEqual(900);
        await expect(session.waitAnyStarted([])).rejects.toBeInstanceOf(ValidationError);

        setTimeout(() => void other.release(), 500);
        const started = await session.waitAnyStarted([held, other], INFINITE_TIME);
        expect(started.id).toBe(other.id);
        const ended = await session.waitAnyTerminated([held, other], -1);
        expect(ended.id).toBe(other.id);
        expect(ended.document.status.state).toBe('done');
        await held.terminate();
      });

      it('reaps a terminated job: the session forgets it, its record stays', async () => {
        const session = await manager.createJobSession();
        const running = await session.runJob({ remoteCommand: 'sleep', args: ['30'] });
        const quick = await session.runJob({ remoteCommand: 'true', jobName: 'quick' });
        await expect(running.reap()).rejects.toBeInstanceOf(InvalidStateError);
        await quick.waitTerminated(60);
        expect((await session.getJobs({ jobName: 'quick' })).map((j) => j.id)).toEqual([quick.id]);
        await quick.reap();
        expect(await session.getJobs({ jobName: 'quick' })).toEqual([]);
        const gone = await rejection(session.waitAnyTerminated([quick], 0));
        expect(gone).toBeInstanceOf(NotFoundError);
        expect((gone as GodockerError).code).toBe(ErrorCodes.JOB_NOT_FOUND);
        await expect(quick.reap()).rejects.toBeInstanceOf(NotFoundError);
        expect((await quick.getState()).state).toBe('DONE');
        expect((await session.getJobs()).map((j) => j.id)).toEqual([running.id]);
        expect((await session.getJobs({ jobState: 'RUNNING' })).map((j) => j.id)).toEqual([running.id]);
        expect(await session.getJobs({ jobState: 'DONE' })).toEqual([]);
        expect(await session.getJobs({ jobOwner: 'somebody-else' })).toEqual([]);
        await running.terminate();
      });

      it('streams the session’s job events as DRMAA2 notifications', async () => {
        const session = await manager.createJobSession();
        const controller = new AbortController();
        let connected: () => void = () => undefined;
        const ready = new Promise<void>((resolve) => {
          connected = resolve;
        });
        const seen: Drmaa2Event[] = [];
        const watching = (async () => {
          for await (const ev of session.events({ signal: controller.signal, onConnect: connected })) {
            seen.push(ev);
            if (ev.jobState === 'DONE') break;
          }
        })();
        await ready;
        const outside = await (await manager.createJobSession()).runJob({ remoteCommand: 'true' });
        const job = await session.runJob({ remoteCommand: 'true' });
        const timer = setTimeout(() => controller.abort(), 30_000);
        await watching;
        clearTimeout(timer);
        expect(seen.map((e) => e.jobState)).toEqual(expect.arrayContaining(['RUNNING', 'DONE']));
        expect(seen.every((e) => e.jobId === String(job.id) && e.sessionName === session.name)).toBe(true);
        expect(seen.at(-1)).toMatchObject({ event: 'NEW_STATE', state: 'done', previousState: 'running', isArray: false });
        expect(seen.some((e) => e.jobId === String(outside.id))).toBe(false);

        // The manager's watch narrows by job.
        const stop = new AbortController();
        const one: Drmaa2Event[] = [];
        let watchConnected: () => void = () => undefined;
        const watchReady = new Promise<void>((resolve) => {
          watchConnected = resolve;
        });
        let target = '';
        const watcher = (async () => {
          for await (const ev of manager.watch({}, { signal: stop.signal, onConnect: watchConnected })) {
            if (ev.jobId !== target) continue;
            one.push(ev);
            if (ev.jobState === 'DONE') break;
          }
        })();
        await watchReady;
        target = String((await session.runJob({ remoteCommand: 'true' })).id);
        await watcher;
        expect(one.at(-1)?.jobState).toBe('DONE');
      });

      it('closes: the object refuses further use, the session stays on the server', async () => {
        const session = await manager.createJobSession();
        session.close();
        await expect(session.runJob({ remoteCommand: 'true' })).rejects.toBeInstanceOf(InvalidSessionError);
        expect(await manager.getJobSessionNames()).toContain(session.name);
      });
    });

    describe('bulk jobs (JobArray)', () => {
      it('runs a bulk job: tasks in order, each with its index, at most maxParallel at once', async () => {
        const session = await manager.createJobSession();
        const array = await session.runBulkJobs({ script: 'echo "task $GODOCKER_TASK_ID"' }, 1, 5, 2, 2);
        expect(array.getSessionName()).toBe(session.name);
        expect(array.document.array).toMatchObject({ start: 1, end: 5, step: 2, throttle: 2, count: 3 });
        const tasks = await array.getJobs();
        expect(tasks.map((t) => t.document.taskIndex)).toEqual([1, 3, 5]);
        await array.waitTerminated(INFINITE_TIME);
        for (const task of tasks) {
          expect(await manager.client.logs(task.id)).toBe(`task ${task.document.taskIndex}\n`);
        }
        expect((await session.getJobArray(array.id)).getId()).toBe(array.getId());
        await expect(session.getJobArray(tasks[0]?.id ?? 0)).rejects.toBeInstanceOf(ValidationError);
        // getJobs lists the tasks, not the array's parent.
        expect((await session.getJobs()).map((j) => j.id).sort()).toEqual(tasks.map((t) => t.id).sort());
        await array.reap();
        expect(await session.getJobs()).toEqual([]);
        expect((await array.getState()).state).toBe('DONE');
      });

      it('holds and releases a bulk job', async () => {
        const session = await manager.createJobSession();
        const held = await session.runBulkJobs({ remoteCommand: 'true', submitAsHold: true }, 1, 3);
        const tasks = await held.getJobs();
        expect(await Promise.all(tasks.map(async (t) => (await t.getState()).state))).toEqual([
          'QUEUED_HELD',
          'QUEUED_HELD',
          'QUEUED_HELD',
        ]);
        await expect(held.waitStarted(ZERO_TIME)).rejects.toBeInstanceOf(WaitTimeoutError);
        await held.release();
        await held.waitStarted(60);
        await held.waitTerminated(60);
        expect(await Promise.all(tasks.map(async (t) => (await t.getState()).state))).toEqual(['DONE', 'DONE', 'DONE']);

        // hold on a queued array: its tasks wait on a dependency, so they stay queued until held.
        const blocker = await session.runJob({ remoteCommand: 'true', submitAsHold: true });
        const queued = await session.runBulkJobs(
          { remoteCommand: 'true', dependencies: [{ type: 'afterok', jobId: blocker.id }] },
          1,
          2,
        );
        await queued.hold();
        const queuedTasks = await queued.getJobs();
        expect(await Promise.all(queuedTasks.map(async (t) => (await t.getState()).state))).toEqual([
          'QUEUED_HELD',
          'QUEUED_HELD',
        ]);
        await queued.release();
        await blocker.release();
        await queued.waitTerminated(60);
        expect((await queued.getState()).state).toBe('DONE');
      });

      it('suspends, resumes and terminates every task of a running bulk job', async () => {
        const session = await manager.createJobSession();
        const array = await session.runBulkJobs({ remoteCommand: 'sleep', args: ['30'] }, 1, 2);
        await array.waitStarted(60);
        await array.suspend();
        const tasks = await array.getJobs();
        expect(await Promise.all(tasks.map(async (t) => (await t.getState()).state))).toEqual(['SUSPENDED', 'SUSPENDED']);
        await array.resume();
        expect(await Promise.all(tasks.map(async (t) => (await t.getState()).state))).toEqual(['RUNNING', 'RUNNING']);
        await expect(array.reap()).rejects.toBeInstanceOf(InvalidStateError);
        await array.terminate();
        await array.waitTerminated(60);
        expect((await array.getState()).state).toBe('FAILED');
        await array.reap();
      });
    });

    it('reattaches to a session after the client process that made it has exited', async () => {
      assertBuilt('sdk');
      const { stdout } = await run(process.execPath, [`${REPO}packages/sdk/test/helpers/reattach-child.mjs`, 'drmaa2'], {
        env: { ...process.env, GODOCKER_URL: f.url, GODOCKER_TOKEN: f.token },
        timeout: 60_000,
      });
      const made = JSON.parse(stdout) as { session: string; ids: number[] };
      const session = await manager.openJobSession(made.session);
      const jobs = await session.getJobs();
      expect(jobs.map((j) => j.id).sort()).toEqual([...made.ids].sort());
      const first = await session.waitAnyTerminated(jobs, 60);
      expect(made.ids).toContain(first.id);
      const slow = jobs.find((j) => j.id === made.ids[0]) as SessionJob;
      await slow.waitTerminated(60);
      expect((await slow.getInfo()).exitStatus).toBe(4);
    });
  });
}
