/**
 * `loadDrmaa()`: any DRMAA 1.0 `libdrmaa.so` (GoDocker's, Grid Engine's,
 * Slurm's) as a typed object. Calls that may wait on the DRM system (init, exit,
 * submission, control, job_ps, wait, synchronize, the DRM system's name) run on
 * koffi worker threads and return promises, so the event loop goes on meanwhile;
 * the local ones (templates, version, contact) are plain calls.
 *
 * ```ts
 * const lib = loadDrmaa(); // DRMAA_LIBRARY_PATH
 * await lib.init();
 * const jt = lib.allocateJobTemplate();
 * jt.set('drmaa_remote_command', '/bin/true');
 * const id = await lib.runJob(jt);
 * jt.delete();
 * const end = await lib.wait(id, TIMEOUT_WAIT_FOREVER);
 * console.log(end.exited, end.exitStatus, end.rusage);
 * await lib.exit();
 * ```
 *
 * DRMAA 1.0 allows one session per process and library: a second `init()`
 * before `exit()` fails with AlreadyActiveSessionError.
 */
import { type ControlAction, DRMAA1_ERRNO, type Drmaa1State, ValidationError } from '@godocker/sdk';
import { checkCString, cString, outBuffer } from './c-strings.js';
import type { IntOut, PointerOut } from './drmaa-abi.js';
import { JobTemplate } from './job-template.js';
import { LibraryCore } from './library-core.js';
import { DrmaaLoadError } from './library-errors.js';
import { decodeStat, type WaitResult } from './wait-result.js';

/** As a job id: every job of the session (`control`, `synchronize`). */
export const JOB_IDS_SESSION_ALL = 'DRMAA_JOB_IDS_SESSION_ALL';
/** As a job id: whichever job of the session ends first (`wait`). */
export const JOB_IDS_SESSION_ANY = 'DRMAA_JOB_IDS_SESSION_ANY';

/** `drmaa_control` action numbers of the C binding. */
const ACTIONS: Record<ControlAction, number> = { SUSPEND: 0, RESUME: 1, HOLD: 2, RELEASE: 3, TERMINATE: 4 };

/** `drmaa_job_ps` numbers of the C binding. */
const STATES = new Map<number, Drmaa1State>([
  [0x00, 'UNDETERMINED'],
  [0x10, 'QUEUED_ACTIVE'],
  [0x11, 'SYSTEM_ON_HOLD'],
  [0x12, 'USER_ON_HOLD'],
  [0x13, 'USER_SYSTEM_ON_HOLD'],
  [0x20, 'RUNNING'],
  [0x21, 'SYSTEM_SUSPENDED'],
  [0x22, 'USER_SUSPENDED'],
  [0x23, 'USER_SYSTEM_SUSPENDED'],
  [0x30, 'DONE'],
  [0x40, 'FAILED'],
]);

/** Rusage lists are read in one pass (a wait cannot be asked twice): room for long values. */
const RUSAGE_BUFFER = 64 * 1024;

/** DRMAA timeouts are whole seconds: -1 (or Infinity) waits for ever, 0 only looks. */
function cTimeout(seconds: number): number {
  if (seconds === Number.POSITIVE_INFINITY || seconds === -1) return -1;
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new ValidationError(`timeout must be seconds ≥ 0, or -1 (TIMEOUT_WAIT_FOREVER); got ${String(seconds)}`, 'timeout');
  }
  return Math.ceil(seconds);
}

function checkJobId(jobId: string): void {
  if (typeof jobId !== 'string' || jobId === '') throw new ValidationError('job id must be a non-empty string', 'jobId');
  checkCString(jobId, 'job id');
}

export class DrmaaLibrary {
  private readonly core: LibraryCore;

  /** @internal Use `loadDrmaa()`. */
  constructor(core: LibraryCore) {
    this.core = core;
  }

  /** The file the library was loaded from. */
  get path(): string {
    return this.core.path;
  }

