"""The trigger of deferrable GoDocker tasks: it waits on the daemon's long-poll in the triggerer,
so no worker slot is held while the job queues and runs."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, Optional, Tuple

import godocker

from .._compat import BaseTrigger, TriggerEvent
from ..hooks.godocker import GoDockerHook


def event_of(job: Dict[str, Any]) -> Dict[str, Any]:
    """What the task gets back: small and JSON-serialisable (the job itself may be large)."""
    status = job["status"]
    return {
        "status": "ended",
        "job_id": job["id"],
        "state": status["state"],
        "exit_code": status["exitCode"],
        "reason": status["reason"],
    }


class GoDockerJobTrigger(BaseTrigger):
    """Fires once the GoDocker job ``job_id`` has terminated (done or failed)."""

    def __init__(self, job_id: int, godocker_conn_id: str = GoDockerHook.default_conn_name, timeout: Optional[float] = None) -> None:
        super().__init__()
        self.job_id = int(job_id)
        self.godocker_conn_id = godocker_conn_id
        #: Seconds to wait at most (None: until the job ends); then it fires with status "timeout".
        self.timeout = timeout

    def serialize(self) -> Tuple[str, Dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {"job_id": self.job_id, "godocker_conn_id": self.godocker_conn_id, "timeout": self.timeout},
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            client = await GoDockerHook(self.godocker_conn_id).aget_conn()
            async with client:
                self.log.info("waiting for GoDocker job %s to end", self.job_id)
                # A series of server long-polls (240 s each), never a busy loop.
                result = await client.wait(self.job_id, self.timeout)
        except godocker.GodockerError as e:
            yield TriggerEvent({"status": "error", "job_id": self.job_id, "code": e.code, "message": str(e)})
            return
        if result["timedOut"]:
            yield TriggerEvent({"status": "timeout", "job_id": self.job_id, "message": f"job {self.job_id} did not end within {self.timeout} s"})
            return
        self.log.info("GoDocker job %s ended %s", self.job_id, result["job"]["status"]["state"])
        yield TriggerEvent(event_of(result["job"]))

    async def on_kill(self) -> None:
        """A user killed the deferred task (mark failed, clear): its job is killed too.

        Airflow (3.3+) calls this only for a user's action, never when a triggerer restarts or
        hands its triggers to another, so a job is never killed by a rolling deploy.
        """
        try:
            client = await GoDockerHook(self.godocker_conn_id).aget_conn()
            async with client:
                job = await client.kill(self.job_id)
            self.log.info("killed GoDocker job %s: %s", self.job_id, job["status"]["reason"])
        except godocker.InvalidStateError:
            self.log.info("GoDocker job %s had already ended", self.job_id)
