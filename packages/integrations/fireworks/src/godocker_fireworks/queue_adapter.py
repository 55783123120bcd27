"""The queue adapter: ``qlaunch`` submits each rocket launcher as a GoDocker job.

In ``my_qadapter.yaml``::

    _fw_name: "{{godocker_fireworks.GoDockerAdapter}}"
    rocket_launch: rlaunch -l /shared/fw/my_launchpad.yaml singleshot
    image: local/fireworks:latest     # an image that has FireWorks (rlaunch) on its PATH
    cpu: 2
    ram: 4G
    time_limit: 2h
    volumes: [work]                   # the admin's volume that holds the launch directories
    network: true                     # rlaunch must reach the LaunchPad

The job starts in the launch directory qlaunch made (so a volume must mount it at the same
path), as the submitting user. The daemon and token come from ``GODOCKER_URL`` /
``GODOCKER_TOKEN`` or ``godocker login``, as for every GoDocker client; ``url`` in the file
names another daemon. In reservation mode (``qlaunch -r``) the GoDocker job id is the
launch's reservation id, and a Firework's ``_queueadapter`` spec overrides these keys for it.
"""

from __future__ import annotations

import os
from typing import Any, List, Optional

import godocker
from fireworks.queue.queue_adapter import QueueAdapterBase

#: The tag every job of this adapter carries: how ``get_njobs_in_queue`` counts them.
FIREWORKS_TAG = "fireworks"
#: GoDocker's states of a job not yet ended.
QUEUED_STATES = "pending,held,running,suspended"

_TEMPLATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "GoDocker_template.txt")


class GoDockerAdapter(QueueAdapterBase):
    """FireWorks' queue adapter for GoDocker (``_fw_name: "{{godocker_fireworks.GoDockerAdapter}}"``)."""

    # Its full path: FireWorks then imports it without a USER_PACKAGES entry.
    _fw_name = "{{godocker_fireworks.queue_adapter.GoDockerAdapter}}"
    template_file = _TEMPLATE
    submit_cmd = "godocker submit"
    q_name = "godocker"
    defaults = {"job_name": "FW_job"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The base is a defaultdict, whose first argument is a factory: FireWorks' from_dict
        # passes the qadapter's keys there, as for a dict.
        super().__init__(None)
        self.update(*args, **kwargs)

    def _client(self) -> godocker.Client:
        return godocker.Client(url=self.get("url"))

    def _tags(self) -> List[str]:
        extra = self.get("tags") or []
        if isinstance(extra, str):
            extra = [extra]
        return [FIREWORKS_TAG, *[str(t) for t in extra if t != FIREWORKS_TAG]]

    def submission(self, script: str, launch_dir: str) -> dict:
        """The keywords of :meth:`godocker.Client.submit` for this launcher (what the job asks for)."""
        fields: dict[str, Any] = {
            "name": str(self.get("job_name") or "FW_job"),
            "tags": self._tags(),
            "workdir": launch_dir,
        }
        for key in ("image", "cpu", "ram", "gpus", "time_limit", "project", "network"):
            if self.get(key) is not None:
                fields[key] = self[key]
        volumes = self.get("volumes")
        if volumes is not None:
            fields["volumes"] = [volumes] if isinstance(volumes, str) else list(volumes)
        return {"script": script, **fields}

    def submit_to_queue(self, script_file: str) -> int:
        """Submits the queue script qlaunch wrote (in the launch directory, the current one); the job id."""
        with open(script_file, encoding="utf-8") as f:
            script = f.read()
        launch_dir = os.path.dirname(os.path.abspath(script_file))
        logger = self.get_qlogger("qadapter.godocker")
        with self._client() as client:
            # A GodockerError propagates: qlaunch logs its message (it says what to fix) and, in
            # reservation mode, gives the Firework back.
            job = client.submit(**self.submission(script, launch_dir))
        logger.info(f"submitted GoDocker job {job['id']} for the launcher in {launch_dir}")
        return job["id"]

    def get_njobs_in_queue(self, username: Optional[str] = None) -> int:
        """This adapter's jobs not yet ended (the caller's own: a user sees only theirs)."""
        filters: dict[str, Any] = {"state": QUEUED_STATES, "tag": FIREWORKS_TAG, "limit": 1000}
        if username:
            filters["user"] = username
        with self._client() as client:
            return sum(1 for _ in client.jobs(**filters))