  /** Opens the process's session: `contact` as the library understands it; null or absent for its default. */
  async init(contact?: string | null): Promise<void> {
    if (contact != null) checkCString(contact, 'contact');
    const diagnosis = outBuffer();
    const rc = await this.core.onWorker(this.core.fn('drmaa_init'), contact ?? null, diagnosis, diagnosis.length);
    this.core.check('drmaa_init', rc, diagnosis);
  }

  /** Ends this process's use of the session; its jobs go on (and can be reattached with `contact()`). */
  async exit(): Promise<void> {
    const diagnosis = outBuffer();
    const rc = await this.core.onWorker(this.core.fn('drmaa_exit'), diagnosis, diagnosis.length);
    this.core.check('drmaa_exit', rc, diagnosis);
  }

  allocateJobTemplate(): JobTemplate {
    const out: PointerOut = [null];
    const diagnosis = outBuffer();
    const rc = this.core.fn('drmaa_allocate_job_template')(out, diagnosis, diagnosis.length);
    this.core.check('drmaa_allocate_job_template', rc, diagnosis);
    if (out[0] === null)
      throw new DrmaaLoadError(this.path, `${this.path}: drmaa_allocate_job_template succeeded but gave no template`);
    return new JobTemplate(this.core, out[0]);
  }

  /** The scalar job template attributes the library supports. */
  attributeNames(): string[] {
    return this.core.attributeNames(false);
  }

  /** The vector job template attributes the library supports. */
  vectorAttributeNames(): string[] {
    return this.core.attributeNames(true);
  }

  async runJob(template: JobTemplate): Promise<string> {
    return template.lend('drmaa_run_job', async (jt) => {
      const jobId = outBuffer();
      const diagnosis = outBuffer();
      const fn = this.core.fn('drmaa_run_job');
      const rc = await this.core.onWorker(fn, jobId, jobId.length, jt, diagnosis, diagnosis.length);
      this.core.check('drmaa_run_job', rc, diagnosis);
      return cString(jobId);
    });
  }

