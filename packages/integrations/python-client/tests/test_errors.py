"""Bad tokens, bad jobs and bad actions come back as typed errors with the API's codes."""

from __future__ import annotations

import socket

import pytest
from godocker_testing import TestDaemon

import godocker


def test_a_bad_token_is_an_authentication_error(godocker_daemon: TestDaemon) -> None:
    with godocker.Client(godocker_daemon.url, "not-a-token") as c:
        with pytest.raises(godocker.AuthenticationError) as e:
            c.submit("echo never")
    assert e.value.code == godocker.ErrorCode.UNAUTHENTICATED == "GOD_UNAUTHENTICATED"
    assert e.value.status == 401
    with godocker.Client(godocker_daemon.url, "not-a-token") as c, pytest.raises(godocker.AuthenticationError):
        c.list_jobs()


def test_an_image_outside_the_catalogue_is_refused(client: godocker.Client) -> None:
    with pytest.raises(godocker.ValidationError) as e:
        client.submit("true", image="evil/image:latest")
    assert e.value.code == "GOD_IMAGE_NOT_ALLOWED"
    assert e.value.status == 400
    assert e.value.field == "container.image"


def test_an_unknown_volume_is_refused(client: godocker.Client) -> None:
    with pytest.raises(godocker.ValidationError) as e:
        client.submit("true", volumes=["etc"])
    assert e.value.code == "GOD_VOLUME_NOT_ALLOWED"


def test_a_malformed_job_names_its_field(client: godocker.Client) -> None:
    with pytest.raises(godocker.ValidationError) as e:
        client.submit(submission={"command": {"script": "true"}, "requirements": {"cpu": -1}})
    assert e.value.code == "GOD_INVALID_REQUEST"
    assert e.value.field and "cpu" in e.value.field


def test_bad_input_is_refused_before_it_is_sent(client: godocker.Client) -> None:
    with pytest.raises(godocker.ValidationError) as e:
        client.submit("true", ram="lots")
    assert e.value.field == "requirements.ram"
    with pytest.raises(godocker.ValidationError):
        client.submit("true", dependencies=["after:1"])
    with pytest.raises(godocker.ValidationError):
        client.submit()


def test_root_is_refused(client: godocker.Client) -> None:
    with pytest.raises(godocker.ForbiddenError) as e:
        client.submit("id", root=True)
    assert e.value.code == "GOD_ROOT_NOT_ALLOWED"


def test_unknown_job_and_wrong_state(client: godocker.Client) -> None:
    with pytest.raises(godocker.JobNotFoundError) as e:
        client.get_job(987654321)
    assert e.value.code == "GOD_JOB_NOT_FOUND" and e.value.status == 404
    done = client.run("true", timeout=60)
    with pytest.raises(godocker.InvalidStateError) as s:
        client.release(done["id"])
    assert s.value.code == "GOD_INVALID_STATE" and s.value.status == 409


def test_another_users_job_is_not_found(client: godocker.Client, godocker_daemon: TestDaemon) -> None:
    token = godocker_daemon.add_user(f"alice{id(client) % 10000}", 2001)
    mine = client.submit("true")
    with godocker.Client(godocker_daemon.url, token) as alice:
        with pytest.raises(godocker.JobNotFoundError):
            alice.get_job(mine["id"])
        assert alice.run("echo alice", timeout=60)["user"]["uid"] == 2001


def test_no_daemon_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with godocker.Client(f"http://127.0.0.1:{port}", "t") as c, pytest.raises(godocker.GodockerConnectionError) as e:
        c.get_job(1)
    assert e.value.code == "GOD_CONNECTION_ERROR"
    assert f"127.0.0.1:{port}" in e.value.message
