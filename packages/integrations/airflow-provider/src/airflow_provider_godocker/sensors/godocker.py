"""``GoDockerJobSensor``: waits for a GoDocker job submitted elsewhere (another DAG, the CLI)."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Union

import godocker

from .._compat import AirflowException, BaseSensorOperator
from ..hooks.godocker import GoDockerHook
from ..operators.godocker import failure_message
from ..triggers.godocker import GoDockerJobTrigger, event_of


class GoDockerJobSensor(BaseSensorOperator):
    """Succeeds when the job ``job_id`` ends done with exit code 0; fails (with the job's reason)
    when it ends otherwise. ``deferrable=True`` waits in the triggerer on the long-poll instead of poking.

    >>> GoDockerJobSensor(task_id="wait", job_id="{{ ti.xcom_pull(task_ids='submit', key='job_id') }}")
    """

    template_fields: Sequence[str] = ("job_id",)

    def __init__(
        self,
        *,
        job_id: Union[int, str],
        godocker_conn_id: str = GoDockerHook.default_conn_name,
        deferrable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self.godocker_conn_id = godocker_conn_id
        self.deferrable = deferrable

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        timeout: Optional[float] = float(self.timeout) if self.timeout else None
        self.defer(
            trigger=GoDockerJobTrigger(int(self.job_id), self.godocker_conn_id, timeout),
            method_name="execute_complete",
        )

    def poke(self, context: Any) -> bool:
        with GoDockerHook(self.godocker_conn_id).get_conn() as client:
            try:
                job = client.get_job(self.job_id)
            except godocker.NotFoundError as e:
                raise AirflowException(f"GoDocker job {self.job_id}: {e}") from e
        if not godocker.is_terminal(job):
            self.log.info("GoDocker job %s is %s: %s", job["id"], job["status"]["state"], job["status"]["reason"])
            return False
        self._check(event_of(dict(job)))
        return True

    def execute_complete(self, context: Any, event: Dict[str, Any]) -> None:
        if event.get("status") != "ended":
            raise AirflowException(f"waiting for GoDocker job {self.job_id} failed: {event.get('message')}")
        self._check(event)

    def _check(self, event: Dict[str, Any]) -> None:
        if event["state"] != "done" or event["exit_code"] != 0:
            raise AirflowException(failure_message(event))
        self.log.info("GoDocker job %s ended: %s", event["job_id"], event["reason"])
