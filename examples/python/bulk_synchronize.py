#!/usr/bin/python3
"""
A bulk job of five tasks, waited for with synchronize, then each task's exit
status collected with wait(SESSION_ANY), which reaps as it goes.

    DRMAA_LIBRARY_PATH=.../libdrmaa.so GODOCKER_URL=... GODOCKER_TOKEN=... \
        /usr/bin/python3 examples/python/bulk_synchronize.py
"""
import drmaa

with drmaa.Session() as session:
    jt = session.createJobTemplate()
    # Each task sees its index in GODOCKER_TASK_ID; it exits with index % 2.
    jt.remoteCommand = '/bin/sh'
    jt.args = ['-c', 'echo "task $GODOCKER_TASK_ID"; '
               'exit $((GODOCKER_TASK_ID % 2))']
    ids = session.runBulkJobs(jt, 1, 5, 1)
    session.deleteJobTemplate(jt)
    print('submitted tasks %s' % ', '.join(ids))

    # dispose=False: the tasks stay in the session for wait() below.
    session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL],
                        drmaa.Session.TIMEOUT_WAIT_FOREVER, False)
    print('all tasks have ended')

    lines = []
    for _ in ids:
        info = session.wait(drmaa.Session.JOB_IDS_SESSION_ANY,
                            drmaa.Session.TIMEOUT_NO_WAIT)
        lines.append('task job %s: exit status %d (%s)' % (
            info.jobId, info.exitStatus, session.jobStatus(info.jobId)))
    print('\n'.join(sorted(lines)))

    # Every task was reaped: the session has no job left to wait for.
    try:
        session.wait(drmaa.Session.JOB_IDS_SESSION_ANY,
                     drmaa.Session.TIMEOUT_NO_WAIT)
    except drmaa.errors.InvalidJobException:
        print('no job left in the session')
