"""DRMAA-style sessions and the asyncio client."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from godocker_testing import TestDaemon

import godocker


def test_session_wait_any_reaps_then_wait_all(client: godocker.Client, godocker_daemon: TestDaemon) -> None:
    name = f"s-{uuid.uuid4().hex[:8]}"
    s = client.create_session(name)
    assert s.owner == "admin"
    quick = s.run_job("echo quick")
    slow = s.run_job("sleep 2; echo slow")
    first = s.wait_any(timeout=60)
    assert first["reaped"] == [quick["id"]]
    assert first["info"][0]["hasExited"] and first["info"][0]["exitStatus"] == 0
    # Another process opens the same session by its name and sees the rest.
    with godocker.Client(godocker_daemon.url, godocker_daemon.token) as other:
        again = other.open_session(name)
        rest = again.wait_all(timeout=60)
        assert rest["reaped"] == [slow["id"]]
    assert name in [x["name"] for x in client.list_sessions()]
    with pytest.raises(godocker.ConflictError):
        client.create_session(name)
    s.close()
    with pytest.raises(godocker.SessionNotFoundError) as e:
        client.open_session(name)
    assert e.value.code == "GOD_SESSION_NOT_FOUND"


def test_session_control_kills_every_job(client: godocker.Client) -> None:
    s = client.create_session()
    jobs = [s.run_job("sleep 300") for _ in range(2)]
    client.wait_many([j["id"] for j in jobs], timeout=60, wait_for="started")
    acted = s.control("kill")
    assert sorted(acted) == sorted(str(j["id"]) for j in jobs)
    ended = s.wait_all(timeout=60)
    assert all(j["status"]["state"] == "failed" for j in ended["ready"])
    s.close()


def test_async_client(godocker_daemon: TestDaemon) -> None:
    async def scenario() -> None:
        async with godocker.AsyncClient(godocker_daemon.url, godocker_daemon.token) as gd:
            job = await gd.submit("echo a; sleep 1; echo b", name="async")
            text = "".join([t async for t in gd.follow_logs(job["id"])])
            assert text == "a\nb\n"
            assert (await gd.wait(job["id"], timeout=30))["job"]["status"]["exitCode"] == 0
            assert (await gd.logs(job["id"])) == "a\nb\n"
            long = await gd.submit("sleep 300")
            await gd.wait(long["id"], 60, wait_for="started")
            await gd.kill(long["id"])
            assert (await gd.wait(long["id"], 60))["job"]["status"]["state"] == "failed"
            with pytest.raises(godocker.JobFailedError):
                await gd.run("exit 2", timeout=60)
            s = await gd.create_session()
            j = await s.run_job("true")
            assert (await s.wait_any(60))["reaped"] == [j["id"]]
            await s.close()
        async with godocker.AsyncClient(godocker_daemon.url, "wrong") as bad:
            with pytest.raises(godocker.AuthenticationError):
                await bad.get_job(1)

    asyncio.run(scenario())
