"""How a Snakemake job's resources become a GoDocker job's requirements (a pure function, tested alone).

| Snakemake                          | GoDocker job                                  |
|------------------------------------|-----------------------------------------------|
| ``threads``                        | ``requirements.cpu`` (cores)                  |
| ``mem_mib``, else ``mem_mb``       | ``requirements.ram`` (MiB)                    |
| ``runtime`` (minutes)              | ``requirements.timeLimit`` (seconds)          |
| ``gpus``, else ``gpu``             | ``requirements.gpus``                         |
| ``godocker_image``                 | ``container.image`` (else ``--godocker-image``, else the daemon's default) |
| ``godocker_project``               | ``project`` (else ``--godocker-project``)     |
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


def _number(resources: Mapping[str, Any], *names: str) -> Optional[float]:
    for name in names:
        value = resources.get(name)
        # Snakemake leaves a resource it could not evaluate as a string ("<TBD>"): not a number to send.
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
    return None


def job_requirements(
    threads: int,
    resources: Mapping[str, Any],
    *,
    image: Optional[str] = None,
    project: Optional[str] = None,
) -> Dict[str, Any]:
    """Keywords of :meth:`godocker.Client.submit` for a job with these threads and resources."""
    fields: Dict[str, Any] = {"cpu": max(1, int(threads))}
    ram = _number(resources, "mem_mib", "mem_mb")
    if ram is not None and ram > 0:
        fields["ram"] = int(ram)
    runtime = _number(resources, "runtime")
    if runtime is not None and runtime > 0:
        fields["time_limit"] = int(runtime * 60)
    gpus = _number(resources, "gpus", "gpu")
    if gpus is not None and gpus > 0:
        fields["gpus"] = int(gpus)
    chosen_image = resources.get("godocker_image") or image
    if chosen_image:
        fields["image"] = str(chosen_image)
    chosen_project = resources.get("godocker_project") or project
    if chosen_project:
        fields["project"] = str(chosen_project)
    return fields
