/**
 * A list+watch cache of one kind of object (the client's ListWatch, an informer) that starts
 * again by itself after the API server went away, and says whether what it holds is current.
 * While it is not, readers ask the API server directly (and get its "does not answer").
 */
import type { Logger } from '@godocker/sdk';
import { type KubeConfig, type KubernetesListObject, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 5_000;

export interface CacheEvents<T> {
  /** An object was added, changed or deleted (`deleted` true). */
  change?: (obj: T, deleted: boolean) => void;
  /** The cache became current again, or stopped being so. */
  health?: (current: boolean) => void;
}

export class KubeCache<T extends KubernetesObject> {
  readonly #lw: ListWatch<T>;
  #current = false;
  #stopped = false;
  #retryMs = RETRY_MIN_MS;
  #timer: NodeJS.Timeout | null = null;
  #lastError: unknown = null;

  constructor(
    kc: KubeConfig,
    readonly what: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    selectors: { label?: string; field?: string },
    private readonly events: CacheEvents<T>,
    private readonly logger: Logger,
  ) {
    this.#lw = new ListWatch<T>(path, new Watch(kc), list, false, selectors.label, selectors.field);
    this.#lw.on('add', (o) => events.change?.(o, false));
    this.#lw.on('update', (o) => events.change?.(o, false));
    this.#lw.on('delete', (o) => events.change?.(o, true));
    this.#lw.on('error', (err) => this.#failed(err));
  }

  /** Lists, then watches; resolves once the first list is in (or failed: then `current` is false and it retries). */
  async start(): Promise<void> {
    this.#lastError = null;
    await this.#lw.start();
    if (this.#lastError === null && !this.#stopped) this.#healthy();
  }

  get current(): boolean {
    return this.#current;
  }

  get lastError(): unknown {
    return this.#lastError;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#lw.get(name, namespace);
  }

  list(): readonly T[] {
    return this.#lw.list();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#lw.stop();
  }

  #healthy(): void {
    this.#retryMs = RETRY_MIN_MS;
    if (!this.#current) {
      this.#current = true;
      this.events.health?.(true);
    }
  }

  #failed(err: unknown): void {
    this.#lastError = err;
    if (this.#stopped) return;
    if (this.#current) {
      this.logger.warn({ err, what: this.what }, 'kubernetes watch broke; listing again');
      this.#current = false;
      this.events.health?.(false);
    }
    if (this.#timer) return;
    const ms = this.#retryMs;
    this.#retryMs = Math.min(RETRY_MAX_MS, this.#retryMs * 2);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (!this.#stopped) void this.start();
    }, ms);
    this.#timer.unref();
  }
}
