"""
Working directory and input/output/error files on the submitting host: the
daemon mounts the scratch volume at the same path in the job's container, and
the job runs as the user's uid.
"""
import os
import socket

import drmaa
import pytest

from support import JOB_UID, SCRATCH, api, read, shell, template

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
