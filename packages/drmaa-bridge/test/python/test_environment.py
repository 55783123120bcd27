"""What the job sees: its environment and its arguments, exactly as set."""
import os

import drmaa

from support import read, run, shell

FOREVER = drmaa.Session.TIMEOUT_WAIT_FOREVER


def test_job_environment_reaches_the_job(session, workdir):
    out = os.path.join(workdir, 'env')
    env = {'GREETING': 'hello world', 'EQUALS': 'a=b=c', 'UNICODE': 'ümlaut',
           'QUOTES': '"double" \'single\' $HOME'}
    job = shell(session,
                'printf "%s|%s|%s|%s\\n" "$GREETING" "$EQUALS" "$UNICODE" '
                '"$QUOTES"',
                jobEnvironment=env, outputPath=':' + out)
    assert session.wait(job, FOREVER).exitStatus == 0
    assert read(out) == '|'.join(env[k] for k in (
        'GREETING', 'EQUALS', 'UNICODE', 'QUOTES')) + '\n'


def test_the_submitters_environment_is_not_copied(session, workdir):
    # DRMAA jobs get the environment the template gives, not the caller's.
    os.environ['GODOCKER_TEST_SECRET'] = 'leak'
    try:
        out = os.path.join(workdir, 'env')
        job = shell(session, 'echo "[${GODOCKER_TEST_SECRET:-}]"',
                    outputPath=':' + out)
        assert session.wait(job, FOREVER).exitStatus == 0
        assert read(out) == '[]\n'
    finally:
        del os.environ['GODOCKER_TEST_SECRET']


def test_arguments_arrive_one_for_one(session, workdir):
    out = os.path.join(workdir, 'args')
    args = ['two words', '', '*', '$HOME', "it's", 'ümlaut']
    job = run(session, '/bin/sh', '-c', 'for a in "$@"; do echo "<$a>"; done',
              'sh', *args, outputPath=':' + out)
    assert session.wait(job, FOREVER).exitStatus == 0
    assert read(out) == ''.join('<%s>\n' % a for a in args)
