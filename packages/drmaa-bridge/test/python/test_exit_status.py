"""Exit statuses, signals, aborted jobs and the wall-clock limit."""
import time

import drmaa

from support import job_record, run, shell, wait_state

State = drmaa.JobState
FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER


def test_exit_zero_is_done(session):
    job = shell(session, 'exit 0')
    info = session.wait(job, FOREVER)
    assert (info.hasExited, info.exitStatus, info.hasSignal,
            info.wasAborted) == (True, 0, False, False)
    assert info.terminatedSignal == ''
    assert session.jobStatus(job) == State.DONE


def test_a_non_zero_exit_is_reported_and_the_job_failed(session):
    job = shell(session, 'exit 3')
    info = session.wait(job, FOREVER)
    assert info.hasExited is True
    assert info.exitStatus == 3
    assert info.hasSignal is False and info.wasAborted is False
    assert info.resourceUsage.get('exit_status') == '3'
    assert session.jobStatus(job) == State.FAILED


def test_exit_statuses_keep_all_eight_bits(session):
    jobs = {shell(session, 'exit %d' % code): code for code in (1, 127, 255)}
    for job, code in jobs.items():
        info = session.wait(job, FOREVER)
        assert info.hasExited and info.exitStatus == code


def test_exit_statuses_above_128_are_exits_not_signals(session):
    # A caller testing exitStatus == 0 must not take `exit 130` for success.
    jobs = {shell(session, 'exit %d' % code): code for code in (129, 130, 137, 143)}
    for job, code in jobs.items():
        info = session.wait(job, FOREVER)
        assert (info.hasExited, info.exitStatus, info.hasSignal,
                info.wasAborted) == (True, code, False, False), info


def test_a_command_that_does_not_exist_exits_127_and_failed(session):
    # The shell's answer for a command it cannot find, as on any host.
    job = run(session, '/no/such/command')
    info = session.wait(job, FOREVER)
    assert info.hasExited and info.exitStatus == 127
    assert session.jobStatus(job) == State.FAILED


def test_a_terminated_job_was_signaled_with_a_posix_signal_name(session):
    job = run(session, '/bin/sleep', '30')
    wait_state(session, job, (State.RUNNING,))
    session.control(job, drmaa.JobControlAction.TERMINATE)
    info = session.wait(job, FOREVER)
    assert info.hasSignal is True
    assert info.hasExited is False and info.wasAborted is False
    assert info.hasCoreDump is False
    assert info.terminatedSignal in ('SIGKILL', 'SIGTERM'), info
    assert session.jobStatus(job) == State.FAILED
    assert job_record(job)['status']['state'] == 'failed'


def test_a_job_terminated_while_held_was_aborted(session):
    job = shell(session, 'exit 0',
                jobSubmissionState=drmaa.JobSubmissionState.HOLD_STATE)
    session.control(job, drmaa.JobControlAction.TERMINATE)
    info = session.wait(job, FOREVER)
    assert info.wasAborted is True
    assert info.hasExited is False and info.hasSignal is False
    assert session.jobStatus(job) == State.FAILED


def test_the_hard_wall_clock_limit_kills_the_job(session):
    started = time.monotonic()
    job = run(session, '/bin/sleep', '60', hardWallclockTimeLimit=b'2')
    info = session.wait(job, 40)
    assert time.monotonic() - started < 30
    assert not (info.hasExited and info.exitStatus == 0)
    assert session.jobStatus(job) == State.FAILED
    assert job_record(job)['requirements']['timeLimit'] == 2


def test_the_wall_clock_limit_in_hours_minutes_seconds(session):
    job = run(session, '/bin/sleep', '60', hardWallclockTimeLimit=b'1:02:03')
    assert job_record(job)['requirements']['timeLimit'] == 3723
