"""One session used from several threads at once, as Galaxy does."""
import threading

import drmaa

from support import shell


def test_three_threads_submit_and_wait_at_once(session):
    # ctypes lets go of the GIL during each call, so these calls overlap in
    # the library: each thread must get its own job's answer.
    results, errors = {}, []

    def submit_and_wait(code):
        try:
            job = shell(session, 'sleep 1; exit %d' % code)
            info = session.wait(job, drmaa.Session.TIMEOUT_WAIT_FOREVER)
            results[code] = (job, info.jobId, info.exitStatus)
        except Exception as e:  # reported below, with the thread's code
            errors.append((code, e))

    threads = [threading.Thread(target=submit_and_wait, args=(code,))
               for code in (11, 12, 13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(results) == [11, 12, 13]
    for code, (job, waited, status) in results.items():
        assert waited == job and status == code
    assert len({job for job, _, _ in results.values()}) == 3
