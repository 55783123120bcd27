"""qlaunch submits rocket launchers as GoDocker jobs: a workflow with dependencies runs to COMPLETED."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import godocker
from fireworks import Firework, PyTask, ScriptTask, Workflow

from conftest import FIREWORKS_IMAGE

QLAUNCH = str(Path(sys.executable).parent / "qlaunch")


def write_qadapter(path: Path, launchpad_file: str, image: str = FIREWORKS_IMAGE) -> None:
    path.write_text(
        json.dumps(
            {
                "_fw_name": "{{godocker_fireworks.GoDockerAdapter}}",
                # rlaunch with the fix of its last ping (the LaunchPad is on FerretDB: see ping_fix).
                "rocket_launch": f"python -m godocker_fireworks.rlaunch -l {launchpad_file} singleshot",
                "image": image,
                "cpu": 0.5,
                "ram": "256M",
                "time_limit": "10m",
                "volumes": ["fwwork"],
                "network": True,
                "tags": ["qlaunch-test"],
            }
        )
    )


def qlaunch(
    work: Path, launchpad_file: str, *args: str, image: str = FIREWORKS_IMAGE, timeout: int = 400
) -> subprocess.CompletedProcess:
    qadapter = work / "my_qadapter.json"
    write_qadapter(qadapter, launchpad_file, image)
    launches = work / "launches"
    launches.mkdir(exist_ok=True)
    launches.chmod(0o1777)
    return subprocess.run(
        [QLAUNCH, "-l", launchpad_file, "-q", str(qadapter), "--loglvl", "INFO", *args],
        cwd=launches,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
        # qlaunch makes the launch directories; the jobs (uid 1000) write FW.json into them.
        preexec_fn=lambda: os.umask(0),
    )


def jobs_report(launchpad) -> str:
    """Each submitted Firework's job: state, reason and the end of its stderr (for a failure's message)."""
    lines = []
    with godocker.Client() as client:
        for fw_id in launchpad.get_fw_ids():
            rid = launchpad.get_reservation_id_from_fw_id(fw_id)
            if rid is None:
                continue
            job = client.get_job(int(rid))
            lines.append(f"fw {fw_id} job {rid} {job['status']['state']}: {job['status']['reason']}")
            lines.append(client.logs(int(rid), "stderr")[-1500:])
    return "\n".join(lines)


def test_three_fireworks_with_dependencies_run_through_qlaunch(fw_env, launchpad, work_dir: Path) -> None:
    data = work_dir / f"data-{launchpad.name}"
    data.mkdir()
    data.chmod(0o1777)
    # Each step reads what the one before wrote: run out of order, it fails and the Firework FIZZLES.
    first = Firework(ScriptTask.from_str(f"echo one > {data}/a", {"fizzle_bad_rc": True}), name="first")
    second = Firework(
        ScriptTask.from_str(f"cat {data}/a > {data}/b && echo two >> {data}/b", {"fizzle_bad_rc": True}),
        name="second",
        parents=[first],
    )
    third = Firework(
        ScriptTask.from_str(f"cat {data}/b > {data}/c && echo three >> {data}/c", {"fizzle_bad_rc": True}),
        name="third",
        parents=[second],
    )
    launchpad.add_wf(Workflow([first, second, third], name="chain"))

    # --nlaunches 3: with 0 (all), qlaunch stops when it sees no future work, which it can at the
    # instant a parent has COMPLETED and its child is not yet READY (more often on FerretDB).
    run = qlaunch(work_dir, launchpad.file, "-r", "rapidfire", "--nlaunches", "3", "--sleep", "2", "--timeout", "240")
    ran = (
        f"states: { {i: launchpad.get_fw_by_id(i).state for i in launchpad.get_fw_ids()} }\n"
        f"jobs: {jobs_report(launchpad)}\n"
        f"qlaunch stdout:\n{run.stdout[:3000]}\nstderr:\n{run.stderr[-3000:]}"
    )
    # qlaunch ends once the last Firework is submitted; each launch is a GoDocker job of its own
    # (the reservation id), whose end is the Firework's.
    jobs = {}
    with godocker.Client() as client:
        for fw_id in launchpad.get_fw_ids():
            reservation = launchpad.get_reservation_id_from_fw_id(fw_id)
            assert reservation is not None, f"Firework {fw_id} was not submitted\n{ran}"
            waited = client.wait(int(reservation), 240)
            assert not waited["timedOut"], ran
            jobs[fw_id] = waited["job"]
        states = {launchpad.get_fw_by_id(i).name: launchpad.get_fw_by_id(i).state for i in launchpad.get_fw_ids()}
        assert states == {"first": "COMPLETED", "second": "COMPLETED", "third": "COMPLETED"}, f"{states}\n{ran}"
    assert (data / "c").read_text() == "one\ntwo\nthree\n"

    # Each job asked for what the qadapter says, and ran rlaunch in its Firework's launch directory.
    with godocker.Client() as client:
        for fw_id, job in jobs.items():
            job_id = job["id"]
            assert job["status"]["state"] == "done" and job["status"]["exitCode"] == 0
            assert job["container"]["image"] == FIREWORKS_IMAGE
            assert job["requirements"]["cpu"] == 0.5 and job["requirements"]["ram"] == 256
            assert job["requirements"]["timeLimit"] == 600
            assert "fireworks" in job["meta"]["tags"] and "qlaunch-test" in job["meta"]["tags"]
            fw = launchpad.get_fw_by_id(fw_id)
            assert job["meta"]["name"] == fw.name
            assert job["command"]["workdir"] == fw.launches[-1].launch_dir
            assert "Rocket finished" in client.logs(job_id, "stderr") + client.logs(job_id, "stdout")


def test_queue_count_is_the_adapters_unfinished_jobs(fw_env, work_dir: Path) -> None:
    from godocker_fireworks import GoDockerAdapter

    adapter = GoDockerAdapter({"image": "local/busybox:latest", "job_name": "count-me"})
    before = adapter.get_njobs_in_queue()
    script = work_dir / "wait.sh"
    script.write_text("#!/bin/sh\nsleep 60\n")
    with godocker.Client() as client:
        other = client.submit("sleep 60", name="not-fireworks")  # another tool's job is not counted
        job_id = adapter.submit_to_queue(str(script))
        try:
            assert adapter.get_njobs_in_queue() == before + 1  # pending or running, both wait for their end
        finally:
            client.kill(job_id)
            client.kill(other["id"])
        assert not client.wait(job_id, 60)["timedOut"]
    assert adapter.get_njobs_in_queue() == before


def test_a_launcher_that_dies_is_fizzled_with_its_jobs_exit_code(fw_env, launchpad, work_dir: Path) -> None:
    # rlaunch itself ends with exit code 5 in the middle of the Firework (as a crash or an OOM
    # kill would): it can report nothing, and the launch stays RUNNING until fizzle-failed asks GoDocker.
    fw = Firework(PyTask(func="os._exit", args=[5]), name="dies")
    launchpad.add_wf(fw)
    run = qlaunch(work_dir, launchpad.file, "-r", "singleshot")
    assert run.returncode == 0, run.stderr
    fw_id = launchpad.get_fw_ids()[0]
    job_id = int(launchpad.get_reservation_id_from_fw_id(fw_id))
    with godocker.Client() as client:
        ended = client.wait(job_id, 240)
        assert not ended["timedOut"]
        assert ended["job"]["status"]["exitCode"] == 5, client.logs(job_id, "stderr") + client.logs(job_id)
    assert launchpad.get_fw_by_id(fw_id).state == "RUNNING"

    fizzle = subprocess.run(
        [sys.executable, "-m", "godocker_fireworks.cli", "fizzle-failed", "-l", launchpad.file],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fizzle.returncode == 0, fizzle.stderr
    assert f'"job_id": {job_id}' in fizzle.stdout
    fw = launchpad.get_fw_by_id(fw_id)
    assert fw.state == "FIZZLED"
    details = fw.launches[-1].action.stored_data["_exception"]["_details"]
    assert details["exit_code"] == 5 and details["job_id"] == job_id and details["state"] == "failed"
    assert "exit code 5" in fw.launches[-1].action.stored_data["_exception"]["_stacktrace"]


def test_a_launcher_the_daemon_refuses_gives_the_firework_back(fw_env, launchpad, work_dir: Path) -> None:
    launchpad.add_wf(Firework(ScriptTask.from_str("true"), name="refused"))
    run = qlaunch(work_dir, launchpad.file, "-r", "singleshot", image="not/in-the-catalogue:1")
    # qlaunch logs the API's code and message, and un-reserves the Firework for a later try.
    assert "GOD_IMAGE_NOT_ALLOWED" in run.stdout + run.stderr, run.stdout + run.stderr
    fw_id = launchpad.get_fw_ids()[0]
    assert launchpad.get_fw_by_id(fw_id).state == "READY"
