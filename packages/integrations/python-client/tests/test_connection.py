"""Where the client finds its daemon and token: the same rules as the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import godocker


def save_login(home: Path, url: str, token: str) -> None:
    d = home / ".config" / "godocker"
    d.mkdir(parents=True)
    (d / "login.json").write_text(json.dumps({"url": url, "token": token}))


def test_env_wins_over_saved_login(tmp_path: Path) -> None:
    save_login(tmp_path, "http://saved:1", "saved-token")
    c = godocker.resolve_connection(env={"HOME": str(tmp_path), "GODOCKER_URL": "http://env:2/api/v1/", "GODOCKER_TOKEN": "t"})
    assert (c.url, c.token, c.url_from, c.token_from) == ("http://env:2", "t", "env", "env")


def test_saved_login_of_the_cli_is_used(tmp_path: Path) -> None:
    save_login(tmp_path, "http://saved:1", "saved-token")
    c = godocker.resolve_connection(env={"HOME": str(tmp_path)})
    assert (c.url, c.token, c.token_from) == ("http://saved:1", "saved-token", "login")


def test_xdg_config_home_holds_the_login(tmp_path: Path) -> None:
    (tmp_path / "godocker").mkdir()
    (tmp_path / "godocker" / "login.json").write_text(json.dumps({"url": "127.0.0.1:7", "token": "x"}))
    c = godocker.resolve_connection(env={"XDG_CONFIG_HOME": str(tmp_path), "HOME": "/nonexistent"})
    assert (c.url, c.token) == ("http://127.0.0.1:7", "x")


def test_saved_token_is_never_sent_to_another_daemon(tmp_path: Path) -> None:
    save_login(tmp_path, "http://saved:1", "saved-token")
    c = godocker.resolve_connection(url="http://other:3", env={"HOME": str(tmp_path)})
    assert (c.url, c.token) == ("http://other:3", None)


def test_nothing_configured_means_the_local_daemon(tmp_path: Path) -> None:
    c = godocker.resolve_connection(env={"HOME": str(tmp_path)})
    assert (c.url, c.token, c.url_from) == (godocker.DEFAULT_URL, None, "default")


def test_damaged_login_file_names_itself(tmp_path: Path) -> None:
    d = tmp_path / ".config" / "godocker"
    d.mkdir(parents=True)
    (d / "login.json").write_text("{not json")
    with pytest.raises(godocker.GodockerError) as e:
        godocker.resolve_connection(env={"HOME": str(tmp_path)})
    assert e.value.code == "GOD_CONFIG_INVALID"
    assert str(d / "login.json") in e.value.message


def test_client_reads_env(godocker_env) -> None:  # type: ignore[no-untyped-def]
    with godocker.Client() as c:
        assert c.url == godocker_env.url
        assert c.me()["name"] == "admin"
