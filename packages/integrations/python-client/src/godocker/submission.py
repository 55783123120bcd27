"""Builds the ``POST /api/v1/jobs`` body from Python keyword arguments.

Every field of the REST job has a keyword (snake_case); what people type is accepted where
the CLI accepts it: ``ram="4G"``, ``time_limit="1h30m"``, ``volumes=["data", "scratch:rw"]``,
``dependencies=["afterok:42"]``. The daemon still checks everything (catalogues, limits).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, Mapping, Optional, Sequence, Union, cast

from .errors import ErrorCode, ValidationError
from .types import Dependency, JobSubmission, NotifySubmit, PortRequest, VolumeRequest

_MEM_UNITS = {"": 1.0, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 * 1024}
_TIME_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _invalid(message: str, field: str) -> ValidationError:
    return ValidationError(ErrorCode.INVALID_REQUEST, message, field=field)


def parse_memory(value: Union[int, str], field: str = "requirements.ram") -> int:
    """MiB from ``512``, ``"512M"``, ``"4G"``, ``"4GiB"``, ``"1.5g"`` (a bare number is MiB, as in Slurm)."""
    if isinstance(value, bool):
        raise _invalid(f"invalid memory size {value!r}: use a number of MiB or a unit, e.g. 512M, 4G", field)
    if isinstance(value, int):
        return value
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
    if not m:
        raise _invalid(f'invalid memory size "{value}": use a number of MiB or a unit, e.g. 512M, 4G', field)
    mib = -(-float(m.group(1)) * _MEM_UNITS[m.group(2).lower()] // 1)
    if mib < 1:
        raise _invalid(f'memory size "{value}" is less than 1 MiB', field)
    return int(mib)


def parse_duration(value: Union[int, float, str], field: str = "requirements.timeLimit") -> int:
    """Seconds from ``90``, ``"30s"``, ``"10m"``, ``"1h30m"``, ``"2d"``, ``"HH:MM:SS"``, ``"D-HH:MM:SS"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    t = str(value).strip()
    bad = _invalid(f'invalid duration "{value}": use e.g. 90, 30s, 10m, 1h30m, 2d or HH:MM:SS', field)
    if re.fullmatch(r"\d+", t):
        seconds = int(t)
    elif re.fullmatch(r"(\d+[smhd])+", t, re.IGNORECASE):
        seconds = sum(int(n) * _TIME_UNITS[u.lower()] for n, u in re.findall(r"(\d+)([smhd])", t, re.IGNORECASE))
    else:
        m = re.fullmatch(r"(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)", t)
        if not m:
            raise bad
        d, h, mm, ss = m.groups()
        if int(ss) >= 60 or (h is not None and int(mm) >= 60):
            raise bad
        seconds = int(d or 0) * 86400 + int(h or 0) * 3600 + int(mm) * 60 + int(ss)
    if seconds < 1:
        raise bad
    return seconds


def _volume(v: Union[str, Mapping[str, Any]]) -> VolumeRequest:
    if isinstance(v, str):
        name, _, mode = v.partition(":")
        if mode not in ("", "ro", "rw"):
            raise _invalid(f'invalid volume "{v}": use NAME, NAME:ro or NAME:rw', "container.volumes")
        return cast(VolumeRequest, {"name": name, **({"mode": mode} if mode else {})})
    return cast(VolumeRequest, dict(v))


def _port(p: Union[int, str, Mapping[str, Any]]) -> PortRequest:
    if isinstance(p, int):
        return {"containerPort": p}
    if isinstance(p, str):
        port, _, proto = p.partition("/")
        if not port.isdigit() or proto not in ("", "tcp", "udp"):
            raise _invalid(f'invalid port "{p}": use PORT or PORT/udp', "container.ports")
        return cast(PortRequest, {"containerPort": int(port), **({"protocol": proto} if proto else {})})
    return cast(PortRequest, dict(p))


