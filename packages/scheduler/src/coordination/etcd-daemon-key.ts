/**
 * `status: { etcd: ... }`: each daemon also keeps a key in etcd while it runs (GoDocker's status
 * plugins did this for its watchers and schedulers), so a site's service discovery or monitoring
 * finds its daemons there: `<prefix>/<clusterId>/daemons/<daemon id>`, its value what
 * `GET /api/v1/status` says of it, on a lease of `ttlSeconds` that the client keeps alive. A daemon
 * that dies loses its key when the lease runs out; one that stops revokes it at once.
 */
import type { Logger } from '@godocker/sdk';
import { Etcd3, type Lease } from 'etcd3';

export interface EtcdKeyOptions {
  endpoints: string[];
  prefix: string;
  ttlSeconds: number;
}

export class EtcdDaemonKey {
  readonly key: string;
  #client: Etcd3;
  #lease: Lease | null = null;
  #value = '';
  #stopped = false;

  constructor(
    private readonly options: EtcdKeyOptions,
    clusterId: string,
    daemonId: string,
    private readonly logger: Logger,
  ) {
    this.key = `${options.prefix.replace(/\/$/, '')}/${clusterId}/daemons/${daemonId}`;
    this.#client = new Etcd3({ hosts: options.endpoints, dialTimeout: 3_000 });
  }

  /** Writes the key with this value, on the daemon's lease (granted again if it was lost). */
  async put(value: string): Promise<void> {
    if (this.#stopped) return;
    this.#value = value;
    const lease = this.#leaseNow();
    try {
      await lease.put(this.key).value(value);
    } catch (error) {
      this.logger.warn({ err: error, key: this.key }, 'could not write this daemon’s key in etcd');
    }
  }

  /** Revokes the lease: the key goes at once, not a TTL later. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#lease?.revoke().catch(() => undefined);
    this.#client.close();
  }

  #leaseNow(): Lease {
    if (this.#lease && !this.#lease.revoked()) return this.#lease;
    const lease = this.#client.lease(this.options.ttlSeconds, { autoKeepAlive: true });
    lease.on('lost', (error) => {
      if (this.#stopped || this.#lease !== lease) return;
      this.logger.warn({ err: error, key: this.key }, 'the etcd lease of this daemon’s key was lost: granting another');
      this.#lease = null;
      void this.put(this.#value);
    });
    this.#lease = lease;
    return lease;
  }
}
