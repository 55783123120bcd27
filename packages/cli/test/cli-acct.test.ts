/**
 * `godocker acct` and `godocker usage` against a daemon in its own process: two users,
 * two projects, some jobs failing; every filter, chosen columns, CSV read back by Python's
 * csv module (an RFC 4180 reader we did not write); then the daemon is stopped and started
 * again on the same data folder, and the history is all still there.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GodockerClient, type Job, type UsageReport } from '@godocker/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { daemonsOnOneFolder } from '../../scheduler/test/helpers/child-daemon.js';
import { ADMIN_TOKEN } from '../../scheduler/test/helpers/test-daemon.js';
import { type CliResult, runCli } from './helpers/cli-harness.js';

const homes = mkdtempSync(join(tmpdir(), 'godocker-acct-homes-'));
// Each job starts in its owner's home: the folder above must let them through.
chmodSync(homes, 0o755);

function home(name: string, uid: number): string {
  const dir = join(homes, name);
  mkdirSync(dir, { recursive: true });
  if (process.getuid?.() === 0) chownSync(dir, uid, uid);
  return dir;
}

/** CSV as Python's csv module reads it. */
function parseCsv(text: string): string[][] {
  const out = execFileSync('/usr/bin/python3', ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))'], {
    input: text,
  });
  return JSON.parse(out.toString()) as string[][];
}

/** A name CSV must quote: a comma, quotes and a line break. */
const NAMES: Record<string, string> = { 'bob-p1': 'bob, "the"\nsecond' };

type Row = Record<string, string | number | null>;

