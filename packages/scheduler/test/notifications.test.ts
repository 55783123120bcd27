/**
 * Job notifications end to end on the Docker executor: the mail arrives at a real SMTP
 * server (aiosmtpd), the webhook at a real HTTP server that checks the signature and
 * answers 500 once; a mail server and a webhook that cannot be reached hold back no job,
 * and their failure is recorded and logged.
 */

import type { ChildProcess } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeConfig } from '@godocker/scheduler';
import { GodockerClient, type Job, type WebhookPayload } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { NotificationRecord } from '../src/store/store.js';
import type { Caller } from './helpers/api-caller.js';
import { spawnDaemon } from './helpers/child-daemon.js';
import { freePort } from './helpers/free-port.js';
import { type SmtpServer, startSmtpServer } from './helpers/smtp-server.js';
import { ADMIN_TOKEN, baseConfig, startTestDaemon, TEST_IMAGE, type TestDaemon, until, waitJob } from './helpers/test-daemon.js';

const SECRET = 'a-webhook-secret-for-the-test-0123';

interface Received {
  body: string;
  signature: string;
  payload: WebhookPayload;
  answered: number;
}

/** A webhook receiver that answers 500 to the first POST of each event id, then 200. */
async function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const payload = JSON.parse(body) as WebhookPayload;
      const first = !received.some((r) => r.payload.id === payload.id);
      const answered = first ? 500 : 200;
      received.push({ body, signature: String(req.headers['x-godocker-signature'] ?? ''), payload, answered });
      res.writeHead(answered).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/godocker`, received };
}

/** What a receiver does to trust a POST: the HMAC of "t.body" under the shared secret. */
function validSignature(header: string, body: string): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!m) return false;
  const expected = createHmac('sha256', SECRET).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2] as string, 'hex'));
}

async function readOutbox(t: TestDaemon, jobId: number): Promise<NotificationRecord[]> {
  // The daemon's own file, read beside it (WAL lets a reader in while it writes).
  const store = SqliteStore.open(join(t.dataDir, 'godocker.db'));
  try {
    return await store.notificationsOfJob(jobId);
  } finally {
    await store.close();
  }
}

describe('notifications (docker executor, aiosmtpd, a webhook receiver)', () => {
  let smtp: SmtpServer;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let t: TestDaemon;
  let alice: Caller;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    hook = await startReceiver();
    t = await startTestDaemon('docker', {
      images: { catalogue: [TEST_IMAGE] },
      notifications: {
        smtp: { host: '127.0.0.1', port: smtp.port, from: 'godocker@test.invalid' },
        webhook: { secret: SECRET, allowedHosts: ['127.0.0.1'], timeoutMs: 2000 },
        attempts: 3,
        backoffMs: 200,
      },
    });
    alice = await t.addUser('alice', 2001);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    await smtp?.stop();
    hook?.server.close();
  });

  it('mails and posts the begin and the end, with job id, state and exit code; the webhook is retried after a 500', async () => {
    const submitted = await alice.call<Job>('POST', '/api/v1/jobs', {
      meta: { name: 'notified' },
      command: { script: 'sleep 1; exit 3' },
      notify: { mailTypes: ['begin', 'end'], mailUser: 'alice@example.org', url: hook.url },
    });
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;
    expect(submitted.body.notify).toEqual({ events: ['begin', 'end'], mailUser: 'alice@example.org', url: hook.url });
    const job = await waitJob(alice, id);
    expect(job.status).toMatchObject({ state: 'failed', exitCode: 3 });

    const mails = await until('two mails', 30, async () => {
      // Long headers arrive folded (RFC 5322): unfolded, a subject is one line again.
      const m = smtp
        .messages()
        .map((x) => x.replace(/\r?\n[ \t]+/g, ' '))
        .filter((x) => x.includes(`Job_id=${id} `));
      return m.length >= 2 ? m : undefined;
    });
    const end = mails.find((m) => /Subject: .*Failed/.test(m)) as string;
    expect(end).toMatch(
      new RegExp(`Subject: GoDocker Job_id=${id} Name=notified Failed, Run time 00:00:0\\d, FAILED, ExitCode 3`),
    );
    expect(end).toMatch(/^To: alice@example\.org$/m);
    expect(end).toMatch(/^From: godocker@test\.invalid$/m);
    expect(end).toMatch(/^State: failed$/m);
    expect(mails.some((m) => new RegExp(`Subject: GoDocker Job_id=${id} Name=notified Began`).test(m))).toBe(true);

    // Each event: a 500 first, then the same delivery again, accepted.
    const posts = await until('each event posted twice', 30, async () =>
      hook.received.filter((r) => r.payload.jobId === id && r.answered === 200).length >= 2
        ? hook.received.filter((r) => r.payload.jobId === id)
        : undefined,
    );
    for (const p of posts) expect(validSignature(p.signature, p.body)).toBe(true);
    // One hex digit of the signature changed (to another digit: a 0 made 0 would change nothing).
    const forged = posts[0]?.signature.replace(/v1=(.)/, (_m, d: string) => `v1=${d === '0' ? '1' : '0'}`) ?? '';
    expect(forged).not.toBe(posts[0]?.signature);
    expect(validSignature(forged, posts[0]?.body ?? '')).toBe(false);
    const ends = posts.filter((p) => p.payload.event.includes('end'));
    expect(ends.map((p) => p.answered)).toEqual([500, 200]);
    expect(ends[0]?.body).toBe(ends[1]?.body);
    expect(ends[1]?.payload).toMatchObject({
      jobId: id,
      name: 'notified',
      user: 'alice',
      state: 'failed',
      exitCode: 3,
      event: ['end', 'fail'],
    });
    const begins = posts.filter((p) => p.payload.event.includes('begin'));
    expect(begins[1]?.payload).toMatchObject({ jobId: id, state: 'running', exitCode: null });

    const outbox = await until('all sent', 10, async () => {
      const r = await readOutbox(t, id);
      return r.length === 4 && r.every((x) => x.status === 'sent') ? r : undefined;
    });
    expect(outbox.filter((r) => r.channel === 'webhook').map((r) => r.attempts)).toEqual([2, 2]);
  }, 90_000);

  it('refuses what it could not deliver, with a 400 that says what to do', async () => {
    const cases: Array<[object, string, RegExp]> = [
      [{ mailTypes: ['end'] }, 'notify.mailUser', /no mail address for user alice.*--mail-user/],
      [{ mailUser: 'alice at example' }, 'notify.mailUser', /not a mail address/],
      [{ url: 'ftp://127.0.0.1/x' }, 'notify.url', /http:\/\/ or https:\/\//],
      [{ url: 'https://evil.example.org/x' }, 'notify.url', /not one this site posts to: use one of 127\.0\.0\.1/],
      [{ mailTypes: ['sometimes'], mailUser: 'a@b.org' }, 'notify.mailTypes.0', /./],
    ];
    for (const [notify, field, message] of cases) {
      const r = await alice.call<{ error: { code: string; message: string; field: string } }>('POST', '/api/v1/jobs', {
        command: { script: 'true' },
        notify,
      });
      expect(r.status, JSON.stringify(notify)).toBe(400);
      expect(r.body.error.field).toBe(field);
      expect(r.body.error.message).toMatch(message);
    }
  });
});

describe('notifications that cannot be delivered', () => {
  let t: TestDaemon;
  let alice: Caller;
  let logDir: string;

  beforeAll(async () => {
    // Ports nobody listens on: every delivery fails at once, as an unreachable server does.
    const closed = await freePort();
    logDir = mkdtempSync(join(tmpdir(), 'godocker-notify-log-'));
    process.env.GODOCKER_TEST_DAEMON_LOG = join(logDir, 'daemon.log');
    try {
      t = await startTestDaemon('docker', {
        images: { catalogue: [TEST_IMAGE] },
        notifications: {
          smtp: { host: '127.0.0.1', port: closed },
          // The loopback is refused unless allowed: these deliveries must reach the closed port to fail there.
          webhook: { secret: SECRET, allowedNetworks: ['127.0.0.0/8'], timeoutMs: 1000 },
          attempts: 2,
          backoffMs: 100,
        },
      });
    } finally {
      delete process.env.GODOCKER_TEST_DAEMON_LOG;
    }
    alice = await t.addUser('alice', 2001);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('runs every job as if nothing were wrong, and records and logs the failure', async () => {
    const closed = await freePort();
    const started = Date.now();
    const notified = await alice.call<Job>('POST', '/api/v1/jobs', {
      command: { script: 'true' },
      notify: { mailTypes: ['all'], mailUser: 'alice@example.org', url: `http://127.0.0.1:${closed}/hook` },
    });
    expect(notified.status).toBe(201);
    const others = await Promise.all([1, 2, 3].map(() => t.run(alice, { command: { script: 'echo other' } }, 60)));
    for (const o of others) expect(o.status.state).toBe('done');
    expect((await waitJob(alice, notified.body.id)).status.state).toBe('done');
    // Jobs take their usual seconds on Docker: nothing waited on a delivery.
    expect(Date.now() - started).toBeLessThan(30_000);

    const outbox = await until('every delivery given up', 30, async () => {
      const r = await readOutbox(t, notified.body.id);
      return r.length === 4 && r.every((x) => x.status === 'failed') ? r : undefined;
    });
    for (const r of outbox) {
      expect(r.attempts).toBe(2);
      expect(r.lastError).toMatch(
        r.channel === 'mail' ? /SMTP: .*ECONNREFUSED/ : /POST http:\/\/127\.0\.0\.1:\d+\/hook: .*ECONNREFUSED/,
      );
    }
    const log = readFileSync(join(logDir, 'daemon.log'), 'utf8');
    const given = log.split('\n').filter((l) => l.includes('notification not delivered: given up'));
    expect(given.length).toBe(4);
    expect(given.every((l) => l.includes(`"jobId":${notified.body.id}`) && l.includes('ECONNREFUSED'))).toBe(true);
  }, 90_000);

  it('refuses at submit a webhook to a loopback, private, link-local, unspecified or multicast address', async () => {
    const refused: Array<[string, RegExp]> = [
      ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a linkLocal address/],
      ['http://[fe80::1]:8080/h', /fe80::1 is a linkLocal address/],
      ['http://10.0.0.5/h', /10\.0\.0\.5 is a private address/],
      ['https://192.168.1.1/h', /private/],
      ['http://172.16.0.1/h', /private/],
      ['http://[fd00::1]/h', /uniqueLocal/],
      ['http://[::1]:2379/v3/kv/put', /::1 is a loopback address/],
      ['http://[::ffff:169.254.169.254]/', /linkLocal/],
      ['http://0.0.0.0:2379/', /unspecified/],
      ['http://224.0.0.1/', /multicast/],
    ];
    for (const [url, message] of refused) {
      const r = await alice.call<{ error: { code: string; message: string; field: string } }>('POST', '/api/v1/jobs', {
        command: { script: 'true' },
        notify: { url },
      });
      expect(r.status, url).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'GOD_WEBHOOK_TARGET_REFUSED', field: 'notify.url' });
      expect(r.body.error.message).toMatch(message);
      expect(r.body.error.message).toMatch(
        /notifications\.webhook\.allowedHosts or its network in notifications\.webhook\.allowedNetworks/,
      );
    }
    // 127.0.0.0/8 is what this site allows (localhost is its name, whatever DNS says).
    for (const url of ['http://127.0.0.1:9/h', 'http://localhost:9/h']) {
      const r = await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, notify: { url }, hold: true });
      expect(r.status, url).toBe(201);
      await alice.call('POST', `/api/v1/jobs/${r.body.id}/actions`, { action: 'kill' });
    }
  });
});

