"""Airflow 3 moved the authoring classes to ``airflow.sdk``; Airflow 2 has them in ``airflow.models``."""

from __future__ import annotations

try:  # Airflow 3
    from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator
except ImportError:  # Airflow 2.9+
    from airflow.hooks.base import BaseHook  # type: ignore[no-redef]
    from airflow.models import BaseOperator  # type: ignore[no-redef]
    from airflow.sensors.base import BaseSensorOperator  # type: ignore[no-redef]

from airflow.exceptions import AirflowException
from airflow.triggers.base import BaseTrigger, TriggerEvent

__all__ = ["AirflowException", "BaseHook", "BaseOperator", "BaseSensorOperator", "BaseTrigger", "TriggerEvent"]
