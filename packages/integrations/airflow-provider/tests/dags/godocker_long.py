"""A GoDocker task that runs until killed (on_kill test), and a deferrable one beside a plain
task (the worker-slot test)."""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG

from airflow_provider_godocker.operators.godocker import GoDockerOperator

with DAG("godocker_long", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as long_dag:
    GoDockerOperator(task_id="sleeper", script="echo sleeping; sleep 600", retries=0)

with DAG("godocker_deferred", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as deferred_dag:
    GoDockerOperator(
        task_id="waits",
        script="echo begin; sleep {{ dag_run.conf.get('seconds', 20) }}; echo end",
        deferrable=True,
        retries=0,
        # Queued first, so it is the one holding the only worker slot until it defers.
        priority_weight=10,
        weight_rule="absolute",
    )
    # With one worker slot, this runs only if the deferred task gave its slot back.
    BashOperator(
        task_id="meanwhile", bash_command="echo the slot was free", retries=0, priority_weight=1, weight_rule="absolute"
    )
