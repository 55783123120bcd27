"""GoDockerTask runs its command as a GoDocker job: done is COMPLETED, a failure FIZZLES with the exit code."""

from __future__ import annotations

import os
from pathlib import Path

import godocker
from fireworks import Firework
from fireworks.core.rocket_launcher import launch_rocket

from godocker_fireworks import GoDockerTask


def run_one(launchpad, fw: Firework, where: Path):
    launchpad.add_wf(fw)
    fw_id = launchpad.get_fw_ids({"name": fw.name})[0]
    here = os.getcwd()
    os.chdir(where)
    try:
        launch_rocket(launchpad, fw_id=fw_id, strm_lvl="WARNING")
    finally:
        os.chdir(here)
    return launchpad.get_fw_by_id(fw_id)


def test_a_job_that_succeeds_completes_the_firework(fw_env, launchpad, tmp_path: Path) -> None:
    task = GoDockerTask(script="echo from-godocker", cpu=0.25, ram="64M", time_limit=60, name="ok-job")
    fw = run_one(launchpad, Firework(task, name="ok"), tmp_path)
    assert fw.state == "COMPLETED"
    stored = fw.launches[-1].action.stored_data
    with godocker.Client() as client:
        job = client.get_job(stored["godocker_job_id"])
        assert client.logs(job["id"]) == "from-godocker\n"
    assert job["requirements"]["cpu"] == 0.25 and job["requirements"]["ram"] == 64
    assert job["requirements"]["timeLimit"] == 60
    assert job["meta"]["name"] == "ok-job" and stored["exit_code"] == 0


def test_a_failing_job_fizzles_the_firework_with_its_exit_code(fw_env, launchpad, tmp_path: Path) -> None:
    fw = run_one(launchpad, Firework(GoDockerTask(script="echo broken >&2; exit 3"), name="fails"), tmp_path)
    assert fw.state == "FIZZLED"
    exception = fw.launches[-1].action.stored_data["_exception"]
    details = exception["_details"]
    assert details["exit_code"] == 3 and details["state"] == "failed"
    assert f"job {details['job_id']} ended failed (exit code 3)" in exception["_stacktrace"]
    with godocker.Client() as client:
        assert client.get_job(details["job_id"])["status"]["exitCode"] == 3
        assert client.logs(details["job_id"], "stderr") == "broken\n"


def test_a_job_the_daemon_refuses_fizzles_with_the_apis_error(fw_env, launchpad, tmp_path: Path) -> None:
    task = GoDockerTask(script="true", image="not/in-the-catalogue:1")
    fw = run_one(launchpad, Firework(task, name="refused"), tmp_path)
    assert fw.state == "FIZZLED"
    assert "GOD_IMAGE_NOT_ALLOWED" in fw.launches[-1].action.stored_data["_exception"]["_stacktrace"]
