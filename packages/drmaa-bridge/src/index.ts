/**
 * @godocker/drmaa-bridge — GoDocker and DRMAA 1.0, both ways.
 *
 * - `build/libdrmaa.so` (the C library in `c/`): HPC tools that speak DRMAA 1.0
 *   submit to GoDocker unchanged (`DRMAA_LIBRARY_PATH=.../libdrmaa.so`).
 * - `loadDrmaa()`: any vendor's `libdrmaa.so` from Node, with typed wrappers and errors.
 * - `createDrmaaForwardExecutor`: the `drmaa-forward` executor, which runs GoDocker
 *   jobs on another DRMAA system (Grid Engine, Slurm, another GoDocker) through it.
 *
 * ```ts
 * import { loadDrmaa, JOB_IDS_SESSION_ANY } from '@godocker/drmaa-bridge';
 * const lib = loadDrmaa('/usr/lib/gridengine-drmaa/lib/libdrmaa.so');
 * await lib.init();
 * const jt = lib.allocateJobTemplate();
 * jt.set('drmaa_remote_command', '/bin/hostname');
 * await lib.runJob(jt);
 * jt.delete();
 * console.log(await lib.wait(JOB_IDS_SESSION_ANY, -1));
 * await lib.exit();
 * ```
 */
export { DrmaaLibrary, JOB_IDS_SESSION_ALL, JOB_IDS_SESSION_ANY, loadDrmaa } from './drmaa-library.js';
export { createDrmaaForwardExecutor, type DrmaaForwardOptions } from './forward/drmaa-forward-executor.js';
export { JobTemplate } from './job-template.js';
export {
  type DrmaaCallError,
  type DrmaaCallFailure,
  DrmaaLibraryError,
  DrmaaLoadError,
  drmaaCallError,
  isDrmaaCallError,
} from './library-errors.js';
export type { WaitResult } from './wait-result.js';
