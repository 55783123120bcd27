/**
 * This daemon's part on a site of several daemons: it leads (its runtime schedules, starts
 * and watches) while it holds the Redis lease, and follows otherwise (the API forwards what
 * only the leader answers: follower-proxy.ts). Taking and giving up the lead happen one at a
 * time, in the order the lease says.
 */
import type { Logger } from '@godocker/sdk';
import { Redis } from 'ioredis';
import { coordinationKeys } from './coordination-keys.js';
import { LeaderAddress } from './leader-address.js';
import { RedisLeaderLease } from './leader-lease.js';

export interface RoleChanges {
  lead(epoch: number): Promise<void>;
  follow(): Promise<void>;
}

export class SiteRole {
  /** The highest epoch the store has seen: a new leadership's epoch is above it even after Redis lost its data. */
  minEpoch: (() => Promise<number>) | null = null;
  #lease: RedisLeaderLease | null = null;
  #leading = false;
  #changes: Promise<void> = Promise.resolve();
  readonly #reader: Redis;
  readonly #address: LeaderAddress;

  constructor(
    private readonly redisUrl: string,
    private readonly clusterId: string,
    private readonly leaseMs: number,
    private readonly logger: Logger,
  ) {
    // Its own connection, for reading who leads; it gives up quickly while Redis is away.
    this.#reader = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
    this.#reader.on('error', () => undefined);
    this.#address = new LeaderAddress(this.#reader, coordinationKeys(clusterId).leader);
  }

  /** Joins the election as `advertiseUrl` (where the others forward to when this one leads). */
  async start(advertiseUrl: string, changes: RoleChanges): Promise<void> {
    await this.#reader.connect();
    const lease = new RedisLeaderLease({
      redis: this.redisUrl,
      key: coordinationKeys(this.clusterId).leader,
      holder: advertiseUrl,
      leaseMs: this.leaseMs,
      logger: this.logger,
      ...(this.minEpoch ? { minEpoch: this.minEpoch } : {}),
    });
    this.#lease = lease;
    lease.onAcquired((epoch) => {
      this.#address.forget();
      this.#change(async () => {
        if (this.#leading || !lease.isLeader()) return;
        this.#leading = true;
        this.logger.info({ epoch }, 'this daemon leads the site: scheduling');
        await changes.lead(epoch);
      });
    });
    lease.onLost((loss) => {
      this.#address.forget();
      this.#change(async () => {
        if (!this.#leading) return;
        this.#leading = false;
        this.logger.warn({ reason: loss.reason }, 'this daemon no longer leads the site: it stops acting and follows');
        await changes.follow();
      });
    });
    await lease.start();
    await this.#changes;
  }

  isLeader(): boolean {
    return this.#leading && (this.#lease?.isLeader() ?? false);
  }

  epoch(): number | null {
    return this.#lease?.epoch() ?? null;
  }

  leaderUrl(): Promise<string | null> {
    return this.#address.url().catch(() => null);
  }

  async stop(): Promise<void> {
    await this.#lease?.stop({ release: true });
    await this.#changes;
    this.#reader.disconnect();
  }

  #change(step: () => Promise<void>): void {
    this.#changes = this.#changes.then(step).catch((error) => {
      this.logger.error({ err: error }, 'a change of role failed');
    });
  }
}
