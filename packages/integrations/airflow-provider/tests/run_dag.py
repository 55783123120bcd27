"""Runs one DAG with ``dag.test()`` in this process and prints what happened as JSON (last line).

    python run_dag.py DAG_ID '[{"conf": "of the first run"}, {"of": "the second"}]'

Run by the tests in a child process, so that each run has Airflow's global state to itself and
a test can signal it (the on_kill test).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from airflow.models.xcom import XComModel
from airflow.utils.session import create_session

RESULT_MARK = "DAG-TEST-RESULT "


def load_dag(dag_id: str):  # type: ignore[no-untyped-def]
    import importlib.util

    for path in sorted((Path(__file__).parent / "dags").glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for value in vars(module).values():
            if getattr(value, "dag_id", None) == dag_id and hasattr(value, "test"):
                return value
    raise SystemExit(f"no DAG {dag_id} in {Path(__file__).parent / 'dags'}")


def main() -> None:
    dag = load_dag(sys.argv[1])
    for conf in json.loads(sys.argv[2]) if len(sys.argv) > 2 else [{}]:
        report(dag, dag.test(run_conf=conf))


def report(dag, run) -> None:  # type: ignore[no-untyped-def]
    with create_session() as session:
        tis = {ti.task_id: str(ti.state) for ti in run.get_task_instances(session=session)}
        rows = session.query(XComModel).filter(XComModel.dag_id == dag.dag_id, XComModel.run_id == run.run_id).all()
        xcom: dict = {}
        for row in rows:
            xcom.setdefault(row.task_id, {})[row.key] = row.value
    print(RESULT_MARK + json.dumps({"run_id": run.run_id, "state": str(run.state), "tis": tis, "xcom": xcom}), flush=True)


if __name__ == "__main__":
    main()
