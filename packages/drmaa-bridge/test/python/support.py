"""What the tests share: the daemon's API, templates, the scratch folder."""
import json
import os
import re
import time
import urllib.request

import drmaa

URL = os.environ['GODOCKER_URL'].rstrip('/')
TOKEN = os.environ['GODOCKER_TOKEN']
SCRATCH = os.environ['GODOCKER_SCRATCH']
JOB_UID = int(os.environ['GODOCKER_JOB_UID'])

ACTIVE = (drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.USER_ON_HOLD,
          drmaa.JobState.RUNNING, drmaa.JobState.USER_SUSPENDED)
OVER = (drmaa.JobState.DONE, drmaa.JobState.FAILED)


def api(path):
    """GET from the daemon as the test user, to check what DRMAA said."""
    req = urllib.request.Request(
        URL + path, headers={'Authorization': 'Bearer ' + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read().decode())


def job_record(job_id):
    return api('/api/v1/jobs/' + job_id)


def scratch_dir(name):
    """A new folder in the scratch volume that jobs (JOB_UID) may write."""
    safe = re.sub(r'[^A-Za-z0-9_.-]', '_', name)[:80]
    path = os.path.join(SCRATCH, '%s-%d' % (safe, time.monotonic_ns()))
    os.makedirs(path)
    if os.getuid() == 0:
        os.chown(path, JOB_UID, JOB_UID)
    return path


def template(session, command, *args, **attributes):
    """A job template: the command, its arguments and any other attributes."""
    jt = session.createJobTemplate()
    jt.remoteCommand = command
    if args:
        jt.args = list(args)
    for name, value in attributes.items():
        setattr(jt, name, value)
    return jt


def run(session, command, *args, **attributes):
    """Submits one job and returns its id; the template is deleted."""
    jt = template(session, command, *args, **attributes)
    try:
        return session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)


def shell(session, script, **attributes):
    """Submits `/bin/sh -c SCRIPT`."""
    return run(session, '/bin/sh', '-c', script, **attributes)


def wait_state(session, job_id, states, timeout=10):
    """
    Polls drmaa_job_ps until the job is in one of `states`: a test has no
    long-poll for a state that is not terminal, and a state change (suspended,
    running again) is asynchronous.
    """
    deadline = time.monotonic() + timeout
    state = session.jobStatus(job_id)
    while state not in states:
        if time.monotonic() > deadline:
            raise AssertionError('job %s is %s after %ss, expected one of %s'
                                 % (job_id, state, timeout, states))
        time.sleep(0.1)
        state = session.jobStatus(job_id)
    return state


def read(path):
    with open(path, encoding='utf-8') as f:
        return f.read()
