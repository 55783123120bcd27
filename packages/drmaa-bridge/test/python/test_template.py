"""Job templates: every attribute round-trips byte for byte; bad names fail."""
from ctypes import POINTER, create_string_buffer, pointer, sizeof
from datetime import datetime, timedelta, timezone

import drmaa
import pytest
from drmaa.helpers import c, string_vector
from drmaa.wrappers import (drmaa_attr_values_t, drmaa_get_attribute,
                            drmaa_get_vector_attribute, drmaa_set_attribute,
                            drmaa_set_vector_attribute)

from support import job_record, shell, template

# Bytes a shell, a JSON encoder or a C string routine could mangle.
AWKWARD = 'tab\there "double" \'single\' $HOME \\back ümlaut 日本 \u00a0end'

MANDATORY = {
    'drmaa_remote_command', 'drmaa_js_state', 'drmaa_wd',
    'drmaa_job_category', 'drmaa_native_specification', 'drmaa_block_email',
    'drmaa_start_time', 'drmaa_job_name', 'drmaa_input_path',
    'drmaa_output_path', 'drmaa_error_path', 'drmaa_join_files',
}
OPTIONAL = {
    'drmaa_transfer_files', 'drmaa_deadline_time', 'drmaa_wct_hlimit',
    'drmaa_wct_slimit', 'drmaa_duration_hlimit', 'drmaa_duration_slimit',
}


def set_raw(jt, name, value):
    """drmaa_set_attribute by name: the package's helper fails on Python 3."""
    c(drmaa_set_attribute, jt, name.encode(), value)


def get_raw(jt, name, size=1024):
    buf = create_string_buffer(size)
    c(drmaa_get_attribute, jt, name.encode(), buf, sizeof(buf))
    return buf.value


@pytest.fixture
def jt(session):
    t = session.createJobTemplate()
    yield t
    session.deleteJobTemplate(t)


def test_attribute_names_list_every_standard_attribute(jt):
    names = set(jt.attributeNames)
    assert MANDATORY <= names
    # GoDocker enforces a hard wall-clock limit, so it offers the attribute.
    assert 'drmaa_wct_hlimit' in names
    assert names <= MANDATORY | OPTIONAL


def test_every_scalar_attribute_round_trips(jt):
    values = {
        'remoteCommand': '/bin/' + AWKWARD,
        'jobSubmissionState': drmaa.JobSubmissionState.HOLD_STATE,
        'workingDirectory': '$drmaa_hd_ph$/' + AWKWARD,
        'jobCategory': 'category ' + AWKWARD,
        'nativeSpecification': "-c 2 -m 4G --image 'a b' " + AWKWARD,
        'startTime': '2030/01/02 03:04:05',
        'jobName': AWKWARD,
        'inputPath': 'host:/in/' + AWKWARD,
        'outputPath': ':$drmaa_wd_ph$/out.$drmaa_incr_ph$',
        'errorPath': ':/err/' + AWKWARD,
    }
    for name, value in values.items():
        setattr(jt, name, value)
    for name, value in values.items():
        assert getattr(jt, name) == value, name


def test_boolean_attributes_round_trip(jt):
    jt.joinFiles = True
    jt.blockEmail = True
    assert jt.joinFiles is True and jt.blockEmail is True
    jt.joinFiles = False
    jt.blockEmail = False
    assert jt.joinFiles is False and jt.blockEmail is False


def test_the_wall_clock_limit_round_trips_in_either_form(jt):
    # The package turns an int into bytes(n), n NUL bytes: users pass the text.
    jt.hardWallclockTimeLimit = b'3600'
    assert jt.hardWallclockTimeLimit == 3600
    set_raw(jt, 'drmaa_wct_hlimit', b'01:02:03')
    assert get_raw(jt, 'drmaa_wct_hlimit') == b'01:02:03'


def test_optional_attributes_godocker_lacks_are_refused_when_set(jt):
    for name in sorted(OPTIONAL - set(jt.attributeNames)):
        with pytest.raises(drmaa.errors.InvalidArgumentException) as e:
            set_raw(jt, name, b'10')
        assert name in str(e.value)


