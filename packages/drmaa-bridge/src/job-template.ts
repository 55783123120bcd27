/**
 * A job template of a DRMAA library (`drmaa_job_template_t`): attributes as the
 * C binding names them (`drmaa_remote_command`, `drmaa_v_argv`...), values as
 * strings, kept by the library byte for byte.
 *
 * ```ts
 * const jt = lib.allocateJobTemplate();
 * try {
 *   jt.set('drmaa_remote_command', '/bin/sleep');
 *   jt.setVector('drmaa_v_argv', ['10']);
 *   const id = await lib.runJob(jt);
 * } finally { jt.delete(); }
 * ```
 */
import { DRMAA1_ERRNO } from '@godocker/sdk';
import { checkCString, cString, DRMAA_BUFFER, MAX_VALUE_BUFFER, mayBeTruncated, outBuffer } from './c-strings.js';
import type { Pointer, PointerOut } from './drmaa-abi.js';
import type { LibraryCore } from './library-core.js';
import { DrmaaLibraryError } from './library-errors.js';

export class JobTemplate {
  private pointer: Pointer | null;
  /** Submissions running on worker threads with this template: it is freed after the last one. */
  private inUse = 0;
  private deleteRequested = false;

  /** @internal Made by `DrmaaLibrary.allocateJobTemplate()`. */
  constructor(
    private readonly core: LibraryCore,
    pointer: Pointer,
  ) {
    this.pointer = pointer;
  }

  get deleted(): boolean {
    return this.deleteRequested;
  }

  set(name: string, value: string): void {
    checkCString(name, 'attribute name');
    checkCString(value, `value of ${name}`);
    const diagnosis = outBuffer();
    const rc = this.core.fn('drmaa_set_attribute')(this.live('drmaa_set_attribute'), name, value, diagnosis, diagnosis.length);
    this.core.check('drmaa_set_attribute', rc, diagnosis);
  }

  /** The value as set, whole however long (read again with a bigger buffer when it filled one). */
  get(name: string): string {
    checkCString(name, 'attribute name');
    for (let size = DRMAA_BUFFER; ; size *= 16) {
      const value = outBuffer(size);
      const diagnosis = outBuffer();
      const rc = this.core.fn('drmaa_get_attribute')(
        this.live('drmaa_get_attribute'),
        name,
        value,
        value.length,
        diagnosis,
        diagnosis.length,
      );
      this.core.check('drmaa_get_attribute', rc, diagnosis);
      if (!mayBeTruncated(value) || size >= MAX_VALUE_BUFFER) return cString(value);
    }
  }

  setVector(name: string, values: readonly string[]): void {
    checkCString(name, 'attribute name');
    for (const [i, v] of values.entries()) checkCString(v, `${name}[${i}]`);
    const diagnosis = outBuffer();
    const rc = this.core.fn('drmaa_set_vector_attribute')(
      this.live('drmaa_set_vector_attribute'),
      name,
      [...values, null],
      diagnosis,
      diagnosis.length,
    );
    this.core.check('drmaa_set_vector_attribute', rc, diagnosis);
  }

  getVector(name: string): string[] {
    checkCString(name, 'attribute name');
    for (let size = DRMAA_BUFFER; ; size *= 16) {
      const out: PointerOut = [null];
      const diagnosis = outBuffer();
      const rc = this.core.fn('drmaa_get_vector_attribute')(
        this.live('drmaa_get_vector_attribute'),
        name,
        out,
        diagnosis,
        diagnosis.length,
      );
      this.core.check('drmaa_get_vector_attribute', rc, diagnosis);
      if (out[0] === null) return [];
      const { items, truncated } = this.core.drain('values', out[0], size);
      if (!truncated || size >= MAX_VALUE_BUFFER) return items;
    }
  }

  /** The scalar attribute names this library knows (the same for every template). */
  attributeNames(): string[] {
    return this.core.attributeNames(false);
  }

  vectorAttributeNames(): string[] {
    return this.core.attributeNames(true);
  }

  /** Frees the template; with a submission still running on it, once that one is done. Idempotent. */
  delete(): void {
    if (this.deleteRequested) return;
    this.deleteRequested = true;
    if (this.inUse === 0) this.free();
  }

  /** @internal Lends the C pointer to a call on a worker thread, keeping it alive until the call is over. */
  async lend<T>(call: string, use: (pointer: Pointer) => Promise<T>): Promise<T> {
    const pointer = this.live(call);
    this.inUse++;
    try {
      return await use(pointer);
    } finally {
      this.inUse--;
      if (this.deleteRequested && this.inUse === 0) this.free();
    }
  }

  private free(): void {
    const pointer = this.pointer;
    if (pointer === null) return;
    this.pointer = null;
    const diagnosis = outBuffer();
    const rc = this.core.fn('drmaa_delete_job_template')(pointer, diagnosis, diagnosis.length);
    this.core.check('drmaa_delete_job_template', rc, diagnosis);
  }

  private live(call: string): Pointer {
    if (this.pointer === null || this.deleteRequested) {
      throw new DrmaaLibraryError(
        { call, errno: DRMAA1_ERRNO.INVALID_ARGUMENT, drmaa1Name: 'INVALID_ARGUMENT', diagnosis: '' },
        `${call}: this job template was deleted; allocate a new one with allocateJobTemplate()`,
      );
    }
    return this.pointer;
  }
}
