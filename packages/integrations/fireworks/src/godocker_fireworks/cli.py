"""``godocker-fireworks fizzle-failed -l my_launchpad.yaml``: see :mod:`godocker_fireworks.failed_launches`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Optional, Sequence

import godocker
from fireworks.core.launchpad import LaunchPad

from .failed_launches import fizzle_failed_launches


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="godocker-fireworks", description="FireWorks on GoDocker")
    sub = parser.add_subparsers(dest="command", required=True)
    fizzle = sub.add_parser(
        "fizzle-failed",
        help="mark FIZZLED the launches (qlaunch -r) whose GoDocker job ended badly before rlaunch reported",
    )
    fizzle.add_argument("-l", "--launchpad_file", required=True, help="path to the LaunchPad file")
    fizzle.add_argument("--url", help="the GoDocker daemon (default: GODOCKER_URL, then `godocker login`)")
    args = parser.parse_args(argv)
    launchpad = LaunchPad.from_file(args.launchpad_file)
    try:
        with godocker.Client(url=args.url) as client:
            done = fizzle_failed_launches(launchpad, client)
    except godocker.GodockerError as e:
        print(f"godocker-fireworks: {e}", file=sys.stderr)
        return 1
    for entry in done:
        print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    sys.exit(main())