def _dependency(d: Union[str, Mapping[str, Any]]) -> Dependency:
    if isinstance(d, str):
        kind, _, job = d.partition(":")
        if kind not in ("afterok", "afterany", "afternotok") or not job.isdigit():
            raise _invalid(
                f'invalid dependency "{d}": use afterok:ID, afterany:ID or afternotok:ID', "dependencies"
            )
        return cast(Dependency, {"type": kind, "jobId": int(job)})
    return cast(Dependency, dict(d))


def _begin_at(value: Union[str, datetime]) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    return value


def build_submission(
    script: Optional[str] = None,
    *,
    submission: Optional[Mapping[str, Any]] = None,
    args: Optional[Sequence[str]] = None,
    env: Optional[Mapping[str, str]] = None,
    workdir: Optional[str] = None,
    stdin: Optional[str] = None,
    stdout: Optional[str] = None,
    stderr: Optional[str] = None,
    join_stderr: Optional[bool] = None,
    name: Optional[str] = None,
    description: Optional[str] = None,
    tags: Optional[Iterable[str]] = None,
    project: Optional[str] = None,
    session: Optional[str] = None,
    image: Optional[str] = None,
    volumes: Optional[Iterable[Union[str, Mapping[str, Any]]]] = None,
    network: Optional[bool] = None,
    root: Optional[bool] = None,
    ports: Optional[Iterable[Union[int, str, Mapping[str, Any]]]] = None,
    cpu: Optional[float] = None,
    ram: Optional[Union[int, str]] = None,
    gpus: Optional[int] = None,
    tmpstorage: Optional[Union[int, str]] = None,
    time_limit: Optional[Union[int, str]] = None,
    executor: Optional[str] = None,
    labels: Optional[Mapping[str, str]] = None,
    array: Optional[str] = None,
    dependencies: Optional[Iterable[Union[str, Mapping[str, Any]]]] = None,
    priority: Optional[int] = None,
    hold: Optional[bool] = None,
    begin_at: Optional[Union[str, datetime]] = None,
    notify: Optional[NotifySubmit] = None,
) -> JobSubmission:
    """The submission body; keywords given override what ``submission`` (a whole body) says."""
    body: Dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (submission or {}).items()}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            body.setdefault(section, {})[key] = value

    def top(key: str, value: Any) -> None:
        if value is not None:
            body[key] = value

    put("command", "script", script)
    put("command", "args", list(args) if args is not None else None)
    put("command", "env", dict(env) if env is not None else None)
    put("command", "workdir", workdir)
    put("command", "stdin", stdin)
    put("command", "stdout", stdout)
    put("command", "stderr", stderr)
    put("command", "joinStderr", join_stderr)
    put("meta", "name", name)
    put("meta", "description", description)
    put("meta", "tags", list(tags) if tags is not None else None)
    top("project", project)
    top("session", session)
    put("container", "image", image)
    put("container", "volumes", [_volume(v) for v in volumes] if volumes is not None else None)
    put("container", "network", network)
    put("container", "root", root)
    put("container", "ports", [_port(p) for p in ports] if ports is not None else None)
    put("requirements", "cpu", cpu)
    put("requirements", "ram", parse_memory(ram) if ram is not None else None)
    put("requirements", "gpus", gpus)
    put(
        "requirements",
        "tmpstorage",
        parse_memory(tmpstorage, "requirements.tmpstorage") if tmpstorage is not None else None,
    )
    put("requirements", "timeLimit", parse_duration(time_limit) if time_limit is not None else None)
    put("requirements", "executor", executor)
    put("requirements", "labels", dict(labels) if labels is not None else None)
    top("array", array)
    top("dependencies", [_dependency(d) for d in dependencies] if dependencies is not None else None)
    top("priority", priority)
    top("hold", hold)
    top("beginAt", _begin_at(begin_at) if begin_at is not None else None)
    top("notify", dict(notify) if notify is not None else None)
    if not isinstance(body.get("command"), dict) or not body["command"].get("script"):
        raise _invalid("a job needs a script: submit('echo hello', ...) or submission={'command': {'script': ...}}", "command.script")
    return cast(JobSubmission, body)
