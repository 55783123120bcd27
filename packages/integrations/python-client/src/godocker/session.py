"""DRMAA-style job sessions, kept by the server: any process that knows the name can open
the session again and see, control and wait on its jobs (``packages/sdk/src/drmaa2``).

>>> with godocker.Client() as gd:
...     s = gd.create_session("nightly")
...     a = s.run_job("echo a")
...     ended = s.wait_any(timeout=60)         # reaps the first job that ends
...     s.close()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Sequence

from ._calls import JobId
from .types import Job, JobAction, Session, SessionWaitResult

if TYPE_CHECKING:
    from .async_client import AsyncClient
    from .client import Client


class JobSession:
    """A named set of jobs of one user, kept by the daemon."""

    def __init__(self, client: "Client", session: Session) -> None:
        self._client = client
        self.name = session["name"]
        self.owner = session["user"]
        self.kind = session["kind"]

    def run_job(self, script: Optional[str] = None, **fields: Any) -> Job:
        """Submits a job in this session (keywords of :func:`godocker.build_submission`)."""
        return self._client.submit(script, session=self.name, **fields)

    def jobs(self, **filters: Any) -> List[Job]:
        """The session's jobs (``reaped=False``: only those no wait has reaped)."""
        return list(self._client.jobs(session=self.name, **filters))

    def wait_any(self, timeout: Optional[float] = None, *, ids: Optional[Sequence[JobId]] = None) -> SessionWaitResult:
        """DRMAA's wait(SESSION_ANY): the first of the jobs to end, reaped."""
        return self._client.wait_session(self.name, timeout, ids=ids, mode="any", reap=True)

    def wait_all(self, timeout: Optional[float] = None, *, ids: Optional[Sequence[JobId]] = None, reap: bool = True) -> SessionWaitResult:
        """DRMAA's synchronize: every job (or those given) ended; reaped unless ``reap=False``."""
        return self._client.wait_session(self.name, timeout, ids=ids, mode="all", reap=reap)

    def control(self, action: JobAction) -> List[str]:
        """The action on every active job of the session; the ids it was taken on."""
        return self._client.session_action(self.name, action)

    def close(self) -> None:
        """Deletes the session on the daemon; its jobs keep running."""
        self._client.delete_session(self.name)


class AsyncJobSession:
    """:class:`JobSession` for the :class:`godocker.AsyncClient`."""

    def __init__(self, client: "AsyncClient", session: Session) -> None:
        self._client = client
        self.name = session["name"]
        self.owner = session["user"]
        self.kind = session["kind"]

    async def run_job(self, script: Optional[str] = None, **fields: Any) -> Job:
        return await self._client.submit(script, session=self.name, **fields)

    async def jobs(self, **filters: Any) -> List[Job]:
        return [job async for job in self._client.jobs(session=self.name, **filters)]

    async def wait_any(self, timeout: Optional[float] = None, *, ids: Optional[Sequence[JobId]] = None) -> SessionWaitResult:
        return await self._client.wait_session(self.name, timeout, ids=ids, mode="any", reap=True)

    async def wait_all(
        self, timeout: Optional[float] = None, *, ids: Optional[Sequence[JobId]] = None, reap: bool = True
    ) -> SessionWaitResult:
        return await self._client.wait_session(self.name, timeout, ids=ids, mode="all", reap=reap)

    async def control(self, action: JobAction) -> List[str]:
        return await self._client.session_action(self.name, action)

    async def close(self) -> None:
        await self._client.delete_session(self.name)
