/**
 * The SSH gateway, driven by the real OpenSSH client (Debian's openssh-client) with a key pair
 * made by ssh-keygen, into jobs of the real Docker engine and of the local executor. The one
 * thing OpenSSH cannot be made to do from a test, a window resize (it sends one only when its
 * own terminal changes size), is sent by ssh2's client.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SshKey } from '@godocker/sdk';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { addKey, makeKey, openssh, run, sshOnce, submitSleeper } from './helpers/ssh-client.js';
import { type ExecutorKind, startTestDaemon, type TestDaemon, until, waitJob } from './helpers/test-daemon.js';

/** ssh2's client: only for what OpenSSH cannot do from a test (a resize, a password). */
function ssh2Session(
  port: number,
  login: string,
  auth: { password: string },
  command: string,
  pty: { rows: number; cols: number } | null,
): Promise<{ client: ssh2.Client; stream: ssh2.ClientChannel }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('error', reject);
    client.on('ready', () => {
      client.exec(command, pty ? { pty: { rows: pty.rows, cols: pty.cols, term: 'xterm' } } : {}, (err, stream) => {
        if (err) reject(err);
        else resolve({ client, stream });
      });
    });
    client.connect({ host: '127.0.0.1', port, username: login, password: auth.password, hostVerifier: () => true });
  });
}

for (const kind of ['docker', 'local'] as ExecutorKind[]) {
  describe(`ssh gateway (${kind} executor, real OpenSSH client)`, () => {
    let t: TestDaemon;
    let alice: Caller & { user: { uid: number } };
    let bob: Caller;
    let keys: string;
    let aliceKey: string;
    let bobKey: string;
    let port: number;

    beforeAll(async () => {
      t = await startTestDaemon(kind, { ssh: { enabled: true, port: 0 } });
      port = t.daemon.ssh?.port as number;
      alice = await t.addUser('alice', 2001);
      bob = await t.addUser('bob', 2002);
      keys = await mkdtemp(join(tmpdir(), 'godocker-ssh-keys-'));
      aliceKey = await makeKey(keys, 'alice');
      bobKey = await makeKey(keys, 'bob');
      await addKey(alice, aliceKey);
      await addKey(bob, bobKey);
    }, 120_000);
    afterAll(async () => {
      await t?.stop();
      if (keys) await rm(keys, { recursive: true, force: true });
    });

    it('runs one command as the job\u2019s uid, passes stdin, and gives back its exit status', async () => {
      const job = await submitSleeper(alice);
      const id = await sshOnce(port, aliceKey, 'alice', [String(job.id), '--', 'id -u; id -g; echo $GODOCKER_JOB_ID']);
      expect([id.code, id.stdout.trim().split('\n')]).toEqual([0, ['2001', '2001', String(job.id)]]);
      const status = await sshOnce(port, aliceKey, 'alice', [String(job.id), 'exit 7']);
      expect(status.code).toBe(7);
      const cat = await sshOnce(port, aliceKey, 'alice', [String(job.id), '--', 'cat'], 'hi from stdin\n');
      expect([cat.code, cat.stdout]).toEqual([0, 'hi from stdin\n']);
      // The job named in the login, as DESIGN.md writes it.
      const plus = await sshOnce(port, aliceKey, `alice+${job.id}`, ['id', '-u']);
      expect([plus.code, plus.stdout.trim()]).toEqual([0, '2001']);
      await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
    }, 90_000);

    it('opens a shell with a terminal as the job\u2019s user', async () => {
      const job = await submitSleeper(alice);
      const shell = openssh(port, aliceKey, 'alice', [String(job.id)], { tty: true });
      shell.child.stdin.write('tty; id -u; stty size; exit 3\n');
      const r = await shell.done;
      expect(r.code).toBe(3);
      const out = r.stdout.replaceAll('\r', '');
      expect(out).toMatch(/\/dev\/pts\/\d+$/m);
      expect(out).toMatch(/^2001$/m);
      // OpenSSH without a terminal of its own asks for none in particular: 24 x 80.
      expect(out).toMatch(/^24 80$/m);
      await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
    }, 90_000);

    it('passes a window resize to the terminal, and takes the API token as the password', async () => {
      const job = await submitSleeper(alice);
      const { client, stream } = await ssh2Session(port, 'alice', { password: alice.token }, String(job.id), {
        rows: 30,
        cols: 100,
      });
      let out = '';
      stream.on('data', (d: Buffer) => {
        out += d.toString();
      });
      stream.write('stty size\n');
      await until('the first size', 20, async () => (out.includes('30 100') ? true : undefined));
      stream.setWindow(50, 132, 0, 0);
      await new Promise((r) => setTimeout(r, 300));
      stream.write('stty size\n');
      await until('the new size', 20, async () => (out.includes('50 132') ? true : undefined));
      client.end();
      await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
    }, 90_000);

    it('refuses another user\u2019s job, a wrong key and a job that ended, with a reason and a failed status', async () => {
      const job = await submitSleeper(alice);
      const other = await sshOnce(port, bobKey, 'bob', [String(job.id), 'id']);
      expect(other.code).toBe(1);
      expect(other.stderr).toContain(`permission denied: you have no job ${job.id}`);
      // Bob's key does not log in as alice.
      const wrongKey = await sshOnce(port, bobKey, 'alice', [String(job.id), 'id']);
      expect(wrongKey.code).toBe(255);
      expect(wrongKey.stderr).toContain('Permission denied');
      await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
      await waitJob(alice, job.id);
      const after = await sshOnce(port, aliceKey, 'alice', [String(job.id), 'id']);
      expect(after.code).toBe(1);
      expect(after.stderr).toContain(`job ${job.id} ended (failed: killed by alice)`);
      const none = await sshOnce(port, aliceKey, 'alice', []);
      expect([none.code, none.stderr]).toEqual([1, expect.stringContaining('say which job')]);
    }, 90_000);

    it('closes a session when its job is killed, saying so', async () => {
      const job = await submitSleeper(alice);
      const shell = openssh(port, aliceKey, 'alice', [String(job.id)], { tty: true });
      shell.child.stdin.write('echo ready\n');
      await until('the shell', 20, async () => (shell.output().includes('ready') ? true : undefined));
      await alice.call('POST', `/api/v1/jobs/${job.id}/actions`, { action: 'kill' });
      const r = await shell.done;
      expect(r.code).not.toBe(0);
      // Said as the job ended, or as it was being stopped when its task took the shell along.
      expect(r.stdout + r.stderr).toMatch(
        new RegExp(`job ${job.id} (ended \\(failed: killed by alice\\)|is being stopped \\(killed by alice\\)): session closed`),
      );
    }, 90_000);
  });
}

