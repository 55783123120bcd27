/**
 * Typed errors with stable codes. The same codes travel in API error bodies
 * (`{"error": {"code", "message", "field"}}`), the SDK, the CLI and libdrmaa.
 */

const BRAND = Symbol.for('godocker.error');

export const ErrorCodes = {
  INVALID_REQUEST: 'GOD_INVALID_REQUEST',
  UNAUTHENTICATED: 'GOD_UNAUTHENTICATED',
  FORBIDDEN: 'GOD_FORBIDDEN',
  NOT_FOUND: 'GOD_NOT_FOUND',
  JOB_NOT_FOUND: 'GOD_JOB_NOT_FOUND',
  SESSION_NOT_FOUND: 'GOD_SESSION_NOT_FOUND',
  INVALID_STATE: 'GOD_INVALID_STATE',
  IMAGE_NOT_ALLOWED: 'GOD_IMAGE_NOT_ALLOWED',
  VOLUME_NOT_ALLOWED: 'GOD_VOLUME_NOT_ALLOWED',
  ROOT_NOT_ALLOWED: 'GOD_ROOT_NOT_ALLOWED',
  LIMIT_EXCEEDED: 'GOD_LIMIT_EXCEEDED',
  QUOTA_EXCEEDED: 'GOD_QUOTA_EXCEEDED',
  PAYLOAD_TOO_LARGE: 'GOD_PAYLOAD_TOO_LARGE',
  PATH_REFUSED: 'GOD_PATH_REFUSED',
  JOB_ARCHIVED: 'GOD_JOB_ARCHIVED',
  WEBHOOK_TARGET_REFUSED: 'GOD_WEBHOOK_TARGET_REFUSED',
  CONFLICT: 'GOD_CONFLICT',
  NOT_SUPPORTED: 'GOD_NOT_SUPPORTED',
  IDEMPOTENCY_KEY_REUSED: 'GOD_IDEMPOTENCY_KEY_REUSED',
  CONFIG_INVALID: 'GOD_CONFIG_INVALID',
  EXECUTOR: 'GOD_EXECUTOR_ERROR',
  EXECUTOR_UNAVAILABLE: 'GOD_EXECUTOR_UNAVAILABLE',
  TASK_NOT_PLACED: 'GOD_TASK_NOT_PLACED',
  UNAVAILABLE: 'GOD_UNAVAILABLE',
  RATE_LIMITED: 'GOD_RATE_LIMITED',
  CONNECTION: 'GOD_CONNECTION_ERROR',
  INTERNAL: 'GOD_INTERNAL',
  // Raised by the SDK itself (DRMAA semantics), never answered by the API.
  TIMEOUT: 'GOD_TIMEOUT',
  UNSUPPORTED_ATTRIBUTE: 'GOD_UNSUPPORTED_ATTRIBUTE',
  NO_ACTIVE_SESSION: 'GOD_NO_ACTIVE_SESSION',
  ALREADY_ACTIVE_SESSION: 'GOD_ALREADY_ACTIVE_SESSION',
  INVALID_CONTACT: 'GOD_INVALID_CONTACT',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const STATUS: Record<ErrorCode, number> = {
  GOD_INVALID_REQUEST: 400,
  GOD_UNAUTHENTICATED: 401,
  GOD_FORBIDDEN: 403,
  GOD_NOT_FOUND: 404,
  GOD_JOB_NOT_FOUND: 404,
  GOD_SESSION_NOT_FOUND: 404,
  GOD_INVALID_STATE: 409,
  GOD_IMAGE_NOT_ALLOWED: 400,
  GOD_VOLUME_NOT_ALLOWED: 400,
  GOD_ROOT_NOT_ALLOWED: 403,
  GOD_LIMIT_EXCEEDED: 400,
  GOD_QUOTA_EXCEEDED: 403,
  GOD_PAYLOAD_TOO_LARGE: 413,
  GOD_PATH_REFUSED: 400,
  GOD_JOB_ARCHIVED: 410,
  GOD_WEBHOOK_TARGET_REFUSED: 400,
  GOD_CONFLICT: 409,
  GOD_NOT_SUPPORTED: 409,
  GOD_IDEMPOTENCY_KEY_REUSED: 422,
  GOD_CONFIG_INVALID: 500,
  GOD_EXECUTOR_ERROR: 500,
  GOD_EXECUTOR_UNAVAILABLE: 503,
  GOD_TASK_NOT_PLACED: 503,
  GOD_UNAVAILABLE: 503,
  GOD_RATE_LIMITED: 429,
  GOD_CONNECTION_ERROR: 503,
  GOD_INTERNAL: 500,
  GOD_TIMEOUT: 408,
  GOD_UNSUPPORTED_ATTRIBUTE: 400,
  GOD_NO_ACTIVE_SESSION: 400,
  GOD_ALREADY_ACTIVE_SESSION: 409,
  GOD_INVALID_CONTACT: 400,
};

/** The JSON body of every API error. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export class GodockerError extends Error {
  readonly code: ErrorCode;
  /** HTTP status the API answers with. */
  readonly status: number;
  /** Dotted path of the offending input field, when one is to blame. */
  readonly field: string | undefined;
  /** When asking again may succeed (the API's Retry-After), for a 429 or a 503 that knows it. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; cause?: unknown; status?: number; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GodockerError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across two copies of this library (a plugin with its own node_modules). */
  static is(value: unknown): value is GodockerError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}

export class ValidationError extends GodockerError {
  constructor(message: string, field?: string, code: ErrorCode = ErrorCodes.INVALID_REQUEST) {
    super(code, message, field === undefined ? {} : { field });
    this.name = 'ValidationError';
  }
}

