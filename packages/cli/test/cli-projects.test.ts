/**
 * `godocker project ...` and `godocker user show|update`, run in-process through
 * `run(argv, io)` against a real daemon started in this process; and the
 * `--quota` parser on its own.
 */
import { join } from 'node:path';
import { GodockerClient, type Project, type User } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatQuota, parseQuotaSpec } from '../src/commands/quota.js';
import { type CliHarness, type CliResult, startCliHarness } from './helpers/cli-harness.js';

let h: CliHarness;
let adminEnv: Record<string, string>;
let aliceEnv: Record<string, string>;

function cli(args: string[], env: Record<string, string> = adminEnv): Promise<CliResult> {
  return h.cli(args, env);
}

async function json<T>(args: string[], env?: Record<string, string>): Promise<T> {
  const r = await cli([...args, '--json'], env);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

beforeAll(async () => {
  h = await startCliHarness('cli-projects');
  adminEnv = h.adminEnv;
  const admin = new GodockerClient({ url: h.daemon.url, token: h.daemon.adminToken ?? '' });
  const alice = await admin.createUser({ name: 'alice', uid: 2001, gid: 2001 });
  await admin.createUser({ name: 'bob', uid: 2002, gid: 2002 });
  aliceEnv = { ...adminEnv, XDG_CONFIG_HOME: join(h.dir, 'config'), GODOCKER_TOKEN: alice.token };
});

afterAll(async () => {
  await h?.stop();
});

describe('parseQuotaSpec', () => {
  it('reads every key, with units', () => {
    expect(parseQuotaSpec('cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d')).toEqual({
      cpu: 32,
      ram: 65536,
      gpus: 2,
      runningJobs: 10,
      pendingJobs: 1000,
      cpuTime: { seconds: 3_600_000, windowSeconds: 2_592_000 },
    });
    expect(parseQuotaSpec(' cpu = 0.5 , mem=512M, runningJobs=1 ')).toEqual({ cpu: 0.5, ram: 512, runningJobs: 1 });
  });

  it('reads none as "no limit", per key or for all', () => {
    expect(parseQuotaSpec('cpu=none,gpus=1')).toEqual({ cpu: null, gpus: 1 });
    expect(parseQuotaSpec('none')).toEqual({
      cpu: null,
      ram: null,
      gpus: null,
      runningJobs: null,
      pendingJobs: null,
      cpuTime: null,
    });
  });

  it.each([
    ['cores=4', 'quota.cores', /unknown quota key "cores"/],
    ['cpu=lots', 'quota.cpu', /quota cpu: "lots"/],
    ['ram=64X', 'quota.ram', /invalid memory size "64X"/],
    ['gpus=1.5', 'quota.gpus', /quota gpus: "1.5" is not a whole number/],
    ['running=-1', 'quota.running', /quota running/],
    ['cputime=1000h', 'quota.cpuTime', /CPU-TIME\/WINDOW/],
    ['cputime=1h/30s', 'quota.cpuTime', /at least 1m/],
    ['cputime=lots/30d', 'quota.cpuTime', /invalid duration "lots"/],
    ['cpu=1,cpu=2', 'quota.cpu', /given twice/],
    ['cpu', 'quota', /has no value/],
    ['', 'quota', /empty quota/],
  ])('refuses %j naming the key', (spec, field, message) => {
    let error: unknown;
    try {
      parseQuotaSpec(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ field });
    expect((error as Error).message).toMatch(message);
  });

  it('prints a quota in the syntax it reads', () => {
    const spec = 'cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d';
    expect(formatQuota(parseQuotaSpec(spec))).toBe(spec);
    expect(parseQuotaSpec(formatQuota({ cpuTime: { seconds: 5400, windowSeconds: 90_000 } }))).toEqual({
      cpuTime: { seconds: 5400, windowSeconds: 90_000 },
    });
    expect(formatQuota({})).toBe('');
  });
});

describe('godocker project', () => {
  it('creates a project with settings and a quota', async () => {
    const p = await json<Project>([
      'project',
      'create',
      'genomics',
      '--shares',
      '2',
      '--priority',
      '-5',
      '--description',
      'DNA work',
      '--quota',
      'cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d',
    ]);
    expect(p).toMatchObject({ name: 'genomics', shares: 2, priority: -5, description: 'DNA work', members: [] });
    expect(p.quota).toEqual({
      cpu: 32,
      ram: 65536,
      gpus: 2,
      runningJobs: 10,
      pendingJobs: 1000,
      cpuTime: { seconds: 3_600_000, windowSeconds: 2_592_000 },
    });
    const plain = await cli(['project', 'create', 'astro']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe('project astro created (shares 1, quota none)\n');
  });

  it('refuses a bad --quota as a usage error naming the key, before calling the daemon', async () => {
    const r = await cli(['project', 'create', 'bad', '--quota', 'cpu=4,cores=8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--quota');
    expect(r.stderr).toContain('unknown quota key "cores"');
    expect((await cli(['project', 'show', 'bad'])).code).toBe(1);
  });

  it('reports a duplicate and an unknown project with the daemon’s error', async () => {
    const dup = await cli(['project', 'create', 'genomics']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already exists.*GOD_CONFLICT/);
    const unknown = await cli(['project', 'show', 'nope']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('GOD_NOT_FOUND');
  });

  it('adds, updates and removes members', async () => {
    const added = await cli(['project', 'add-member', 'genomics', 'alice', '--shares', '3']);
    expect(added.code).toBe(0);
    expect(added.stdout).toBe('alice added to project genomics (shares 3)\n');
    const withBob = await json<Project>(['project', 'add-member', 'genomics', 'bob']);
    expect(withBob.members).toEqual([
      { user: 'alice', shares: 3 },
      { user: 'bob', shares: 1 },
    ]);
    const updated = await json<Project>(['project', 'update-member', 'genomics', 'bob', '--shares', '5']);
    expect(updated.members).toContainEqual({ user: 'bob', shares: 5 });
    const removed = await cli(['project', 'remove-member', 'genomics', 'bob']);
    expect(removed.stdout).toBe('bob removed from project genomics\n');
    const ghost = await cli(['project', 'add-member', 'genomics', 'ghost']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('GOD_NOT_FOUND');
  });

  it('shows a project as text and JSON', async () => {
    const r = await cli(['project', 'show', 'genomics']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Name:         genomics\n');
    expect(r.stdout).toContain('Quota:        cpu=32,ram=64G,gpus=2,running=10,pending=1000,cputime=1000h/30d\n');
    expect(r.stdout).toMatch(/Members \(1\):\n {2}USER {3}SHARES\n {2}alice {2}3\n/);
    expect((await json<Project>(['project', 'show', 'genomics'])).members).toEqual([{ user: 'alice', shares: 3 }]);
  });

  it('lists all projects for an admin and only their own for a user', async () => {
    const table = await cli(['project', 'list']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SHARES\s+PRIORITY\s+MEMBERS\s+QUOTA\s+DESCRIPTION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(['astro', 'default', 'genomics']);
    expect((await json<Project[]>(['project', 'list'], aliceEnv)).map((p) => p.name)).toEqual(['default', 'genomics']);
    expect((await json<Project[]>(['project', 'list', '--user', 'bob'])).map((p) => p.name)).toEqual(['default']);
    const hidden = await cli(['project', 'show', 'astro'], aliceEnv);
    expect(hidden.code).toBe(1);
  });

  it('updates only what is given, merging quota keys', async () => {
    const p = await json<Project>(['project', 'update', 'genomics', '--shares', '4', '--quota', 'cpu=64,gpus=none']);
    expect(p.shares).toBe(4);
    expect(p.priority).toBe(-5);
    expect(p.quota).toMatchObject({ cpu: 64, ram: 65536 });
    expect(p.quota.gpus).toBeUndefined();
    const none = await cli(['project', 'update', 'genomics']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('nothing to change');
  });

  it('is refused to a user who is not an admin', async () => {
    for (const args of [
      ['project', 'create', 'mine'],
      ['project', 'update', 'genomics', '--shares', '100'],
      ['project', 'add-member', 'genomics', 'bob'],
      ['project', 'reset-usage', '--all'],
    ]) {
      const r = await cli(args, aliceEnv);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain('GOD_FORBIDDEN');
    }
  });

  it('resets cpu time, and wants to be told whose', async () => {
    const vague = await cli(['project', 'reset-usage']);
    expect(vague.code).toBe(2);
    const r = await cli(['project', 'reset-usage', 'genomics', '--user', 'alice']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('cpu time of project genomics, user alice reset (0 hour buckets removed)\n');
    expect(await json(['project', 'reset-usage', '--all'])).toEqual({ project: null, user: null, buckets: 0 });
  });

  it('deletes a project no job names', async () => {
    expect((await cli(['project', 'delete', 'astro'])).stdout).toBe('project astro deleted\n');
    expect((await cli(['project', 'delete', 'default'])).code).toBe(1);
  });
});

describe('godocker user show|update', () => {
  it('shows a user with their projects, to an admin and to themself', async () => {
    const r = await cli(['user', 'show', 'alice']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Name:         alice\n');
    expect(r.stdout).toContain('Priority:     0\n');
    expect(r.stdout).toContain('Quota:        none\n');
    expect(r.stdout).toMatch(
      /Projects \(2\):\n {2}PROJECT\s+SHARES\s+PROJECT SHARES\n {2}default\s+1\s+1\n {2}genomics\s+3\s+4\n/,
    );
    const own = await json<{ user: User; projects: Project[] }>(['user', 'show', 'alice'], aliceEnv);
    expect(own.user.name).toBe('alice');
    expect(own.projects.map((p) => p.name)).toEqual(['default', 'genomics']);
    const other = await cli(['user', 'show', 'bob'], aliceEnv);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('GOD_FORBIDDEN');
  });

  it('updates priority, quota and the admin right', async () => {
    const u = await json<User>(['user', 'update', 'bob', '--priority', '-20', '--quota', 'cpu=4,cputime=10h/7d']);
    expect(u).toMatchObject({ name: 'bob', priority: -20, admin: false });
    expect(u.quota).toEqual({ cpu: 4, cpuTime: { seconds: 36_000, windowSeconds: 604_800 } });
    const promoted = await cli(['user', 'update', 'bob', '--admin']);
    expect(promoted.stdout).toBe('user bob updated (priority -20, quota cpu=4,cputime=10h/7d, admin)\n');
    expect((await json<User>(['user', 'update', 'bob', '--no-admin'])).admin).toBe(false);
    const bad = await cli(['user', 'update', 'bob', '--quota', 'disk=1T']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown quota key "disk"');
    const nothing = await cli(['user', 'update', 'bob']);
    expect(nothing.code).toBe(2);
    const badPriority = await cli(['user', 'update', 'bob', '--priority', '20000']);
    expect(badPriority.code).toBe(2);
  });
});
