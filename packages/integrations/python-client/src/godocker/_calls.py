"""The API calls as data, shared by the sync and the async client so the two cannot drift.

Each function returns a :class:`Call` (method, path, query, body); the clients only send it
and turn the answer into a value or a typed error.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import httpx

from .connection import Connection, resolve_connection
from .errors import ErrorCode, GodockerConnectionError, GodockerError, JobFailedError, error_from_response
from .types import Job

JobId = Union[int, str]

#: Longest single long-poll asked of the daemon (it holds 300 s at most); longer waits loop.
POLL_SECONDS = 240.0
#: Added to a long-poll's own duration for the HTTP read timeout: a busy daemon answers late.
POLL_MARGIN_SECONDS = 30.0
#: A poll answered "timed out" sooner than this is followed by a pause, so a wrong server cannot make us spin.
MIN_POLL_INTERVAL = 1.0
#: How many times a followed log reconnects in a row before giving up.
MAX_LOG_RECONNECTS = 5


@dataclass
class Call:
    method: str
    path: str
    params: Dict[str, Any] = field(default_factory=dict)
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    #: Read timeout for this call; None keeps the client's.
    read_timeout: Optional[float] = None


def connect(url: Optional[str], token: Optional[str], env: Optional[Mapping[str, str]]) -> Tuple[Connection, Dict[str, str]]:
    """The daemon, the token and the headers every request of a client carries."""
    conn = resolve_connection(url, token, env)
    headers = {"accept": "application/json", "user-agent": "godocker-python"}
    if conn.token:
        headers["authorization"] = f"Bearer {conn.token}"
    return conn, headers


def poll_pause(result: Mapping[str, Any], seconds: float, deadline: Optional[float], began: float, now: float) -> Optional[float]:
    """None when a long-poll's answer ends the wait; else how long to pause before the next one.

    A poll that timed out sooner than MIN_POLL_INTERVAL is followed by a pause, so a server that
    answers at once cannot make a client spin.
    """
    if not result["timedOut"] or seconds == 0 or (deadline is not None and now >= deadline):
        return None
    return max(0.0, min(seconds, MIN_POLL_INTERVAL) - (now - began))


def ended_ok(result: Mapping[str, Any], job_id: int, timeout: Optional[float]) -> Job:
    """The job of a finished wait, if it ended done with exit 0 (``run``); else the error saying how it ended."""
    if result["timedOut"]:
        raise GodockerError(ErrorCode.TIMEOUT, f"job {job_id} did not end within {timeout} s")
    ended: Job = result["job"]
    if ended["status"]["state"] != "done" or ended["status"]["exitCode"] != 0:
        raise JobFailedError(ended)
    return ended


def timeout_of(call: Call, client_timeout: httpx.Timeout) -> Any:
    """The client's timeouts, with a longer read for a long-poll (httpx's own default marker otherwise)."""
    if call.read_timeout is None:
        return httpx.USE_CLIENT_DEFAULT
    return httpx.Timeout(client_timeout.connect, read=call.read_timeout, write=client_timeout.write, pool=client_timeout.pool)


def job_path(job_id: JobId) -> str:
    return f"/jobs/{quote(str(job_id), safe='')}"


def session_path(name: str) -> str:
    return f"/sessions/{quote(name, safe='')}"


def query(values: Mapping[str, Any]) -> Dict[str, Any]:
    """Drops unset values; booleans as the API spells them."""
    out: Dict[str, Any] = {}
    for k, v in values.items():
        if v is None:
            continue
        out[k] = ("true" if v else "false") if isinstance(v, bool) else v
    return out


def submit(body: Mapping[str, Any], idempotency_key: Optional[str], batch: bool = False) -> Call:
    return Call(
        "POST",
        "/jobs/batch" if batch else "/jobs",
        body=body,
        headers={"idempotency-key": idempotency_key or str(uuid.uuid4())},
    )


def wait(job_id: JobId, seconds: float, wait_for: str) -> Call:
    return Call(
        "GET",
        f"{job_path(job_id)}/wait",
        params={"timeout": seconds, "for": wait_for},
        read_timeout=seconds + POLL_MARGIN_SECONDS,
    )


def wait_many(ids: Sequence[JobId], seconds: float, mode: str, wait_for: str) -> Call:
    return Call(
        "POST",
        "/jobs/wait",
        body={"ids": [int(i) for i in ids], "mode": mode, "for": wait_for, "timeout": seconds},
        read_timeout=seconds + POLL_MARGIN_SECONDS,
    )


def wait_session(
    name: str,
    seconds: float,
    *,
    ids: Optional[Sequence[JobId]],
    mode: str,
    wait_for: str,
    reap: bool,
    skip_unknown: bool,
) -> Call:
    body: Dict[str, Any] = {"mode": mode, "for": wait_for, "timeout": seconds}
    if ids is not None:
        body["ids"] = [int(i) for i in ids]
    if reap:
        body["reap"] = True
    if skip_unknown:
        body["skipUnknown"] = True
    return Call("POST", f"{session_path(name)}/wait", body=body, read_timeout=seconds + POLL_MARGIN_SECONDS)


def poll_seconds(deadline: Optional[float], now: float) -> float:
    """How long the next long-poll asks for: the time left, capped; forever is a series of caps."""
    if deadline is None:
        return POLL_SECONDS
    return round(max(0.0, min(POLL_SECONDS, deadline - now)), 3)


def deadline_of(timeout: Optional[float], now: float) -> Optional[float]:
    """None (or a negative timeout) waits forever; 0 only looks."""
    if timeout is None or timeout < 0 or timeout == float("inf"):
        return None
    return now + timeout


def connection_error(base_url: str, e: Exception) -> GodockerConnectionError:
    return GodockerConnectionError(
        ErrorCode.CONNECTION,
        f"cannot reach the GoDocker daemon at {base_url} ({type(e).__name__}: {e}): "
        "is it running? Set GODOCKER_URL or run `godocker login`",
    )


def check(response: httpx.Response) -> None:
    """Raises the typed error of an error answer (the body is read first for streamed answers)."""
    if response.status_code < 400:
        return
    try:
        body = json.loads(response.read() or b"null")
    except ValueError:
        body = None
    raise error_from_response(response.status_code, body, response.headers.get("retry-after"))


def decode(response: httpx.Response) -> Any:
    check(response)
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as e:
        raise GodockerError(
            ErrorCode.INTERNAL, f"the daemon answered {response.request.url} with something that is not JSON"
        ) from e


def is_retryable(e: BaseException) -> bool:
    """Reconnect a stream after a network failure or a 502/503/504, never after a 4xx."""
    if isinstance(e, GodockerError):
        return e.code in (ErrorCode.CONNECTION, ErrorCode.UNAVAILABLE) or e.status in (502, 503, 504)
    return isinstance(e, httpx.TransportError)


def backoff_seconds(failures: int, server_retry_ms: Optional[int]) -> float:
    if server_retry_ms is not None:
        return server_retry_ms / 1000
    return min(10.0, 0.25 * float(2 ** min(failures, 10)))


class LogFollower:
    """Turns the SSE events of ``/logs/STREAM?follow=true`` into new text, across reconnections.

    On a reconnection the daemon sends the log again from its start: the characters already
    given out are skipped, so a caller sees each character once.
    """

    def __init__(self) -> None:
        self.emitted = 0
        self.failures = 0
        self.final: Optional[Dict[str, Any]] = None
        self._seen = 0

    def connected(self) -> None:
        self._seen = 0

    def on_event(self, event: str, data: str) -> Optional[str]:
        if event == "end":
            self.final = json.loads(data)
            return None
        if event != "log":
            return None
        text: str = json.loads(data)["text"]
        skip = max(0, self.emitted - self._seen)
        self._seen += len(text)
        if skip >= len(text):
            return None
        fresh = text[skip:]
        self.emitted += len(fresh)
        self.failures = 0
        return fresh


class SseParser:
    """The WHATWG event-stream interpretation, fed text in chunks of any size."""

    def __init__(self) -> None:
        self.retry_ms: Optional[int] = None
        self._buffer = ""
        self._data: List[str] = []
        self._event = ""

    def push(self, chunk: str) -> List[Tuple[str, str]]:
        self._buffer += chunk
        out: List[Tuple[str, str]] = []
        while True:
            cut = _line_end(self._buffer)
            if cut is None:
                return out
            line, self._buffer = self._buffer[: cut[0]], self._buffer[cut[1] :]
            self._line(line, out)

    def _line(self, line: str, out: List[Tuple[str, str]]) -> None:
        if line == "":
            if self._data:
                out.append((self._event or "message", "\n".join(self._data)))
            self._data, self._event = [], ""
            return
        if line.startswith(":"):
            return
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)


def _line_end(buf: str) -> Optional[Tuple[int, int]]:
    """(end of the line, start of the next) for the first complete line, None if there is none yet."""
    for i, c in enumerate(buf):
        if c == "\n":
            return i, i + 1
        if c == "\r":
            if i + 1 == len(buf):
                return None  # maybe the first half of a CRLF: wait for the next chunk
            return i, i + 2 if buf[i + 1] == "\n" else i + 1
    return None
