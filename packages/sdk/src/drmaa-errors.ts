/**
 * The errors of the DRMAA layers, and the table that names every GoDocker error
 * code in DRMAA 1 (`drmaa_errno`, the C binding's numbers) and DRMAA 2
 * (GFD.231 exceptions). The C library maps the same codes the same way.
 *
 * ```ts
 * try { await session.wait(id, 10); }
 * catch (e) { if (e instanceof drmaa1.ExitTimeoutError) ...; console.log(drmaaNames(e).drmaa1); }
 * ```
 */
import { type ErrorCode, ErrorCodes, GodockerError, NotFoundError } from './errors.js';

/** DRMAA 1.0 error names, without the `DRMAA_ERRNO_` prefix, and their numbers in the C binding. */
export const DRMAA1_ERRNO = {
  SUCCESS: 0,
  INTERNAL_ERROR: 1,
  DRM_COMMUNICATION_FAILURE: 2,
  AUTH_FAILURE: 3,
  INVALID_ARGUMENT: 4,
  NO_ACTIVE_SESSION: 5,
  NO_MEMORY: 6,
  INVALID_CONTACT_STRING: 7,
  DEFAULT_CONTACT_STRING_ERROR: 8,
  NO_DEFAULT_CONTACT_STRING_SELECTED: 9,
  DRMS_INIT_FAILED: 10,
  ALREADY_ACTIVE_SESSION: 11,
  DRMS_EXIT_ERROR: 12,
  INVALID_ATTRIBUTE_FORMAT: 13,
  INVALID_ATTRIBUTE_VALUE: 14,
  CONFLICTING_ATTRIBUTE_VALUES: 15,
  TRY_LATER: 16,
  DENIED_BY_DRM: 17,
  INVALID_JOB: 18,
  RESUME_INCONSISTENT_STATE: 19,
  SUSPEND_INCONSISTENT_STATE: 20,
  HOLD_INCONSISTENT_STATE: 21,
  RELEASE_INCONSISTENT_STATE: 22,
  EXIT_TIMEOUT: 23,
  NO_RUSAGE: 24,
  NO_MORE_ELEMENTS: 25,
} as const;
export type Drmaa1ErrorName = keyof typeof DRMAA1_ERRNO;

/** DRMAA 2 (GFD.231) exception names. */
export type Drmaa2ErrorName =
  | 'DeniedByDrmsException'
  | 'DrmCommunicationException'
  | 'TryLaterException'
  | 'TimeoutException'
  | 'InternalException'
  | 'InvalidArgumentException'
  | 'InvalidSessionException'
  | 'InvalidStateException'
  | 'OutOfResourceException'
  | 'UnsupportedAttributeException'
  | 'UnsupportedOperationException'
  | 'ImplementationSpecificException';

export interface DrmaaNames {
  drmaa1: Drmaa1ErrorName;
  /** `drmaa_errno` number of the DRMAA 1.0 C binding. */
  errno: number;
  drmaa2: Drmaa2ErrorName;
}

/** Every GoDocker error code with its DRMAA names: the table of the SDK's README. */
export const DRMAA_ERROR_TABLE: Readonly<Record<ErrorCode, { drmaa1: Drmaa1ErrorName; drmaa2: Drmaa2ErrorName }>> = {
  GOD_INVALID_REQUEST: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_UNAUTHENTICATED: { drmaa1: 'AUTH_FAILURE', drmaa2: 'DeniedByDrmsException' },
  GOD_FORBIDDEN: { drmaa1: 'AUTH_FAILURE', drmaa2: 'DeniedByDrmsException' },
  GOD_NOT_FOUND: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_JOB_NOT_FOUND: { drmaa1: 'INVALID_JOB', drmaa2: 'InvalidArgumentException' },
  GOD_SESSION_NOT_FOUND: { drmaa1: 'INVALID_CONTACT_STRING', drmaa2: 'InvalidSessionException' },
  GOD_INVALID_STATE: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidStateException' },
  GOD_IMAGE_NOT_ALLOWED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'DeniedByDrmsException' },
  GOD_VOLUME_NOT_ALLOWED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'DeniedByDrmsException' },
  GOD_ROOT_NOT_ALLOWED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'DeniedByDrmsException' },
  GOD_LIMIT_EXCEEDED: { drmaa1: 'INVALID_ATTRIBUTE_VALUE', drmaa2: 'InvalidArgumentException' },
  GOD_QUOTA_EXCEEDED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'OutOfResourceException' },
  GOD_PAYLOAD_TOO_LARGE: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_PATH_REFUSED: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_JOB_ARCHIVED: { drmaa1: 'INVALID_JOB', drmaa2: 'InvalidArgumentException' },
  GOD_WEBHOOK_TARGET_REFUSED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'DeniedByDrmsException' },
  GOD_CONFLICT: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_NOT_SUPPORTED: { drmaa1: 'DENIED_BY_DRM', drmaa2: 'UnsupportedOperationException' },
  GOD_CONFIG_INVALID: { drmaa1: 'INTERNAL_ERROR', drmaa2: 'InternalException' },
  GOD_EXECUTOR_ERROR: { drmaa1: 'INTERNAL_ERROR', drmaa2: 'InternalException' },
  GOD_EXECUTOR_UNAVAILABLE: { drmaa1: 'TRY_LATER', drmaa2: 'TryLaterException' },
  GOD_TASK_NOT_PLACED: { drmaa1: 'TRY_LATER', drmaa2: 'TryLaterException' },
  GOD_IDEMPOTENCY_KEY_REUSED: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'InvalidArgumentException' },
  GOD_UNAVAILABLE: { drmaa1: 'TRY_LATER', drmaa2: 'TryLaterException' },
  GOD_RATE_LIMITED: { drmaa1: 'TRY_LATER', drmaa2: 'TryLaterException' },
  GOD_CONNECTION_ERROR: { drmaa1: 'DRM_COMMUNICATION_FAILURE', drmaa2: 'DrmCommunicationException' },
  GOD_INTERNAL: { drmaa1: 'INTERNAL_ERROR', drmaa2: 'InternalException' },
  GOD_TIMEOUT: { drmaa1: 'EXIT_TIMEOUT', drmaa2: 'TimeoutException' },
  GOD_UNSUPPORTED_ATTRIBUTE: { drmaa1: 'INVALID_ARGUMENT', drmaa2: 'UnsupportedAttributeException' },
  GOD_NO_ACTIVE_SESSION: { drmaa1: 'NO_ACTIVE_SESSION', drmaa2: 'InvalidSessionException' },
  GOD_ALREADY_ACTIVE_SESSION: { drmaa1: 'ALREADY_ACTIVE_SESSION', drmaa2: 'InvalidSessionException' },
  GOD_INVALID_CONTACT: { drmaa1: 'INVALID_CONTACT_STRING', drmaa2: 'InvalidArgumentException' },
};

