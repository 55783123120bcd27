"""What the Snakemake tests share: a daemon that runs Snakemake jobs on a workflow folder.

The daemon (``godocker_daemon_factory`` of godocker-testing) allows the Snakemake image
(``GODOCKER_SNAKEMAKE_IMAGE``: scripts/build-python-image.sh with the ``snakemake`` venv, so the
jobs run the Snakemake the tests run) and a volume ``smkwork`` that mounts the folder the
workflows live in at the same path in jobs as on the host.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

SNAKEMAKE_IMAGE = os.environ.get("GODOCKER_SNAKEMAKE_IMAGE", "local/godocker-snakemake:latest")
BUSYBOX = "local/busybox:latest"


@pytest.fixture(scope="session")
def workflows_dir() -> Iterator[Path]:
    # Jobs run as the admin's uid (1000), the tests as root: everyone may write here.
    d = Path(tempfile.mkdtemp(prefix="godocker-smk-"))
    d.chmod(0o1777)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def smk_daemon(godocker_daemon_factory, workflows_dir: Path):
    return godocker_daemon_factory(
        {
            "images": {"default": BUSYBOX, "catalogue": [BUSYBOX, SNAKEMAKE_IMAGE]},
            "volumes": [{"name": "smkwork", "hostPath": str(workflows_dir), "mode": "rw"}],
        }
    )


@pytest.fixture
def smk_env(smk_daemon, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GODOCKER_URL", smk_daemon.url)
    monkeypatch.setenv("GODOCKER_TOKEN", smk_daemon.token)
    return smk_daemon
