"""
Fixtures for driving GoDocker through Debian's unmodified `drmaa` package.

The runner (packages/drmaa-bridge/test/python-drmaa.test.ts) starts a daemon
and gives this suite what a user of an HPC cluster would have set:

  DRMAA_LIBRARY_PATH  our libdrmaa.so, which `import drmaa` loads
  GODOCKER_URL        the daemon
  GODOCKER_TOKEN      the token of a normal user (uid GODOCKER_JOB_UID)
  GODOCKER_SCRATCH    a host folder the daemon mounts at the same path in jobs
  GODOCKER_JOB_UID    the uid jobs run as, which must be able to write there
"""
import os

import pytest

REQUIRED = ('DRMAA_LIBRARY_PATH', 'GODOCKER_URL', 'GODOCKER_TOKEN',
            'GODOCKER_SCRATCH', 'GODOCKER_JOB_UID')


def pytest_configure(config):
    missing = [name for name in REQUIRED if not os.environ.get(name)]
    if missing:
        # Checked before any test imports drmaa, which loads the library
        # named by DRMAA_LIBRARY_PATH as it is imported.
        raise pytest.UsageError(
            'missing environment: ' + ', '.join(missing) + '. Run this '
            'suite through `npx vitest run packages/drmaa-bridge/test/'
            'python-drmaa.test.ts`, which starts a daemon and sets them.')


@pytest.fixture
def session():
    """A fresh DRMAA session (a new server-side session) for one test."""
    import drmaa

    s = drmaa.Session()
    s.initialize()
    yield s
    # A test that failed half-way may leave sleeping jobs behind; they would
    # only slow the next tests down.
    try:
        s.control(drmaa.Session.JOB_IDS_SESSION_ALL,
                  drmaa.JobControlAction.TERMINATE)
    except drmaa.errors.DrmaaException:
        pass
    try:
        s.exit()
    except drmaa.errors.NoActiveSessionException:
        pass


@pytest.fixture
def workdir(request):
    """A folder of the scratch volume, owned by the uid jobs run as."""
    from support import scratch_dir

    return scratch_dir(request.node.name)
