"""FireWorks on GoDocker.

- :class:`GoDockerAdapter`: the queue adapter, so ``qlaunch`` submits rocket launchers as GoDocker
  jobs (``_fw_name: "{{godocker_fireworks.GoDockerAdapter}}"`` in ``my_qadapter.yaml``).
- :class:`GoDockerTask`: a Firetask that runs a command as a GoDocker job and waits; a failed
  job FIZZLES its Firework with the job's exit code and reason.
- :func:`fizzle_failed_launches` (``godocker-fireworks fizzle-failed``): launches whose job died
  before rlaunch reported are FIZZLED with the job's exit code instead of lingering as RUNNING.
"""

from .failed_launches import fizzle_failed_launches
from .firetask import GoDockerJobFailed, GoDockerTask
from .queue_adapter import FIREWORKS_TAG, GoDockerAdapter

__all__ = ["FIREWORKS_TAG", "GoDockerAdapter", "GoDockerJobFailed", "GoDockerTask", "fizzle_failed_launches"]