describe('ssh keys and the host key', () => {
  let t: TestDaemon;
  let alice: Caller;
  let keys: string;
  beforeAll(async () => {
    t = await startTestDaemon('local', { ssh: { enabled: true, port: 0 } });
    alice = await t.addUser('alice', 2001);
    keys = await mkdtemp(join(tmpdir(), 'godocker-ssh-keys-'));
  });
  afterAll(async () => {
    await t?.stop();
    if (keys) await rm(keys, { recursive: true, force: true });
  });

  it('refuses a private key, garbage and a key added twice, with what to do; lists and removes keys', async () => {
    const key = await makeKey(keys, 'k');
    const priv = await alice.call<{ error: { code: string; message: string } }>('POST', '/api/v1/keys', {
      publicKey: await readFile(key, 'utf8'),
    });
    expect([priv.status, priv.body.error.code]).toEqual([400, 'GOD_INVALID_REQUEST']);
    expect(priv.body.error.message).toContain('this is a private key');
    const junk = await alice.call<{ error: { message: string } }>('POST', '/api/v1/keys', {
      publicKey: 'ssh-ed25519 notbase64 x',
    });
    expect(junk.status).toBe(400);
    expect(junk.body.error.message).toContain('not an OpenSSH public key');
    const added = await addKey(alice, key);
    const { stdout } = await run('ssh-keygen', ['-lf', `${key}.pub`]);
    expect(stdout).toContain(added.fingerprint);
    expect(added).toMatchObject({ user: 'alice', type: 'ssh-ed25519', comment: 'k@test' });
    const twice = await alice.call<{ error: { code: string } }>('POST', '/api/v1/keys', {
      publicKey: await readFile(`${key}.pub`, 'utf8'),
    });
    expect([twice.status, twice.body.error.code]).toEqual([409, 'GOD_CONFLICT']);
    expect((await alice.call<{ keys: SshKey[] }>('GET', '/api/v1/keys')).body.keys).toEqual([added]);
    expect((await alice.call('DELETE', `/api/v1/keys/${added.id}`)).status).toBe(204);
    expect((await alice.call<{ keys: SshKey[] }>('GET', '/api/v1/keys')).body.keys).toEqual([]);
    expect((await alice.call('DELETE', `/api/v1/keys/${added.id}`)).status).toBe(404);
  });

  it('keeps its host key across a restart, in a 0600 file, and says where it listens in /api/v1/info', async () => {
    const scan = async (port: number) =>
      (await run('ssh-keyscan', ['-t', 'ed25519', '-p', String(port), '127.0.0.1'])).stdout.split(' ').slice(1).join(' ');
    const before = await scan(t.daemon.ssh?.port as number);
    expect(before).toMatch(/^ssh-ed25519 AAAA/);
    const info = await alice.call<{ ssh?: { port: number } }>('GET', '/api/v1/info');
    expect(info.body.ssh?.port).toBe(t.daemon.ssh?.port);
    const dataDir = t.dataDir;
    const mode = (await import('node:fs/promises')).stat(join(dataDir, 'ssh_host_ed25519_key'));
    expect((await mode).mode & 0o777).toBe(0o600);
    await t.daemon.stop();
    const again = await startTestDaemon('local', { ssh: { enabled: true, port: 0 } }, dataDir);
    try {
      expect(await scan(again.daemon.ssh?.port as number)).toBe(before);
    } finally {
      await again.stop();
    }
    // Stopped above; the afterAll stop of the first one only removes its folders.
    t = { ...t, stop: async () => rm(dataDir, { recursive: true, force: true }) };
  });
});
