"""Typed errors with the API's stable codes.

Every error the daemon answers is ``{"error": {"code": "GOD_...", "message": ..., "field": ...}}``
with an HTTP status; :func:`error_from_response` turns it into the class a caller can catch,
the same split as the TypeScript SDK (``packages/sdk/src/errors.ts``)::

    try:
        client.submit("echo hi", image="not/allowed")
    except godocker.ValidationError as e:
        print(e.code, e.field)  # GOD_IMAGE_NOT_ALLOWED container.image
"""

from __future__ import annotations

from typing import Any, Final, Mapping, Optional


class ErrorCode:
    """The codes of ``packages/sdk/src/errors.ts``, spelled the same."""

    INVALID_REQUEST: Final = "GOD_INVALID_REQUEST"
    UNAUTHENTICATED: Final = "GOD_UNAUTHENTICATED"
    FORBIDDEN: Final = "GOD_FORBIDDEN"
    NOT_FOUND: Final = "GOD_NOT_FOUND"
    JOB_NOT_FOUND: Final = "GOD_JOB_NOT_FOUND"
    SESSION_NOT_FOUND: Final = "GOD_SESSION_NOT_FOUND"
    INVALID_STATE: Final = "GOD_INVALID_STATE"
    IMAGE_NOT_ALLOWED: Final = "GOD_IMAGE_NOT_ALLOWED"
    VOLUME_NOT_ALLOWED: Final = "GOD_VOLUME_NOT_ALLOWED"
    ROOT_NOT_ALLOWED: Final = "GOD_ROOT_NOT_ALLOWED"
    LIMIT_EXCEEDED: Final = "GOD_LIMIT_EXCEEDED"
    QUOTA_EXCEEDED: Final = "GOD_QUOTA_EXCEEDED"
    PAYLOAD_TOO_LARGE: Final = "GOD_PAYLOAD_TOO_LARGE"
    PATH_REFUSED: Final = "GOD_PATH_REFUSED"
    JOB_ARCHIVED: Final = "GOD_JOB_ARCHIVED"
    CONFLICT: Final = "GOD_CONFLICT"
    NOT_SUPPORTED: Final = "GOD_NOT_SUPPORTED"
    IDEMPOTENCY_KEY_REUSED: Final = "GOD_IDEMPOTENCY_KEY_REUSED"
    CONFIG_INVALID: Final = "GOD_CONFIG_INVALID"
    EXECUTOR: Final = "GOD_EXECUTOR_ERROR"
    EXECUTOR_UNAVAILABLE: Final = "GOD_EXECUTOR_UNAVAILABLE"
    TASK_NOT_PLACED: Final = "GOD_TASK_NOT_PLACED"
    UNAVAILABLE: Final = "GOD_UNAVAILABLE"
    RATE_LIMITED: Final = "GOD_RATE_LIMITED"
    CONNECTION: Final = "GOD_CONNECTION_ERROR"
    INTERNAL: Final = "GOD_INTERNAL"
    TIMEOUT: Final = "GOD_TIMEOUT"


_KNOWN = frozenset(v for k, v in vars(ErrorCode).items() if k.isupper())


