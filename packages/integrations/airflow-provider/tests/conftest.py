from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from airflow_stack import AirflowStack, airflow_env, migrate
from godocker_testing import TestDaemon

import godocker

HERE = Path(__file__).parent
RESULT_MARK = "DAG-TEST-RESULT "


@pytest.fixture
def client(godocker_daemon: TestDaemon) -> Iterator[godocker.Client]:
    with godocker.Client(godocker_daemon.url, godocker_daemon.token) as c:
        yield c


@pytest.fixture(scope="session")
def dag_test_env(godocker_daemon: TestDaemon) -> Iterator[Dict[str, str]]:
    """An AIRFLOW_HOME with its SQLite database, for ``dag.test()`` runs (no scheduler)."""
    home = Path(tempfile.mkdtemp(prefix="airflow-dagtest-"))
    env = airflow_env(home, godocker_daemon.url, godocker_daemon.token)
    migrate(env)
    yield env
    shutil.rmtree(home, ignore_errors=True)


RunDag = Callable[..., Tuple[List[Dict[str, Any]], str]]


@pytest.fixture
def run_dag(dag_test_env: Dict[str, str]) -> RunDag:
    """Runs a DAG with dag.test() in a child process, once per conf; (results, the process's output)."""

    def run(dag_id: str, *confs: Dict[str, Any], timeout: float = 300) -> Tuple[List[Dict[str, Any]], str]:
        out = subprocess.run(
            [sys.executable, str(HERE / "run_dag.py"), dag_id, json.dumps(list(confs) or [{}])],
            env=dag_test_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        output = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
        results = [json.loads(line[len(RESULT_MARK) :]) for line in out.stdout.splitlines() if line.startswith(RESULT_MARK)]
        assert out.returncode == 0 and len(results) == max(1, len(confs)), output[-6000:]
        return results, output

    return run


@pytest.fixture(scope="session")
def airflow_stack(godocker_daemon: TestDaemon) -> Iterator[AirflowStack]:
    stack = AirflowStack(godocker_daemon.url, godocker_daemon.token)
    try:
        yield stack.start()
    finally:
        stack.stop()
        shutil.rmtree(stack.home, ignore_errors=True)
