"""The wire shapes of REST API v1 as TypedDicts (``packages/sdk/src/job.ts`` and ``api.ts``).

Jobs come back as plain dicts, exactly as the daemon sends them, typed for editors and mypy:
``job["status"]["state"]``, ``job["status"]["exitCode"]``.
"""

from __future__ import annotations

import sys
from typing import Dict, List, Literal, Optional, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - older Pythons
    from typing_extensions import NotRequired

JobState = Literal["pending", "held", "running", "suspended", "done", "failed"]
JobAction = Literal["kill", "suspend", "resume", "hold", "release"]
WaitFor = Literal["started", "terminated"]
LogStream = Literal["stdout", "stderr"]
DependencyType = Literal["afterok", "afterany", "afternotok"]
MailType = Literal["none", "begin", "end", "fail", "requeue", "time_limit", "all"]

TERMINAL_STATES: "frozenset[str]" = frozenset({"done", "failed"})


class VolumeRequest(TypedDict):
    name: str
    mode: NotRequired[Literal["ro", "rw"]]


class PortRequest(TypedDict):
    containerPort: int
    protocol: NotRequired[Literal["tcp", "udp"]]


class Dependency(TypedDict):
    type: DependencyType
    jobId: int


class NotifySubmit(TypedDict, total=False):
    mailTypes: List[MailType]
    mailUser: str
    url: str


class MetaSubmit(TypedDict, total=False):
    name: str
    description: str
    tags: List[str]


class CommandSubmit(TypedDict):
    script: str
    args: NotRequired[List[str]]
    env: NotRequired[Dict[str, str]]
    workdir: NotRequired[str]
    stdin: NotRequired[str]
    stdout: NotRequired[str]
    stderr: NotRequired[str]
    joinStderr: NotRequired[bool]


class ContainerSubmit(TypedDict, total=False):
    image: str
    volumes: List[VolumeRequest]
    network: bool
    root: bool
    ports: List[PortRequest]


class RequirementsSubmit(TypedDict, total=False):
    cpu: float
    ram: int
    gpus: int
    tmpstorage: int
    timeLimit: int
    executor: str
    labels: Dict[str, str]


class JobSubmission(TypedDict):
    """What ``POST /api/v1/jobs`` takes."""

    command: CommandSubmit
    meta: NotRequired[MetaSubmit]
    project: NotRequired[str]
    session: NotRequired[str]
    container: NotRequired[ContainerSubmit]
    requirements: NotRequired[RequirementsSubmit]
    array: NotRequired[str]
    dependencies: NotRequired[List[Dependency]]
    priority: NotRequired[int]
    hold: NotRequired[bool]
    beginAt: NotRequired[str]
    notify: NotRequired[NotifySubmit]


class UserRef(TypedDict):
    name: str
    uid: int
    gid: int


class Transition(TypedDict):
    state: JobState
    at: str
    reason: str


class JobStatus(TypedDict):
    state: JobState
    #: A sentence a person can read: why it waits, why it failed, how it ended.
    reason: str
    exitCode: Optional[int]
    signal: Optional[str]
    oomKilled: bool
    submittedAt: str
    startedAt: Optional[str]
    endedAt: Optional[str]
    node: Optional[str]
    containerId: Optional[str]
    killReason: NotRequired[str]
    archivedAt: NotRequired[str]
    history: List[Transition]


class JobUsage(TypedDict):
    wallSeconds: float
    cpuSeconds: Optional[float]
    maxMemoryMb: Optional[float]


class Job(TypedDict):
    """One job as the daemon keeps it (the ``Job`` schema of the SDK)."""

    id: int
    user: UserRef
    project: str
    session: Optional[str]
    meta: Dict[str, object]
    command: Dict[str, object]
    container: Dict[str, object]
    requirements: Dict[str, object]
    array: Optional[Dict[str, object]]
    parentId: Optional[int]
    taskIndex: Optional[int]
    dependencies: List[Dependency]
    priority: int
    hold: bool
    beginAt: NotRequired[str]
    status: JobStatus
    usage: JobUsage


class JobList(TypedDict):
    jobs: List[Job]
    nextCursor: Optional[str]


class WaitResult(TypedDict):
    job: Job
    #: A timeout is an answer, not an error.
    timedOut: bool


class WaitManyResult(TypedDict):
    ready: List[Job]
    timedOut: bool


class Session(TypedDict):
    name: str
    user: str
    kind: Literal["drmaa2", "drmaa1"]
    createdAt: str


class Drmaa1JobInfo(TypedDict):
    jobId: str
    hasExited: bool
    exitStatus: int
    hasSignaled: bool
    terminatingSignal: str
    hasCoreDump: bool
    wasAborted: bool
    resourceUsage: Dict[str, str]


class SessionWaitResult(TypedDict):
    ready: List[Job]
    readyIds: List[int]
    timedOut: bool
    reaped: List[int]
    unknown: List[int]
    info: List[Drmaa1JobInfo]


def is_terminal(job: Job) -> bool:
    """done or failed: a terminal state is final."""
    return job["status"]["state"] in TERMINAL_STATES
