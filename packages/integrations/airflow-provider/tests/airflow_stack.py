"""Apache Airflow as it runs in production, minus the web UI: the API server, the scheduler with
the LocalExecutor and ONE worker slot, the DAG processor and the triggerer, each its own process,
on SQLite in a temporary AIRFLOW_HOME. Tests drive it through its REST API as a user would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

DAGS = Path(__file__).parent / "dags"
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def airflow_env(home: Path, godocker_url: str, godocker_token: str, extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The environment of every Airflow process of a test: its own home, our DAGs, the godocker connection."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
    return {
        **inherited,
        # Plain logs: the tests read them (a runner like vitest sets FORCE_COLOR for its children).
        "NO_COLOR": "1",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW_CONN_GODOCKER_DEFAULT": json.dumps(
            {"conn_type": "godocker", "host": godocker_url, "password": godocker_token}
        ),
        **(extra or {}),
    }


def migrate(env: Mapping[str, str]) -> None:
    out = subprocess.run([AIRFLOW, "db", "migrate"], env=dict(env), capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")


class AirflowStack:
    COMPONENTS = (["api-server", "--workers", "1"], ["scheduler"], ["dag-processor"], ["triggerer"])

    def __init__(self, godocker_url: str, godocker_token: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="airflow-stack-"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = airflow_env(
            self.home,
            godocker_url,
            godocker_token,
            {
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                # One worker slot: a second task can only run if the first gave its slot back.
                "AIRFLOW__CORE__PARALLELISM": "1",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base}/execution/",
                "AIRFLOW__API_AUTH__JWT_SECRET": os.urandom(24).hex(),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "1",
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "1",
            },
        )
        self.processes: List[subprocess.Popen] = []
        self._token: Optional[str] = None

    def start(self, timeout: float = 240) -> "AirflowStack":
        migrate(self.env)
        for args in self.COMPONENTS:
            log = open(self.home / f"{args[0]}.log", "wb")
            self.processes.append(
                subprocess.Popen([AIRFLOW, *args], env=self.env, cwd=self.home, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            )
            log.close()
        end = time.monotonic() + timeout
        while True:
            for p in self.processes:
                if p.poll() is not None:
                    raise RuntimeError(f"airflow {p.args[1]} exited with {p.returncode}:\n{self.log_tail(p.args[1])}")
            try:
                # Ready once the API answers and the DAG processor has stored our DAGs.
                if all(self.api("GET", f"/api/v2/dags/{d}") for d in ("godocker_long", "godocker_deferred")):
                    return self
            except (OSError, RuntimeError):
                pass
            if time.monotonic() > end:
                raise RuntimeError(f"Airflow did not come up in {timeout} s:\n" + "\n".join(self.log_tail(a[0]) for a in self.COMPONENTS))
            time.sleep(1)

    def log_tail(self, component: str, chars: int = 3000) -> str:
        try:
            return f"--- {component}:\n" + (self.home / f"{component}.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        for p in self.processes:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in self.processes:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(10)
        # Workers the components forked live in their process groups: none may outlive the test.
        for p in self.processes:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def api(self, method: str, path: str, body: Any = None) -> Any:
        if self._token is None and not path.startswith("/auth/"):
            self._token = self.api("GET", "/auth/token")["access_token"]
        req = urllib.request.Request(
            self.base + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"content-type": "application/json", **({"authorization": f"Bearer {self._token}"} if self._token else {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path}: {e.code} {e.read().decode(errors='replace')[:500]}") from e

    def trigger(self, dag_id: str, conf: Optional[Dict[str, Any]] = None) -> str:
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return str(run["dag_run_id"])

    def task(self, dag_id: str, run_id: str, task_id: str) -> Dict[str, Any]:
        ti: Dict[str, Any] = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        return ti

    def run_state(self, dag_id: str, run_id: str) -> str:
        return str(self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")["state"])

    def mark(self, dag_id: str, run_id: str, task_id: str, state: str) -> None:
        """What the UI's "Mark failed" does."""
        self.api("PATCH", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}", {"new_state": state})

    def task_log(self, dag_id: str, run_id: str, task_id: str, attempt: int = 1, *, trigger: bool = False) -> str:
        """The task's log file, or (``trigger``) what the triggerer wrote for it (``attempt=N.log.trigger.ID.log``)."""
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}" / f"task_id={task_id}"
        pattern = f"attempt={attempt}.log.trigger.*.log" if trigger else f"attempt={attempt}.log"
        return "".join(p.read_text(errors="replace") for p in sorted(folder.glob(pattern)))