  /** Task ids in index order: start, start + incr, ... ≤ end. */
  async runBulkJobs(template: JobTemplate, start: number, end: number, incr: number): Promise<string[]> {
    for (const [name, value] of Object.entries({ start, end, incr })) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new ValidationError(`runBulkJobs ${name} must be an integer ≥ 1, got ${String(value)}`, name);
      }
    }
    return template.lend('drmaa_run_bulk_jobs', async (jt) => {
      const out: PointerOut = [null];
      const diagnosis = outBuffer();
      const fn = this.core.fn('drmaa_run_bulk_jobs');
      const rc = await this.core.onWorker(fn, out, jt, start, end, incr, diagnosis, diagnosis.length);
      this.core.check('drmaa_run_bulk_jobs', rc, diagnosis);
      return out[0] === null ? [] : this.core.drain('jobIds', out[0]).items;
    });
  }

  /** `jobId` may be JOB_IDS_SESSION_ALL. */
  async control(jobId: string, action: ControlAction): Promise<void> {
    checkJobId(jobId);
    const number = ACTIONS[action];
    if (number === undefined) {
      throw new ValidationError(`unknown control action ${String(action)}: use ${Object.keys(ACTIONS).join(', ')}`, 'action');
    }
    const diagnosis = outBuffer();
    const rc = await this.core.onWorker(this.core.fn('drmaa_control'), jobId, number, diagnosis, diagnosis.length);
    this.core.check('drmaa_control', rc, diagnosis, { jobId, action });
  }

  /**
   * Waits until every job of `jobIds` (or JOB_IDS_SESSION_ALL) has ended; `dispose`
   * reaps them. Fails with ExitTimeoutError (EXIT_TIMEOUT) when time runs out.
   */
  async synchronize(jobIds: readonly string[], timeoutSeconds: number, dispose: boolean): Promise<void> {
    jobIds.forEach(checkJobId);
    const timeout = cTimeout(timeoutSeconds);
    const diagnosis = outBuffer();
    const fn = this.core.fn('drmaa_synchronize');
    const rc = await this.core.onWorker(fn, [...jobIds, null], timeout, dispose ? 1 : 0, diagnosis, diagnosis.length);
    this.core.check('drmaa_synchronize', rc, diagnosis);
  }

  /**
   * Waits for the end of `jobId` (or JOB_IDS_SESSION_ANY) and reaps it. Fails with
   * ExitTimeoutError when time runs out, InvalidJobError for an unknown or reaped job.
   */
  async wait(jobId: string, timeoutSeconds: number): Promise<WaitResult> {
    checkJobId(jobId);
    const timeout = cTimeout(timeoutSeconds);
    const jobIdOut = outBuffer();
    const stat: IntOut = [0];
    const rusage: PointerOut = [null];
    const diagnosis = outBuffer();
    const fn = this.core.fn('drmaa_wait');
    const rc = await this.core.onWorker(fn, jobId, jobIdOut, jobIdOut.length, stat, timeout, rusage, diagnosis, diagnosis.length);
    // NO_RUSAGE: the job did end and was reaped, only its usage is unknown.
    if (rc !== DRMAA1_ERRNO.NO_RUSAGE) this.core.check('drmaa_wait', rc, diagnosis, { jobId });
    const entries = rusage[0] === null ? [] : this.core.drain('values', rusage[0], RUSAGE_BUFFER).items;
    return decodeStat(this.core, cString(jobIdOut), stat[0], entries);
  }

  /** The job's state under its DRMAA name; any job the user may see, not only this session's. */
  async jobPs(jobId: string): Promise<Drmaa1State> {
    checkJobId(jobId);
    const state: IntOut = [0];
    const diagnosis = outBuffer();
    const rc = await this.core.onWorker(this.core.fn('drmaa_job_ps'), jobId, state, diagnosis, diagnosis.length);
    this.core.check('drmaa_job_ps', rc, diagnosis, { jobId });
    return STATES.get(state[0]) ?? 'UNDETERMINED';
  }

  /** The DRMAA version the library implements (1.0). */
  version(): { major: number; minor: number } {
    const major: IntOut = [0];
    const minor: IntOut = [0];
    const diagnosis = outBuffer();
    this.core.check('drmaa_version', this.core.fn('drmaa_version')(major, minor, diagnosis, diagnosis.length), diagnosis);
    return { major: major[0], minor: minor[0] };
  }

  /** The session's contact string (to reattach with `init(contact)`), or the default before `init()`. */
  contact(): string {
    return this.text('drmaa_get_contact');
  }

  /** The DRM system's name and version; it may ask the DRM, hence a promise. */
  async drmSystem(): Promise<string> {
    const value = outBuffer();
    const diagnosis = outBuffer();
    const fn = this.core.fn('drmaa_get_DRM_system');
    const rc = await this.core.onWorker(fn, value, value.length, diagnosis, diagnosis.length);
    this.core.check('drmaa_get_DRM_system', rc, diagnosis);
    return cString(value);
  }

  drmaaImplementation(): string {
    return this.text('drmaa_get_DRMAA_implementation');
  }

  /** The standard's message for an error number, as the library words it; null if it has none. */
  strerror(errno: number): string | null {
    return this.core.strerror(errno);
  }

  private text(call: 'drmaa_get_contact' | 'drmaa_get_DRMAA_implementation'): string {
    const value = outBuffer();
    const diagnosis = outBuffer();
    this.core.check(call, this.core.fn(call)(value, value.length, diagnosis, diagnosis.length), diagnosis);
    return cString(value);
  }
}

/**
 * Loads a DRMAA 1.0 library: `path`, else DRMAA_LIBRARY_PATH (as Python's `drmaa`
 * and every DRMAA tool read it). Throws DrmaaLoadError when neither names a
 * loadable library.
 */
export function loadDrmaa(path?: string, env: NodeJS.ProcessEnv = process.env): DrmaaLibrary {
  const file = path ?? env.DRMAA_LIBRARY_PATH;
  if (file === undefined || file === '') {
    throw new DrmaaLoadError('', 'no DRMAA library given: pass its path to loadDrmaa() or set DRMAA_LIBRARY_PATH');
  }
  return new DrmaaLibrary(new LibraryCore(file));
}