class GodockerError(Exception):
    """Any failure of a GoDocker call; ``code`` is stable, ``message`` says what to do."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: Optional[int] = None,
        field: Optional[str] = None,
        retry_after_seconds: Optional[float] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: The HTTP status the API answered with (None when no answer came).
        self.status = status
        #: Dotted path of the offending input (``requirements.cpu``), when one is to blame.
        self.field = field
        #: When asking again may succeed (the API's Retry-After on a 429 or 503).
        self.retry_after_seconds = retry_after_seconds

    def __str__(self) -> str:
        where = f" [{self.field}]" if self.field else ""
        return f"{self.code}: {self.message}{where}"


class ValidationError(GodockerError):
    """The request is wrong (a field, an image or volume not allowed, a limit): fix it and send again."""


class AuthenticationError(GodockerError):
    """No token, or one the daemon does not know (revoked, expired, mistyped)."""


class ForbiddenError(GodockerError):
    """Known caller, not allowed: an admin route, root refused, a quota."""


class NotFoundError(GodockerError):
    """No such job, session or object (or not the caller's)."""


class JobNotFoundError(NotFoundError):
    """No such job, or one the caller may not see."""


class SessionNotFoundError(NotFoundError):
    """No session of that name among the caller's."""


class InvalidStateError(GodockerError):
    """The action does not apply in the job's state (release a running job, kill an ended one)."""


class ConflictError(GodockerError):
    """Something of that name already exists, or the executor cannot do this action."""


class UnavailableError(GodockerError):
    """The daemon or its executor cannot answer now; ``retry_after_seconds`` may say when to try again."""


class GodockerConnectionError(UnavailableError):
    """No answer at all: the daemon is not reachable at the URL used."""


class JobFailedError(Exception):
    """A job ended failed, or done with a non-zero exit code: not an API error, the job's own end.

    Raised by :meth:`godocker.Client.run`; ``job`` is the final job, ``reason`` its sentence.
    """

    def __init__(self, job: Mapping[str, Any]) -> None:
        status = job["status"]
        self.job = job
        self.job_id: int = job["id"]
        self.state: str = status["state"]
        self.exit_code: Optional[int] = status["exitCode"]
        self.reason: str = status["reason"]
        super().__init__(f"job {self.job_id} ended {self.state} (exit code {self.exit_code}): {self.reason}")


_BY_CODE: Mapping[str, type] = {
    ErrorCode.INVALID_REQUEST: ValidationError,
    ErrorCode.IMAGE_NOT_ALLOWED: ValidationError,
    ErrorCode.VOLUME_NOT_ALLOWED: ValidationError,
    ErrorCode.LIMIT_EXCEEDED: ValidationError,
    ErrorCode.PATH_REFUSED: ValidationError,
    ErrorCode.PAYLOAD_TOO_LARGE: ValidationError,
    ErrorCode.UNAUTHENTICATED: AuthenticationError,
    ErrorCode.FORBIDDEN: ForbiddenError,
    ErrorCode.ROOT_NOT_ALLOWED: ForbiddenError,
    ErrorCode.QUOTA_EXCEEDED: ForbiddenError,
    ErrorCode.NOT_FOUND: NotFoundError,
    ErrorCode.JOB_NOT_FOUND: JobNotFoundError,
    ErrorCode.JOB_ARCHIVED: NotFoundError,
    ErrorCode.SESSION_NOT_FOUND: SessionNotFoundError,
    ErrorCode.INVALID_STATE: InvalidStateError,
    ErrorCode.CONFLICT: ConflictError,
    ErrorCode.NOT_SUPPORTED: ConflictError,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: ConflictError,
    ErrorCode.UNAVAILABLE: UnavailableError,
    ErrorCode.EXECUTOR_UNAVAILABLE: UnavailableError,
    ErrorCode.TASK_NOT_PLACED: UnavailableError,
    ErrorCode.RATE_LIMITED: UnavailableError,
}


def error_from_response(status: int, body: Any, retry_after: Optional[str] = None) -> GodockerError:
    """The typed error of an API error answer (a body that is not the API's still gives one)."""
    err = body.get("error") if isinstance(body, dict) else None
    err = err if isinstance(err, dict) else {}
    raw_code = err.get("code")
    if isinstance(raw_code, str) and raw_code in _KNOWN:
        code = raw_code
    else:
        code = ErrorCode.INTERNAL if status >= 500 else ErrorCode.INVALID_REQUEST
    message = err.get("message") if isinstance(err.get("message"), str) else f"HTTP {status}"
    field = err.get("field") if isinstance(err.get("field"), str) else None
    retry: Optional[float] = None
    if retry_after is not None:
        try:
            retry = float(retry_after)
        except ValueError:
            retry = None
    cls = _BY_CODE.get(code, GodockerError)
    error: GodockerError = cls(code, message, status=status, field=field, retry_after_seconds=retry)
    return error
