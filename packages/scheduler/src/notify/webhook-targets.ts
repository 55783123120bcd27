/**
 * Where the daemon may POST a user's webhook. A `--notify-url` is a user's input that the
 * leader, inside the site's network, acts on: pointed at 127.0.0.1, 169.254.169.254 or a
 * 10.x address it would reach what only the daemon may reach (etcd, the cloud's metadata,
 * an admin port). So only public unicast addresses are posted to, unless the admin names
 * the host in `notifications.webhook.allowedHosts` or its network in `allowedNetworks`.
 *
 * Checked twice: at submit on what the URL says (an address, or a `localhost` name), and at
 * delivery on the addresses the name resolves to, the connection then going to a checked
 * address (so a name that resolves to a public address at submit and to 127.0.0.1 later,
 * DNS rebinding, is refused too).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { ConfigError } from '@godocker/sdk';
import ipaddr from 'ipaddr.js';
import type { GodockerConfig } from '../config/config-schema.js';

type WebhookConfig = GodockerConfig['notifications']['webhook'];
type Network = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** What to tell the submitter or the log: what is refused, and how an admin allows it. */
export class WebhookTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookTargetRefused';
  }
}

/** `allowedNetworks` parsed; a ConfigError names the entry that is not a CIDR. */
export function parseNetworks(texts: readonly string[], key = 'notifications.webhook.allowedNetworks'): Network[] {
  return texts.map((text, i) => {
    try {
      return ipaddr.parseCIDR(text);
    } catch {
      throw new ConfigError(
        `config key "${key}.${i}": "${text}" is not a network in CIDR notation (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1/32)`,
        `${key}.${i}`,
      );
    }
  });
}

/** The address to check: an IPv4-mapped IPv6 address (::ffff:127.0.0.1) is the IPv4 one it carries. */
function normalised(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  return ipaddr.process(address);
}

/** A host as a URL writes it, without the brackets of an IPv6 literal. */
function bare(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** RFC 6761: every name under localhost is the loopback, whatever a resolver says. */
function isLocalhostName(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return h === 'localhost' || h.endsWith('.localhost');
}

export class WebhookTargets {
  readonly #hosts: readonly string[];
  readonly #networks: Network[];

  constructor(config: WebhookConfig) {
    this.#hosts = config.allowedHosts.map((h) => h.toLowerCase());
    this.#networks = parseNetworks(config.allowedNetworks);
  }

  /** true when allowedHosts names the URL's host (with or without its port). */
  #named(url: URL): boolean {
    return this.#hosts.includes(url.hostname.toLowerCase()) || this.#hosts.includes(url.host.toLowerCase());
  }

  /** Why `url`'s host may not be posted to at all (allowedHosts restricts and does not name it), or null. */
  hostRefusal(url: URL): string | null {
    if (this.#hosts.length === 0 || this.#named(url)) return null;
    return `notify.url's host ${url.host} is not one this site posts to: use one of ${this.#hosts.join(', ')}`;
  }

  /** Why `address` (one `url`'s host stands for) may not be posted to, or null. */
  addressRefusal(url: URL, address: string): string | null {
    if (this.#named(url)) return null;
    const addr = normalised(address);
    const range = addr.range();
    if (range === 'unicast') return null;
    if (this.#networks.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return null;
    const via = bare(url.hostname) === address ? '' : ` (${url.hostname} resolves to it)`;
    return (
      `notify.url's address ${address}${via} is a ${range} address, which this site does not post to: ` +
      'webhooks go to public addresses only. An admin allows it by naming the host in ' +
      'notifications.webhook.allowedHosts or its network in notifications.webhook.allowedNetworks'
    );
  }

  /** The refusal of a URL whose host is an address (a connection to it asks no DNS, so no lookup checks it). */
  addressLiteralRefusal(url: URL): string | null {
    const host = bare(url.hostname);
    return isIP(host) === 0 ? null : this.addressRefusal(url, host);
  }

  /**
   * What the URL shows of where it leads, checked at submit without asking DNS: an address, or
   * a localhost name. Another name is checked at each delivery, once resolved.
   */
  literalRefusal(url: URL): string | null {
    if (isLocalhostName(bare(url.hostname))) return this.addressRefusal(url, '127.0.0.1');
    return this.addressLiteralRefusal(url);
  }

  /**
   * A `lookup` for the connection to `url`: resolves the name, keeps only the addresses this
   * policy allows, and fails with WebhookTargetRefused when none is left, so the socket can
   * only open to a checked address.
   */
  lookupFor(url: URL): LookupFunction {
    return (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
        if (err) {
          callback(err, '', 0);
          return;
        }
        const refusals: string[] = [];
        const allowed = addresses.filter((a) => {
          const why = this.addressRefusal(url, a.address);
          if (why !== null) refusals.push(why);
          return why === null;
        });
        const first = allowed[0];
        if (first === undefined) {
          callback(new WebhookTargetRefused(refusals[0] ?? `${hostname} resolves to no address`), '', 0);
          return;
        }
        if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
        else callback(null, first.address, first.family);
      });
    };
  }
}

const cache = new WeakMap<WebhookConfig, WebhookTargets>();

/** The policy of a loaded config (parsed once per config object). */
export function webhookTargets(config: GodockerConfig): WebhookTargets {
  const webhook = config.notifications.webhook;
  let targets = cache.get(webhook);
  if (!targets) {
    targets = new WebhookTargets(webhook);
    cache.set(webhook, targets);
  }
  return targets;
}
