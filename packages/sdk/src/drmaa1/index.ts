/**
 * The DRMAA 1.0 facade: `drmaa1.Session` with the C binding's semantics, its
 * constants, job template and errors under their DRMAA names.
 *
 * ```ts
 * import { drmaa1 } from '@godocker/sdk';
 * const s = new drmaa1.Session();
 * await s.init();
 * const ids = await s.runBulkJobs({ remoteCommand: '/bin/true' }, 1, 10, 1);
 * await s.synchronize([drmaa1.SESSION_ALL], drmaa1.TIMEOUT_WAIT_FOREVER, true);
 * await s.exit();
 * ```
 */
export {
  AlreadyActiveSessionError,
  type ControlAction,
  DRMAA1_ERRNO,
  type Drmaa1ErrorName,
  InconsistentStateError,
  InvalidContactStringError,
  InvalidJobError,
  NoActiveSessionError,
  UnsupportedAttributeError,
  WaitTimeoutError as ExitTimeoutError,
} from '../drmaa-errors.js';
export { DRMAA1_STATE, type Drmaa1State } from '../states.js';
export {
  C_ATTRIBUTES,
  C_VECTOR_ATTRIBUTES,
  type CAttributeName,
  type CAttributeOptions,
  type CVectorAttributeName,
  cNameOf,
  fromCAttributes,
  inCTerms,
  toCAttributes,
} from './c-attributes.js';
export {
  JobControlAction,
  JobSubmissionState,
  type JobSubmissionStateValue,
  PLACEHOLDER_HOME_DIRECTORY,
  PLACEHOLDER_PARAMETRIC_INDEX,
  PLACEHOLDER_WORKING_DIRECTORY,
  SESSION_ALL,
  SESSION_ANY,
  TIMEOUT_NO_WAIT,
  TIMEOUT_WAIT_FOREVER,
} from './constants.js';
export { type JobInfo, jobInfoOf } from './job-info.js';
export { type JobTemplate, toDrmaa2Template } from './job-template.js';
export { parseNativeSpecification } from './native-specification.js';
export { Session, type SessionOptions } from './session.js';
