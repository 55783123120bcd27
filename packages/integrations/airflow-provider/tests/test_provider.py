"""The provider as Airflow sees it: entry point, connection type, hook."""

from __future__ import annotations

import subprocess
import sys
from typing import Dict

from godocker_testing import TestDaemon


def airflow_python(env: Dict[str, str], code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_airflow_discovers_the_provider_and_its_connection_type(dag_test_env: Dict[str, str]) -> None:
    line = airflow_python(
        dag_test_env,
        "from airflow.providers_manager import ProvidersManager as P; p = P(); "
        "info = p.providers['airflow-provider-godocker']; hook = p.hooks['godocker']; "
        "print(info.version, hook.hook_class_name, hook.connection_type)",
    )
    assert line == "0.1.0 airflow_provider_godocker.hooks.godocker.GoDockerHook godocker"


def test_hook_test_connection(dag_test_env: Dict[str, str], godocker_daemon: TestDaemon) -> None:
    good = airflow_python(
        dag_test_env,
        "from airflow_provider_godocker.hooks.godocker import GoDockerHook; print(GoDockerHook().test_connection())",
    )
    assert good == f"(True, 'connected to {godocker_daemon.url} as admin')"
    env = {**dag_test_env, "AIRFLOW_CONN_GODOCKER_DEFAULT": f'{{"conn_type": "godocker", "host": "{godocker_daemon.url}", "password": "wrong"}}'}
    bad = airflow_python(
        env, "from airflow_provider_godocker.hooks.godocker import GoDockerHook; ok, msg = GoDockerHook().test_connection(); print(ok, msg[:19])"
    )
    assert bad == "False GOD_UNAUTHENTICATED"
