"""One half of bench/drmaa-python.ts: N jobs of `true` through Debian's unmodified
`drmaa` package (DRMAA_LIBRARY_PATH = our libdrmaa.so), timed from inside Python
so the interpreter's start is not counted. Prints one JSON line per mode:
{"mode": "bulk" | "single", "jobs": N, "seconds": S}.

    /usr/bin/python3 bench/python/drmaa_jobs.py 1000 bulk single
"""
import json
import sys
import time

import drmaa


def template(session):
    jt = session.createJobTemplate()
    jt.remoteCommand = 'true'
    jt.nativeSpecification = '-c 1'
    return jt


def bulk(session, n):
    jt = template(session)
    t0 = time.perf_counter()
    session.runBulkJobs(jt, 1, n, 1)
    session.synchronize([drmaa.Session.JOB_IDS_SESSION_ALL], drmaa.Session.TIMEOUT_WAIT_FOREVER, True)
    seconds = time.perf_counter() - t0
    session.deleteJobTemplate(jt)
    return seconds


def single(session, n):
    jt = template(session)
    t0 = time.perf_counter()
    ids = [session.runJob(jt) for _ in range(n)]
    for job_id in ids:
        session.wait(job_id, drmaa.Session.TIMEOUT_WAIT_FOREVER)
    seconds = time.perf_counter() - t0
    session.deleteJobTemplate(jt)
    return seconds


def main():
    n = int(sys.argv[1])
    modes = {'bulk': bulk, 'single': single}
    for mode in sys.argv[2:]:
        # A session per mode, so SESSION_ALL in the bulk run sees only its own tasks.
        with drmaa.Session() as session:
            seconds = modes[mode](session, n)
        print(json.dumps({'mode': mode, 'jobs': n, 'seconds': seconds}), flush=True)


if __name__ == '__main__':
    main()