describe('godocker acct and usage, across a daemon restart', () => {
  const daemons = daemonsOnOneFolder('godocker-acct-');
  afterAll(() => rmSync(homes, { recursive: true, force: true }));

  it('filters by user, project, state and time, in chosen columns, and keeps every job after a restart', async () => {
    let daemon = await daemons.start();
    const admin = new GodockerClient({ url: daemon.url, token: ADMIN_TOKEN });
    const tokens: Record<string, string> = {};
    for (const [name, uid] of [
      ['alice', 2001],
      ['bob', 2002],
    ] as const) {
      tokens[name] = (await admin.createUser({ name, uid, gid: uid, home: home(name, uid) })).token;
    }
    for (const p of ['p1', 'p2']) {
      await admin.createProject({ name: p });
      for (const user of ['alice', 'bob']) await admin.addMember(p, { user });
    }
    const plan: Array<[string, string, string, number, number]> = [
      // user, project, script, cpu, ram
      ['alice', 'p1', 'sleep 1', 1, 128],
      ['alice', 'p1', 'exit 4', 0.5, 64],
      ['alice', 'p2', 'sleep 1', 2, 256],
      ['bob', 'p2', 'sleep 1', 1, 128],
      ['bob', 'p1', 'exit 2', 1, 64],
    ];
    const submitted: Job[] = [];
    for (const [user, project, script, cpu, ram] of plan) {
      const client = new GodockerClient({ url: daemon.url, token: tokens[user] as string });
      submitted.push(
        await client.submit({
          meta: { name: NAMES[`${user}-${project}`] ?? `${user}-${project}` },
          project,
          command: { script },
          requirements: { cpu, ram },
        }),
      );
    }
    const ended: Job[] = [];
    for (const j of submitted) ended.push((await admin.wait(j.id, { for: 'terminated', timeout: 60 })).job);
    const states = Object.fromEntries(ended.map((j) => [j.id, j.status.state]));
    expect(Object.values(states).sort()).toEqual(['done', 'done', 'done', 'failed', 'failed']);

    const env = (who: 'admin' | 'alice' | 'bob') => ({
      GODOCKER_URL: daemon.url,
      GODOCKER_TOKEN: who === 'admin' ? ADMIN_TOKEN : (tokens[who] as string),
      HOME: homes,
      XDG_CONFIG_HOME: join(homes, '.config'),
    });
    const cli = (args: string[], who: 'admin' | 'alice' | 'bob' = 'admin'): Promise<CliResult> => runCli(args, env(who), homes);
    const rows = async (args: string[], who: 'admin' | 'alice' | 'bob' = 'admin'): Promise<Row[]> => {
      const r = await cli(['acct', ...args, '--json'], who);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Row[];
    };
    const idsOf = (list: Row[]) => list.map((r) => Number(r.JobID)).sort((a, b) => a - b);
    const idsWhere = (p: (j: Job) => boolean) =>
      ended
        .filter(p)
        .map((j) => j.id)
        .sort((a, b) => a - b);

    expect(idsOf(await rows([]))).toEqual(idsWhere(() => true));
    expect(idsOf(await rows(['-u', 'alice']))).toEqual(idsWhere((j) => j.user.name === 'alice'));
    expect(idsOf(await rows(['-p', 'p2']))).toEqual(idsWhere((j) => j.project === 'p2'));
    expect(idsOf(await rows(['-s', 'failed']))).toEqual(idsWhere((j) => j.status.state === 'failed'));
    expect(idsOf(await rows(['-u', 'bob', '-p', 'p1', '-s', 'failed,done']))).toEqual(
      idsWhere((j) => j.user.name === 'bob' && j.project === 'p1'),
    );
    // A user sees their own jobs, and may not ask for another's.
    expect(idsOf(await rows([], 'bob'))).toEqual(idsWhere((j) => j.user.name === 'bob'));
    const other = await cli(['acct', '-u', 'alice'], 'bob');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/only list your own jobs/);
    // The window: everything ran in the last hour; nothing ran after it, nor before the first submit.
    expect(idsOf(await rows(['-S', 'now-1h', '-E', 'now']))).toEqual(idsWhere(() => true));
    expect(await rows(['-S', 'now+1h'])).toEqual([]);
    expect(await rows(['-E', '2001-01-01'])).toEqual([]);
    const bad = await cli(['acct', '-S', 'yesterday-ish']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/starttime "yesterday-ish" is not a time: write an ISO 8601 date/);

    // Chosen columns, values as the jobs hold them.
    const chosen = await rows(['-o', 'JobID,user,Project,State,ExitCode,CPU,ReqMem,ElapsedRaw,Reason']);
    for (const r of chosen) {
      const j = ended.find((x) => x.id === Number(r.JobID)) as Job;
      expect(Object.keys(r)).toEqual(['JobID', 'User', 'Project', 'State', 'ExitCode', 'CPU', 'ReqMem', 'ElapsedRaw', 'Reason']);
      expect(r).toMatchObject({
        User: j.user.name,
        Project: j.project,
        State: j.status.state,
        ExitCode: j.status.exitCode,
        CPU: j.requirements.cpu,
      });
    }
    const help = await cli(['acct', '-o', 'help']);
    expect(help.stdout).toMatch(/^MaxRSS\s+most memory used/m);
    const unknown = await cli(['acct', '-o', 'JobID,Colour']);
    expect(unknown.stderr).toMatch(/unknown column Colour: `godocker acct -o help` lists them/);

    // CSV: quoted where it must be, and read back whole by another parser.
    const csv = await cli(['acct', '-o', 'JobID,JobName,State,ExitCode,Reason', '--csv']);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toContain('"bob, ""the""\nsecond"');
    const table = parseCsv(csv.stdout);
    expect(table[0]).toEqual(['JobID', 'JobName', 'State', 'ExitCode', 'Reason']);
    expect(
      table
        .slice(1)
        .map((r) => Number(r[0]))
        .sort((a, b) => a - b),
    ).toEqual(idsWhere(() => true));
    for (const r of table.slice(1)) {
      const j = ended.find((x) => x.id === Number(r[0])) as Job;
      expect(r).toEqual([String(j.id), j.meta.name, j.status.state, String(j.status.exitCode), j.status.reason]);
    }

    // Usage sums are the jobs' allocations times their run times.
    const usage = JSON.parse((await cli(['usage', '--by', 'project', '--since', '1d', '--json'])).stdout) as UsageReport;
    for (const p of ['p1', 'p2']) {
      const mine = ended.filter((j) => j.project === p && j.status.startedAt !== null);
      const wall = (j: Job) => (Date.parse(j.status.endedAt as string) - Date.parse(j.status.startedAt as string)) / 1000;
      const row = usage.rows.find((r) => r.name === p);
      expect(row?.jobs).toBe(mine.length);
      expect(row?.wallSeconds).toBeCloseTo(
        mine.reduce((s, j) => s + wall(j), 0),
        3,
      );
      expect(row?.cpuSeconds).toBeCloseTo(
        mine.reduce((s, j) => s + wall(j) * j.requirements.cpu, 0),
        3,
      );
      expect(row?.ramMbSeconds).toBeCloseTo(
        mine.reduce((s, j) => s + wall(j) * j.requirements.ram, 0),
        3,
      );
      expect(row?.gpuSeconds).toBe(0);
      expect(row?.cpuUsedSeconds).toBeCloseTo(
        mine.reduce((s, j) => s + (j.usage.cpuSeconds ?? 0), 0),
        3,
      );
    }
    const byUser = JSON.parse((await cli(['usage', '--by', 'user', '--json'], 'alice')).stdout) as UsageReport;
    expect(byUser.rows.map((r) => r.name)).toEqual(['alice']);
    expect(byUser.rows[0]?.jobs).toBe(ended.filter((j) => j.user.name === 'alice').length);

    // Stopped and started again on the same data folder: the whole history, states as they were.
    const before = await rows(['-o', 'JobID,User,Project,State,ExitCode,Submit,Start,End']);
    daemon.child.kill('SIGTERM');
    await new Promise((done) => daemon.child.once('exit', done));
    daemon = await daemons.start();
    const after = await rows(['-o', 'JobID,User,Project,State,ExitCode,Submit,Start,End']);
    expect(after).toEqual(before);
    expect(Object.fromEntries(after.map((r) => [Number(r.JobID), r.State]))).toEqual(states);
  }, 180_000);
});
