"""A sensor on a GoDocker job submitted elsewhere (the test submits it; its id comes in the run's conf)."""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_godocker.sensors.godocker import GoDockerJobSensor

with DAG("godocker_sensor", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    GoDockerJobSensor(task_id="wait_job", job_id="{{ dag_run.conf['job_id'] }}", poke_interval=1, timeout=120, retries=0)