def test_vector_attributes_round_trip(jt):
    args = ['', 'two words', AWKWARD, '--flag=value', '*']
    jt.args = args
    assert jt.args == args
    env = {'PLAIN': 'x', 'WITH_EQUALS': 'a=b=c', 'EMPTY': '', 'U': AWKWARD}
    jt.jobEnvironment = env
    assert jt.jobEnvironment == env
    jt.email = ['a@example.org', 'b@example.org']
    assert jt.email == ['a@example.org', 'b@example.org']


def test_setting_again_replaces_and_empty_means_unset(jt):
    jt.nativeSpecification = '-c 2'
    jt.nativeSpecification = '-c 3'
    assert jt.nativeSpecification == '-c 3'
    jt.nativeSpecification = ''
    assert jt.nativeSpecification == ''
    jt.args = ['a', 'b']
    jt.args = ['c']
    assert jt.args == ['c']


def test_an_unset_attribute_reads_as_empty(jt):
    assert jt.jobName == ''
    assert jt.args == []


def test_a_long_value_is_truncated_to_the_callers_buffer(jt):
    # The package reads attributes into a 1024-byte buffer.
    jt.jobName = 'x' * 5000
    assert jt.jobName == 'x' * 1023


def test_unknown_attribute_names_are_invalid_arguments(jt):
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        set_raw(jt, 'drmaa_no_such_attribute', b'x')
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        get_raw(jt, 'drmaa_no_such_attribute')
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        c(drmaa_set_vector_attribute, jt, b'drmaa_v_no_such',
          string_vector(['x']))
    # A vector attribute is not a scalar one, nor the other way round.
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        set_raw(jt, 'drmaa_v_argv', b'x')
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        c(drmaa_set_vector_attribute, jt, b'drmaa_job_name',
          string_vector(['x']))
    values = pointer(POINTER(drmaa_attr_values_t)())
    with pytest.raises(drmaa.errors.InvalidArgumentException):
        c(drmaa_get_vector_attribute, jt, b'drmaa_v_no_such', values)


def test_email_is_refused_where_the_site_sends_no_mail_saying_why(session):
    # The test daemon has no notifications.smtp: asking for mail is refused at submit.
    jt = template(session, '/bin/sh', '-c', 'exit 0', email=['a@example.org'])
    try:
        with pytest.raises(drmaa.errors.DrmaaException) as e:
            session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)
    assert isinstance(e.value, (
        drmaa.errors.InvalidAttributeValueException,
        drmaa.errors.UnsupportedAttributeException)), repr(e.value)
    assert 'email' in str(e.value)


def test_the_start_time_delays_the_job(session):
    start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(
        seconds=3)
    job = shell(session, 'exit 0',
                startTime=start.strftime('%Y/%m/%d %H:%M:%S +00:00'))
    assert session.jobStatus(job) == drmaa.JobState.QUEUED_ACTIVE
    info = session.wait(job, 30)
    assert info.hasExited and info.exitStatus == 0
    started = job_record(job)['status']['startedAt'].replace('Z', '+00:00')
    assert datetime.fromisoformat(started) >= start


def test_a_start_time_that_is_no_date_is_refused(session):
    jt = template(session, '/bin/sh', '-c', 'exit 0', startTime='tomorrow')
    try:
        with pytest.raises(drmaa.errors.InvalidAttributeValueException) as e:
            session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)
    assert 'tomorrow' in str(e.value)


def test_an_unknown_job_category_is_refused_with_the_reason(session):
    jt = template(session, '/bin/sh', '-c', 'exit 0', jobCategory='bigmem')
    try:
        with pytest.raises(drmaa.errors.InvalidAttributeValueException) as e:
            session.runJob(jt)
    finally:
        session.deleteJobTemplate(jt)
    assert 'drmaa_job_category' in str(e.value)
    assert 'bigmem' in str(e.value)


def test_an_empty_limit_means_no_limit(session):
    job = shell(session, 'exit 0', hardWallclockTimeLimit=b'')
    info = session.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    assert info.hasExited and info.exitStatus == 0
