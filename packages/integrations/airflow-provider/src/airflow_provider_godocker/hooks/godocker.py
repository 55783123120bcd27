"""The hook: a ``godocker`` connection made into a :class:`godocker.Client`.

A connection holds the daemon's URL in *Host* (``http://godocker.example.org:6543``, or a bare
host with *Port*) and the API token in *Password*. With no connection of the id asked for, the
client finds the daemon as the CLI does: ``GODOCKER_URL``/``GODOCKER_TOKEN``, then the saved
``godocker login`` of the user Airflow runs as.
"""

from __future__ import annotations

import asyncio
from typing import Any, Dict, Optional, Tuple

import godocker

from .._compat import BaseHook


def _not_found(e: Exception) -> bool:
    # Airflow 2 raises AirflowNotFoundException, Airflow 3's task SDK its own AirflowNotFoundException
    # (or a RuntimeError-like error outside a task): both say "isn't defined".
    return type(e).__name__ == "AirflowNotFoundException" or "isn't defined" in str(e)


class GoDockerHook(BaseHook):
    """Talks to a GoDocker daemon through the connection ``godocker_conn_id``."""

    conn_name_attr = "godocker_conn_id"
    default_conn_name = "godocker_default"
    conn_type = "godocker"
    hook_name = "GoDocker"

    def __init__(self, godocker_conn_id: str = default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.godocker_conn_id = godocker_conn_id

    @classmethod
    def get_ui_field_behaviour(cls) -> Dict[str, Any]:
        return {
            "hidden_fields": ["schema", "login", "extra"],
            "relabeling": {"host": "Daemon URL", "password": "API token"},
            "placeholders": {"host": "http://127.0.0.1:6543", "password": "the token `godocker login` or an admin gave you"},
        }

    @staticmethod
    def url_and_token(conn: Any) -> Tuple[Optional[str], Optional[str]]:
        """(url, token) of an Airflow connection; None where it says nothing."""
        host = (conn.host or "").strip()
        if host and "://" not in host:
            host = f"http://{host}{f':{conn.port}' if conn.port else ''}"
        return host or None, conn.password or None

    def _resolve(self) -> Tuple[Optional[str], Optional[str]]:
        try:
            conn = self.get_connection(self.godocker_conn_id)
        except Exception as e:
            if not _not_found(e) or self.godocker_conn_id != self.default_conn_name:
                raise
            return None, None  # no default connection: GODOCKER_URL/TOKEN or the saved login
        return self.url_and_token(conn)

    def get_conn(self) -> godocker.Client:
        url, token = self._resolve()
        return godocker.Client(url, token)

    async def aget_conn(self) -> godocker.AsyncClient:
        """The asyncio client, for triggers: nothing here blocks the triggerer's event loop."""
        getter = getattr(self, "aget_connection", None)
        if getter is None:  # Airflow 2: no async connection lookup
            url, token = await asyncio.to_thread(self._resolve)
        else:
            try:
                url, token = self.url_and_token(await getter(self.godocker_conn_id))
            except Exception as e:
                if not _not_found(e) or self.godocker_conn_id != self.default_conn_name:
                    raise
                url, token = None, None
        # Building the client loads the CA bundle (a blocking read of a few hundred ms).
        return await asyncio.to_thread(godocker.AsyncClient, url, token)

    def test_connection(self) -> Tuple[bool, str]:
        """The UI's Test button: the token is checked by asking who it belongs to."""
        try:
            with self.get_conn() as client:
                me = client.me()
            return True, f"connected to {client.url} as {me['name']}"
        except godocker.GodockerError as e:
            return False, str(e)