/** An error that names itself more precisely than its code does (one control action's inconsistent state). */
interface DrmaaNamed {
  readonly drmaa1Name?: Drmaa1ErrorName;
}

/** The DRMAA names of any error; what is not a GodockerError is DRMAA's internal error. */
export function drmaaNames(error: unknown): DrmaaNames {
  if (!GodockerError.is(error))
    return { drmaa1: 'INTERNAL_ERROR', errno: DRMAA1_ERRNO.INTERNAL_ERROR, drmaa2: 'InternalException' };
  const row = DRMAA_ERROR_TABLE[error.code] ?? DRMAA_ERROR_TABLE.GOD_INTERNAL;
  const drmaa1 = (error as DrmaaNamed).drmaa1Name ?? row.drmaa1;
  return { drmaa1, errno: DRMAA1_ERRNO[drmaa1], drmaa2: row.drmaa2 };
}

/** A wait or synchronize ran out of time before the jobs got there (DRMAA1 EXIT_TIMEOUT, DRMAA2 TimeoutException). */
export class WaitTimeoutError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.TIMEOUT, message);
    this.name = 'WaitTimeoutError';
  }
}

/** A job template field GoDocker cannot honour; it is refused, never silently ignored. */
export class UnsupportedAttributeError extends GodockerError {
  constructor(message: string, field: string) {
    super(ErrorCodes.UNSUPPORTED_ATTRIBUTE, message, { field });
    this.name = 'UnsupportedAttributeError';
  }
}

/** No such session on the server, or a session object that was closed. */
export class InvalidSessionError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.SESSION_NOT_FOUND, message);
    this.name = 'InvalidSessionError';
  }
}

/** DRMAA1: the job is unknown to the session, or a wait already reaped it. */
export class InvalidJobError extends NotFoundError {
  readonly jobId: string;
  constructor(jobId: string | number, message: string) {
    super(message, ErrorCodes.JOB_NOT_FOUND);
    this.name = 'InvalidJobError';
    this.jobId = String(jobId);
  }
}

/** DRMAA1: a call before `init()` or after `exit()`. */
export class NoActiveSessionError extends GodockerError {
  constructor(message = 'no active DRMAA session: call init() first') {
    super(ErrorCodes.NO_ACTIVE_SESSION, message);
    this.name = 'NoActiveSessionError';
  }
}

/** DRMAA1: `init()` while a session is active. */
export class AlreadyActiveSessionError extends GodockerError {
  constructor(message = 'a DRMAA session is already active: call exit() before init() again') {
    super(ErrorCodes.ALREADY_ACTIVE_SESSION, message);
    this.name = 'AlreadyActiveSessionError';
  }
}

/** DRMAA1: a contact string that names no daemon or session this SDK can reach. */
export class InvalidContactStringError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_CONTACT, message);
    this.name = 'InvalidContactStringError';
  }
}

export type ControlAction = 'SUSPEND' | 'RESUME' | 'HOLD' | 'RELEASE' | 'TERMINATE';

/** DRMAA1: the job is not in a state the control action applies to (e.g. resuming a running job). */
export class InconsistentStateError extends GodockerError implements DrmaaNamed {
  readonly action: ControlAction;
  readonly drmaa1Name: Drmaa1ErrorName;
  constructor(action: Exclude<ControlAction, 'TERMINATE'>, message: string) {
    super(ErrorCodes.INVALID_STATE, message);
    this.name = 'InconsistentStateError';
    this.action = action;
    this.drmaa1Name = `${action}_INCONSISTENT_STATE`;
  }
}
