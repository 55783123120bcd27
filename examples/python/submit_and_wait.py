#!/usr/bin/python3
"""
Submit one job through DRMAA and wait for it: the program an HPC user already
has, run against GoDocker by pointing DRMAA_LIBRARY_PATH at its libdrmaa.so.

    export DRMAA_LIBRARY_PATH=/path/to/packages/drmaa-bridge/build/libdrmaa.so
    GODOCKER_URL=http://127.0.0.1:6543 GODOCKER_TOKEN=... \
        /usr/bin/python3 examples/python/submit_and_wait.py

(Without the variables, the login saved by `godocker login` is used.)
"""
import drmaa

# `with` initialises a DRMAA session (a session on the daemon) and exits it.
with drmaa.Session() as session:
    print('connected to %s, contact %s' % (session.drmsInfo, session.contact))

    jt = session.createJobTemplate()
    jt.remoteCommand = '/bin/sh'
    jt.args = ['-c', 'echo "hello from $GREETING"; exit 3']
    jt.jobEnvironment = {'GREETING': 'GoDocker'}
    jt.jobName = 'hello'
    # GoDocker's own options, as `godocker submit` takes them.
    jt.nativeSpecification = '-c 0.5 -m 64M --time 5m'

    job_id = session.runJob(jt)
    session.deleteJobTemplate(jt)
    print('submitted job %s' % job_id)

    # Blocks in the daemon (a long-poll), not in a polling loop.
    info = session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    if info.hasExited:
        print('job %s exited with status %d (%s)'
              % (info.jobId, info.exitStatus, session.jobStatus(job_id)))
    elif info.hasSignal:
        print('job %s was killed by %s' % (info.jobId, info.terminatedSignal))
    else:
        print('job %s never ran' % info.jobId)
    print('wall clock: %s s' % info.resourceUsage.get('ru_wallclock', '?'))
