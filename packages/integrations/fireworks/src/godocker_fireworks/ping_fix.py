"""FireWorks' last ping, made harmless on MongoDB-wire servers whose updates are not atomic (FerretDB 1.x).

A rocket's ping thread wakes when the rocket stops it and pings once more, while the rocket marks
its launch COMPLETED or FIZZLED. MongoDB applies that ping's ``update_one({state: RUNNING}, $set)``
atomically, so it misses the ended launch. FerretDB 1.x reads, changes and writes the document back
in separate steps: the late ping can write RUNNING over the launch's end, and the Firework then
stays RUNNING for ever (seen here in about one run in four). :func:`apply` makes the thread
check that it was stopped before it pings; ``python -m godocker_fireworks.rlaunch`` is ``rlaunch``
with it applied.
"""

from __future__ import annotations

from threading import Event, Thread

from fireworks.core import rocket


def _ping_launch(launchpad, launch_id: int, stop_event: Event, master_thread: Thread) -> None:
    while not stop_event.is_set() and master_thread.is_alive():
        if stop_event.wait(rocket.PING_TIME_SECS):
            return  # stopped: the rocket is writing the launch's end now
        rocket.do_ping(launchpad, launch_id)


def apply() -> None:
    """Replaces FireWorks' ping loop in this process (``start_ping_launch`` looks it up at each call)."""
    rocket.ping_launch = _ping_launch
