/**
 * Where a webhook may go: a user's --notify-url never makes the daemon POST to loopback, private,
 * link-local or other non-public addresses unless the admin allows them. The delivery is checked
 * with the real resolver and real HTTP receivers on 127.0.0.1 (the submit-time refusals are in
 * notifications.test.ts, through the daemon's API).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GodockerConfig } from '../src/config/config-schema.js';
import { loadConfig } from '../src/config/load-config.js';
import { DeliveryError } from '../src/notify/delivery-error.js';
import { WebhookSender } from '../src/notify/webhook-sender.js';
import { WebhookTargets } from '../src/notify/webhook-targets.js';

const SECRET = 'a-webhook-secret-for-the-test-0123';

type WebhookConfig = GodockerConfig['notifications']['webhook'];

function targets(over: Partial<WebhookConfig> = {}): WebhookTargets {
  return new WebhookTargets({ allowedHosts: [], allowedNetworks: [], timeoutMs: 2000, secret: SECRET, ...over });
}

function sender(t: WebhookTargets): WebhookSender {
  return new WebhookSender(SECRET, 2000, () => new Date(), t);
}

interface Receiver {
  server: Server;
  port: number;
  hits: string[];
}

async function startReceiver(answer: (port: number) => [number, Record<string, string>]): Promise<Receiver> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const [status, headers] = answer((server.address() as AddressInfo).port);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

async function refusal(p: Promise<void>): Promise<DeliveryError> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(DeliveryError);
  return e as DeliveryError;
}

describe('webhook targets: which addresses are refused', () => {
  const url = new URL('https://hooks.example.org/x');
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00::1', 'uniqueLocal'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['100.64.0.1', 'carrierGradeNat'],
  ])('%s is refused as %s, with how an admin allows it', (address, range) => {
    const why = targets().addressRefusal(url, address);
    expect(why).toContain(`is a ${range} address`);
    expect(why).toMatch(/notifications\.webhook\.allowedHosts.*notifications\.webhook\.allowedNetworks/);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2e', '172.32.0.1', '11.0.0.1'])(
    'public %s is allowed',
    (address) => {
      expect(targets().addressRefusal(url, address)).toBeNull();
    },
  );

  it('allowedNetworks and a host named in allowedHosts let a private address through', () => {
    expect(targets({ allowedNetworks: ['10.20.0.0/16'] }).addressRefusal(url, '10.20.3.4')).toBeNull();
    expect(targets({ allowedNetworks: ['10.20.0.0/16'] }).addressRefusal(url, '10.21.3.4')).toMatch(/private/);
    expect(targets({ allowedNetworks: ['fd00:1::/64'] }).addressRefusal(url, 'fd00:1::5')).toBeNull();
    expect(targets({ allowedHosts: ['hooks.example.org'] }).addressRefusal(url, '10.9.9.9')).toBeNull();
    const withPort = new URL('https://hooks.example.org:8443/x');
    expect(targets({ allowedHosts: ['hooks.example.org:8443'] }).addressRefusal(withPort, '10.9.9.9')).toBeNull();
    expect(targets({ allowedHosts: ['hooks.example.org:9443'] }).addressRefusal(withPort, '10.9.9.9')).toMatch(/private/);
  });

  it('a config with an allowedNetworks entry that is no CIDR does not load, and says which', () => {
    expect(() =>
      loadConfig({
        env: {},
        overrides: { dataDir: '/tmp/x', notifications: { webhook: { allowedNetworks: ['10.0.0.0/8', 'intranet'] } } },
      }),
    ).toThrow(/notifications\.webhook\.allowedNetworks\.1.*"intranet" is not a network in CIDR notation/);
  });
});

describe('webhook delivery after DNS (real resolver, receivers on 127.0.0.1)', () => {
  let hook: Receiver;
  let redirector: Receiver;

  beforeAll(async () => {
    hook = await startReceiver(() => [204, {}]);
    redirector = await startReceiver(() => [302, { location: `http://127.0.0.1:${hook.port}/stolen` }]);
  });

  afterAll(() => {
    hook?.server.close();
    redirector?.server.close();
  });

  it('refuses a host name that resolves to the loopback (localhost), for good, and posts nothing', async () => {
    const before = hook.hits.length;
    const e = await refusal(sender(targets()).send(`http://localhost:${hook.port}/hook`, '{}'));
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(
      /refused: notify\.url's address (127\.0\.0\.1|::1) \(localhost resolves to it\) is a loopback address/,
    );
    expect(e.message).toMatch(/allowedNetworks/);
    expect(hook.hits.length).toBe(before);
  });

  it('refuses an address URL without asking DNS', async () => {
    const before = hook.hits.length;
    const e = await refusal(sender(targets()).send(`http://127.0.0.1:${hook.port}/hook`, '{}'));
    expect(e).toMatchObject({ retryable: false });
    expect(e.message).toMatch(/127\.0\.0\.1 is a loopback address/);
    expect(hook.hits.length).toBe(before);
  });

  it('posts to the loopback when the admin allows its network or names the host', async () => {
    const before = hook.hits.length;
    await sender(targets({ allowedNetworks: ['127.0.0.0/8', '::1/128'] })).send(`http://localhost:${hook.port}/a`, '{}');
    await sender(targets({ allowedHosts: ['localhost'] })).send(`http://localhost:${hook.port}/b`, '{}');
    await sender(targets({ allowedHosts: ['127.0.0.1'] })).send(`http://127.0.0.1:${hook.port}/c`, '{}');
    expect(hook.hits.slice(before)).toEqual(['POST /a', 'POST /b', 'POST /c']);
  });

  it('follows no redirect: a 3xx is a failed delivery and its Location is never reached', async () => {
    const before = hook.hits.length;
    const allowed = targets({ allowedHosts: ['127.0.0.1'] });
    const e = await refusal(sender(allowed).send(`http://127.0.0.1:${redirector.port}/hook`, '{}'));
    expect(e.message).toMatch(/HTTP 302 \(redirects are not followed\)/);
    expect(e.retryable).toBe(false);
    expect(redirector.hits).toEqual(['POST /hook']);
    expect(hook.hits.length).toBe(before);
  });

  it('refuses a host that allowedHosts does not list, at delivery too', async () => {
    const e = await refusal(
      sender(targets({ allowedHosts: ['hooks.example.org'] })).send(`http://localhost:${hook.port}/x`, '{}'),
    );
    expect(e.message).toMatch(/host localhost:\d+ is not one this site posts to/);
  });
});
