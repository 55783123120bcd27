"""The asyncio client: the same calls as :class:`godocker.Client`, awaited.

>>> async with godocker.AsyncClient() as gd:
...     job = await gd.submit("sleep 5; echo done")
...     async for text in gd.follow_logs(job["id"]):
...         print(text, end="")
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, AsyncIterator, Dict, List, Mapping, Optional, Sequence

import httpx

from . import _calls as calls
from ._calls import Call, JobId
from .connection import API_PREFIX
from .errors import ErrorCode, GodockerConnectionError, GodockerError
from .session import AsyncJobSession
from .submission import build_submission
from .types import Job, JobAction, JobList, LogStream, Session, SessionWaitResult, WaitFor, WaitManyResult, WaitResult


class AsyncClient:
    """A client of one GoDocker daemon for asyncio code (Airflow triggers, web apps)."""

    def __init__(
        self,
        url: Optional[str] = None,
        token: Optional[str] = None,
        *,
        timeout: float = 30.0,
        env: Optional[Mapping[str, str]] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        conn, headers = calls.connect(url, token, env)
        self.url = conn.url
        self.token = conn.token
        self._http = httpx.AsyncClient(
            base_url=conn.url + API_PREFIX, headers=headers, timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, call: Call) -> Any:
        try:
            response = await self._http.request(
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

    async def submit(self, script: Optional[str] = None, *, idempotency_key: Optional[str] = None, **fields: Any) -> Job:
        call = calls.submit(build_submission(script, **fields), idempotency_key)
        try:
            job: Job = await self._send(call)
        except GodockerConnectionError:
            job = await self._send(call)
        return job

    async def get_job(self, job_id: JobId) -> Job:
        job: Job = await self._send(Call("GET", calls.job_path(job_id)))
        return job

    async def list_jobs(self, **filters: Any) -> JobList:
        page: JobList = await self._send(Call("GET", "/jobs", params=calls.query(filters)))
        return page

    async def jobs(self, **filters: Any) -> AsyncIterator[Job]:
        cursor = filters.pop("cursor", None)
        while True:
            page = await self.list_jobs(**filters, cursor=cursor)
            for job in page["jobs"]:
                yield job
            cursor = page["nextCursor"]
            if not cursor:
                return

    async def action(self, job_id: JobId, action: JobAction) -> Job:
        job: Job = await self._send(Call("POST", f"{calls.job_path(job_id)}/actions", body={"action": action}))
        return job

    async def kill(self, job_id: JobId) -> Job:
        return await self.action(job_id, "kill")

    async def hold(self, job_id: JobId) -> Job:
        return await self.action(job_id, "hold")

    async def release(self, job_id: JobId) -> Job:
        return await self.action(job_id, "release")

    async def suspend(self, job_id: JobId) -> Job:
        return await self.action(job_id, "suspend")

    async def resume(self, job_id: JobId) -> Job:
        return await self.action(job_id, "resume")

    async def _poll(self, timeout: Optional[float], make: Any) -> Any:
        deadline = calls.deadline_of(timeout, time.monotonic())
        while True:
            seconds = calls.poll_seconds(deadline, time.monotonic())
            began = time.monotonic()
            result = await self._send(make(seconds))
            pause = calls.poll_pause(result, seconds, deadline, began, time.monotonic())
            if pause is None:
                return result
            await asyncio.sleep(pause)

    async def wait(self, job_id: JobId, timeout: Optional[float] = None, *, wait_for: WaitFor = "terminated") -> WaitResult:
        result: WaitResult = await self._poll(timeout, lambda s: calls.wait(job_id, s, wait_for))
        return result

    async def wait_many(
        self, ids: Sequence[JobId], timeout: Optional[float] = None, *, mode: str = "all", wait_for: WaitFor = "terminated"
    ) -> WaitManyResult:
        result: WaitManyResult = await self._poll(timeout, lambda s: calls.wait_many(ids, s, mode, wait_for))
        return result

    async def run(self, script: Optional[str] = None, *, timeout: Optional[float] = None, **fields: Any) -> Job:
        job = await self.submit(script, **fields)
        return calls.ended_ok(await self.wait(job["id"], timeout), job["id"], timeout)

    async def logs(self, job_id: JobId, stream: LogStream = "stdout") -> str:
        try:
            response = await self._http.get(f"{calls.job_path(job_id)}/logs/{stream}", headers={"accept": "text/plain"})
        except httpx.TransportError as e:
            raise calls.connection_error(self.url, e) from e
        calls.check(response)
        return response.text

    async def follow_logs(self, job_id: JobId, stream: LogStream = "stdout") -> AsyncIterator[str]:
        follower = calls.LogFollower()
        while True:
            retry_ms: Optional[int] = None
            try:
                async with self._http.stream(
                    "GET",
                    f"{calls.job_path(job_id)}/logs/{stream}",
                    params={"follow": "true"},
                    headers={"accept": "text/event-stream"},
                    timeout=httpx.Timeout(self._http.timeout.connect, read=None),
                ) as response:
                    if response.status_code >= 400:
                        await response.aread()
                    calls.check(response)
                    follower.connected()
                    parser = calls.SseParser()
                    async for chunk in response.aiter_text():
                        for event, data in parser.push(chunk):
                            fresh = follower.on_event(event, data)
                            if fresh:
                                yield fresh
                            if follower.final is not None:
                                if follower.emitted == 0:
                                    whole = await self.logs(job_id, stream)
                                    if whole:
                                        yield whole
                                return
                    retry_ms = parser.retry_ms
                follower.failures += 1
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
            await asyncio.sleep(calls.backoff_seconds(follower.failures, retry_ms))

    async def create_session(self, name: Optional[str] = None) -> AsyncJobSession:
        session: Session = await self._send(Call("POST", "/sessions", body={} if name is None else {"name": name}))
        return AsyncJobSession(self, session)

    async def open_session(self, name: str) -> AsyncJobSession:
        session: Session = await self._send(Call("GET", calls.session_path(name)))
        return AsyncJobSession(self, session)

    async def list_sessions(self) -> List[Session]:
        sessions: List[Session] = (await self._send(Call("GET", "/sessions")))["sessions"]
        return sessions

    async def delete_session(self, name: str) -> None:
        await self._send(Call("DELETE", calls.session_path(name)))

    async def wait_session(
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
        result: SessionWaitResult = await self._poll(
            timeout,
            lambda s: calls.wait_session(
                name, s, ids=ids, mode=mode, wait_for=wait_for, reap=reap, skip_unknown=skip_unknown
            ),
        )
        return result

    async def session_action(self, name: str, action: JobAction) -> List[str]:
        ids: List[str] = (await self._send(Call("POST", f"{calls.session_path(name)}/actions", body={"action": action})))[
            "jobIds"
        ]
        return ids

    async def info(self) -> Dict[str, Any]:
        result: Dict[str, Any] = await self._send(Call("GET", "/info"))
        return result

    async def me(self) -> Dict[str, Any]:
        result: Dict[str, Any] = await self._send(Call("GET", "/users/me"))
        return result
