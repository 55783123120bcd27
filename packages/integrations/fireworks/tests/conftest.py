"""What the FireWorks tests share: a daemon that runs FireWorks jobs, a LaunchPad of their own.

- The daemon (``godocker_daemon_factory`` of godocker-testing) allows the FireWorks image
  (``GODOCKER_FIREWORKS_IMAGE``: scripts/build-python-image.sh with the ``fireworks`` venv, so
  ``rlaunch`` is the one the tests run), a volume ``fwwork`` at the same path in jobs as on the
  host (qlaunch's launch directories), and the host network, so rlaunch reaches the LaunchPad.
- The LaunchPad is on the MongoDB-wire server here (FerretDB, ``GODOCKER_TEST_MONGO_URL``), in a
  database named for each test, dropped at its end; rockets run with ``godocker_fireworks.ping_fix``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from fireworks import LaunchPad

from godocker_fireworks import ping_fix

# Rockets the tests launch in this process talk to FerretDB too.
ping_fix.apply()

MONGO_URL = os.environ.get("GODOCKER_TEST_MONGO_URL", "mongodb://127.0.0.1:27017/")
FIREWORKS_IMAGE = os.environ.get("GODOCKER_FIREWORKS_IMAGE", "local/godocker-fireworks:latest")
BUSYBOX = "local/busybox:latest"


@pytest.fixture(scope="session")
def work_dir() -> Iterator[Path]:
    # Jobs run as the admin's uid (1000), the tests as root: everyone may write here.
    d = Path(tempfile.mkdtemp(prefix="godocker-fw-"))
    d.chmod(0o1777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def fw_daemon(godocker_daemon_factory, work_dir: Path):
    return godocker_daemon_factory(
        {
            "images": {"default": BUSYBOX, "catalogue": [BUSYBOX, FIREWORKS_IMAGE]},
            "volumes": [{"name": "fwwork", "hostPath": str(work_dir), "mode": "rw"}],
            "network": {"defaultMode": "none", "allowedMode": "host"},
        }
    )


@pytest.fixture
def fw_env(fw_daemon, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GODOCKER_URL", fw_daemon.url)
    monkeypatch.setenv("GODOCKER_TOKEN", fw_daemon.token)
    return fw_daemon


@pytest.fixture
def launchpad(work_dir: Path) -> Iterator[LaunchPad]:
    """A LaunchPad in a database of its own; ``launchpad.file`` is its YAML, for rlaunch/qlaunch."""
    name = f"godocker_fw_{uuid.uuid4().hex[:12]}"
    lp = LaunchPad(host=MONGO_URL + name, name=name, uri_mode=True, strm_lvl="WARNING")
    lp.reset("", require_password=False)
    path = work_dir / f"{name}.yaml"
    lp.to_file(str(path))
    path.chmod(0o644)
    lp.file = str(path)  # type: ignore[attr-defined]
    yield lp
    lp.connection.drop_database(name)
