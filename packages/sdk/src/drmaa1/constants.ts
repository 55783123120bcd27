/**
 * The constants of the DRMAA 1.0 binding: the special job ids, timeouts, control
 * actions, submission states and path placeholders.
 */

export type { ControlAction } from '../drmaa-errors.js';
export { TIMEOUT_NO_WAIT, TIMEOUT_WAIT_FOREVER } from '../drmaa-timeouts.js';

/** As a job id: every job of the session (`control`, `synchronize`). */
export const SESSION_ALL = 'DRMAA_JOB_IDS_SESSION_ALL';
/** As a job id: whichever job of the session ends first (`wait`). */
export const SESSION_ANY = 'DRMAA_JOB_IDS_SESSION_ANY';

/** `control()` actions. */
export const JobControlAction = {
  SUSPEND: 'SUSPEND',
  RESUME: 'RESUME',
  HOLD: 'HOLD',
  RELEASE: 'RELEASE',
  TERMINATE: 'TERMINATE',
} as const;

/** `jobSubmissionState` values of a job template (`drmaa_hold`, `drmaa_active` in the C binding). */
export const JobSubmissionState = { HOLD_STATE: 'drmaa_hold', ACTIVE_STATE: 'drmaa_active' } as const;
export type JobSubmissionStateValue = (typeof JobSubmissionState)[keyof typeof JobSubmissionState];

/** Path placeholders: the user's home, the job's working directory, a bulk job's task index. */
export const PLACEHOLDER_HOME_DIRECTORY = '$drmaa_hd_ph$';
export const PLACEHOLDER_WORKING_DIRECTORY = '$drmaa_wd_ph$';
export const PLACEHOLDER_PARAMETRIC_INDEX = '$drmaa_incr_ph$';
