"""
Working directory and input/output/error files on the submitting host: the
daemon mounts the scratch volume at the same path in the job's container, and
the job runs as the user's uid. As with Grid Engine, a job whose files cannot be
opened, or whose working directory does not exist, never runs: it is aborted
(FAILED, wasAborted), and the daemon's reason names the path.
"""
import os
import socket

import drmaa
import pytest

from support import JOB_UID, SCRATCH, api, job_record, read, shell, template

FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER


def finished(session, job):
    info = session.wait(job, FOREVER)
    assert info.hasExited and info.exitStatus == 0, info
    return info


def test_the_job_runs_in_its_working_directory_as_the_user(session, workdir):
    out = os.path.join(workdir, 'out.txt')
    job = shell(session, 'pwd; id -u; echo made > made.txt',
                workingDirectory=workdir, outputPath=':' + out)
    finished(session, job)
    assert read(out) == '%s\n%d\n' % (workdir, JOB_UID)
    made = os.path.join(workdir, 'made.txt')
    assert read(made) == 'made\n'
    assert os.stat(made).st_uid == JOB_UID


def test_output_and_error_go_to_their_files(session, workdir):
    out, err = os.path.join(workdir, 'o'), os.path.join(workdir, 'e')
    job = shell(session, 'echo to-out; echo to-err >&2',
                outputPath=':' + out, errorPath=':' + err)
    finished(session, job)
    assert read(out) == 'to-out\n'
    assert read(err) == 'to-err\n'


def test_join_files_puts_errors_in_the_output(session, workdir):
    out = os.path.join(workdir, 'joined')
    job = shell(session, 'echo one; echo two >&2; echo three',
                outputPath=':' + out, joinFiles=True)
    finished(session, job)
    assert read(out) == 'one\ntwo\nthree\n'


def test_input_path_is_the_jobs_stdin(session, workdir):
    source, out = os.path.join(workdir, 'in'), os.path.join(workdir, 'out')
    with open(source, 'w', encoding='utf-8') as f:
        f.write('line 1\nline 2\n')
    job = shell(session, 'cat', inputPath=':' + source, outputPath=':' + out)
    finished(session, job)
    assert read(out) == 'line 1\nline 2\n'


def test_the_working_directory_placeholder_in_paths(session, workdir):
    out = ':' + drmaa.JobTemplate.WORKING_DIRECTORY + '/wd.out'
    job = shell(session, 'echo here', workingDirectory=workdir, outputPath=out)
    finished(session, job)
    assert read(os.path.join(workdir, 'wd.out')) == 'here\n'


def test_an_output_path_that_is_a_folder_gets_grid_engines_file_names(
        session, workdir):
    job = shell(session, 'echo o; echo e >&2', jobName='named',
                outputPath=':' + workdir, errorPath=':' + workdir)
    finished(session, job)
    assert read(os.path.join(workdir, 'named.o' + job)) == 'o\n'
    assert read(os.path.join(workdir, 'named.e' + job)) == 'e\n'


def test_this_hosts_name_may_prefix_a_path(session, workdir):
    out = os.path.join(workdir, 'hosted')
    job = shell(session, 'echo hosted',
                outputPath=socket.gethostname() + ':' + out)
    finished(session, job)
    assert read(out) == 'hosted\n'


def test_a_relative_path_is_in_the_working_directory(session, workdir):
    os.mkdir(os.path.join(workdir, 'relative'))
    os.chown(os.path.join(workdir, 'relative'), JOB_UID, JOB_UID)
    job = shell(session, 'echo relative; echo err >&2', workingDirectory=workdir,
                outputPath=':relative/out', errorPath=':err')
    finished(session, job)
    assert read(os.path.join(workdir, 'relative', 'out')) == 'relative\n'
    assert read(os.path.join(workdir, 'err')) == 'err\n'


def aborted(session, job):
    """The job never ran: aborted and FAILED; its reason, from the daemon."""
    info = session.wait(job, FOREVER)
    assert info.wasAborted is True, info
    assert info.hasExited is False and info.hasSignal is False, info
    assert session.jobStatus(job) == drmaa.JobState.FAILED
    status = job_record(job)['status']
    assert status['exitCode'] is None and status['startedAt'] is None
    return status['reason']


def locked_folder(workdir):
    """A folder the job's user may not write in (the tests run as root)."""
    path = os.path.join(workdir, 'locked')
    os.mkdir(path, 0o755)
    os.chown(path, 0, 0)
    return path


def test_an_output_path_the_user_cannot_write_aborts_the_job(session, workdir):
    out = os.path.join(locked_folder(workdir), 'out')
    ran = os.path.join(workdir, 'ran')
    job = shell(session, 'touch ' + ran, outputPath=':' + out)
    reason = aborted(session, job)
    assert out in reason and 'Permission denied' in reason, reason
    assert not os.path.exists(ran) and not os.path.exists(out)


def test_an_error_folder_the_user_cannot_write_aborts_the_job(session, workdir):
    locked = locked_folder(workdir)
    job = shell(session, 'exit 0', jobName='denied', errorPath=':' + locked)
    reason = aborted(session, job)
    assert os.path.join(locked, 'denied.e' + job) in reason, reason


def test_an_input_path_that_does_not_exist_aborts_the_job(session, workdir):
    missing = os.path.join(workdir, 'no-such-input')
    job = shell(session, 'cat', inputPath=':' + missing)
    reason = aborted(session, job)
    assert missing in reason and 'No such file' in reason, reason


def test_a_missing_working_directory_aborts_the_job_and_is_not_made(
        session, workdir):
    missing = os.path.join(workdir, 'missing')
    job = shell(session, 'exit 0', workingDirectory=missing,
                outputPath=':out')
    reason = aborted(session, job)
    assert 'working directory %s does not exist' % missing in reason, reason
    assert not os.path.exists(missing)


def refusal(session, exception, **attributes):
    jt = template(session, '/bin/sh', '-c', 'exit 0', **attributes)
    try:
        with pytest.raises(exception) as e:
            session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)
    return str(e.value)


def test_another_hosts_path_is_refused(session, workdir):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      outputPath='elsewhere.example:' + workdir + '/x')
    assert 'elsewhere.example' in message


def test_a_path_outside_the_admins_volumes_is_denied_naming_them(session):
    message = refusal(session, drmaa.errors.DeniedByDrmException,
                      outputPath=':/var/tmp/not-mounted/out')
    assert '/var/tmp/not-mounted/out' in message
    assert SCRATCH in message  # the volume that would do


def test_the_home_placeholder_is_the_users_home(session):
    # The test user's home is not in a volume here: the refusal shows the
    # placeholder filled in with it.
    message = refusal(session, drmaa.errors.DeniedByDrmException,
                      outputPath=':' + drmaa.JobTemplate.HOME_DIRECTORY
                      + '/out')
    home = api('/api/v1/users/me')['home']
    assert home + '/out' in message


def test_the_working_directory_placeholder_needs_a_working_directory(session):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      outputPath=':$drmaa_wd_ph$/out')
    assert 'drmaa_wd' in message
