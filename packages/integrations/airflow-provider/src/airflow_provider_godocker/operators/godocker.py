"""``GoDockerOperator``: an Airflow task that runs as a GoDocker job.

>>> GoDockerOperator(
...     task_id="count",
...     script="wc -l /data/{{ ds }}.csv",
...     image="local/debian:bookworm", cpu=2, memory="4G", volumes=["data:ro"],
...     project="genomics", time_limit="1h",
... )

The job's standard output is streamed into the task log while it runs; the job id (XCom key
``job_id``, pushed as soon as it is submitted) and its exit code (``exit_code``) go to XCom, and
the last line of its output is the return value. A job that fails, or exits non-zero, fails the
task with the job's own reason. Killing the task (``on_kill``) kills the job. With
``deferrable=True`` the wait is handed to :class:`GoDockerJobTrigger` in the triggerer.
"""

from __future__ import annotations

import shlex
from typing import Any, Dict, List, Optional, Sequence, Union

import godocker

from .._compat import AirflowException, BaseOperator
from ..hooks.godocker import GoDockerHook
from ..triggers.godocker import GoDockerJobTrigger, event_of


def _conf_deferrable() -> bool:
    try:
        from airflow.configuration import conf

        return conf.getboolean("operators", "default_deferrable", fallback=False)
    except Exception:  # noqa: BLE001 - no config: not deferrable
        return False


def failure_message(event: Dict[str, Any]) -> str:
    return f"GoDocker job {event['job_id']} ended {event['state']} (exit code {event['exit_code']}): {event['reason']}"


