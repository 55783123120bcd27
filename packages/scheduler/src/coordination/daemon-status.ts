/**
 * Every daemon of a site says, in the store, who it is and how it is (role, version, address,
 * whether its executors answer) every few seconds; `GET /api/v1/status` reads what they said.
 * A daemon that stopped saying it (killed, cut off from the store) shows as stale.
 */
import { type DaemonStatus, DaemonStatusSchema, type Logger, type SiteStatus } from '@godocker/sdk';
import { Value } from '@sinclair/typebox/value';
import { isStoreUnavailable } from '../store/mongo-store.js';
import type { Store } from '../store/store.js';
import type { EtcdDaemonKey } from './etcd-daemon-key.js';

export const HEARTBEAT_MS = 5_000;
const PREFIX = 'daemon:';
/** A daemon that stopped cleanly is listed this long, then forgotten. */
const STOPPED_SHOWN_MS = 3_600_000;

export type DaemonSelf = Omit<DaemonStatus, 'heartbeatAt' | 'stale'>;

export class DaemonHeartbeat {
  #timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly self: () => DaemonSelf,
    private readonly logger: Logger,
    /** Also said there (`status.etcd`). */
    private readonly etcd: EtcdDaemonKey | null = null,
  ) {}

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#beat('stopped');
    await this.etcd?.stop();
  }

  /** Says it now (a change of role), not at the next period. */
  beat(): Promise<void> {
    return this.#beat();
  }

  async #beat(role?: DaemonStatus['role']): Promise<void> {
    const self = this.self();
    const said: Omit<DaemonStatus, 'stale'> = {
      ...self,
      ...(role ? { role, epoch: null } : {}),
      heartbeatAt: new Date().toISOString(),
    };
    try {
      await this.store.setMeta(`${PREFIX}${self.id}`, JSON.stringify(said));
    } catch (error) {
      // The store going away is told once by the store itself; this repeats every few seconds.
      if (isStoreUnavailable(error)) this.logger.debug({ err: error }, 'could not write this daemon’s heartbeat to the store');
      else this.logger.warn({ err: error }, 'could not write this daemon’s heartbeat to the store');
    }
    if (this.etcd && role !== 'stopped') await this.etcd.put(JSON.stringify({ ...said, stale: false }));
  }
}

/** What every daemon last said, oldest id first; what another daemon wrote is checked, not trusted. */
export async function siteStatus(store: Store, now = Date.now()): Promise<SiteStatus> {
  const daemons: DaemonStatus[] = [];
  for (const { value } of await store.listMeta(PREFIX)) {
    let said: unknown;
    try {
      said = { ...JSON.parse(value), stale: false };
    } catch {
      continue;
    }
    if (!Value.Check(DaemonStatusSchema, said)) continue;
    const age = now - Date.parse(said.heartbeatAt);
    if (said.role === 'stopped' && age > STOPPED_SHOWN_MS) continue;
    daemons.push({ ...said, stale: said.role !== 'stopped' && age > 3 * HEARTBEAT_MS });
  }
  return { daemons };
}