describe('notifications across a crash', () => {
  const children: ChildProcess[] = [];
  let root: string;
  let smtp: SmtpServer | undefined;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'godocker-notify-crash-'));
    chmodSync(root, 0o711);
  });

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await smtp?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('sends after a kill -9 what the daemon had not yet delivered', async () => {
    // The mail server is down while the job ends: the delivery stays pending in the outbox.
    const port = await freePort();
    const config = mergeConfig(baseConfig('local', join(root, 'data')) as Record<string, unknown>, {
      notifications: { smtp: { host: '127.0.0.1', port }, attempts: 50, backoffMs: 2_000 },
    });
    const first = await spawnDaemon(config, children);
    const admin = new GodockerClient({ url: first.url, token: ADMIN_TOKEN });
    const homeDir = join(root, 'alice');
    mkdirSync(homeDir);
    if (process.getuid?.() === 0) chownSync(homeDir, 2001, 2001);
    const { token } = await admin.createUser({ name: 'alice', uid: 2001, gid: 2001, home: homeDir });
    const alice = new GodockerClient({ url: first.url, token });
    const job = await alice.submit({
      meta: { name: 'survivor' },
      command: { script: 'true' },
      notify: { mailUser: 'alice@example.org' },
    });
    expect((await alice.wait(job.id, { for: 'terminated', timeout: 60 })).job.status.state).toBe('done');
    const dbPath = join(root, 'data', 'godocker.db');
    const tried = await until('a first attempt that failed', 30, async () => {
      const store = SqliteStore.open(dbPath);
      try {
        const [r] = await store.notificationsOfJob(job.id);
        return r && r.attempts >= 1 ? r : undefined;
      } finally {
        await store.close();
      }
    });
    expect(tried).toMatchObject({ status: 'pending', channel: 'mail' });
    expect(tried.lastError).toMatch(/ECONNREFUSED/);
    first.child.kill('SIGKILL');
    await new Promise((done) => first.child.once('exit', done));

    // The mail server comes up on that port, and a new daemon on the same folder sends what
    // the killed one left pending.
    smtp = await startSmtpServer(port);
    await spawnDaemon(config, children);
    const mail = await until('the mail', 30, async () =>
      smtp?.messages().find((m) => m.includes(`Job_id=${job.id} Name=survivor Ended`)),
    );
    expect(mail).toMatch(/^To: alice@example\.org$/m);
  }, 120_000);
});
