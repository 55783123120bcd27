"""Snakemake executor plugin for GoDocker: ``snakemake --executor godocker``.

Each job Snakemake would run becomes one GoDocker job that runs ``python -m snakemake`` for it in
a container, as the submitting user, in the workflow's directory, so:

- the image (``--godocker-image`` or the rule's ``godocker_image`` resource) must have the same
  Snakemake (and the rule's tools) as the host;
- the admin's volume catalogue must mount the workflow directory at the same path
  (``--godocker-volumes NAME...``, e.g. ``{name: home, hostPath: /home/$USER, mode: rw}``).

Resources map as :mod:`.resources` says (threads, mem_mb, runtime, gpus). The daemon and token
come from ``GODOCKER_URL`` / ``GODOCKER_TOKEN`` or ``godocker login``, as for every GoDocker
client (``--godocker-url`` names another daemon). A rule whose job fails fails the run with
the job's id, exit code, reason and the end of its stderr.
"""

import uuid
from dataclasses import dataclass, field
from typing import AsyncGenerator, List, Optional

import godocker
from snakemake_interface_common.exceptions import WorkflowError
from snakemake_interface_executor_plugins.executors.base import SubmittedJobInfo
from snakemake_interface_executor_plugins.executors.remote import RemoteExecutor
from snakemake_interface_executor_plugins.jobs import JobExecutorInterface
from snakemake_interface_executor_plugins.settings import CommonSettings, ExecutorSettingsBase

from .resources import job_requirements

#: The tag every job of this plugin carries.
SNAKEMAKE_TAG = "snakemake"
#: Lines of a failed job's stderr quoted in the error.
STDERR_TAIL_LINES = 20


@dataclass
class ExecutorSettings(ExecutorSettingsBase):
    # No `from __future__ import annotations` here: Snakemake reads these types to build its options.
    url: Optional[str] = field(
        default=None,
        metadata={"help": "The GoDocker daemon (default: GODOCKER_URL, then `godocker login`)", "type": str, "required": False},
    )
    image: Optional[str] = field(
        default=None,
        metadata={
            "help": "Image of the jobs, with Snakemake in it (a rule's godocker_image resource wins; "
            "default: the daemon's default image)",
            "type": str,
            "required": False,
        },
    )
    # One string, not a list: Snakemake's settings turn a list option back into its repr.
    volumes: Optional[str] = field(
        default=None,
        metadata={
            "help": "Volumes of the admin's catalogue to mount in each job, comma-separated; one must "
            "hold the workflow directory at the same path (NAME or NAME:ro, e.g. home,ref:ro)",
            "type": str,
            "required": False,
        },
    )
    project: Optional[str] = field(
        default=None,
        metadata={"help": "GoDocker project of the jobs (a rule's godocker_project resource wins)", "type": str, "required": False},
    )


common_settings = CommonSettings(
    non_local_exec=True,
    implies_no_shared_fs=False,
    job_deploy_sources=False,
    pass_default_storage_provider_args=True,
    pass_default_resources_args=True,
    pass_envvar_declarations_to_cmd=True,
    auto_deploy_default_storage_provider=False,
    init_seconds_before_status_checks=1,
)


class Executor(RemoteExecutor):
    def __post_init__(self) -> None:
        self.settings: ExecutorSettings = self.workflow.executor_settings or ExecutorSettings()
        #: Tags this run's jobs, so a person can list them: godocker jobs --tag snakemake-run-ID.
        self.run_tag = f"snakemake-run-{uuid.uuid4().hex[:12]}"
        self.client = godocker.Client(url=self.settings.url)
        self.workdir = self.workflow.workdir_init
        self.volumes = [v.strip() for v in (self.settings.volumes or "").split(",") if v.strip()] or None

    def get_job_exec_prefix(self, job: JobExecutorInterface) -> str:
        # Snakemake caches the workflow's sources under the user's cache folder, which in a
        # container is often the image's (or none the job's uid may write): a fresh one per job.
        return 'export XDG_CACHE_HOME="$(mktemp -d)"'

    def run_job(self, job: JobExecutorInterface) -> None:
        script = self.jobscript.format(properties=job.properties(), exec_job=self.format_job_exec(job))
        fields = job_requirements(
            job.threads, job.resources, image=self.settings.image, project=self.settings.project
        )
        try:
            submitted = self.client.submit(
                script,
                name=self.get_jobname(job),
                tags=[SNAKEMAKE_TAG, self.run_tag],
                workdir=self.workdir,
                volumes=self.volumes,
                **fields,
            )
        except godocker.GodockerError as e:
            raise WorkflowError(f"GoDocker refused the job of rule {job.name}: {e}") from e
        self.logger.info(f"Job {job.jobid} is GoDocker job {submitted['id']}.")
        self.report_job_submission(SubmittedJobInfo(job, external_jobid=str(submitted["id"])))

    async def check_active_jobs(
        self, active_jobs: List[SubmittedJobInfo]
    ) -> AsyncGenerator[SubmittedJobInfo, None]:
        if not active_jobs:
            return
        by_id = {int(j.external_jobid): j for j in active_jobs}
        async with self.status_rate_limiter:
            async with godocker.AsyncClient(url=self.settings.url) as client:
                # One call for every job of the run: those that have ended come back at once.
                try:
                    ended = (await client.wait_many(list(by_id), 0, mode="any"))["ready"]
                except godocker.UnavailableError as e:
                    # The daemon restarting or unreachable for a moment: the jobs run on; ask again.
                    self.logger.warning(f"GoDocker did not answer the status check ({e}); trying again.")
                    ended = []
                for job in ended:
                    info = by_id.pop(job["id"])
                    status = job["status"]
                    if status["state"] == "done" and status["exitCode"] == 0:
                        self.report_job_success(info)
                        continue
                    tail = await self._stderr_tail(client, job["id"])
                    self.report_job_error(
                        info,
                        msg=f"GoDocker job {job['id']} ended {status['state']} with exit code "
                        f"{status['exitCode']}: {status['reason']}\n{tail}",
                    )
        for info in by_id.values():
            yield info

    @staticmethod
    async def _stderr_tail(client: godocker.AsyncClient, job_id: int) -> str:
        try:
            text = await client.logs(job_id, "stderr")
        except godocker.GodockerError as e:
            return f"(its stderr could not be read: {e})"
        lines = text.rstrip("\n").splitlines()[-STDERR_TAIL_LINES:]
        return "Its stderr ends:\n" + "\n".join(lines) if lines else "Its stderr is empty."

    def cancel_jobs(self, active_jobs: List[SubmittedJobInfo]) -> None:
        for info in active_jobs:
            try:
                self.client.kill(int(info.external_jobid))
            except (godocker.InvalidStateError, godocker.NotFoundError):
                pass  # ended meanwhile

    def shutdown(self) -> None:
        super().shutdown()
        self.client.close()
