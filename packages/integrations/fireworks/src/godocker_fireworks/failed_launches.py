"""Launches whose GoDocker job died before ``rlaunch`` could say how it ended.

A rocket launcher killed by its time limit, out of memory, or a crash of the job leaves its
launch RUNNING (or RESERVED) in the LaunchPad: FireWorks would call it a lost run only after
hours. In reservation mode (``qlaunch -r``) the launch knows its GoDocker job id, so
:func:`fizzle_failed_launches` asks GoDocker and marks such a launch FIZZLED at once, with the
job's exit code and reason in its ``stored_data`` (``_exception._details``, as a failed Firetask's).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import godocker
from fireworks.core.firework import FWAction
from fireworks.core.launchpad import LaunchPad


def _reservation_id(launch: Dict[str, Any]) -> Optional[int]:
    for entry in launch.get("state_history", []):
        rid = entry.get("reservation_id")
        if rid is not None and str(rid).isdigit():
            return int(rid)
    return None


def fizzle_failed_launches(launchpad: LaunchPad, client: godocker.Client) -> List[Dict[str, Any]]:
    """Marks FIZZLED each RESERVED or RUNNING launch whose GoDocker job has ended badly; what it did.

    A job that ended done with exit code 0 is left alone: rlaunch reported its own end.
    """
    fizzled: List[Dict[str, Any]] = []
    # Equality filters only: FerretDB (a MongoDB-wire server) runs them everywhere.
    for state in ("RESERVED", "RUNNING"):
        for launch in list(launchpad.launches.find({"state": state})):
            job_id = _reservation_id(launch)
            if job_id is None:
                continue
            try:
                job = client.get_job(job_id)
            except godocker.JobNotFoundError:
                continue  # another daemon's, or archived: not ours to judge
            status = job["status"]
            if not godocker.is_terminal(job):
                continue
            if status["state"] == "done" and status["exitCode"] == 0:
                continue
            details = {
                "job_id": job_id,
                "state": status["state"],
                "exit_code": status["exitCode"],
                "reason": status["reason"],
            }
            message = (
                f"GoDocker job {job_id} of this launch ended {status['state']} with exit code "
                f"{status['exitCode']} before rlaunch reported: {status['reason']}"
            )
            action = FWAction(stored_data={"_exception": {"_stacktrace": message, "_details": details}})
            launchpad.complete_launch(launch["launch_id"], action, "FIZZLED")
            fizzled.append({"launch_id": launch["launch_id"], "fw_id": launch["fw_id"], **details})
    return fizzled
