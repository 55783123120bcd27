"""Test helpers shared by GoDocker's Python integrations: a real daemon to run jobs on.

In a test (the pytest plugin is registered by installing this package)::

    def test_hello(godocker_daemon):
        client = godocker.Client(godocker_daemon.url, godocker_daemon.token)
"""

from .daemon import ADMIN_TOKEN, TEST_IMAGE, TestDaemon, container_running, repo_root, start_daemon, wait_until

__all__ = ["ADMIN_TOKEN", "TEST_IMAGE", "TestDaemon", "container_running", "repo_root", "start_daemon", "wait_until"]
