"""Every control action, on one job and on SESSION_ALL; hold and release."""
import time

import drmaa
import pytest

from support import OVER, run, shell, wait_state

Action = drmaa.JobControlAction
State = drmaa.JobState
FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER
ALL = drmaa.Session.JOB_IDS_SESSION_ALL


def held(session, script='exit 0'):
    return shell(session, script,
                 jobSubmissionState=drmaa.JobSubmissionState.HOLD_STATE)


def test_suspend_and_resume_a_running_job(session):
    job = run(session, '/bin/sleep', '30')
    wait_state(session, job, (State.RUNNING,))
    session.control(job, Action.SUSPEND)
    wait_state(session, job, (State.USER_SUSPENDED,))
    session.control(job, Action.RESUME)
    wait_state(session, job, (State.RUNNING,))


def test_suspend_a_job_that_is_not_running_is_inconsistent(session):
    job = held(session)
    with pytest.raises(drmaa.errors.SuspendInconsistentStateException):
        session.control(job, Action.SUSPEND)


def test_resume_a_running_job_is_inconsistent(session):
    job = run(session, '/bin/sleep', '30')
    wait_state(session, job, (State.RUNNING,))
    with pytest.raises(drmaa.errors.ResumeInconsistentStateException):
        session.control(job, Action.RESUME)


def test_a_job_submitted_on_hold_waits_until_released(session):
    job = held(session, 'exit 0')
    assert session.jobStatus(job) == State.USER_ON_HOLD
    with pytest.raises(drmaa.errors.ExitTimeoutException):
        session.wait(job, 1)
    assert session.jobStatus(job) == State.USER_ON_HOLD
    session.control(job, Action.RELEASE)
    info = session.wait(job, FOREVER)
    assert info.hasExited and info.exitStatus == 0
    assert session.jobStatus(job) == State.DONE


def test_hold_on_a_held_job_leaves_it_held(session):
    # As Grid Engine does (qhold on a held job): the job is where HOLD puts it.
    job = held(session)
    session.control(job, Action.HOLD)
    assert session.jobStatus(job) == State.USER_ON_HOLD
    session.control(job, Action.RELEASE)
    assert session.wait(job, FOREVER).exitStatus == 0


def test_hold_and_release_a_running_job_are_inconsistent(session):
    running = run(session, '/bin/sleep', '30')
    wait_state(session, running, (State.RUNNING,))
    with pytest.raises(drmaa.errors.ReleaseInconsistentStateException):
        session.control(running, Action.RELEASE)
    with pytest.raises(drmaa.errors.HoldInconsistentStateException):
        session.control(running, Action.HOLD)


def test_terminate_a_running_job(session):
    job = run(session, '/bin/sleep', '30')
    wait_state(session, job, (State.RUNNING,))
    started = time.monotonic()
    session.control(job, Action.TERMINATE)
    info = session.wait(job, 30)
    assert time.monotonic() - started < 10
    assert info.hasSignal and not info.hasExited
    assert info.terminatedSignal.startswith('SIG')
    assert session.jobStatus(job) == State.FAILED


def test_terminate_a_finished_job_is_an_invalid_job(session):
    job = shell(session, 'exit 0')
    session.synchronize([job], FOREVER, False)
    with pytest.raises(drmaa.errors.InvalidJobException):
        session.control(job, Action.TERMINATE)


def test_control_of_an_unknown_job_is_an_invalid_job(session):
    for action in (Action.SUSPEND, Action.RESUME, Action.HOLD,
                   Action.RELEASE, Action.TERMINATE):
        with pytest.raises(drmaa.errors.InvalidJobException):
            session.control('987654321', action)


def test_suspend_resume_and_terminate_on_session_all(session):
    sleepers = [run(session, '/bin/sleep', '30') for _ in range(2)]
    for job in sleepers:
        wait_state(session, job, (State.RUNNING,))
    session.control(ALL, Action.SUSPEND)
    for job in sleepers:
        wait_state(session, job, (State.USER_SUSPENDED,))
    session.control(ALL, Action.RESUME)
    for job in sleepers:
        wait_state(session, job, (State.RUNNING,))
    session.control(ALL, Action.TERMINATE)
    session.synchronize([ALL], 30, False)
    for job in sleepers:
        assert session.jobStatus(job) == State.FAILED
        info = session.wait(job, drmaa.Session.TIMEOUT_NO_WAIT)
        assert info.hasSignal and not info.hasExited


def test_hold_and_release_on_session_all(session):
    jobs = [held(session, 'exit 0'), held(session, 'exit 0')]
    session.control(ALL, Action.HOLD)
    assert [session.jobStatus(j) for j in jobs] == [State.USER_ON_HOLD] * 2
    session.control(ALL, Action.RELEASE)
    session.synchronize(jobs, 30, False)
    assert [session.wait(j, 0).exitStatus for j in jobs] == [0, 0]


def test_terminate_on_session_all_aborts_held_jobs(session):
    job = held(session)
    session.control(ALL, Action.TERMINATE)
    info = session.wait(job, 30)
    assert info.wasAborted and not info.hasExited
    assert session.jobStatus(job) == State.FAILED


def test_every_action_on_an_empty_session_succeeds(session):
    for action in (Action.SUSPEND, Action.RESUME, Action.HOLD,
                   Action.RELEASE, Action.TERMINATE):
        session.control(ALL, action)


def test_session_all_acts_only_on_the_sessions_jobs(session):
    mine = run(session, '/bin/sleep', '30')
    wait_state(session, mine, (State.RUNNING,))
    session.exit()
    # A new session, which the job is not part of.
    session.initialize()
    session.control(ALL, Action.TERMINATE)
    assert session.jobStatus(mine) == State.RUNNING
    # By its id the job can still be controlled from here.
    session.control(mine, Action.TERMINATE)
    wait_state(session, mine, OVER)
