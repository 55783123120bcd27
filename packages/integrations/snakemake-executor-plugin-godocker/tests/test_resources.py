"""Snakemake resources to GoDocker requirements: each one, and what is left out."""

from snakemake_executor_plugin_godocker.resources import job_requirements


def test_threads_memory_runtime_and_gpus_are_mapped() -> None:
    fields = job_requirements(4, {"mem_mb": 2000, "mem_mib": 1908, "runtime": 90, "gpus": 2})
    assert fields == {"cpu": 4, "ram": 1908, "time_limit": 5400, "gpus": 2}


def test_mem_mb_and_gpu_are_read_when_alone() -> None:
    assert job_requirements(1, {"mem_mb": 300, "gpu": 1}) == {"cpu": 1, "ram": 300, "gpus": 1}


def test_image_and_project_from_the_rule_win_over_the_settings() -> None:
    fields = job_requirements(1, {"godocker_image": "local/bwa:1"}, image="local/default:1", project="p")
    assert fields["image"] == "local/bwa:1" and fields["project"] == "p"
    assert job_requirements(1, {}, image="local/default:1")["image"] == "local/default:1"


def test_what_snakemake_could_not_evaluate_is_not_sent() -> None:
    # A resource Snakemake defers is the string "<TBD>"; zero asks for nothing.
    assert job_requirements(2, {"mem_mb": "<TBD>", "runtime": 0, "gpus": 0}) == {"cpu": 2}
