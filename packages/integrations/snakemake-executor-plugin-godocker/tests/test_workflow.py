"""``snakemake --executor godocker``: a three-rule workflow runs as GoDocker jobs with its resources."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import godocker
from godocker_testing import wait_until

from conftest import SNAKEMAKE_IMAGE

SNAKEFILE = """
rule all:
    input: "c.txt"

rule a:
    output: "a.txt"
    threads: 2
    resources: mem_mb=300, runtime=5
    shell: "echo a > {output}"

rule b:
    input: "a.txt"
    output: "b.txt"
    resources: mem_mb=200
    shell: "cat {input} > {output} && echo b >> {output}"

rule c:
    input: "b.txt"
    output: "c.txt"
    threads: 1
    resources: mem_mb=250, runtime=2
    shell: "cat {input} > {output} && echo c >> {output} && id -u >> {output}"
"""

FAILING_SNAKEFILE = """
rule all:
    input: "never.txt"

rule breaks:
    output: "never.txt"
    shell: "echo 'disk on fire' >&2; exit 7"
"""


def snakemake_command(workdir: Path, snakefile: str) -> list:
    workdir.mkdir()
    workdir.chmod(0o1777)
    (workdir / "Snakefile").write_text(textwrap.dedent(snakefile))
    return [
            sys.executable, "-m", "snakemake",
            "--executor", "godocker",
            "--jobs", "3",
            "--godocker-image", SNAKEMAKE_IMAGE,
            "--godocker-volumes", "smkwork",
            "--latency-wait", "5",
            "--seconds-between-status-checks", "1",
            # Everything but the source cache, which is in the host user's ~/.cache: jobs see
            # only the catalogue's volumes (the README says so for users).
            "--shared-fs-usage", "input-output", "persistence", "software-deployment", "sources",
            "storage-local-copies",
    ]


def as_root_with_open_umask() -> None:
    # Snakemake (root here) makes .snakemake/ and outputs' folders; the jobs (uid 1000) write there too.
    os.umask(0)


def snakemake(workdir: Path, snakefile: str, timeout: int = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_command(workdir, snakefile),
        cwd=workdir,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=as_root_with_open_umask,
    )


def test_a_three_rule_workflow_runs_with_its_resources(smk_env, workflows_dir: Path) -> None:
    work = workflows_dir / "three-rules"
    run = snakemake(work, SNAKEFILE)
    assert run.returncode == 0, f"stdout:\n{run.stdout[-3000:]}\nstderr:\n{run.stderr[-5000:]}"
    # In order (each reads the one before) and as the submitting user, not root.
    assert (work / "c.txt").read_text() == "a\nb\nc\n1000\n"

    with godocker.Client() as client:
        by_rule = {}
        for line in run.stderr.splitlines():
            if "is GoDocker job" in line:
                job_id = int(line.rsplit(" ", 1)[1].rstrip("."))
                job = client.get_job(job_id)
                by_rule[job["meta"]["name"].split(".")[1]] = job
    assert set(by_rule) == {"a", "b", "c"}, run.stderr[-3000:]
    for job in by_rule.values():
        assert job["status"]["state"] == "done" and job["status"]["exitCode"] == 0
        assert job["container"]["image"] == SNAKEMAKE_IMAGE
        assert job["command"]["workdir"] == str(work)
        assert "snakemake" in job["meta"]["tags"]
    # mem_mb is MB: Snakemake gives its MiB (mem_mib) too, which is what GoDocker counts in.
    assert by_rule["a"]["requirements"]["cpu"] == 2 and by_rule["a"]["requirements"]["ram"] == 287
    assert by_rule["a"]["requirements"]["timeLimit"] == 300
    assert by_rule["b"]["requirements"]["cpu"] == 1 and by_rule["b"]["requirements"]["ram"] == 191
    assert by_rule["c"]["requirements"]["ram"] == 239 and by_rule["c"]["requirements"]["timeLimit"] == 120


def test_a_failing_rule_fails_the_run_with_the_jobs_reason(smk_env, workflows_dir: Path) -> None:
    work = workflows_dir / "failing-rule"
    run = snakemake(work, FAILING_SNAKEFILE)
    assert run.returncode != 0
    # The job runs Snakemake for the rule, which ends 1 when the rule's command fails; the
    # rule's own words (and its exit status) are in the job's stderr, quoted in the error.
    assert re.search(r"GoDocker job \d+ ended failed with exit code 1: exited with code 1", run.stderr), run.stderr[-5000:]
    assert "disk on fire" in run.stderr and "Its stderr ends:" in run.stderr
    assert not (work / "never.txt").exists()


def test_an_image_the_daemon_refuses_stops_the_run_with_the_apis_error(smk_env, workflows_dir: Path) -> None:
    work = workflows_dir / "refused-image"
    snakefile = FAILING_SNAKEFILE.replace('shell: "echo', 'resources: godocker_image="not/allowed:1"\n    shell: "echo')
    run = snakemake(work, snakefile)
    assert run.returncode != 0
    assert "GOD_IMAGE_NOT_ALLOWED" in run.stderr, run.stderr[-5000:]


def test_interrupting_the_run_kills_its_jobs(smk_env, workflows_dir: Path) -> None:
    work = workflows_dir / "interrupted"
    snakefile = FAILING_SNAKEFILE.replace("echo 'disk on fire' >&2; exit 7", "touch rule-started; sleep 300")
    proc = subprocess.Popen(
        snakemake_command(work, snakefile),
        cwd=work,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=as_root_with_open_umask,
    )
    try:
        with godocker.Client() as client:
            running = wait_until(
                "the rule's job running",
                180,
                lambda: [j for j in client.jobs(tag="snakemake", state="running") if j["command"]["workdir"] == str(work)],
            )
            # Ctrl-C once the rule's own command runs in the job: a job GoDocker started at once may
            # not be among Snakemake's active jobs yet (a CI run interrupted it then, and Snakemake
            # had nothing to cancel), which is Snakemake's window, not the plugin's.
            wait_until("the rule's command running", 180, lambda: (work / "rule-started").exists())
            proc.send_signal(signal.SIGINT)  # Ctrl-C
            out, _ = proc.communicate(timeout=120)
            ended = client.wait(running[0]["id"], 60)
        assert not ended["timedOut"], out
        assert ended["job"]["status"]["state"] == "failed" and "kill" in ended["job"]["status"]["reason"], out
    finally:
        if proc.poll() is None:
            proc.kill()
