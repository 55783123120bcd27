"""pytest fixtures (registered through the ``pytest11`` entry point):

- ``godocker_daemon``: one real daemon for the whole test session (docker executor, admin token);
- ``godocker_env``: ``GODOCKER_URL``/``GODOCKER_TOKEN`` of that daemon set for one test;
- ``godocker_daemon_factory``: more daemons with config overrides, stopped at the end.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, List, Mapping, Optional

import pytest

from .daemon import TestDaemon, start_daemon


@pytest.fixture(scope="session")
def godocker_daemon() -> Iterator[TestDaemon]:
    daemon = start_daemon()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def godocker_env(godocker_daemon: TestDaemon, monkeypatch: pytest.MonkeyPatch) -> TestDaemon:
    monkeypatch.setenv("GODOCKER_URL", godocker_daemon.url)
    monkeypatch.setenv("GODOCKER_TOKEN", godocker_daemon.token)
    return godocker_daemon


@pytest.fixture(scope="session")
def godocker_daemon_factory() -> Iterator[Callable[..., TestDaemon]]:
    started: List[TestDaemon] = []

    def start(overrides: Optional[Mapping[str, Any]] = None) -> TestDaemon:
        d = start_daemon(overrides)
        started.append(d)
        return d

    try:
        yield start
    finally:
        for d in started:
            d.stop()
