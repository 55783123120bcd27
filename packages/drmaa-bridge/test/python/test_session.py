"""Session lifecycle: informational calls, init/exit, contact and reattach."""
import subprocess
import sys

import drmaa
import pytest

from support import OVER, api, run, shell

# Submits a job in a session of its own, then leaves: the job keeps running,
# and the session can be found again from its contact string.
CHILD = r'''
import drmaa
s = drmaa.Session()
s.initialize()
jt = s.createJobTemplate()
jt.remoteCommand = '/bin/sh'
jt.args = ['-c', 'sleep 1; exit 7']
job = s.runJob(jt)
s.deleteJobTemplate(jt)
print(s.contact)
print(job)
s.exit()
'''


def test_informational_calls_work_before_initialize():
    s = drmaa.Session()
    assert s.version == (1, 0)
    assert str(s.version) == '1.0'
    assert s.drmsInfo == 'GoDocker'
    assert 'GoDocker' in s.drmaaImplementation
    # Before init the contact lists the contacts available: it must answer.
    assert isinstance(s.contact, str)


def test_initialize_exit_and_what_a_session_reports():
    s = drmaa.Session()
    s.initialize()
    try:
        version = api('/api/v1/info')['version']
        assert s.drmsInfo == 'GoDocker ' + version
        assert s.drmaaImplementation.startswith('GoDocker')
        assert s.version == (1, 0)
        assert s.contact != ''
    finally:
        s.exit()
    with pytest.raises(drmaa.errors.NoActiveSessionException):
        s.exit()
    with pytest.raises(drmaa.errors.NoActiveSessionException):
        s.jobStatus('1')


def test_a_second_initialize_fails_with_already_active_session(session):
    with pytest.raises(drmaa.errors.AlreadyActiveSessionException):
        session.initialize()
    # The first session is still usable.
    assert session.contact != ''


def test_each_initialize_opens_a_new_server_side_session():
    s = drmaa.Session()
    s.initialize()
    first = s.contact
    s.exit()
    s.initialize()
    try:
        assert s.contact != first
    finally:
        s.exit()


def test_the_context_manager_initializes_and_exits():
    with drmaa.Session() as s:
        assert s.contact != ''
    with pytest.raises(drmaa.errors.NoActiveSessionException):
        drmaa.Session.exit()


def test_an_unknown_session_in_the_contact_is_an_invalid_contact_string():
    with pytest.raises(drmaa.errors.InvalidContactStringException):
        drmaa.Session.initialize('session=no-such-session-0123')


def test_a_wrong_token_is_an_authorization_failure(monkeypatch):
    monkeypatch.setenv('GODOCKER_TOKEN', 'not-a-token-of-this-daemon')
    with pytest.raises(drmaa.errors.AuthorizationException):
        drmaa.Session.initialize()


def test_a_daemon_that_does_not_answer_is_a_communication_failure():
    # Port 9 (discard) on loopback: nothing listens there.
    with pytest.raises(drmaa.errors.DrmCommunicationException):
        drmaa.Session.initialize('http://127.0.0.1:9')


def test_reattach_with_the_contact_and_wait_on_the_sessions_job():
    child = subprocess.run([sys.executable, '-c', CHILD], capture_output=True,
                           text=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr
    contact, job_id = child.stdout.split()
    with drmaa.Session(contact) as s:
        assert s.contact == contact
        info = s.wait(drmaa.Session.JOB_IDS_SESSION_ANY,
                      drmaa.Session.TIMEOUT_WAIT_FOREVER)
        assert info.jobId == job_id
        assert info.hasExited and info.exitStatus == 7
        # That was the only job of the session: nothing is left to wait for.
        with pytest.raises(drmaa.errors.InvalidJobException):
            s.wait(drmaa.Session.JOB_IDS_SESSION_ANY,
                   drmaa.Session.TIMEOUT_NO_WAIT)


def test_jobs_of_other_sessions_are_queryable_by_id(session):
    other = subprocess.run([sys.executable, '-c', CHILD], capture_output=True,
                           text=True, timeout=60, check=False)
    assert other.returncode == 0, other.stderr
    _, job_id = other.stdout.split()
    assert session.jobStatus(job_id) in (
        drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING,
        drmaa.JobState.FAILED)
    # Not this session's job: waiting on it here is refused.
    with pytest.raises(drmaa.errors.InvalidJobException):
        session.wait(job_id, drmaa.Session.TIMEOUT_NO_WAIT)


def test_the_contact_names_the_daemon_so_it_works_without_godocker_url(
        monkeypatch):
    s = drmaa.Session()
    s.initialize()
    try:
        contact = s.contact
        job = shell(s, 'exit 0')
    finally:
        s.exit()
    # Another shell, another default: the contact alone finds the session.
    monkeypatch.setenv('GODOCKER_URL', 'http://127.0.0.1:9')
    with drmaa.Session(contact) as again:
        info = again.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER)
        assert info.jobId == job
        assert again.jobStatus(job) in OVER


def test_exit_leaves_jobs_running():
    s = drmaa.Session()
    s.initialize()
    job = run(s, '/bin/sleep', '2')
    s.exit()
    s.initialize()
    try:
        state = s.jobStatus(job)
        assert state in (drmaa.JobState.QUEUED_ACTIVE, drmaa.JobState.RUNNING)
    finally:
        s.control(job, drmaa.JobControlAction.TERMINATE)
        s.exit()

