"""Three GoDocker tasks with a dependency and a failure branch (the provider's end-to-end test).

produce -> compute -> publish (all succeeded)
                   \-> recover (GoDocker, one_failed: the failure branch)

``compute`` exits with the run's ``conf["exit"]`` (0 by default), so one DAG shows both branches.
Outputs go to the catalogue volume ``scratch``, in a folder per run.
"""

from __future__ import annotations

from datetime import datetime

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG

from airflow_provider_godocker.operators.godocker import GoDockerOperator

OUT = "/scratch/{{ dag_run.conf.get('out', 'default') }}"

with DAG(
    "godocker_pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    produce = GoDockerOperator(
        task_id="produce",
        script=f"mkdir -p {OUT} && echo 21 > {OUT}/n && echo starting && echo produced 21",
        volumes=["scratch:rw"],
        cpu=0.25,
        memory="64M",
        time_limit="5m",
    )
    compute = GoDockerOperator(
        task_id="compute",
        # The upstream's return value (its last output line) comes through XCom into the template.
        script=(
            f'n=$(cat {OUT}/n); echo $((n * 2)) > {OUT}/doubled; '
            'echo "after: {{ ti.xcom_pull(task_ids=\'produce\') }}"; '
            "exit {{ dag_run.conf.get('exit', 0) }}"
        ),
        volumes=["scratch:rw"],
        env={"RUN": "{{ run_id }}"},
    )
    recover = GoDockerOperator(
        task_id="recover",
        command=["sh", "-c", f"echo recovered > {OUT}/recovered; echo cleaned up"],
        volumes=["scratch:rw"],
        trigger_rule="one_failed",
    )
    publish = EmptyOperator(task_id="publish")
    produce >> compute >> [recover, publish]
