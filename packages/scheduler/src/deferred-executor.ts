/**
 * A member of `executors:` that could not be made when the daemon started (its API server, engine
 * or manager did not answer). The daemon starts anyway, runs the others, and this one is made on
 * the first call after its backend answers: until then every call fails with an
 * ExecutorUnavailableError saying why, so the ExecutorSet reports the member down and keeps probing
 * it, as it does for a member that goes away later. A bad option is not deferred: it is the
 * admin's to fix, and the daemon does not start.
 */
import type { Readable } from 'node:stream';
import {
  type ExecRequest,
  type ExecSession,
  type Executor,
  type ExecutorFeatures,
  ExecutorUnavailableError,
  type ExitInfo,
  InFlight,
  type ListedTask,
  type Logger,
  type LogStream,
  type NodeInfo,
  NotSupportedError,
  type RunSpec,
  type TaskHandle,
  type TaskStatus,
  type UsageSample,
} from '@godocker/sdk';

/** Nothing is promised while the executor is not there: an action is refused rather than half-done. */
const NOTHING: ExecutorFeatures = { suspend: false, logsFollow: false, exec: false, ports: false, gpus: false };

export class DeferredExecutor implements Executor {
  readonly #make: () => Promise<Executor>;
  readonly #making = new InFlight<string, Executor>();
  readonly #listeners = new Set<() => void>();
  readonly #logger: Logger;
  #real: Executor | null = null;
  #why: string;
  #closed = false;
  readonly watchNodes?: (listener: () => void) => () => void;

  constructor(
    readonly name: string,
    make: () => Promise<Executor>,
    firstFailure: string,
    logger: Logger,
    /** Whether the executor, once made, says when its nodes change (the set needs to know now). */
    watches: boolean,
  ) {
    this.#make = make;
    this.#why = firstFailure;
    this.#logger = logger;
    if (watches) {
      this.watchNodes = (listener) => {
        this.#listeners.add(listener);
        const off = this.#real?.watchNodes?.(listener);
        return () => {
          this.#listeners.delete(listener);
          off?.();
        };
      };
    }
  }

  features(node?: string | null): ExecutorFeatures {
    return this.#real ? this.#real.features(node) : NOTHING;
  }

  async #executor(): Promise<Executor> {
    if (this.#real) return this.#real;
    if (this.#closed) throw new ExecutorUnavailableError(`the ${this.name} executor is closed`);
    return this.#making.run('make', async () => {
      try {
        const real = await this.#make();
        if (this.#closed) {
          await real.close();
          throw new ExecutorUnavailableError(`the ${this.name} executor is closed`);
        }
        this.#real = real;
        this.#logger.info({ executor: this.name }, 'an executor that did not answer at start answers now');
        for (const l of this.#listeners) real.watchNodes?.(l);
        for (const l of this.#listeners) l();
        return real;
      } catch (e) {
        if (e instanceof ExecutorUnavailableError && this.#closed) throw e;
        this.#why = e instanceof Error ? e.message : String(e);
        throw new ExecutorUnavailableError(`the ${this.name} executor could not be started: ${this.#why}`, e);
      }
    });
  }

  async nodes(): Promise<NodeInfo[]> {
    return (await this.#executor()).nodes();
  }
  async start(spec: RunSpec): Promise<TaskHandle> {
    return (await this.#executor()).start(spec);
  }
  async wait(handle: TaskHandle): Promise<ExitInfo> {
    return (await this.#executor()).wait(handle);
  }
  async status(handle: TaskHandle): Promise<TaskStatus> {
    return (await this.#executor()).status(handle);
  }
  async list(): Promise<ListedTask[]> {
    return (await this.#executor()).list();
  }
  async kill(handle: TaskHandle, graceSeconds: number): Promise<void> {
    return (await this.#executor()).kill(handle, graceSeconds);
  }
  async suspend(handle: TaskHandle): Promise<void> {
    return (await this.#executor()).suspend(handle);
  }
  async resume(handle: TaskHandle): Promise<void> {
    return (await this.#executor()).resume(handle);
  }
  async logs(handle: TaskHandle, stream: LogStream, options: { follow: boolean }): Promise<Readable> {
    return (await this.#executor()).logs(handle, stream, options);
  }
  async exec(handle: TaskHandle, request: ExecRequest): Promise<ExecSession> {
    const real = await this.#executor();
    if (!real.exec) throw new NotSupportedError(this.name, 'run commands inside jobs (ssh) yet');
    return real.exec(handle, request);
  }
  async usage(handle: TaskHandle): Promise<UsageSample | null> {
    const real = await this.#executor();
    return real.usage ? real.usage(handle) : null;
  }
  async collect(handle: TaskHandle, jobDir: string): Promise<void> {
    return (await this.#executor()).collect(handle, jobDir);
  }
  async close(): Promise<void> {
    this.#closed = true;
    await this.#real?.close();
  }
}
