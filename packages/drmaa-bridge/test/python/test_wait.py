"""wait and synchronize: timeouts, reaping and dispose."""
import time

import drmaa
import pytest

from support import OVER, run, shell

FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER
NO_WAIT = drmaa.Session.TIMEOUT_NO_WAIT
ANY = drmaa.Session.JOB_IDS_SESSION_ANY
ALL = drmaa.Session.JOB_IDS_SESSION_ALL


def timed(call, *args):
    started = time.monotonic()
    try:
        return call(*args), time.monotonic() - started
    except drmaa.errors.DrmaaException as e:
        e.elapsed = time.monotonic() - started
        raise


def test_wait_with_no_timeout_on_a_running_job_times_out_at_once(session):
    job = run(session, '/bin/sleep', '30')
    with pytest.raises(drmaa.errors.ExitTimeoutException) as e:
        timed(session.wait, job, NO_WAIT)
    assert e.value.elapsed < 1.5
    # A wait that timed out reaped nothing: the job is still there to wait on.
    assert session.jobStatus(job) not in OVER


def test_wait_with_a_finite_timeout_times_out_after_it(session):
    job = run(session, '/bin/sleep', '30')
    with pytest.raises(drmaa.errors.ExitTimeoutException) as e:
        timed(session.wait, job, 2)
    assert 1.8 <= e.value.elapsed < 4


def test_wait_forever_returns_when_the_job_ends_and_reaps_it(session):
    job = shell(session, 'sleep 1; exit 0')
    info, elapsed = timed(session.wait, job, FOREVER)
    assert info.jobId == job and info.hasExited and info.exitStatus == 0
    assert elapsed >= 0.9
    with pytest.raises(drmaa.errors.InvalidJobException):
        session.wait(job, FOREVER)
    # Reaped for wait, still known to job_ps.
    assert session.jobStatus(job) == drmaa.JobState.DONE


def test_wait_with_a_timeout_longer_than_the_job(session):
    job = shell(session, 'exit 4')
    info = session.wait(job, 60)
    assert info.exitStatus == 4


def test_wait_any_returns_each_job_once_then_fails_at_once(session):
    jobs = {shell(session, 'exit 1'), shell(session, 'exit 2')}
    seen = set()
    for _ in jobs:
        info = session.wait(ANY, FOREVER)
        assert info.jobId in jobs
        seen.add(info.jobId)
    assert seen == jobs
    with pytest.raises(drmaa.errors.InvalidJobException) as e:
        timed(session.wait, ANY, FOREVER)
    assert e.value.elapsed < 1.5


def test_wait_any_on_an_empty_session_fails_at_once(session):
    with pytest.raises(drmaa.errors.InvalidJobException) as e:
        timed(session.wait, ANY, FOREVER)
    assert e.value.elapsed < 1.5


def test_wait_any_takes_the_first_job_to_end(session):
    slow = run(session, '/bin/sleep', '30')
    fast = shell(session, 'exit 0')
    info = session.wait(ANY, 30)
    assert info.jobId == fast
    assert session.jobStatus(slow) not in OVER


def test_wait_on_an_unknown_job_is_an_invalid_job(session):
    with pytest.raises(drmaa.errors.InvalidJobException):
        session.wait('987654321', NO_WAIT)


def test_synchronize_without_dispose_leaves_the_jobs_to_wait(session):
    jobs = [shell(session, 'exit 0'), shell(session, 'exit 5')]
    assert session.synchronize(jobs, FOREVER, False) is None
    assert all(session.jobStatus(j) in OVER for j in jobs)
    statuses = sorted(session.wait(j, NO_WAIT).exitStatus for j in jobs)
    assert statuses == [0, 5]


def test_synchronize_with_dispose_reaps_the_jobs(session):
    jobs = [shell(session, 'exit 0'), shell(session, 'exit 0')]
    session.synchronize(jobs, FOREVER, True)
    for job in jobs:
        with pytest.raises(drmaa.errors.InvalidJobException):
            session.wait(job, NO_WAIT)


def test_synchronize_times_out_and_reaps_nothing(session):
    quick = shell(session, 'exit 0')
    slow = run(session, '/bin/sleep', '30')
    with pytest.raises(drmaa.errors.ExitTimeoutException) as e:
        timed(session.synchronize, [quick, slow], 2, True)
    assert 1.8 <= e.value.elapsed < 4
    assert session.wait(quick, FOREVER).exitStatus == 0


def test_synchronize_with_no_wait_times_out_on_a_running_job(session):
    slow = run(session, '/bin/sleep', '30')
    with pytest.raises(drmaa.errors.ExitTimeoutException) as e:
        timed(session.synchronize, [slow], NO_WAIT, False)
    assert e.value.elapsed < 1.5


def test_synchronize_all_waits_for_every_job_of_the_session(session):
    jobs = [shell(session, 'sleep 1'), shell(session, 'exit 3')]
    session.synchronize([ALL], FOREVER, False)
    assert [session.jobStatus(j) for j in jobs] == [
        drmaa.JobState.DONE, drmaa.JobState.FAILED]
    assert session.wait(jobs[1], NO_WAIT).exitStatus == 3


def test_synchronize_all_on_an_empty_session_succeeds_at_once(session):
    _, elapsed = timed(session.synchronize, [ALL], FOREVER, True)
    assert elapsed < 1.5


def test_synchronize_skips_unknown_ids(session):
    job = shell(session, 'exit 0')
    session.synchronize([job, '987654321'], FOREVER, True)
    assert session.jobStatus(job) == drmaa.JobState.DONE
