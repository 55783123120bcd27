"""The synchronous client.

>>> import godocker
>>> with godocker.Client() as gd:                       # GODOCKER_URL/TOKEN or `godocker login`
...     job = gd.submit("echo hello", cpu=0.5, ram="256M", image="local/busybox:latest")
...     ended = gd.wait(job["id"])["job"]
...     print(ended["status"]["exitCode"], gd.logs(job["id"]))
"""

from __future__ import annotations

import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

import httpx

from . import _calls as calls
from ._calls import Call, JobId
from .connection import API_PREFIX
from .errors import ErrorCode, GodockerConnectionError, GodockerError
from .session import JobSession
from .submission import build_submission
from .types import (
    Job,
    JobAction,
    JobList,
    LogStream,
    Session,
    SessionWaitResult,
    WaitFor,
    WaitManyResult,
    WaitResult,
)


class Client:
    """A client of one GoDocker daemon. Every method raises the typed errors of :mod:`godocker.errors`.

    ``url`` and ``token`` default to ``GODOCKER_URL``/``GODOCKER_TOKEN``, then the CLI's saved login.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        env: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        conn, headers = calls.connect(url, token, env)
        self.url = conn.url
        self.token = conn.token
        self._http = httpx.Client(
            base_url=conn.url + API_PREFIX, headers=headers, timeout=timeout, transport=transport
        )

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, call: Call) -> Any:
        try:
            response = self._http.request(
                call.method,
                call.path,
                params=call.params or None,
                json=call.body,
                headers=call.headers or None,
                timeout=calls.timeout_of(call, self._http.timeout),
            )
        except httpx.TransportError as e:
            raise calls.connection_error(self.url, e) from e
        return calls.decode(response)

    # -- jobs -------------------------------------------------------------------------------

    def submit(self, script: Optional[str] = None, *, idempotency_key: Optional[str] = None, **fields: Any) -> Job:
        """Submits one job (or an array: the parent comes back). Keywords: see :func:`godocker.build_submission`.

        It is sent again once after a network failure with the same Idempotency-Key, so a lost
        answer never makes a second job.
        """
        call = calls.submit(build_submission(script, **fields), idempotency_key)
        try:
            job: Job = self._send(call)
        except GodockerConnectionError:
            job = self._send(call)
        return job

    def submit_batch(self, submissions: Sequence[Mapping[str, Any]], *, idempotency_key: Optional[str] = None) -> List[Job]:
        """Several jobs in one request (all stored, or none and the error names the bad one)."""
        call = calls.submit({"jobs": [build_submission(submission=s) for s in submissions]}, idempotency_key, batch=True)
        try:
            result = self._send(call)
        except GodockerConnectionError:
            result = self._send(call)
        jobs: List[Job] = result["jobs"]
        return jobs

    def get_job(self, job_id: JobId) -> Job:
        job: Job = self._send(Call("GET", calls.job_path(job_id)))
        return job

    def explain(self, job_id: JobId) -> Dict[str, Any]:
        """Why it waits (with the numbers) or how it ended."""
        result: Dict[str, Any] = self._send(Call("GET", f"{calls.job_path(job_id)}/explain"))
        return result

    def list_jobs(self, **filters: Any) -> JobList:
        """One page, newest first. Filters: state, user, project, tag, name, session, parent, limit, cursor...;
        ``q`` searches every job on the server (its id, or text in its name, image, a tag, project or user), as
        ``godocker jobs --search`` does."""
        page: JobList = self._send(Call("GET", "/jobs", params=calls.query(filters)))
        return page

    def jobs(self, **filters: Any) -> Iterator[Job]:
        """Every matching job, newest first, fetching pages as the caller iterates."""
        cursor = filters.pop("cursor", None)
        while True:
            page = self.list_jobs(**filters, cursor=cursor)
            yield from page["jobs"]
            cursor = page["nextCursor"]
            if not cursor:
                return

    def action(self, job_id: JobId, action: JobAction) -> Job:
        job: Job = self._send(Call("POST", f"{calls.job_path(job_id)}/actions", body={"action": action}))
        return job

    def kill(self, job_id: JobId) -> Job:
        return self.action(job_id, "kill")

    def hold(self, job_id: JobId) -> Job:
        return self.action(job_id, "hold")

    def release(self, job_id: JobId) -> Job:
        return self.action(job_id, "release")

    def suspend(self, job_id: JobId) -> Job:
        return self.action(job_id, "suspend")

    def resume(self, job_id: JobId) -> Job:
        return self.action(job_id, "resume")

    def _poll(self, timeout: Optional[float], make: Any) -> Any:
        deadline = calls.deadline_of(timeout, time.monotonic())
        while True:
            seconds = calls.poll_seconds(deadline, time.monotonic())
            began = time.monotonic()
            result = self._send(make(seconds))
            pause = calls.poll_pause(result, seconds, deadline, began, time.monotonic())
            if pause is None:
                return result
            time.sleep(pause)

    def wait(self, job_id: JobId, timeout: Optional[float] = None, *, wait_for: WaitFor = "terminated") -> WaitResult:
        """Waits until the job has terminated (or started): a series of server long-polls, never a busy loop.

        ``timeout`` in seconds (None: forever); a timeout is an answer, ``timedOut`` says so.
        """
        result: WaitResult = self._poll(timeout, lambda s: calls.wait(job_id, s, wait_for))
        return result

    def wait_many(
        self,
        ids: Sequence[JobId],
        timeout: Optional[float] = None,
        *,
        mode: str = "all",
        wait_for: WaitFor = "terminated",
    ) -> WaitManyResult:
        """All (or ``mode="any"``: the first) of the jobs; ``ready`` lists those that got there."""
        result: WaitManyResult = self._poll(timeout, lambda s: calls.wait_many(ids, s, mode, wait_for))
        return result

    def run(self, script: Optional[str] = None, *, timeout: Optional[float] = None, **fields: Any) -> Job:
        """Submits, waits for the end, and raises :class:`JobFailedError` unless it ended done with exit 0."""
        job = self.submit(script, **fields)
        return calls.ended_ok(self.wait(job["id"], timeout), job["id"], timeout)

    def logs(self, job_id: JobId, stream: LogStream = "stdout") -> str:
        """The whole output so far."""
        try:
            response = self._http.get(f"{calls.job_path(job_id)}/logs/{stream}", headers={"accept": "text/plain"})
        except httpx.TransportError as e:
            raise calls.connection_error(self.url, e) from e
        calls.check(response)
        return response.text

    def follow_logs(self, job_id: JobId, stream: LogStream = "stdout") -> Iterator[str]:
        """The output chunk by chunk as it is written, until the job ends (reconnecting after a cut)."""
        follower = calls.LogFollower()
        while True:
            retry_ms: Optional[int] = None
            try:
                with self._http.stream(
                    "GET",
                    f"{calls.job_path(job_id)}/logs/{stream}",
                    params={"follow": "true"},
                    headers={"accept": "text/event-stream"},
                    timeout=httpx.Timeout(self._http.timeout.connect, read=None),
                ) as response:
                    calls.check(response)
                    follower.connected()
                    parser = calls.SseParser()
                    for chunk in response.iter_text():
                        for event, data in parser.push(chunk):
                            fresh = follower.on_event(event, data)
                            if fresh:
                                yield fresh
                            if follower.final is not None:
                                # A stream opened in the instant between start and task creation may have
                                # missed everything: the stored log settles it.
                                if follower.emitted == 0:
                                    whole = self.logs(job_id, stream)
                                    if whole:
                                        yield whole
                                return
                    retry_ms = parser.retry_ms
                follower.failures += 1  # closed without `end`: the daemon went away mid-stream
            except (httpx.TransportError, GodockerError) as e:
                if not calls.is_retryable(e):
                    raise
                follower.failures += 1
                if follower.failures > calls.MAX_LOG_RECONNECTS:
                    if isinstance(e, GodockerError):
                        raise
                    raise calls.connection_error(self.url, e) from e
            if follower.failures > calls.MAX_LOG_RECONNECTS:
                raise GodockerError(ErrorCode.UNAVAILABLE, f"the log stream of job {job_id} kept closing before the job ended")
            time.sleep(calls.backoff_seconds(follower.failures, retry_ms))

    # -- sessions (DRMAA) -------------------------------------------------------------------

    def create_session(self, name: Optional[str] = None) -> JobSession:
        """A job session kept by the server (a name is generated when not given); ConflictError if it exists."""
        body = {} if name is None else {"name": name}
        session: Session = self._send(Call("POST", "/sessions", body=body))
        return JobSession(self, session)

    def open_session(self, name: str) -> JobSession:
        """An existing session of the caller's, from any process; SessionNotFoundError if there is none."""
        session: Session = self._send(Call("GET", calls.session_path(name)))
        return JobSession(self, session)

    def list_sessions(self) -> List[Session]:
        sessions: List[Session] = self._send(Call("GET", "/sessions"))["sessions"]
        return sessions

    def delete_session(self, name: str) -> None:
        """Its jobs keep running and no longer belong to any session."""
        self._send(Call("DELETE", calls.session_path(name)))

    def wait_session(
        self,
        name: str,
        timeout: Optional[float] = None,
        *,
        ids: Optional[Sequence[JobId]] = None,
        mode: str = "all",
        wait_for: WaitFor = "terminated",
        reap: bool = False,
        skip_unknown: bool = False,
    ) -> SessionWaitResult:
        """DRMAA's wait on the session's (unreaped) jobs, reaping what it returns when asked."""
        result: SessionWaitResult = self._poll(
            timeout,
            lambda s: calls.wait_session(
                name, s, ids=ids, mode=mode, wait_for=wait_for, reap=reap, skip_unknown=skip_unknown
            ),
        )
        return result

    def session_action(self, name: str, action: JobAction) -> List[str]:
        """DRMAA's control(SESSION_ALL): the action on every active job of the session; the ids acted on."""
        ids: List[str] = self._send(Call("POST", f"{calls.session_path(name)}/actions", body={"action": action}))[
            "jobIds"
        ]
        return ids

    # -- the daemon -------------------------------------------------------------------------

    def info(self) -> Dict[str, Any]:
        """Version, executors, image and volume catalogues, limits, and who the caller is."""
        result: Dict[str, Any] = self._send(Call("GET", "/info"))
        return result

    def me(self) -> Dict[str, Any]:
        """The user the token belongs to: the way to check a token."""
        result: Dict[str, Any] = self._send(Call("GET", "/users/me"))
        return result
