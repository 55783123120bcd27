"""A Firetask that runs a command as a GoDocker job and waits for its end.

    from godocker_fireworks import GoDockerTask
    Firework(GoDockerTask(script="bwa mem ref.fa reads.fq > out.sam", image="local/bwa:1",
                          cpu=4, ram="8G", time_limit="2h", volumes=["work"]))

The Firework completes when the job ends done with exit code 0 (its id and usage are in the
launch's ``stored_data``); otherwise it FIZZLES with :class:`GoDockerJobFailed`, whose message and
``_details`` carry the job's id, state, exit code and reason. The daemon and token come from
``GODOCKER_URL`` / ``GODOCKER_TOKEN`` or ``godocker login`` where the rocket runs.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping

import godocker
from fireworks.core.firework import FiretaskBase, FWAction

#: The keywords of :meth:`godocker.Client.submit` a task may set (the job's fields).
SUBMIT_KEYS = (
    "args",
    "env",
    "workdir",
    "name",
    "tags",
    "project",
    "image",
    "volumes",
    "network",
    "cpu",
    "ram",
    "gpus",
    "tmpstorage",
    "time_limit",
    "labels",
    "priority",
)


class GoDockerJobFailed(godocker.JobFailedError):
    """The client's :class:`godocker.JobFailedError`, with the ``to_dict()`` FireWorks stores as ``_details``."""

    def to_dict(self) -> Dict[str, Any]:
        return {"job_id": self.job_id, "state": self.state, "exit_code": self.exit_code, "reason": self.reason}


class GoDockerTask(FiretaskBase):
    """Runs ``script`` as a GoDocker job and waits (``wait_timeout`` seconds, default forever).

    Optional: the job's fields (``image``, ``cpu``, ``ram``, ``gpus``, ``time_limit``, ``volumes``,
    ``project``, ``env``, ``workdir``, ... as :func:`godocker.build_submission` takes them) and
    ``url`` to name a daemon other than the environment's.
    """

    # Its full path: FireWorks then imports it where the rocket runs, with no USER_PACKAGES entry.
    _fw_name = "{{godocker_fireworks.firetask.GoDockerTask}}"
    required_params = ["script"]
    optional_params = ["url", "wait_timeout", *SUBMIT_KEYS]

    def run_task(self, fw_spec: Mapping[str, Any]) -> FWAction:
        fields = {k: self[k] for k in SUBMIT_KEYS if self.get(k) is not None}
        fields.setdefault("name", "GoDockerTask")
        fields.setdefault("tags", ["fireworks"])
        with godocker.Client(url=self.get("url")) as client:
            job = client.submit(self["script"], **fields)
            result = client.wait(job["id"], self.get("wait_timeout"))
            if result["timedOut"]:
                # The job keeps no purpose once its Firework has given up on it.
                client.kill(job["id"])
                raise GoDockerJobFailed(client.wait(job["id"], 60)["job"])
        ended = result["job"]
        if ended["status"]["state"] != "done" or ended["status"]["exitCode"] != 0:
            raise GoDockerJobFailed(ended)
        return FWAction(
            stored_data={"godocker_job_id": ended["id"], "exit_code": 0, "usage": dict(ended["usage"])}
        )
