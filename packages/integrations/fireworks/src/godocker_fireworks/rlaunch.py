"""``python -m godocker_fireworks.rlaunch ARGS``: FireWorks' ``rlaunch`` with :mod:`godocker_fireworks.ping_fix`.

Use it as the qadapter's ``rocket_launch`` when the LaunchPad is on FerretDB 1.x.
"""

from __future__ import annotations

import sys

from fireworks.scripts.rlaunch_run import rlaunch

from . import ping_fix

if __name__ == "__main__":
    ping_fix.apply()
    sys.exit(rlaunch())
