/**
 * A job's notification deliveries, seen by its owner: `GET /api/v1/jobs/ID/notifications` and
 * `godocker show`, with the attempts and the last error of a webhook that answered 500 once and
 * of one that never answered; hidden from another user; then purged by the leader once older
 * than notifications.keepDays. A real daemon (local executor) and a real HTTP receiver.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Job, NotificationDeliveryList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../scheduler/test/helpers/api-caller.js';
import { freePort } from '../../scheduler/test/helpers/free-port.js';
import { startTestDaemon, type TestDaemon, until } from '../../scheduler/test/helpers/test-daemon.js';
import { runCli } from './helpers/cli-harness.js';

const KEEP_SECONDS = 30;

/** Answers 500 to the first POST of each event, then 200. */
async function startReceiver(): Promise<{ server: Server; url: string }> {
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const id = (JSON.parse(body) as { id: string }).id;
      res.writeHead(seen.has(id) ? 200 : 500).end();
      seen.add(id);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

describe('notification deliveries: the API, godocker show, the purge', () => {
  let t: TestDaemon;
  let hook: Awaited<ReturnType<typeof startReceiver>>;
  let alice: Caller;
  let bob: Caller;

  beforeAll(async () => {
    hook = await startReceiver();
    t = await startTestDaemon('local', {
      notifications: {
        webhook: { secret: 'a-webhook-secret-for-the-test-0123', allowedNetworks: ['127.0.0.0/8'], timeoutMs: 2000 },
        attempts: 2,
        backoffMs: 200,
        keepDays: KEEP_SECONDS / 86_400,
      },
    });
    alice = await t.addUser('alice', 2001);
    bob = await t.addUser('bob', 2002);
  }, 60_000);

  afterAll(async () => {
    await t?.stop();
    hook?.server.close();
  });

  it('shows each delivery with its attempts and last error to the owner, and purges them after keepDays', async () => {
    const closed = await freePort();
    const submit = async (url: string) => {
      const r = await alice.call<Job>('POST', '/api/v1/jobs', {
        command: { script: 'true' },
        notify: { mailTypes: ['end'], url },
      });
      expect(r.status).toBe(201);
      return r.body.id;
    };
    const good = await submit(hook.url);
    const bad = await submit(`http://127.0.0.1:${closed}/hook`);
    const deliveries = async (who: Caller, id: number) =>
      who.call<NotificationDeliveryList>('GET', `/api/v1/jobs/${id}/notifications`);

    const sent = await until('the webhook sent on its second attempt', 30, async () => {
      const r = await deliveries(alice, good);
      return r.body.deliveries?.[0]?.status === 'sent' ? r.body.deliveries : undefined;
    });
    expect(sent).toEqual([
      expect.objectContaining({
        id: `${good}:2:webhook`,
        channel: 'webhook',
        event: ['end'],
        jobState: 'done',
        status: 'sent',
        attempts: 2,
        lastError: null,
        nextAttemptAt: null,
      }),
    ]);
    const failed = await until('the webhook given up', 30, async () => {
      const r = await deliveries(alice, bad);
      return r.body.deliveries?.[0]?.status === 'failed' ? r.body.deliveries : undefined;
    });
    expect(failed[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(failed[0]?.lastError).toMatch(/ECONNREFUSED/);

    // Owner and admin only: another user's view is a missing job.
    expect((await deliveries(bob, good)).status).toBe(404);
    expect((await deliveries(t.admin, good)).body.deliveries).toHaveLength(1);

    const env = { GODOCKER_URL: t.url, GODOCKER_TOKEN: alice.token };
    const shown = await runCli(['show', String(bad)], env, tmpdir());
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Notifications:$/m);
    expect(shown.stdout).toMatch(new RegExp(`^  To: +POST to http://127\\.0\\.0\\.1:${closed}/hook$`, 'm'));
    expect(shown.stdout).toMatch(/^ +end +webhook +failed +2 +\S+ +POST http:\S+ .*ECONNREFUSED/m);

    // The leader purges deliveries done more than keepDays ago; nothing records them again.
    for (const id of [good, bad]) {
      await until(`job ${id}'s deliveries purged`, KEEP_SECONDS * 3, async () =>
        (await deliveries(alice, id)).body.deliveries.length === 0 ? true : undefined,
      );
    }
    const after = await runCli(['show', String(good)], env, tmpdir());
    expect(after.stdout).toMatch(/\(no delivery yet, or purged\)/);
  }, 180_000);
});
