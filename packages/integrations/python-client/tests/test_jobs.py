"""The client against a live daemon with the docker executor: jobs, logs, waits, actions."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from godocker_testing import TEST_IMAGE, TestDaemon, container_running, wait_until

import godocker


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_every_field_of_the_submission_reaches_the_job(client: godocker.Client) -> None:
    dep = client.submit("true", hold=True)
    begin = datetime.now(timezone.utc) + timedelta(hours=1)
    job = client.submit(
        "echo $GREETING",
        args=["a", "b c"],
        env={"GREETING": "hello"},
        workdir="/tmp",
        stdout="out.txt",
        stderr="err.txt",
        name="all-fields",
        description="every field",
        tags=["t1", "t2"],
        project="default",
        image=TEST_IMAGE,
        volumes=["scratch:rw"],
        cpu=0.25,
        ram="64M",
        tmpstorage="1G",
        time_limit="1h30m",
        labels={"disk": "ssd"},
        dependencies=[f"afterok:{dep['id']}"],
        priority=5,
        hold=True,
        begin_at=begin,
    )
    try:
        got = client.get_job(job["id"])
        assert got["command"]["script"] == "echo $GREETING"
        assert got["command"]["args"] == ["a", "b c"]
        assert got["command"]["env"]["GREETING"] == "hello"
        assert got["command"]["workdir"] == "/tmp"
        assert str(got["command"]["stdout"]).endswith("out.txt")
        assert got["meta"] == {"name": "all-fields", "description": "every field", "tags": ["t1", "t2"]}
        assert got["project"] == "default"
        assert got["container"]["image"] == TEST_IMAGE
        assert got["container"]["volumes"] == [{"name": "scratch", "mode": "rw"}]
        req = got["requirements"]
        assert (req["cpu"], req["ram"], req["tmpstorage"], req["timeLimit"]) == (0.25, 64, 1024, 5400)
        assert req["labels"]["disk"] == "ssd"
        assert got["dependencies"] == [{"type": "afterok", "jobId": dep["id"]}]
        assert got["priority"] == 5
        assert got["hold"] is True and got["status"]["state"] == "held"
        assert got.get("beginAt", "").startswith(begin.strftime("%Y-%m-%dT%H:%M"))
        why = client.explain(job["id"])
        assert (why["id"], why["state"]) == (job["id"], "held") and why["message"]
    finally:
        client.kill(job["id"])
        client.kill(dep["id"])


def test_a_job_runs_and_its_output_and_exit_code_come_back(client: godocker.Client, godocker_daemon: TestDaemon) -> None:
    job = client.submit(
        "echo out-$0-$1; echo err >&2; echo file > /scratch/$GODOCKER_JOB_ID.txt; exit 3",
        args=["x"],
        volumes=["scratch:rw"],
        name=unique("exit3"),
    )
    result = client.wait(job["id"], timeout=60)
    assert result["timedOut"] is False
    ended = result["job"]
    assert ended["status"]["state"] in ("done", "failed")
    assert ended["status"]["exitCode"] == 3
    assert "out-" in client.logs(job["id"])
    assert client.logs(job["id"], "stderr") == "err\n"
    assert (godocker_daemon.scratch / f"{job['id']}.txt").read_text() == "file\n"
    assert godocker.is_terminal(ended)


def test_run_raises_job_failed_with_the_reason(client: godocker.Client) -> None:
    try:
        client.run("exit 7", timeout=60)
    except godocker.JobFailedError as e:
        assert e.exit_code == 7
        assert e.reason and "7" in str(e)
    else:
        raise AssertionError("run() of a job that exits 7 did not raise")
    ok = client.run("echo fine", timeout=60)
    assert ok["status"]["exitCode"] == 0


def test_wait_with_a_timeout_is_an_answer_not_an_error(client: godocker.Client) -> None:
    job = client.submit("sleep 30")
    try:
        r = client.wait(job["id"], timeout=1)
        assert r["timedOut"] is True
        assert r["job"]["status"]["state"] in ("pending", "running")
        started = client.wait(job["id"], timeout=60, wait_for="started")
        assert started["timedOut"] is False and started["job"]["status"]["state"] == "running"
    finally:
        client.kill(job["id"])


def test_follow_logs_streams_while_the_job_runs(client: godocker.Client) -> None:
    job = client.submit("for i in 1 2 3 4; do echo line$i; sleep 0.5; done")
    text = "".join(client.follow_logs(job["id"]))
    assert text == "line1\nline2\nline3\nline4\n"
    assert client.get_job(job["id"])["status"]["state"] == "done"


def test_kill_stops_the_container(client: godocker.Client) -> None:
    job = client.submit("sleep 300")
    running = client.wait(job["id"], timeout=60, wait_for="started")["job"]
    cid = running["status"]["containerId"]
    assert cid and container_running(cid)
    client.kill(job["id"])
    ended = client.wait(job["id"], timeout=60)["job"]
    assert ended["status"]["state"] == "failed"
    assert "kill" in ended["status"]["reason"].lower()
    wait_until("the container stopped", 30, lambda: not container_running(cid))


def test_hold_release_suspend_resume(client: godocker.Client) -> None:
    held = client.submit("echo released", hold=True)
    assert client.get_job(held["id"])["status"]["state"] == "held"
    client.release(held["id"])
    assert client.wait(held["id"], timeout=60)["job"]["status"]["state"] == "done"

    pending = client.submit("true", begin_at=datetime.now(timezone.utc) + timedelta(hours=1))
    assert client.hold(pending["id"])["status"]["state"] == "held"
    client.kill(pending["id"])

    job = client.submit("sleep 300")
    client.wait(job["id"], timeout=60, wait_for="started")
    assert client.suspend(job["id"])["status"]["state"] == "suspended"
    assert client.resume(job["id"])["status"]["state"] == "running"
    client.kill(job["id"])


def test_list_filters_and_pages(client: godocker.Client) -> None:
    tag = unique("tag")
    ids = [client.submit("true", tags=[tag])["id"] for _ in range(3)]
    client.wait_many(ids, timeout=60)
    page = client.list_jobs(tag=tag, limit=2)
    assert len(page["jobs"]) == 2 and page["nextCursor"]
    assert sorted(j["id"] for j in client.jobs(tag=tag, limit=2)) == sorted(ids)
    assert [j["id"] for j in client.jobs(tag=tag, state="done")] == sorted(ids, reverse=True)


def test_q_searches_every_job_on_the_server(client: godocker.Client) -> None:
    name = unique("needle")
    found = client.submit("true", name=name)
    client.submit("true", name=unique("hay"))
    client.wait(found["id"], timeout=60)
    assert [j["id"] for j in client.jobs(q=name)] == [found["id"]]
    assert client.list_jobs(q=unique("nothing-named-so"))["jobs"] == []


def test_wait_many_any_and_all(client: godocker.Client) -> None:
    quick = client.submit("true")
    slow = client.submit("sleep 300")
    try:
        first = client.wait_many([quick["id"], slow["id"]], timeout=60, mode="any")
        assert [j["id"] for j in first["ready"]] == [quick["id"]]
        both = client.wait_many([quick["id"], slow["id"]], timeout=1)
        assert both["timedOut"] is True
    finally:
        client.kill(slow["id"])


def test_info_names_the_catalogue_and_the_caller(client: godocker.Client) -> None:
    info = client.info()
    assert TEST_IMAGE in str(info)
    assert client.me()["name"] == "admin"


def test_a_retried_submit_with_the_same_key_makes_one_job(client: godocker.Client) -> None:
    key = str(uuid.uuid4())
    a = client.submit("true", idempotency_key=key)
    b = client.submit("true", idempotency_key=key)
    assert a["id"] == b["id"]


def test_submit_batch_stores_all(client: godocker.Client) -> None:
    jobs = client.submit_batch([{"command": {"script": "echo 1"}}, {"command": {"script": "echo 2"}}])
    done = client.wait_many([j["id"] for j in jobs], timeout=60)["ready"]
    assert sorted(j["status"]["exitCode"] for j in done) == [0, 0]