export class AuthenticationError extends GodockerError {
  constructor(message = 'missing or invalid token: send "Authorization: Bearer TOKEN" (see `godocker login`)') {
    super(ErrorCodes.UNAUTHENTICATED, message);
    this.name = 'AuthenticationError';
  }
}

export class ForbiddenError extends GodockerError {
  constructor(message: string, field?: string, code: ErrorCode = ErrorCodes.FORBIDDEN) {
    super(code, message, field === undefined ? {} : { field });
    this.name = 'ForbiddenError';
  }
}

export class NotFoundError extends GodockerError {
  constructor(message: string, code: ErrorCode = ErrorCodes.NOT_FOUND) {
    super(code, message);
    this.name = 'NotFoundError';
  }
}

export class JobNotFoundError extends NotFoundError {
  readonly jobId: number | string;
  constructor(jobId: number | string) {
    super(`job ${jobId} not found (or not yours): list your jobs with \`godocker jobs\``, ErrorCodes.JOB_NOT_FOUND);
    this.name = 'JobNotFoundError';
    this.jobId = jobId;
  }
}

/** The executor cannot do this action at all (Swarm cannot pause a service): refused before anything is done. */
export class NotSupportedError extends GodockerError {
  constructor(executor: string, action: string) {
    super(ErrorCodes.NOT_SUPPORTED, `the ${executor} executor cannot ${action}`);
    this.name = 'NotSupportedError';
  }
}

export class InvalidStateError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.INVALID_STATE, message);
    this.name = 'InvalidStateError';
  }
}

export class ConfigError extends GodockerError {
  constructor(message: string, field?: string) {
    super(ErrorCodes.CONFIG_INVALID, message, field === undefined ? {} : { field });
    this.name = 'ConfigError';
  }
}

export class ExecutorError extends GodockerError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.EXECUTOR, message, cause === undefined ? {} : { cause });
    this.name = 'ExecutorError';
  }
}

/**
 * The backend cannot be reached or cannot record anything right now (engine socket gone,
 * engine restarting, data folder read-only): a passing fault, not a fact about the job.
 * A start that fails with it never ran, so the job goes back to pending; a wait or a status
 * that fails with it leaves the job as it is, to be reconciled once the backend answers.
 */
export class ExecutorUnavailableError extends GodockerError {
  /**
   * Set when only this node's backend is away (one engine of several): the daemon marks that
   * node down and goes on with the others. Absent: nothing can be started anywhere.
   */
  readonly node: string | undefined;

  constructor(message: string, cause?: unknown, options: { node?: string } = {}) {
    super(ErrorCodes.EXECUTOR_UNAVAILABLE, message, cause === undefined ? {} : { cause });
    this.name = 'ExecutorUnavailableError';
    this.node = options.node;
  }
}

/**
 * The backend gave up placing a task the daemon sent to a node (a Kubernetes pod that stayed
 * unschedulable): nothing ran, and the executor has removed what it had made. The job goes back
 * to pending with this reason, without counting as a failure of its node.
 */
export class TaskNotPlacedError extends GodockerError {
  constructor(message: string) {
    super(ErrorCodes.TASK_NOT_PLACED, message);
    this.name = 'TaskNotPlacedError';
  }
}

export function isTaskNotPlaced(error: unknown): error is TaskNotPlacedError {
  return error instanceof GodockerError && error.code === ErrorCodes.TASK_NOT_PLACED;
}

export function isExecutorUnavailable(error: unknown): error is ExecutorUnavailableError {
  return error instanceof GodockerError && error.code === ErrorCodes.EXECUTOR_UNAVAILABLE;
}

export class ConnectionError extends GodockerError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCodes.CONNECTION, message, cause === undefined ? {} : { cause });
    this.name = 'ConnectionError';
  }
}

const KNOWN = new Set<string>(Object.values(ErrorCodes));

/** Rebuilds a typed error from an API error body (used by the HTTP client). */
export function errorFromBody(status: number, body: unknown): GodockerError {
  const e = (body as Partial<ErrorBody> | undefined)?.error;
  const code = (e && KNOWN.has(e.code) ? e.code : status >= 500 ? ErrorCodes.INTERNAL : ErrorCodes.INVALID_REQUEST) as ErrorCode;
  const message = e?.message ?? `HTTP ${status}`;
  const field = e?.field;
  switch (code) {
    case ErrorCodes.INVALID_REQUEST:
    case ErrorCodes.IMAGE_NOT_ALLOWED:
    case ErrorCodes.VOLUME_NOT_ALLOWED:
    case ErrorCodes.LIMIT_EXCEEDED:
    case ErrorCodes.UNSUPPORTED_ATTRIBUTE:
      return new ValidationError(message, field, code);
    case ErrorCodes.UNAUTHENTICATED:
      return new AuthenticationError(message);
    case ErrorCodes.FORBIDDEN:
    case ErrorCodes.ROOT_NOT_ALLOWED:
    case ErrorCodes.QUOTA_EXCEEDED:
      return new ForbiddenError(message, field, code);
    case ErrorCodes.NOT_FOUND:
    case ErrorCodes.JOB_NOT_FOUND:
    case ErrorCodes.SESSION_NOT_FOUND:
      return new NotFoundError(message, code);
    case ErrorCodes.INVALID_STATE:
      return new InvalidStateError(message);
    default:
      return new GodockerError(code, message, { status, ...(field ? { field } : {}) });
  }
}
