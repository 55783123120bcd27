/**
 * A daemon that is not root cannot give a job's directory to the job's uid (chown needs root):
 * it says so once at start, in its log, and the directory stays its own, usable by the file API
 * and by jobs that run as its user (the local executor when not root). The daemon is the built
 * one in its own process, run as `nobody` (the tests run as root; run by another user, as itself).
 */
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GodockerClient } from '@godocker/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../src/config/load-config.js';
import { spawnDaemon } from './helpers/child-daemon.js';
import { ADMIN_TOKEN, baseConfig } from './helpers/test-daemon.js';

const NOBODY = { uid: 65534, gid: 65534 };

describe('a daemon that is not root', () => {
  const children: ChildProcess[] = [];
  const root = mkdtempSync(join(tmpdir(), 'godocker-not-root-'));
  chmodSync(root, 0o755);
  const asRoot = process.getuid?.() === 0;
  const daemonUid = asRoot ? NOBODY.uid : (process.getuid?.() as number);
  const own = (path: string) => {
    if (asRoot) chownSync(path, NOBODY.uid, NOBODY.gid);
  };

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it('says at start that job directories stay its own, and they still work: upload, job, download', async () => {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { mode: 0o700 });
    own(dataDir);
    const home = join(root, 'alice');
    mkdirSync(home);
    own(home);
    const logFile = join(root, 'daemon.log');
    writeFileSync(logFile, '');
    own(logFile);
    const config = mergeConfig(baseConfig('local', dataDir) as Record<string, unknown>, {});
    const { url } = await spawnDaemon(config, children, {
      ...(asRoot ? { as: NOBODY } : {}),
      env: { GODOCKER_TEST_DAEMON_LOG: logFile },
    });

    const log = readFileSync(logFile, 'utf8');
    const line = log.split('\n').find((l) => l.includes('the daemon does not run as root'));
    expect(line, log).toBeDefined();
    expect(line).toContain(`each job's directory stays owned by uid ${daemonUid} (mode 0700)`);
    expect(line).toContain('Run the daemon as root for jobs under their own uid');
    expect(JSON.parse(line as string)).toMatchObject({ level: 40 });

    const admin = new GodockerClient({ url, token: ADMIN_TOKEN });
    const { token } = await admin.createUser({ name: 'alice', uid: 2001, gid: 2001, home });
    const alice = new GodockerClient({ url, token });
    const job = await alice.submit({
      command: { script: 'tr a-z A-Z < "$GODOCKER_JOB_DIR/in.txt" > "$GODOCKER_JOB_DIR/out.txt"' },
      hold: true,
    });
    await alice.uploadFile(job.id, 'in.txt', new TextEncoder().encode('hello from alice\n'));
    await alice.action(job.id, 'release');
    const ended = (await alice.wait(job.id, { for: 'terminated', timeout: 60 })).job;
    expect(ended.status).toMatchObject({ state: 'done', exitCode: 0 });
    const out = await alice.downloadFile(job.id, 'out.txt');
    expect(await new Response(out.body).text()).toBe('HELLO FROM ALICE\n');

    const dir = statSync(join(dataDir, 'jobs', String(job.id)));
    expect([dir.uid, dir.mode & 0o777]).toEqual([daemonUid, 0o700]);
  }, 90_000);
});
