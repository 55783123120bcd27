/**
 * What the typed wrappers share: the bound functions, the check that turns a
 * return code into a typed error, calls on worker threads, and the draining of
 * the binding's string lists (every list is read to its end and released, so
 * nothing leaks whatever the caller does).
 */
import { DRMAA1_ERRNO } from '@godocker/sdk';
import { cString, DRMAA_BUFFER, mayBeTruncated, outBuffer } from './c-strings.js';
import {
  bindAbi,
  type DrmaaAbi,
  type IntOut,
  type LoadedAbi,
  type NativeFunction,
  type Pointer,
  type PointerOut,
} from './drmaa-abi.js';
import { type CallContext, DrmaaLibraryError, DrmaaLoadError, drmaaCallError } from './library-errors.js';

export type ListKind = 'names' | 'values' | 'jobIds';

const LIST_FUNCTIONS = {
  names: ['drmaa_get_next_attr_name', 'drmaa_get_num_attr_names', 'drmaa_release_attr_names'],
  values: ['drmaa_get_next_attr_value', 'drmaa_get_num_attr_values', 'drmaa_release_attr_values'],
  jobIds: ['drmaa_get_next_job_id', 'drmaa_get_num_job_ids', 'drmaa_release_job_ids'],
} as const;

export interface DrainedList {
  items: string[];
  /** Some item filled its buffer and may have been cut. */
  truncated: boolean;
}

export class LibraryCore {
  readonly path: string;
  private readonly loaded: LoadedAbi;

  constructor(path: string) {
    this.path = path;
    try {
      this.loaded = bindAbi(path);
    } catch (error) {
      const message = (error as Error).message;
      // Libraries linked with jemalloc (Debian's Grid Engine) need static TLS that a
      // running process has used up; only the environment it starts with can make room.
      const hint = /static TLS/.test(message)
        ? 'start the process with GLIBC_TUNABLES=glibc.rtld.optional_static_tls=8192 in its environment (or LD_PRELOAD the library)'
        : 'point DRMAA_LIBRARY_PATH (or the path given) at a libdrmaa.so';
      throw new DrmaaLoadError(path, `cannot load the DRMAA library ${path}: ${message}; ${hint}`, error);
    }
    if (this.loaded.missing.includes('drmaa_init')) {
      this.loaded.unload();
      throw new DrmaaLoadError(path, `${path} has no drmaa_init: it is not a DRMAA 1.0 library`);
    }
  }

  /** The bound function; a typed error, not a crash, when the library lacks it. */
  fn<K extends keyof DrmaaAbi>(name: K): DrmaaAbi[K] {
    const bound = this.loaded.abi[name];
    if (bound === undefined) throw new DrmaaLoadError(this.path, `${this.path} does not export ${name}`);
    return bound;
  }

  has(name: keyof DrmaaAbi): boolean {
    return this.loaded.abi[name] !== undefined;
  }

  strerror(errno: number): string | null {
    return this.has('drmaa_strerror') ? this.fn('drmaa_strerror')(errno) : null;
  }

  /** Throws the typed error of a failed call. */
  check(call: string, rc: number, diagnosis: Buffer, context?: CallContext): void {
    if (rc !== DRMAA1_ERRNO.SUCCESS) throw drmaaCallError(call, rc, cString(diagnosis), this.strerror(rc), context);
  }

  /** Runs the call on a koffi worker thread, so a blocking one (wait, a network round trip) leaves the event loop free. */
  onWorker<A extends unknown[], R>(fn: NativeFunction<A, R>, ...args: A): Promise<R> {
    return new Promise((resolve, reject) => {
      fn.async(...args, (error: unknown, result: R) => (error ? reject(error) : resolve(result)));
    });
  }

  /** Reads a list to its end and releases it, whatever happens on the way. */
  drain(kind: ListKind, list: Pointer, bufferSize = DRMAA_BUFFER): DrainedList {
    const [next, count, release] = LIST_FUNCTIONS[kind];
    try {
      const items: string[] = [];
      let truncated = false;
      const buffer = outBuffer(bufferSize);
      for (;;) {
        buffer.fill(0);
        const rc = this.fn(next)(list, buffer, buffer.length);
        if (rc === DRMAA1_ERRNO.NO_MORE_ELEMENTS) break;
        this.check(next, rc, Buffer.alloc(1));
        items.push(cString(buffer));
        truncated ||= mayBeTruncated(buffer);
      }
      if (this.has(count)) {
        const size: IntOut = [0];
        const rc = this.fn(count)(list, size);
        // A list whose count and contents disagree is a broken library: better an error than half a result.
        if (rc === DRMAA1_ERRNO.SUCCESS && size[0] !== items.length) {
          throw new DrmaaLibraryError(
            { call: count, errno: DRMAA1_ERRNO.INTERNAL_ERROR, drmaa1Name: 'INTERNAL_ERROR', diagnosis: '' },
            `${count} says ${size[0]} elements, ${next} gave ${items.length}`,
          );
        }
      }
      return { items, truncated };
    } finally {
      this.fn(release)(list);
    }
  }

  /** `drmaa_get_attribute_names` or, for vectors, `drmaa_get_vector_attribute_names`. */
  attributeNames(vector: boolean): string[] {
    const call = vector ? 'drmaa_get_vector_attribute_names' : 'drmaa_get_attribute_names';
    const out: PointerOut = [null];
    const diagnosis = outBuffer();
    this.check(call, this.fn(call)(out, diagnosis, diagnosis.length), diagnosis);
    return out[0] === null ? [] : this.drain('names', out[0]).items;
  }

  unload(): void {
    this.loaded.unload();
  }
}
