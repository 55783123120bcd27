"""The package is typed: it ships py.typed, and mypy --strict passes on it as installed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import godocker
import godocker_testing


def test_installed_packages_are_typed_and_pass_mypy_strict() -> None:
    for package in (godocker, godocker_testing):
        root = Path(str(package.__file__)).parent
        assert (root / "py.typed").is_file(), f"{root} ships no py.typed"
        out = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir=/dev/null", "-p", package.__name__],
            cwd=root.parent,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stdout + out.stderr
