"""GoDocker's Python client: submit, watch and control jobs of a GoDocker daemon over REST API v1.

>>> import godocker
>>> with godocker.Client() as gd:          # GODOCKER_URL / GODOCKER_TOKEN, else `godocker login`
...     job = gd.run("echo hello", cpu=1, ram="512M", time_limit="10m")
...     print(gd.logs(job["id"]))

:class:`AsyncClient` has the same methods for asyncio. Errors are the classes of
:mod:`godocker.errors`, each with the API's stable ``code`` (``GOD_...``).
"""

from .async_client import AsyncClient
from .client import Client
from .connection import DEFAULT_URL, Connection, load_login, login_file_path, normalize_base_url, resolve_connection
from .errors import (
    AuthenticationError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    GodockerConnectionError,
    GodockerError,
    InvalidStateError,
    JobFailedError,
    JobNotFoundError,
    NotFoundError,
    SessionNotFoundError,
    UnavailableError,
    ValidationError,
    error_from_response,
)
from .session import AsyncJobSession, JobSession
from .submission import build_submission, parse_duration, parse_memory
from .types import TERMINAL_STATES, Job, JobState, JobSubmission, is_terminal

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_URL",
    "TERMINAL_STATES",
    "AsyncClient",
    "AsyncJobSession",
    "AuthenticationError",
    "Client",
    "ConflictError",
    "Connection",
    "ErrorCode",
    "ForbiddenError",
    "GodockerConnectionError",
    "GodockerError",
    "InvalidStateError",
    "Job",
    "JobFailedError",
    "JobNotFoundError",
    "JobSession",
    "JobState",
    "JobSubmission",
    "NotFoundError",
    "SessionNotFoundError",
    "UnavailableError",
    "ValidationError",
    "build_submission",
    "error_from_response",
    "is_terminal",
    "load_login",
    "login_file_path",
    "normalize_base_url",
    "parse_duration",
    "parse_memory",
    "resolve_connection",
]
