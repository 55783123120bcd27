"""Apache Airflow provider for GoDocker: tasks that run as GoDocker jobs.

>>> from airflow_provider_godocker.operators.godocker import GoDockerOperator
>>> GoDockerOperator(task_id="align", script="bwa mem ref.fa {{ params.sample }}", cpu=4, memory="8G")
"""

__version__ = "0.1.0"
