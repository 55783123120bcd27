/*
 * What the C test programs share: TAP output (thread-safe), jobs as `/bin/sh -c
 * SCRIPT`, waiting for a state, and every drmaa_w* function on a wait status.
 * Written against the DRMAA 1.0 C binding only.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "drmaa.h"
#include "tap.h"

static pthread_mutex_t tap_lock = PTHREAD_MUTEX_INITIALIZER;
static int test_count;
static int failed_count;

/* The rest of a line: FMT with its arguments, then the newline; flushed, so a crash loses nothing. */
static void finish_line(const char *fmt, va_list ap) {
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
}

int ok(int cond, const char *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&tap_lock);
  test_count++;
  if (!cond) failed_count++;
  printf("%sok %d - ", cond ? "" : "not ", test_count);
  va_start(ap, fmt);
  finish_line(fmt, ap);
  va_end(ap);
  pthread_mutex_unlock(&tap_lock);
  return cond;
}

void diag(const char *fmt, ...) {
  va_list ap;
  pthread_mutex_lock(&tap_lock);
  printf("# ");
  va_start(ap, fmt);
  finish_line(fmt, ap);
  va_end(ap);
  pthread_mutex_unlock(&tap_lock);
}

/* Checks a DRMAA return code; on a mismatch says which code came back, with the library's diagnosis. */
int ok_rc(int rc, int want, const char *ed, const char *what) {
  int good = ok(rc == want, "%s", what);
  if (!good) diag("  got %d (%s), want %d (%s): %s", rc, drmaa_strerror(rc), want, drmaa_strerror(want), ed);
  return good;
}

double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void pause_ms(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

/* A template for `/bin/sh -c SCRIPT`; NULL (with a diagnostic) if the library refuses it. */
drmaa_job_template_t *shell_template(const char *script) {
  char ed[DRMAA_ERROR_STRING_BUFFER];
  drmaa_job_template_t *jt = NULL;
  const char *argv[] = {"-c", script, NULL};
  if (drmaa_allocate_job_template(&jt, ed, sizeof ed) != DRMAA_ERRNO_SUCCESS ||
      drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", ed, sizeof ed) != DRMAA_ERRNO_SUCCESS ||
      drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, argv, ed, sizeof ed) != DRMAA_ERRNO_SUCCESS) {
    diag("could not build a template for \"%s\": %s", script, ed);
    if (jt) drmaa_delete_job_template(jt, NULL, 0);
    return NULL;
  }
  return jt;
}

int run_template(drmaa_job_template_t *jt, char *id, size_t id_len) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  id[0] = '\0';
  int rc = drmaa_run_job(id, id_len, jt, ed, sizeof ed);
  if (rc != DRMAA_ERRNO_SUCCESS) diag("drmaa_run_job: %d (%s): %s", rc, drmaa_strerror(rc), ed);
  return rc;
}

int job_state(const char *id) {
  int ps = DRMAA_PS_UNDETERMINED;
  char ed[DRMAA_ERROR_STRING_BUFFER];
  if (drmaa_job_ps(id, &ps, ed, sizeof ed) != DRMAA_ERRNO_SUCCESS) return -1;
  return ps;
}

/* Waits (test-side) until the job is in state WANT; 1 if it got there within SECONDS. */
int reach_state(const char *id, int want, double seconds) {
  double end = now_seconds() + seconds;
  int ps = -1;
  while (now_seconds() < end) {
    ps = job_state(id);
    if (ps == want) return 1;
    pause_ms(50);
  }
  diag("job %s did not reach state 0x%x in %.0f s (last 0x%x)", id, want, seconds, ps);
  return 0;
}

/* drmaa_wait on one id; the wait status in *stat. */
int wait_for(const char *id, int *stat, long timeout, drmaa_attr_values_t **rusage, char *ed) {
  char out[ID_LEN];
  *stat = -1;
  return drmaa_wait(id, out, sizeof out, stat, timeout, rusage, ed, DRMAA_ERROR_STRING_BUFFER);
}


/* Every drmaa_w* function on STAT; outputs start at 42 so "stores exactly 0 or 1" is seen. */
struct wait_status decode(int stat) {
  struct wait_status s = {42, 42, 42, 42, 42, 1, "unset"};
  char ed[DRMAA_ERROR_STRING_BUFFER];
  s.all_ok &= drmaa_wifexited(&s.exited, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  s.all_ok &= drmaa_wifsignaled(&s.signaled, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  s.all_ok &= drmaa_wifaborted(&s.aborted, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  s.all_ok &= drmaa_wcoredump(&s.coredump, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  s.all_ok &= drmaa_wexitstatus(&s.exit_status, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  s.all_ok &= drmaa_wtermsig(s.signal, sizeof s.signal, stat, ed, sizeof ed) == DRMAA_ERRNO_SUCCESS;
  return s;
}

void show_status(const char *id, int stat, struct wait_status s) {
  diag("  job %s stat 0x%x: exited %d status %d signaled %d signal \"%s\" core %d aborted %d calls ok %d", id, stat,
       s.exited, s.exit_status, s.signaled, s.signal, s.coredump, s.aborted, s.all_ok);
}

/* The exit status of a TAP program: 0 when every one of PLAN tests ran and passed. */
int tap_end(int plan) {
  if (test_count != plan) {
    printf("# planned %d tests but ran %d\n", plan, test_count);
    return 1;
  }
  return failed_count == 0 ? 0 : 1;
}
