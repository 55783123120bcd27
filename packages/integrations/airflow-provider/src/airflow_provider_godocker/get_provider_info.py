"""What Airflow's ProvidersManager reads through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any, Dict

from . import __version__


def get_provider_info() -> Dict[str, Any]:
    return {
        "package-name": "airflow-provider-godocker",
        "name": "GoDocker",
        "description": "Run Airflow tasks as jobs of a GoDocker batch scheduler (containers, fair share, quotas).",
        "versions": [__version__],
        "integrations": [{"integration-name": "GoDocker", "tags": ["software"]}],
        "connection-types": [
            {
                "connection-type": "godocker",
                "hook-class-name": "airflow_provider_godocker.hooks.godocker.GoDockerHook",
            }
        ],
        "hooks": [{"integration-name": "GoDocker", "python-modules": ["airflow_provider_godocker.hooks.godocker"]}],
        "operators": [
            {"integration-name": "GoDocker", "python-modules": ["airflow_provider_godocker.operators.godocker"]}
        ],
        "sensors": [{"integration-name": "GoDocker", "python-modules": ["airflow_provider_godocker.sensors.godocker"]}],
        "triggers": [
            {"integration-name": "GoDocker", "python-modules": ["airflow_provider_godocker.triggers.godocker"]}
        ],
    }
