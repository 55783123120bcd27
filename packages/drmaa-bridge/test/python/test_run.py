"""runJob and runBulkJobs."""
import os

import drmaa
import pytest

from support import job_record, read, shell, template

FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER


def test_run_job_returns_the_daemons_job_id_and_the_job_runs(session):
    job = shell(session, 'echo ran')
    assert job.isdigit()
    info = session.wait(job, FOREVER)
    assert info.jobId == job
    assert info.hasExited and info.exitStatus == 0
    assert not info.hasSignal and not info.wasAborted
    record = job_record(job)
    assert record['id'] == int(job)
    assert record['status']['state'] == 'done'
    assert session.jobStatus(job) == drmaa.JobState.DONE


def test_resource_usage_comes_as_name_value_strings(session):
    info = session.wait(shell(session, 'exit 0'), FOREVER)
    usage = info.resourceUsage
    assert usage, 'no resource usage reported'
    assert all(isinstance(k, str) and isinstance(v, str)
               for k, v in usage.items())
    assert usage.get('exit_status') == '0'
    assert usage.get('submission_time', '').isdigit()


def test_the_same_template_submits_several_jobs(session):
    jt = template(session, '/bin/sh', '-c', 'exit 0')
    try:
        ids = [session.runJob(jt) for _ in range(3)]
    finally:
        session.deleteJobTemplate(jt)
    assert len(set(ids)) == 3
    session.synchronize(ids, FOREVER, True)
    assert [session.jobStatus(j) for j in ids] == [drmaa.JobState.DONE] * 3


def test_run_bulk_jobs_gives_one_id_per_index_and_fills_the_placeholder(
        session, workdir):
    out = os.path.join(workdir, 'task.' + drmaa.JobTemplate.PARAMETRIC_INDEX)
    jt = template(session, '/bin/sh', '-c', 'echo "task $GODOCKER_TASK_ID"',
                  outputPath=':' + out)
    try:
        ids = session.runBulkJobs(jt, 1, 3, 1)
    finally:
        session.deleteJobTemplate(jt)
    assert len(ids) == 3 and len(set(ids)) == 3
    assert all(j.isdigit() for j in ids)
    session.synchronize(ids, FOREVER, False)
    for index, job in zip((1, 2, 3), ids):
        info = session.wait(job, FOREVER)
        assert info.jobId == job and info.exitStatus == 0
        path = os.path.join(workdir, 'task.%d' % index)
        assert read(path) == 'task %d\n' % index


def test_run_bulk_jobs_with_a_step(session, workdir):
    out = os.path.join(workdir, 'o.' + drmaa.JobTemplate.PARAMETRIC_INDEX)
    jt = template(session, '/bin/sh', '-c', 'echo step', outputPath=':' + out)
    try:
        ids = session.runBulkJobs(jt, 2, 7, 2)
    finally:
        session.deleteJobTemplate(jt)
    assert len(ids) == 3
    session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], FOREVER, True)
    assert sorted(os.listdir(workdir)) == ['o.2', 'o.4', 'o.6']


def test_a_bulk_job_with_its_end_before_its_start_is_refused(session):
    jt = template(session, '/bin/sh', '-c', 'exit 0')
    try:
        with pytest.raises(drmaa.errors.DrmaaException) as failure:
            session.runBulkJobs(jt, 5, 1, 1)
    finally:
        session.deleteJobTemplate(jt)
    assert 'end' in str(failure.value)
    # Nothing was submitted.
    with pytest.raises(drmaa.errors.InvalidJobException):
        session.wait(drmaa.Session.JOB_IDS_SESSION_ANY,
                     drmaa.Session.TIMEOUT_NO_WAIT)
