"""Which daemon to talk to, and with which token: the same rules as the ``godocker`` CLI.

Each of the URL and the token comes from the first of: the value given, ``GODOCKER_URL`` /
``GODOCKER_TOKEN``, the login ``godocker login`` saved in
``${XDG_CONFIG_HOME:-~/.config}/godocker/login.json``; the URL falls back to the local daemon.
The saved token is only sent to the saved URL, so pointing a client at another daemon never
hands it a token that belongs elsewhere.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

from .errors import ErrorCode, GodockerError

DEFAULT_URL = "http://127.0.0.1:6543"
API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class Connection:
    url: str
    token: Optional[str]
    #: Where the URL came from: option, env, login or default (for messages).
    url_from: str
    #: Where the token came from: option, env, login or none.
    token_from: str


def normalize_base_url(url: str) -> str:
    """``h:1``, ``http://h:1/api/v1/`` and ``http://h:1`` name the same daemon (as the TS SDK reads them)."""
    u = url.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://", u, re.IGNORECASE):
        u = f"http://{u}"
    u = u.rstrip("/")
    if u.endswith(API_PREFIX):
        u = u[: -len(API_PREFIX)]
    return u


def login_file_path(env: Optional[Mapping[str, str]] = None) -> Path:
    e = os.environ if env is None else env
    base = e.get("XDG_CONFIG_HOME") or os.path.join(e.get("HOME") or str(Path.home()), ".config")
    return Path(base) / "godocker" / "login.json"


def load_login(env: Optional[Mapping[str, str]] = None) -> Optional[tuple[str, str]]:
    """The saved (url, token), None when there is none; a damaged file is an error naming it."""
    path = login_file_path(env)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise GodockerError(ErrorCode.CONFIG_INVALID, f"cannot read the saved login {path}: {e}") from e
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("url"), str) or not isinstance(doc.get("token"), str):
        raise GodockerError(
            ErrorCode.CONFIG_INVALID,
            f"the saved login {path} is damaged: run `godocker login` again (or delete the file)",
        )
    return doc["url"], doc["token"]


def resolve_connection(
    url: Optional[str] = None, token: Optional[str] = None, env: Optional[Mapping[str, str]] = None
) -> Connection:
    e = os.environ if env is None else env
    saved = load_login(e) if not url or not token else None
    if url:
        u, url_from = url, "option"
    elif e.get("GODOCKER_URL"):
        u, url_from = e["GODOCKER_URL"], "env"
    elif saved:
        u, url_from = saved[0], "login"
    else:
        u, url_from = DEFAULT_URL, "default"
    u = normalize_base_url(u)
    t: Optional[str] = None
    token_from = "none"
    if token:
        t, token_from = token, "option"
    elif e.get("GODOCKER_TOKEN"):
        t, token_from = e["GODOCKER_TOKEN"], "env"
    elif saved and normalize_base_url(saved[0]) == u:
        t, token_from = saved[1], "login"
    return Connection(url=u, token=t, url_from=url_from, token_from=token_from)
