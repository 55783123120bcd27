/**
 * One run of a piece of work per key at a time: a second call for a key whose
 * work is still running shares its outcome instead of racing it. Executors use
 * it for starts (two starts of one task key make one task), the runtime for
 * launches that an action must wait for.
 *
 * ```ts
 * const starting = new InFlight<string, TaskHandle>();
 * const handle = await starting.run(spec.key, () => createAndStart(spec));
 * await starting.get(key)?.catch(() => undefined); // let a start land before a kill
 * ```
 */
export class InFlight<K, T> {
  readonly #running = new Map<K, Promise<T>>();

  /** `work()`'s outcome, or that of the run of `key` still in flight. */
  run(key: K, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running !== undefined) return running;
    const started = work().finally(() => this.#running.delete(key));
    this.#running.set(key, started);
    return started;
  }

  /** The run of `key` still in flight, if any. */
  get(key: K): Promise<T> | undefined {
    return this.#running.get(key);
  }
}
