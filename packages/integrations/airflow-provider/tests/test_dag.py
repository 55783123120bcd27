"""A DAG of three GoDocker tasks with a dependency and a failure branch, run with dag.test()."""

from __future__ import annotations

import uuid

from conftest import RunDag
from godocker_testing import TestDaemon

import godocker


def test_failing_task_fails_with_the_jobs_reason_and_downstream_takes_the_failure_branch(
    run_dag: RunDag, godocker_daemon: TestDaemon, client: godocker.Client
) -> None:
    ok, bad = f"ok-{uuid.uuid4().hex[:6]}", f"bad-{uuid.uuid4().hex[:6]}"
    (good_run, failed_run), output = run_dag("godocker_pipeline", {"out": ok}, {"out": bad, "exit": 3})

    # Success: every GoDocker task ran in order, outputs on the shared volume and in XCom.
    assert good_run["state"] == "success", output[-4000:]
    assert good_run["tis"] == {"produce": "success", "compute": "success", "recover": "skipped", "publish": "success"}
    assert (godocker_daemon.scratch / ok / "n").read_text() == "21\n"
    assert (godocker_daemon.scratch / ok / "doubled").read_text() == "42\n"
    assert not (godocker_daemon.scratch / ok / "recovered").exists()
    xcom = good_run["xcom"]
    assert xcom["produce"]["return_value"] == "produced 21"  # the job's last output line
    assert xcom["compute"]["return_value"] == "after: produced 21"  # templated from produce's XCom
    assert xcom["produce"]["exit_code"] == 0 and xcom["compute"]["exit_code"] == 0
    produce_job = client.get_job(xcom["produce"]["job_id"])
    assert produce_job["status"]["state"] == "done"
    assert produce_job["meta"]["name"] == "godocker_pipeline.produce"
    assert produce_job["container"]["volumes"] == [{"name": "scratch", "mode": "rw"}]
    assert (produce_job["requirements"]["cpu"], produce_job["requirements"]["ram"]) == (0.25, 64)
    assert produce_job["requirements"]["timeLimit"] == 300
    compute_job = client.get_job(xcom["compute"]["job_id"])
    assert compute_job["command"]["env"]["RUN"] == good_run["run_id"]  # templated env
    # The job's output was streamed into the task log.
    assert f"[godocker {produce_job['id']}] produced 21" in output

    # Failure: compute's job exits 3, the task fails with the job's reason, recover runs instead of publish.
    assert failed_run["state"] == "failed"
    assert failed_run["tis"] == {"produce": "success", "compute": "failed", "recover": "success", "publish": "upstream_failed"}
    failed_job = client.get_job(failed_run["xcom"]["compute"]["job_id"])
    assert failed_job["status"]["exitCode"] == 3 == failed_run["xcom"]["compute"]["exit_code"]
    reason = failed_job["status"]["reason"]
    assert f"GoDocker job {failed_job['id']} ended {failed_job['status']['state']} (exit code 3): {reason}" in output
    assert (godocker_daemon.scratch / bad / "recovered").read_text() == "recovered\n"
    assert failed_run["xcom"]["recover"]["return_value"] == "cleaned up"


def test_sensor_waits_for_a_job_and_fails_with_its_reason(run_dag: RunDag, client: godocker.Client) -> None:
    good = client.submit("sleep 3; echo fine")
    bad = client.submit("sleep 1; exit 5")
    (good_run, bad_run), output = run_dag("godocker_sensor", {"job_id": good["id"]}, {"job_id": bad["id"]})
    assert good_run["tis"] == {"wait_job": "success"}, output[-4000:]
    assert client.get_job(good["id"])["status"]["state"] == "done"
    assert bad_run["tis"] == {"wait_job": "failed"}
    ended = client.get_job(bad["id"])
    assert f"GoDocker job {bad['id']} ended {ended['status']['state']} (exit code 5): {ended['status']['reason']}" in output
