"""The provider in a running Airflow (API server, scheduler with one LocalExecutor slot, DAG
processor, triggerer): a task killed from Airflow kills its job; a deferrable task gives its
worker slot back while its job runs, and the triggerer resumes it when the job ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

from airflow_stack import AirflowStack
from godocker_testing import container_running, wait_until

import godocker


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_marking_a_running_task_failed_kills_its_godocker_job(airflow_stack: AirflowStack, client: godocker.Client) -> None:
    run = airflow_stack.trigger("godocker_long")
    log = lambda: airflow_stack.task_log("godocker_long", run, "sleeper")  # noqa: E731
    # Its job is running (the task log shows the job's output streamed in).
    wait_until("the job's output in the task log", 180, lambda: "sleeping" in log())
    job_id = next(j["id"] for j in client.jobs(tag="airflow", state="running") if j["command"]["env"].get("AIRFLOW_CTX_RUN_ID") == run)
    job = client.get_job(job_id)
    assert job["status"]["state"] == "running" and container_running(str(job["status"]["containerId"]))

    airflow_stack.mark("godocker_long", run, "sleeper", "failed")

    ended = client.wait(job_id, timeout=90)["job"]
    assert ended["status"]["state"] == "failed" and "kill" in ended["status"]["reason"]
    wait_until("the container stopped", 30, lambda: not container_running(str(job["status"]["containerId"])))
    wait_until("on_kill logged", 60, lambda: f"killed GoDocker job {job_id}" in log())
    assert airflow_stack.task("godocker_long", run, "sleeper")["state"] == "failed"


def test_a_deferred_task_frees_its_worker_slot_and_the_triggerer_resumes_it(
    airflow_stack: AirflowStack, client: godocker.Client
) -> None:
    run = airflow_stack.trigger("godocker_deferred", {"seconds": 20})
    seen: List[Dict[str, Any]] = []

    def deferred() -> bool:
        ti = airflow_stack.task("godocker_deferred", run, "waits")
        seen.append(ti)
        return ti["state"] == "deferred"

    wait_until("the task deferred", 180, deferred, interval=0.5)
    waits = seen[-1]
    job_id = next(j["id"] for j in client.jobs(tag="airflow") if j["command"]["env"].get("AIRFLOW_CTX_RUN_ID") == run)
    # Deferred while its job runs: the task holds no slot, so the other task of the run gets the only one.
    meanwhile = wait_until(
        "the other task ran in the freed slot",
        120,
        lambda: (t := airflow_stack.task("godocker_deferred", run, "meanwhile"))["state"] == "success" and t,
    )
    job = client.get_job(job_id)
    assert job["status"]["state"] == "running", "the job ended before the slot was shown free: lengthen it"
    assert ts(meanwhile["start_date"]) > ts(waits["start_date"])
    assert airflow_stack.task("godocker_deferred", run, "waits")["state"] == "deferred"

    # The job ends; the triggerer's long-poll fires; the task resumes in execute_complete and succeeds.
    wait_until("the run succeeded", 180, lambda: airflow_stack.run_state("godocker_deferred", run) == "success")
    ended = client.get_job(job_id)
    assert ended["status"]["state"] == "done"
    assert ts(meanwhile["end_date"]) < ts(str(ended["status"]["endedAt"]))
    waits_ti = airflow_stack.task("godocker_deferred", run, "waits")
    assert waits_ti["state"] == "success" and waits_ti["try_number"] == 1
    task_log = airflow_stack.task_log("godocker_deferred", run, "waits")
    # The trigger's own line, written by the triggerer when the long-poll answered.
    fired = f"GoDocker job {job_id} ended done"
    trigger_log = airflow_stack.task_log("godocker_deferred", run, "waits", trigger=True)
    assert fired in trigger_log, trigger_log[-5000:] + airflow_stack.log_tail("triggerer")
    assert f"[godocker {job_id}] begin" in task_log and f"[godocker {job_id}] end" in task_log


def test_marking_a_deferred_task_failed_kills_its_godocker_job(airflow_stack: AirflowStack, client: godocker.Client) -> None:
    run = airflow_stack.trigger("godocker_deferred", {"seconds": 600})
    wait_until("the task deferred", 180, lambda: airflow_stack.task("godocker_deferred", run, "waits")["state"] == "deferred", 0.5)
    job_id = next(j["id"] for j in client.jobs(tag="airflow") if j["command"]["env"].get("AIRFLOW_CTX_RUN_ID") == run)
    assert client.wait(job_id, timeout=60, wait_for="started")["job"]["status"]["state"] == "running"
    # Deferred is the task's state as soon as the worker let it go; the triggerer loads the trigger on
    # its next turn. A task marked failed before that never had a trigger running to kill its job
    # (Airflow's own race, seen on a loaded CI machine): act once the trigger runs.
    waiting = f"waiting for GoDocker job {job_id} to end"
    wait_until("the trigger runs", 120, lambda: waiting in airflow_stack.task_log("godocker_deferred", run, "waits", trigger=True), 0.5)

    airflow_stack.mark("godocker_deferred", run, "waits", "failed")

    # The triggerer runs the trigger's on_kill: the job is killed, not left running for 10 minutes.
    ended = client.wait(job_id, timeout=90)["job"]
    assert ended["status"]["state"] == "failed" and "kill" in ended["status"]["reason"]
    assert airflow_stack.task("godocker_deferred", run, "waits")["state"] == "failed"