class LineLogger:
    """Writes streamed output to a logger line by line (chunks split lines anywhere)."""

    def __init__(self, log: Any, job_id: int) -> None:
        self._log = log
        self._prefix = f"[godocker {job_id}] "
        self._partial = ""
        self.last_line = ""

    def feed(self, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._emit(line)

    def close(self) -> None:
        if self._partial:
            self._emit(self._partial)
            self._partial = ""

    def _emit(self, line: str) -> None:
        self._log.info("%s%s", self._prefix, line)
        if line.strip():
            self.last_line = line


class GoDockerOperator(BaseOperator):
    """Runs ``script`` (shell text) or ``command`` (an argv list, or a string) as a GoDocker job.

    :param script: the job's script, run with /bin/sh unless it starts with ``#!`` (templated;
        a ``.sh`` file name is read as a template)
    :param command: instead of script: a list (run as is, no shell) or a shell string (templated)
    :param image: container image from the daemon's catalogue (default: the daemon's)
    :param cpu: cores, fractions allowed
    :param memory: MiB as a number, or ``"512M"``, ``"4G"``
    :param gpus: GPUs
    :param volumes: catalogue volumes, ``"name"``, ``"name:ro"`` or ``"name:rw"``
    :param project: the project the job is accounted to
    :param time_limit: seconds, or ``"30m"``, ``"2h"``, ``"HH:MM:SS"``
    :param env: environment of the job (templated)
    :param name: job name (default ``DAG_ID.TASK_ID``)
    :param submit_options: any other keyword of ``godocker.Client.submit`` (priority, labels...)
    :param godocker_conn_id: the ``godocker`` connection
    :param deferrable: hand the wait to the triggerer (``[operators] default_deferrable``)
    """

    template_fields: Sequence[str] = ("script", "command", "image", "env", "name", "project", "volumes", "time_limit", "memory")
    template_ext: Sequence[str] = (".sh", ".bash")
    template_fields_renderers = {"script": "bash", "env": "json"}
    ui_color = "#b8dcf5"

    def __init__(
        self,
        *,
        script: Optional[str] = None,
        command: Optional[Union[str, List[str]]] = None,
        image: Optional[str] = None,
        cpu: Optional[float] = None,
        memory: Optional[Union[int, str]] = None,
        gpus: Optional[int] = None,
        volumes: Optional[List[str]] = None,
        project: Optional[str] = None,
        time_limit: Optional[Union[int, str]] = None,
        env: Optional[Dict[str, str]] = None,
        name: Optional[str] = None,
        submit_options: Optional[Dict[str, Any]] = None,
        godocker_conn_id: str = GoDockerHook.default_conn_name,
        deferrable: Optional[bool] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if (script is None) == (command is None):
            raise ValueError(f"{self.task_id}: give exactly one of script= (shell text) or command= (argv list or string)")
        self.script = script
        self.command = command
        self.image = image
        self.cpu = cpu
        self.memory = memory
        self.gpus = gpus
        self.volumes = volumes
        self.project = project
        self.time_limit = time_limit
        self.env = env
        self.name = name
        self.submit_options = dict(submit_options or {})
        self.godocker_conn_id = godocker_conn_id
        self.deferrable = _conf_deferrable() if deferrable is None else deferrable
        self.job_id: Optional[int] = None

    @property
    def hook(self) -> GoDockerHook:
        return GoDockerHook(self.godocker_conn_id)

    def job_script(self) -> str:
        if self.script is not None:
            return self.script
        if isinstance(self.command, (list, tuple)):
            return "exec " + shlex.join(str(part) for part in self.command)
        return str(self.command)

    def submission(self, context: Any) -> Dict[str, Any]:
        """The keywords of ``Client.submit`` for this task instance."""
        ti = context["ti"]
        fields: Dict[str, Any] = {
            "name": self.name or f"{ti.dag_id}.{ti.task_id}"[:256],
            "tags": ["airflow"],
            "image": self.image,
            "cpu": self.cpu,
            "ram": self.memory,
            "gpus": self.gpus,
            "volumes": self.volumes,
            "project": self.project,
            "time_limit": self.time_limit,
            "env": {
                **(self.env or {}),
                "AIRFLOW_CTX_DAG_ID": ti.dag_id,
                "AIRFLOW_CTX_TASK_ID": ti.task_id,
                "AIRFLOW_CTX_RUN_ID": str(ti.run_id),
                "AIRFLOW_CTX_TRY_NUMBER": str(ti.try_number),
            },
            "description": f"Airflow task {ti.dag_id}.{ti.task_id}, run {ti.run_id}, try {ti.try_number}",
        }
        fields.update(self.submit_options)
        return {k: v for k, v in fields.items() if v is not None}

    def execute(self, context: Any) -> Any:
        with self.hook.get_conn() as client:
            try:
                job = client.submit(self.job_script(), **self.submission(context))
            except godocker.GodockerError as e:
                raise AirflowException(f"GoDocker refused the job: {e}") from e
            self.job_id = job["id"]
            context["ti"].xcom_push(key="job_id", value=job["id"])
            self.log.info("submitted GoDocker job %s to %s (%s)", job["id"], client.url, job["status"]["reason"])
            if self.deferrable:
                self.defer(
                    trigger=GoDockerJobTrigger(job["id"], self.godocker_conn_id),
                    method_name="execute_complete",
                )
            lines = LineLogger(self.log, job["id"])
            try:
                for text in client.follow_logs(job["id"]):
                    lines.feed(text)
            except godocker.ConflictError as e:
                # An executor that cannot stream a running job's output (GOD_NOT_SUPPORTED): it comes at the end.
                self.log.info("GoDocker cannot stream job %s's output (%s): it follows when the job ends", job["id"], e)
                client.wait(job["id"])
                lines.feed(client.logs(job["id"]))
            lines.close()
            ended = client.wait(job["id"])["job"]
        return self._finish(context, event_of(ended), lines.last_line)

    def execute_complete(self, context: Any, event: Dict[str, Any]) -> Any:
        """Back from the triggerer: the job has ended; its output goes to the task log now."""
        if event.get("status") != "ended":
            raise AirflowException(f"waiting for GoDocker job {event.get('job_id')} failed: {event.get('message')}")
        self.job_id = event["job_id"]
        lines = LineLogger(self.log, event["job_id"])
        with self.hook.get_conn() as client:
            try:
                lines.feed(client.logs(event["job_id"]))
            except godocker.GodockerError as e:
                self.log.warning("the output of GoDocker job %s cannot be read: %s", event["job_id"], e)
        lines.close()
        return self._finish(context, event, lines.last_line)

    def _finish(self, context: Any, event: Dict[str, Any], last_line: str) -> str:
        context["ti"].xcom_push(key="exit_code", value=event["exit_code"])
        if event["state"] != "done" or event["exit_code"] != 0:
            raise AirflowException(failure_message(event))
        self.log.info("GoDocker job %s ended: %s", event["job_id"], event["reason"])
        return last_line

    def on_kill(self) -> None:
        """The task is being killed: so is its job (a job still queued never starts)."""
        if self.job_id is None:
            return
        try:
            with self.hook.get_conn() as client:
                job = client.kill(self.job_id)
            self.log.info("killed GoDocker job %s: %s", self.job_id, job["status"]["reason"])
        except godocker.InvalidStateError:
            self.log.info("GoDocker job %s had already ended", self.job_id)
