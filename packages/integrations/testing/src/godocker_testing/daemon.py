"""A real GoDocker daemon for Python tests: the built scheduler in a child process, on a free
port, with its own data folder, the docker executor and a known admin token.

It runs ``packages/scheduler/test/helpers/daemon-process.mjs``, the same entry the TypeScript
tests use to run a daemon in its own process, with the configuration those tests start from
(``baseConfig('docker', ...)`` in test-daemon.ts).
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

ADMIN_TOKEN = "test-admin-token-0123456789"
TEST_IMAGE = "local/busybox:latest"
DAEMON_ENTRY = Path("packages/scheduler/test/helpers/daemon-process.mjs")


def repo_root() -> Path:
    """GODOCKER_REPO, else the first folder up from here or from the working directory that holds the daemon."""
    env = os.environ.get("GODOCKER_REPO")
    if env:
        return Path(env)
    for start in (Path.cwd(), Path(__file__).resolve()):
        for d in (start, *start.parents):
            if (d / DAEMON_ENTRY).is_file():
                return d
    raise RuntimeError(
        "cannot find the GoDocker checkout (packages/scheduler/test/helpers/daemon-process.mjs): "
        "set GODOCKER_REPO to it"
    )


def merge(base: Dict[str, Any], over: Mapping[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, Mapping) and isinstance(out.get(k), dict) else v
    return out


@dataclass
class TestDaemon:
    """A running daemon; ``url`` and ``token`` (the admin's) are what a client needs."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    url: str
    token: str
    data_dir: Path
    #: Host folder of the catalogue volume ``scratch`` (rw), mounted at /scratch in jobs.
    scratch: Path
    process: "subprocess.Popen[bytes]"
    _root: Path
    _stderr: Path
    _homes: Path
    users: Dict[str, str] = field(default_factory=dict)

    def api(self, method: str, path: str, body: Any = None, token: Optional[str] = None) -> Any:
        """One API call with the admin token (or ``token``); raises with the answer on an error."""
        req = urllib.request.Request(
            f"{self.url}/api/v1{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"Bearer {token or self.token}", "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                text = r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{method} {path} answered {e.code}: {e.read().decode()}") from e
        return json.loads(text) if text else None

    def add_user(self, name: str, uid: int, gid: Optional[int] = None) -> str:
        """Creates a user with a home of their own; returns their token."""
        home = self._homes / name
        home.mkdir(parents=True, exist_ok=True)
        if os.getuid() == 0:
            os.chown(home, uid, gid if gid is not None else uid)
        created = self.api("POST", "/users", {"name": name, "uid": uid, "gid": gid if gid is not None else uid, "home": str(home)})
        token: str = created["token"]
        self.users[name] = token
        return token

    def log_tail(self) -> str:
        try:
            return self._stderr.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self._root, ignore_errors=True)


def start_daemon(overrides: Optional[Mapping[str, Any]] = None, *, start_timeout: float = 60.0) -> TestDaemon:
    """Starts a daemon with the docker executor (``overrides`` merged into its config)."""
    repo = repo_root()
    if not (repo / "packages/scheduler/dist/index.js").is_file():
        raise RuntimeError(f"the scheduler is not built in {repo}: run `npm run build` first")
    root = Path(tempfile.mkdtemp(prefix="godocker-py-"))
    root.chmod(0o755)
    homes = root / "homes"
    scratch = root / "scratch"
    for d in (homes / "admin", scratch):
        d.mkdir(parents=True)
    # Jobs run as their user (admin: 1000) and write to scratch.
    scratch.chmod(0o1777)
    if os.getuid() == 0:
        os.chown(homes / "admin", 1000, 1000)
    config = merge(
        {
            "dataDir": str(root / "data"),
            "server": {"host": "127.0.0.1", "port": 0},
            # A node label, so tests can ask for one (requirements.labels) and be placed.
            "executor": {
                "type": "docker",
                "options": {"capacity": {"cpu": 16, "ram": 16384}, "labels": {"disk": "ssd"}},
            },
            "limits": {"defaultCpu": 0.5, "defaultRam": 128, "killGraceSeconds": 1},
            "scheduler": {"tickSeconds": 1, "reconcileSeconds": 2},
            "auth": {"admin": {"home": str(homes / "admin")}},
            "volumes": [{"name": "scratch", "hostPath": str(scratch), "containerPath": "/scratch", "mode": "rw"}],
        },
        overrides or {},
    )
    stderr_path = root / "daemon.stderr"
    with open(stderr_path, "wb") as err:
        process = subprocess.Popen(
            ["node", str(repo / DAEMON_ENTRY), json.dumps(config)],
            cwd=repo,
            env={**os.environ, "GODOCKER_ADMIN_TOKEN": ADMIN_TOKEN},
            stdout=subprocess.PIPE,
            stderr=err,
            start_new_session=True,
        )
    first = _first_line(process, start_timeout)
    if first is None:
        process.kill()
        tail = stderr_path.read_text(errors="replace")[-4000:]
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"the GoDocker daemon did not start (exit {process.poll()}); its stderr ends:\n{tail}")
    return TestDaemon(
        url=json.loads(first)["url"],
        token=ADMIN_TOKEN,
        data_dir=root / "data",
        scratch=scratch,
        process=process,
        _root=root,
        _stderr=stderr_path,
        _homes=homes,
    )


def _first_line(process: "subprocess.Popen[bytes]", timeout: float) -> Optional[str]:
    """The line the daemon prints once it listens, or None if it exits or stays silent."""
    assert process.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(process.stdout, selectors.EVENT_READ)
    buf = b""
    end = time.monotonic() + timeout
    try:
        while b"\n" not in buf:
            left = end - time.monotonic()
            if left <= 0 or not sel.select(left):
                return None
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                return None
            buf += chunk
    finally:
        sel.close()
    return buf.split(b"\n", 1)[0].decode()


def wait_until(what: str, seconds: float, probe: Any, interval: float = 0.1) -> Any:
    """Polls ``probe()`` until it returns something truthy (its exceptions count as not yet)."""
    end = time.monotonic() + seconds
    last: Optional[BaseException] = None
    while True:
        try:
            found = probe()
            if found:
                return found
        except Exception as e:  # noqa: BLE001 - a probe failing means "not yet"
            last = e
        if time.monotonic() > end:
            raise AssertionError(f"{what}: not seen within {seconds} s" + (f" (last error: {last})" if last else ""))
        time.sleep(interval)


def container_running(container_id: str) -> bool:
    """Whether the Docker container is running now (checks a kill really stopped the job); gone is not running."""
    out = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", container_id], capture_output=True, text=True
    )
    return out.returncode == 0 and out.stdout.strip() == "true"
