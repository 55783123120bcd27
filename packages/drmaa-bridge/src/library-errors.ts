/**
 * A failed call of a DRMAA library, as a typed error. Where the SDK has a class
 * for the failure (InvalidJobError, AlreadyActiveSessionError, ...) that class is
 * thrown, so code written against the SDK's `drmaa1.Session` catches the same
 * errors from any vendor's library; every error also carries the call, the
 * errno and its name, and the library's own `error_diagnosis`.
 *
 * ```ts
 * try { await lib.wait('42', 10); }
 * catch (e) { if (isDrmaaCallError(e)) console.log(e.drmaa1Name, e.diagnosis); }
 * ```
 */
import {
  AlreadyActiveSessionError,
  type ControlAction,
  DRMAA1_ERRNO,
  type Drmaa1ErrorName,
  type ErrorCode,
  ErrorCodes,
  GodockerError,
  InconsistentStateError,
  InvalidContactStringError,
  InvalidJobError,
  NoActiveSessionError,
  WaitTimeoutError,
} from '@godocker/sdk';

/** What every error thrown by a DrmaaLibrary call tells besides its class. */
export interface DrmaaCallFailure {
  /** The C function that failed, e.g. `drmaa_wait`. */
  readonly call: string;
  /** The `drmaa_errno` the library returned. */
  readonly errno: number;
  /** Its name without `DRMAA_ERRNO_`; INTERNAL_ERROR for a number outside the standard. */
  readonly drmaa1Name: Drmaa1ErrorName;
  /** The library's `error_diagnosis` text ("" when it wrote none). */
  readonly diagnosis: string;
}

export type DrmaaCallError = GodockerError & DrmaaCallFailure;

const NAMES = new Map<number, Drmaa1ErrorName>(
  (Object.entries(DRMAA1_ERRNO) as [Drmaa1ErrorName, number][]).map(([name, errno]) => [errno, name]),
);

/** GoDocker codes of the failures no SDK class stands for. */
const CODES: Partial<Record<Drmaa1ErrorName, ErrorCode>> = {
  DRM_COMMUNICATION_FAILURE: ErrorCodes.CONNECTION,
  DRMS_INIT_FAILED: ErrorCodes.CONNECTION,
  AUTH_FAILURE: ErrorCodes.UNAUTHENTICATED,
  INVALID_ARGUMENT: ErrorCodes.INVALID_REQUEST,
  INVALID_ATTRIBUTE_FORMAT: ErrorCodes.INVALID_REQUEST,
  INVALID_ATTRIBUTE_VALUE: ErrorCodes.INVALID_REQUEST,
  CONFLICTING_ATTRIBUTE_VALUES: ErrorCodes.INVALID_REQUEST,
  DEFAULT_CONTACT_STRING_ERROR: ErrorCodes.INVALID_CONTACT,
  NO_DEFAULT_CONTACT_STRING_SELECTED: ErrorCodes.INVALID_CONTACT,
  TRY_LATER: ErrorCodes.UNAVAILABLE,
  DENIED_BY_DRM: ErrorCodes.FORBIDDEN,
};

/** A failure of a DRMAA library that no SDK error class names (communication, denied, bad attribute...). */
export class DrmaaLibraryError extends GodockerError implements DrmaaCallFailure {
  readonly call: string;
  readonly errno: number;
  readonly drmaa1Name: Drmaa1ErrorName;
  readonly diagnosis: string;
  constructor(failure: DrmaaCallFailure, message: string) {
    super(CODES[failure.drmaa1Name] ?? ErrorCodes.INTERNAL, message);
    this.name = 'DrmaaLibraryError';
    this.call = failure.call;
    this.errno = failure.errno;
    this.drmaa1Name = failure.drmaa1Name;
    this.diagnosis = failure.diagnosis;
  }
}

/** The library file could not be loaded, or lacks a function that was called. */
export class DrmaaLoadError extends GodockerError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super(ErrorCodes.CONFIG_INVALID, message, cause === undefined ? {} : { cause });
    this.name = 'DrmaaLoadError';
    this.path = path;
  }
}

export interface CallContext {
  jobId?: string;
  action?: ControlAction;
}

const INCONSISTENT: Partial<Record<Drmaa1ErrorName, Exclude<ControlAction, 'TERMINATE'>>> = {
  SUSPEND_INCONSISTENT_STATE: 'SUSPEND',
  RESUME_INCONSISTENT_STATE: 'RESUME',
  HOLD_INCONSISTENT_STATE: 'HOLD',
  RELEASE_INCONSISTENT_STATE: 'RELEASE',
};

function sdkErrorFor(name: Drmaa1ErrorName, message: string, context: CallContext): GodockerError | null {
  const action = INCONSISTENT[name];
  if (action !== undefined) return new InconsistentStateError(action, message);
  switch (name) {
    case 'INVALID_JOB':
      return new InvalidJobError(context.jobId ?? '', message);
    case 'NO_ACTIVE_SESSION':
      return new NoActiveSessionError(message);
    case 'ALREADY_ACTIVE_SESSION':
      return new AlreadyActiveSessionError(message);
    case 'INVALID_CONTACT_STRING':
      return new InvalidContactStringError(message);
    case 'EXIT_TIMEOUT':
      return new WaitTimeoutError(message);
    default:
      return null;
  }
}

/**
 * The typed error of a call that returned `errno`; `strerror` is the library's
 * own text for the code, used when it wrote no diagnosis.
 */
export function drmaaCallError(
  call: string,
  errno: number,
  diagnosis: string,
  strerror: string | null,
  context: CallContext = {},
): DrmaaCallError {
  const drmaa1Name = NAMES.get(errno) ?? 'INTERNAL_ERROR';
  const failure: DrmaaCallFailure = { call, errno, drmaa1Name, diagnosis };
  const text = diagnosis !== '' ? diagnosis : (strerror ?? `error ${errno}`);
  const message = `${call} failed with DRMAA_ERRNO_${NAMES.get(errno) ?? errno}: ${text}`;
  const sdk = sdkErrorFor(drmaa1Name, message, context);
  if (sdk === null) return new DrmaaLibraryError(failure, message);
  // The SDK classes know nothing of C calls: the details ride along, read-only like their own fields.
  for (const [key, value] of Object.entries(failure)) {
    if (key === 'drmaa1Name' && sdk instanceof InconsistentStateError) continue;
    Object.defineProperty(sdk, key, { value, enumerable: true });
  }
  return sdk as DrmaaCallError;
}

/** True for every error a DrmaaLibrary call throws after the library answered. */
export function isDrmaaCallError(error: unknown): error is DrmaaCallError {
  return (
    GodockerError.is(error) &&
    typeof (error as Partial<DrmaaCallFailure>).call === 'string' &&
    typeof (error as Partial<DrmaaCallFailure>).errno === 'number'
  );
}
