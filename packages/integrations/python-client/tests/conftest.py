from __future__ import annotations

from typing import Iterator

import pytest
from godocker_testing import TestDaemon

import godocker


@pytest.fixture
def client(godocker_daemon: TestDaemon) -> Iterator[godocker.Client]:
    with godocker.Client(godocker_daemon.url, godocker_daemon.token) as c:
        yield c
