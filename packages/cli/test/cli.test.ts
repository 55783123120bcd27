/**
 * The `godocker` command, run in-process through `run(argv, io)` against a real
 * daemon (local process executor) started in this process.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CliIo, run } from '@godocker/cli';
import { type Daemon, startDaemon } from '@godocker/scheduler';
import { type Job, VERSION } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtBin } from './helpers/built-bin.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

let dir: string;
let daemon: Daemon;
let baseEnv: Record<string, string>;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  interrupt?: AbortSignal;
  onStdout?: (text: string) => void;
}

async function cli(args: string[], options: CliOptions = {}): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (t: string) => {
        stdout += t;
        options.onStdout?.(stdout);
      },
    },
    stderr: { write: (t: string) => (stderr += t) },
    readStdin: async () => options.stdin ?? '',
    env: options.env ?? baseEnv,
    cwd: dir,
    interrupted: () => options.interrupt ?? new AbortController().signal,
  };
  const code = await run(args, io);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'godocker-cli-'));
  // When tests run as root, the local executor runs jobs as their owner's uid: they must reach their task folder.
  await chmod(dir, 0o711);
  await mkdir(join(dir, 'data'), { mode: 0o711 });
  await mkdir(join(dir, 'admin-home'));
  if (process.getuid?.() === 0) await chown(join(dir, 'admin-home'), 1000, 1000);
  daemon = await startDaemon({
    config: {
      dataDir: join(dir, 'data'),
      server: { port: 0 },
      executor: { type: 'local' },
      scheduler: { tickSeconds: 0.2 },
      // The admin's jobs start in its home, which must exist.
      auth: { admin: { home: join(dir, 'admin-home') } },
    },
    env: {},
    logger: false,
  });
  // No saved login in the way: the config folder is a fresh temp one.
  baseEnv = {
    GODOCKER_URL: daemon.url,
    GODOCKER_TOKEN: daemon.adminToken ?? '',
    XDG_CONFIG_HOME: join(dir, 'config'),
    HOME: dir,
  };
});

afterAll(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function submitHeld(extra: string[] = []): Promise<number> {
  const r = await cli(['submit', '--cmd', 'sleep 60', '--hold', '-q', ...extra]);
  expect(r.code).toBe(0);
  return Number(r.stdout.trim());
}

describe('godocker submit', () => {
  it("--wait prints the job's output and exits 0", async () => {
    const r = await cli(['submit', '--cmd', 'echo hi', '--wait']);
    expect(r.stdout).toBe('hi\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/job \d+ submitted/);
  });

  it("--wait exits with the job's exit code", async () => {
    const r = await cli(['submit', '--cmd', 'echo out; echo oops >&2; exit 3', '--wait']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('oops\n');
  });

  it('reads the script from a file or from stdin, and names the job after the file', async () => {
    await writeFile(join(dir, 'job.sh'), '#!/bin/sh\necho "from file $GREETING"\n');
    const f = await cli(['submit', 'job.sh', '--env', 'GREETING=hello', '--json']);
    expect(f.code).toBe(0);
    const job = JSON.parse(f.stdout) as Job;
    expect(job.meta.name).toBe('job.sh');
    expect(job.command.env.GREETING).toBe('hello');
    const w = await cli(['wait', String(job.id)]);
    expect(w.code).toBe(0);
    expect((await cli(['logs', String(job.id)])).stdout).toBe('from file hello\n');

    const s = await cli(['submit', '-', '--wait'], { stdin: 'echo from stdin\n' });
    expect(s.stdout).toBe('from stdin\n');
    expect(s.code).toBe(0);
  });

  it('sends the resources asked for', async () => {
    const r = await cli([
      'submit',
      '--cmd',
      'true',
      '-c',
      '0.5',
      '-m',
      '256M',
      '--time',
      '1h',
      '--name',
      'res',
      '--tag',
      'a',
      '--tag',
      'b',
      '--priority',
      '5',
      '--hold',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.requirements).toMatchObject({ cpu: 0.5, ram: 256, timeLimit: 3600 });
    expect(job.meta).toMatchObject({ name: 'res', tags: ['a', 'b'] });
    expect(job.priority).toBe(5);
    expect(job.status.state).toBe('held');
    await cli(['kill', String(job.id)]);
  });

  it('refuses a bad --mem with a usage error naming the option', async () => {
    const r = await cli(['submit', '--cmd', 'true', '--mem', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--mem');
    expect(r.stderr).toContain('invalid memory size');
    expect(r.stdout).toBe('');
  });

  it("sends --mail-type and --mail-user as the job's notify: refused here, where the daemon sends no mail", async () => {
    const bad = await cli(['submit', '--cmd', 'true', '--mail-type', 'end,sometimes']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown mail type sometimes: use none, begin, end, fail, requeue, time_limit, all');
    const r = await cli(['submit', '--cmd', 'true', '--mail-type', 'END,Fail', '--mail-user', 'alice@example.org']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/this site sends no email \(notifications\.smtp is not set\): leave out --mail-user/);
    const url = await cli(['submit', '--cmd', 'true', '--notify-url', 'gopher://x']);
    expect(url.stderr).toMatch(/notify\.url must be http:\/\/ or https:\/\//);
  });

  it('refuses nothing to run, and unknown options, as usage errors', async () => {
    const none = await cli(['submit']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error: nothing to run/);
    const unknown = await cli(['submit', '--cmd', 'true', '--bogus']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
  });

  it('submits an array and waits for all its tasks', async () => {
    const r = await cli(['submit', '--cmd', 'echo task $GODOCKER_TASK_ID', '--array', '0-3%2', '--wait', '--json']);
    expect(r.code).toBe(0);
    const parent = JSON.parse(r.stdout) as Job;
    expect(parent.array?.count).toBe(4);
    const tasks = JSON.parse((await cli(['jobs', '--parent', String(parent.id), '--json'])).stdout) as Job[];
    expect(tasks).toHaveLength(4);
    expect(tasks.every((t) => t.status.state === 'done')).toBe(true);
  });
});

describe('godocker jobs, show, logs', () => {
  let jobId: number;

  beforeAll(async () => {
    const r = await cli(['submit', '--cmd', 'echo listed', '--name', 'listed-job', '--wait', '--json']);
    jobId = (JSON.parse(r.stdout) as Job).id;
  });

  it('lists jobs in a table', async () => {
    const r = await cli(['jobs']);
    expect(r.code).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'ID',
      'NAME',
      'USER',
      'PROJECT',
      'STATE',
      'EXIT',
      'CPU',
      'MEM',
      'SUBMITTED',
      'NODE',
      'REASON',
    ]);
    const row = rows.find((l) => l.startsWith(`${jobId} `));
    expect(row).toBeDefined();
    expect(row).toContain('listed-job');
    expect(row).toContain('done');
  });

  it('prints parseable JSON with --json, and filters', async () => {
    const all = JSON.parse((await cli(['jobs', '--json', '--all'])).stdout) as Job[];
    expect(all.map((j) => j.id)).toContain(jobId);
    const byName = JSON.parse((await cli(['jobs', '--name', 'listed-job', '--state', 'done', '--json'])).stdout) as Job[];
    expect(byName.map((j) => j.id)).toEqual([jobId]);
    const bad = await cli(['jobs', '--state', 'sleeping']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown state sleeping');
  });

  it('--search finds jobs by a part of their name, image, tag, project or user, in any case', async () => {
    const found = JSON.parse((await cli(['jobs', '--search', 'LISTED-J', '--json'])).stdout) as Job[];
    expect(found.map((j) => j.id)).toEqual([jobId]);
    const byId = JSON.parse((await cli(['jobs', '--search', String(jobId), '--name', 'listed-job', '--json'])).stdout) as Job[];
    expect(byId.map((j) => j.id)).toEqual([jobId]);
    expect(JSON.parse((await cli(['jobs', '--search', 'no-job-is-called-this', '--json'])).stdout)).toEqual([]);
    const bad = await cli(['jobs', '--search', 'a\u0007b']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('control character U+0007');
  });

  it('--watch prints a line for each change until interrupted', async () => {
    const stop = new AbortController();
    let seen = '';
    const watching = cli(['jobs', '--watch', '--json', '--state', 'done', '--limit', '1'], {
      interrupt: stop.signal,
      onStdout: (out) => {
        seen = out;
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    const id = Number((await cli(['submit', '--cmd', 'true', '-q'])).stdout);
    for (let i = 0; i < 100 && !seen.includes(`"id":${id},`); i++) await new Promise((r) => setTimeout(r, 100));
    stop.abort();
    const r = await watching;
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Job);
    expect(lines.filter((j) => j.id === id).map((j) => j.status.state)).toEqual(['done']);
  });

  it('describes a job, or prints it as JSON or YAML', async () => {
    const text = await cli(['show', String(jobId)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID:\s+\d+$/m);
    expect(text.stdout).toMatch(/^State:\s+done$/m);
    expect(text.stdout).toContain('echo listed');
    expect((JSON.parse((await cli(['show', String(jobId), '-o', 'json'])).stdout) as Job).id).toBe(jobId);
    expect((JSON.parse((await cli(['show', String(jobId), '--json'])).stdout) as Job).id).toBe(jobId);
    const yaml = await cli(['show', String(jobId), '-o', 'yaml']);
    expect(yaml.stdout).toMatch(new RegExp(`^id: ${jobId}$`, 'm'));
    expect(yaml.stdout).toMatch(/^ {2}state: done$/m);
  });

  it('shows the files of the standard streams, as the daemon resolved them', async () => {
    const r = await fetch(`${daemon.url}/api/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${baseEnv.GODOCKER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        command: { script: 'true', workdir: '$HOME/run', stdin: '/data/in', stdout: 'out/log', joinStderr: true },
        hold: true,
      }),
    });
    expect(r.status).toBe(201);
    const job = (await r.json()) as Job;
    const text = (await cli(['show', String(job.id)])).stdout;
    const home = job.command.workdir?.replace(/\/run$/, '');
    expect(home).toMatch(/^\//);
    expect(text).toMatch(new RegExp(`^ {2}Workdir:\\s+${home}/run$`, 'm'));
    expect(text).toMatch(/^ {2}Stdin:\s+\/data\/in$/m);
    expect(text).toMatch(new RegExp(`^ {2}Stdout:\\s+${home}/run/out/log$`, 'm'));
    expect(text).toMatch(/^ {2}Stderr:\s+with stdout$/m);
    expect((await cli(['kill', String(job.id)])).code).toBe(0);
  });

  it('submits --port (repeatable, tcp by default) and shows where each port is reached, then that it was released', async () => {
    const bad = await cli(['submit', '--cmd', 'true', '--port', '70000']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid --port: port "70000" is not PORT or PORT\/PROTOCOL/);
    const id = Number((await cli(['submit', '--cmd', 'sleep 60', '--port', '8080', '--port', '9090/udp', '-q'])).stdout);
    expect((await cli(['wait', String(id), '--for', 'started'])).code).toBe(0);
    const job = JSON.parse((await cli(['show', String(id), '-o', 'json'])).stdout) as Job;
    expect(job.container.ports).toEqual([
      { containerPort: 8080, protocol: 'tcp' },
      { containerPort: 9090, protocol: 'udp' },
    ]);
    const [tcp, udp] = job.status.ports ?? [];
    const node = job.status.node;
    const shown = (await cli(['show', String(id)])).stdout;
    expect(shown).toMatch(
      new RegExp(`^ {2}Ports:\\s+8080/tcp -> ${node}:${tcp?.hostPort}, 9090/udp -> ${node}:${udp?.hostPort}$`, 'm'),
    );
    expect((await cli(['kill', String(id)])).code).toBe(0);
    await cli(['wait', String(id)]);
    expect((await cli(['show', String(id)])).stdout).toMatch(/^ {2}Ports:\s+8080\/tcp \(had .*:\d+, released\), 9090\/udp/m);
  });

  it('prints logs, whole or followed', async () => {
    expect((await cli(['logs', String(jobId)])).stdout).toBe('listed\n');
    expect((await cli(['logs', String(jobId), '--stderr'])).stdout).toBe('');
    const id = Number((await cli(['submit', '--cmd', 'echo a; sleep 1; echo b', '-q'])).stdout);
    const f = await cli(['logs', String(id), '-f']);
    expect(f.code).toBe(0);
    expect(f.stdout).toBe('a\nb\n');
  });

  it('says which job does not exist, and what is not a job id', async () => {
    const missing = await cli(['show', '987654']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*987654.* \(GOD_JOB_NOT_FOUND\)\n$/);
    const notId = await cli(['show', 'abc']);
    expect(notId.code).toBe(2);
    expect(notId.stderr).toContain('not a job id');
  });
});

describe('godocker hold, release, kill, wait', () => {
  it('holds and releases', async () => {
    const r = await cli(['submit', '--cmd', 'echo released', '-q']);
    const id = Number(r.stdout);
    const held = await submitHeld();
    expect((await cli(['jobs', '--state', 'held', '--json'])).stdout).toContain(`"id": ${held}`);
    const rel = await cli(['release', String(held)]);
    expect(rel.code).toBe(0);
    expect(rel.stdout).toMatch(new RegExp(`^job ${held}: released \\(state (pending|running)\\)`));
    const again = await cli(['hold', String(held)]);
    // It may already have started: holding a running job is refused with a clear state error.
    if (again.code === 0) expect(again.stdout).toContain('held');
    else expect(again.stderr).toContain('GOD_INVALID_STATE');
    await cli(['kill', String(held)]);
    expect((await cli(['wait', String(id)])).code).toBe(0);
  });

  it('kills a running job; wait then exits 1', async () => {
    const id = Number((await cli(['submit', '--cmd', 'sleep 60', '-q'])).stdout);
    expect((await cli(['wait', String(id), '--for', 'started', '--timeout', '30'])).code).toBe(0);
    const k = await cli(['kill', String(id)]);
    expect(k.code).toBe(0);
    expect(k.stdout).toContain(`job ${id}: kill requested`);
    const w = await cli(['wait', String(id), '--json']);
    const killed = (JSON.parse(w.stdout) as { job: Job }).job;
    expect(killed.status.state).toBe('failed');
    // The job's own code when it has one (143: killed by SIGTERM), else 1.
    expect(w.code).toBe(killed.status.exitCode ?? 1);
    expect(w.code).not.toBe(0);
  });

  it("exits with the job's code for one job, 124 on timeout, and handles several", async () => {
    const three = Number((await cli(['submit', '--cmd', 'exit 3', '-q'])).stdout);
    const w3 = await cli(['wait', String(three)]);
    expect(w3.code).toBe(3);
    // DESIGN.md calls any exit "done", job.ts calls a non-zero exit "failed": the code is what counts.
    expect(w3.stdout).toMatch(new RegExp(`^job ${three}: (done|failed), exit 3\\n$`));

    const held = await submitHeld();
    const t = await cli(['wait', String(held), '--timeout', '1']);
    expect(t.code).toBe(124);
    expect(t.stderr).toContain('timed out');

    const ok = Number((await cli(['submit', '--cmd', 'true', '-q'])).stdout);
    const any = await cli(['wait', String(ok), String(held), '--any', '--timeout', '30']);
    expect(any.code).toBe(0);
    expect(any.stdout).toBe(`job ${ok}: done, exit 0\n`);
    const all = await cli(['wait', String(ok), String(three)]);
    expect(all.code).toBe(1);
    const kill = await cli(['kill', String(held), '999999']);
    expect(kill.code).toBe(1);
    expect(kill.stdout).toContain(`job ${held}: kill requested`);
    expect(kill.stderr).toContain('GOD_JOB_NOT_FOUND');
  });
});

describe('godocker login and errors', () => {
  it('checks and saves the login with mode 0600, then uses it', async () => {
    const config = join(dir, 'login-config');
    const env = { XDG_CONFIG_HOME: config, HOME: dir };
    const r = await cli(['login', '--url', daemon.url, '--token', daemon.adminToken ?? ''], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('as admin');
    const file = join(config, 'godocker', 'login.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: daemon.url, token: daemon.adminToken });
    // No URL or token given: the saved login is used.
    const info = await cli(['info', '--json'], { env });
    expect(info.code).toBe(0);
    expect(JSON.parse(info.stdout).user.name).toBe('admin');
  });

  it('reads the login token from stdin with --token -', async () => {
    const env = { XDG_CONFIG_HOME: join(dir, 'stdin-config'), HOME: dir };
    const r = await cli(['login', '--url', daemon.url, '--token', '-'], { env, stdin: `${daemon.adminToken}\n` });
    expect(r.code).toBe(0);
  });

  it('refuses a wrong token with GOD_UNAUTHENTICATED, and saves nothing', async () => {
    const config = join(dir, 'bad-config');
    const r = await cli(['login', '--url', daemon.url, '--token', 'not-a-real-token'], {
      env: { XDG_CONFIG_HOME: config, HOME: dir },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .* \(GOD_UNAUTHENTICATED\)\n$/);
    expect(existsSync(join(config, 'godocker', 'login.json'))).toBe(false);
    const jobs = await cli(['jobs', '--token', 'not-a-real-token']);
    expect(jobs.code).toBe(1);
    expect(jobs.stderr).toContain('GOD_UNAUTHENTICATED');
  });

  it('explains an unreachable daemon', async () => {
    const r = await cli(['jobs', '--url', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('http://127.0.0.1:9');
    expect(r.stderr).toContain('godocker server');
    expect(r.stderr).toContain('(GOD_CONNECTION_ERROR)');
  });
});

describe('godocker user, info, --version, server', () => {
  it('creates a user, prints its token once, and lists users', async () => {
    const name = `cli${Date.now() % 1e8}`;
    const r = await cli(['user', 'create', name, '--uid', '3000', '--gid', '3000']);
    expect(r.code).toBe(0);
    const token = /^token: (\S+)$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    const me = await cli(['info', '--json', '--token', token ?? '']);
    expect(JSON.parse(me.stdout).user.name).toBe(name);
    const list = await cli(['user', 'list']);
    expect(list.stdout).toMatch(new RegExp(`^${name}\\s+3000\\s+3000`, 'm'));
    const missingUid = await cli(['user', 'create', 'nouid', '--gid', '1']);
    expect(missingUid.code).toBe(2);
    expect(missingUid.stderr).toContain('--uid');
    // An ordinary user is not an admin.
    const forbidden = await cli(['user', 'list', '--token', token ?? '']);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('GOD_FORBIDDEN');
  });

  it('shows the daemon info', async () => {
    const r = await cli(['info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`GoDocker ${VERSION}`);
    expect(r.stdout).toContain('Executor:');
  });

  it('prints the version and help', async () => {
    const v = await cli(['--version']);
    expect(v).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const h = await cli(['--help']);
    expect(h.code).toBe(0);
    for (const c of ['server', 'login', 'submit', 'jobs', 'show', 'logs', 'wait', 'kill', 'user', 'info'])
      expect(h.stdout).toContain(c);
  });

  it('runs a daemon with `server` until interrupted, then stops it', async () => {
    const stop = new AbortController();
    let url = '';
    const data = join(dir, 'server-data');
    await mkdir(data, { mode: 0o711 });
    const running = cli(['server', '--quiet'], {
      env: {
        GODOCKER_DATA_DIR: data,
        GODOCKER_PORT: '0',
        GODOCKER_EXECUTOR: 'local',
        HOME: dir,
        GODOCKER_ADMIN_TOKEN: 'a-seeded-admin-token-0123456789',
      },
      interrupt: stop.signal,
      onStdout: (out) => {
        url = /listening on (\S+)/.exec(out)?.[1] ?? url;
      },
    });
    for (let i = 0; i < 100 && !url; i++) await new Promise((r) => setTimeout(r, 100));
    expect(url).toMatch(/^http:\/\//);
    const info = await cli(['info', '--json', '--url', url, '--token', 'a-seeded-admin-token-0123456789']);
    expect(info.code).toBe(0);
    stop.abort();
    const r = await running;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('admin token');
    expect(r.stderr).toContain('stopped');
    expect((await cli(['info', '--url', url])).code).toBe(1);
  });

  it('runs as a built binary', async () => {
    // `npm test` builds every package before the tests; a missing or broken build must fail here, not be skipped.
    const { stdout } = await promisify(execFile)('node', [builtBin(), '--version'], { cwd: root });
    expect(stdout).toBe(`${VERSION}\n`);
  }, 120_000);
});

describe("godocker files, get, put, submit --upload, admin archive: the job's directory", () => {
  it('uploads the input before the start, lists and downloads what the job wrote, puts a file into it', async () => {
    await writeFile(join(dir, 'data.csv'), 'a,b\n1,2\n');
    const script =
      'cat "$GODOCKER_JOB_DIR/data.csv"; mkdir -p "$GODOCKER_JOB_DIR/out"; echo 42 > "$GODOCKER_JOB_DIR/out/result.txt"';
    const s = await cli(['submit', '--cmd', script, '--upload', 'data.csv', '-q']);
    expect(s.code, s.stderr).toBe(0);
    const id = s.stdout.trim();
    expect((await cli(['wait', id])).code).toBe(0);
    expect((await cli(['logs', id])).stdout).toBe('a,b\n1,2\n');

    const table = await cli(['files', id]);
    expect(table.stdout).toMatch(/^NAME\s+TYPE\s+SIZE\s+MODIFIED\n/);
    expect(table.stdout).toMatch(/^data\.csv\s+file\s+8\s/m);
    expect(table.stdout).toMatch(/^out\/\s+directory\s/m);
    expect(table.stdout).toMatch(/^stdout\s+file\s/m);
    const json = JSON.parse((await cli(['files', id, 'out', '--json'])).stdout) as { entries: { name: string; size: number }[] };
    expect(json.entries.map((e) => [e.name, e.size])).toEqual([['result.txt', 3]]);

    const piped = await cli(['get', id, 'out/result.txt', '-o', '-']);
    expect(piped.stderr).toBe('');
    expect(piped.stdout).toBe('42\n');
    const got = await cli(['get', id, 'out/result.txt', '-o', join(dir, 'result-copy.txt')]);
    expect(got.code, got.stderr).toBe(0);
    expect(await readFile(join(dir, 'result-copy.txt'), 'utf8')).toBe('42\n');

    const put = await cli(['put', id, 'data.csv', 'more/data-again.csv']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toBe(`data.csv -> job ${id}: more/data-again.csv (8 bytes)\n`);
    expect((await cli(['get', id, 'more/data-again.csv', '-o', '-'])).stdout).toBe('a,b\n1,2\n');

    const outside = await cli(['get', id, '../../godocker.db', '-o', '-']);
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toMatch(/`\.\.` segment/);
  });

  it('submit --upload of a file it cannot read kills the held job before it ever runs, and says so', async () => {
    const r = await cli(['submit', '--cmd', 'echo ran', '--upload', 'missing.csv', '-q']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /could not upload missing\.csv into job (\d+) .*cannot read missing\.csv.*killed before it started, nothing ran/,
    );
    const id = /into job (\d+)/.exec(r.stderr)?.[1] as string;
    const job = JSON.parse((await cli(['show', id, '--json'])).stdout) as Job;
    expect(job.status.state).toBe('failed');
    expect(job.status.startedAt).toBeNull();
  });

  it('admin archive --older-than removes the directories of ended jobs; show says archived; get says 410', async () => {
    const s = await cli(['submit', '--cmd', 'echo x > "$GODOCKER_JOB_DIR/f"', '-q']);
    const id = s.stdout.trim();
    expect((await cli(['wait', id])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    const a = await cli(['admin', 'archive', '--older-than', '1s']);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout).toMatch(new RegExp(`^archived \\d+ job\\(s\\): .*\\b${id}\\b`));
    expect((await cli(['show', id])).stdout).toMatch(/Archived:\s+\d{4}-\d\d-\d\dT.*files and logs were removed/);
    const gone = await cli(['get', id, 'f', '-o', '-']);
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(new RegExp(`job ${id} was archived on`));
  });
});
