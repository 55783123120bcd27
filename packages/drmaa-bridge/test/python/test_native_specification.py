"""The native specification takes the options of `godocker submit`."""
import drmaa
import pytest

from support import job_record, run, shell, template

FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER


def refusal(session, exception, **attributes):
    jt = template(session, '/bin/sh', '-c', 'exit 0', **attributes)
    try:
        with pytest.raises(exception) as e:
            session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)
    return str(e.value)


def test_cpu_and_memory_reach_the_job(session):
    job = shell(session, 'exit 0', nativeSpecification='-c 2 -m 256M')
    requirements = job_record(job)['requirements']
    assert requirements['cpu'] == 2
    assert requirements['ram'] == 256
    assert session.wait(job, FOREVER).exitStatus == 0


def test_long_options_with_equals(session):
    job = shell(session, 'exit 0',
                nativeSpecification='--cpu=1.5 --mem=128M --tag=drmaa-test')
    record = job_record(job)
    assert record['requirements']['cpu'] == 1.5
    assert record['requirements']['ram'] == 128
    assert 'drmaa-test' in record['meta']['tags']


def test_time_sets_the_jobs_limit(session):
    # That the limit kills the job: test_exit_status.py.
    for text, seconds in (('--time 90', 90), ('-t 1h30m', 5400),
                          ('--time=01:00:05', 3605)):
        job = run(session, '/bin/sleep', '60', nativeSpecification=text)
        assert job_record(job)['requirements']['timeLimit'] == seconds, text


def test_the_image_option_picks_a_catalogue_image(session):
    job = shell(session, 'exit 0',
                nativeSpecification='--image local/busybox:latest')
    assert job_record(job)['container']['image'] == 'local/busybox:latest'


def test_an_unknown_option_is_refused_with_the_options_there_are(session):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      nativeSpecification='-c 1 --frobnicate 3')
    assert '--frobnicate' in message
    assert '--cpu' in message  # it lists what GoDocker takes


def test_an_option_without_its_value_is_refused(session):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      nativeSpecification='-c')
    assert 'needs a value' in message


def test_a_bad_value_is_refused_with_what_is_wrong(session):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      nativeSpecification='-c lots')
    assert 'lots' in message


def test_an_image_outside_the_catalogue_is_denied(session):
    message = refusal(session, drmaa.errors.DeniedByDrmException,
                      nativeSpecification='--image local/not-allowed:1')
    assert 'local/not-allowed:1' in message


def test_the_time_option_and_the_wall_clock_attribute_together_are_refused(
        session):
    message = refusal(session, drmaa.errors.InvalidAttributeValueException,
                      nativeSpecification='--time 10',
                      hardWallclockTimeLimit=b'20')
    assert 'once' in message
