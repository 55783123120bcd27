/*
 * A quick check of libdrmaa.so against a running daemon (GODOCKER_URL,
 * GODOCKER_TOKEN): make -C packages/drmaa-bridge/c smoke && build/smoke.
 * The full suite is drmaa_tap.c; this is the library author's own sanity run,
 * small enough to read under valgrind.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drmaa.h"

static int failures;
#define CHECK(cond, ...)                 \
  do {                                   \
    if (!(cond)) {                       \
      failures++;                        \
      printf("FAIL %d: ", __LINE__);     \
      printf(__VA_ARGS__);               \
      printf("\n");                      \
    }                                    \
  } while (0)

static char ed[DRMAA_ERROR_STRING_BUFFER];

static int submit(const char *script, char *id, size_t len) {
  drmaa_job_template_t *jt;
  char e[DRMAA_ERROR_STRING_BUFFER];
  drmaa_allocate_job_template(&jt, e, sizeof e);
  const char *argv[] = {"-c", script, NULL};
  drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", e, sizeof e);
  drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, argv, e, sizeof e);
  int rc = drmaa_run_job(id, len, jt, e, sizeof e);
  if (rc) printf("run_job: %d %s\n", rc, e);
  drmaa_delete_job_template(jt, NULL, 0);
  return rc;
}

static void *waiter(void *arg) {
  int *rc = arg;
  char out[64], e[DRMAA_ERROR_STRING_BUFFER];
  int stat;
  *rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, DRMAA_TIMEOUT_WAIT_FOREVER, NULL, e, sizeof e);
  return NULL;
}

static void *worker(void *arg) {
  int code = (int)(size_t)arg;
  char script[32], id[64], out[64], e[DRMAA_ERROR_STRING_BUFFER];
  snprintf(script, sizeof script, "exit %d", code);
  for (int i = 0; i < 2; i++) {
    if (submit(script, id, sizeof id)) {
      failures++;
      continue;
    }
    int stat = 0, exited = 0, status = -1;
    drmaa_attr_values_t *ru = NULL;
    int rc = drmaa_wait(id, out, sizeof out, &stat, DRMAA_TIMEOUT_WAIT_FOREVER, &ru, e, sizeof e);
    CHECK(rc == DRMAA_ERRNO_SUCCESS, "thread wait %s: %d %s", id, rc, e);
    drmaa_wifexited(&exited, stat, NULL, 0);
    drmaa_wexitstatus(&status, stat, NULL, 0);
    CHECK(exited == 1 && status == code, "thread job %s exited %d status %d want %d", id, exited, status, code);
    drmaa_release_attr_values(ru);
  }
  return NULL;
}

int main(void) {
  char buf[DRMAA_ATTR_BUFFER], id[64], out[64];
  unsigned major, minor;
  CHECK(drmaa_version(&major, &minor, ed, sizeof ed) == 0 && major == 1 && minor == 0, "version");
  CHECK(drmaa_get_DRM_system(buf, sizeof buf, ed, sizeof ed) == 0 && strcmp(buf, "GoDocker") == 0, "drm %s", buf);
  CHECK(drmaa_run_job(id, sizeof id, NULL, ed, sizeof ed) != 0, "run_job before init");
  CHECK(drmaa_exit(ed, sizeof ed) == DRMAA_ERRNO_NO_ACTIVE_SESSION, "exit before init");
  int rc = drmaa_init(NULL, ed, sizeof ed);
  CHECK(rc == 0, "init: %d %s", rc, ed);
  if (rc) return 1;
  CHECK(drmaa_init(NULL, ed, sizeof ed) == DRMAA_ERRNO_ALREADY_ACTIVE_SESSION, "second init");
  char contact[DRMAA_CONTACT_BUFFER];
  drmaa_get_contact(contact, sizeof contact, ed, sizeof ed);
  char tiny[8];
  drmaa_get_contact(tiny, sizeof tiny, NULL, 0);
  CHECK(strlen(tiny) == 7 && strncmp(tiny, contact, 7) == 0, "truncation %s", tiny);

  drmaa_job_template_t *jt;
  drmaa_allocate_job_template(&jt, ed, sizeof ed);
  CHECK(drmaa_set_attribute(jt, "nope", "x", ed, sizeof ed) == DRMAA_ERRNO_INVALID_ARGUMENT, "unknown attr");
  CHECK(drmaa_set_attribute(jt, DRMAA_JOIN_FILES, "maybe", ed, sizeof ed) == DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE,
        "join_files");
  const char *odd = "a\tb \xc3\xa9 $drmaa_hd_ph$";
  drmaa_set_attribute(jt, DRMAA_JOB_NAME, odd, ed, sizeof ed);
  drmaa_get_attribute(jt, DRMAA_JOB_NAME, buf, sizeof buf, ed, sizeof ed);
  CHECK(strcmp(buf, odd) == 0, "round trip");
  drmaa_get_attribute(jt, DRMAA_WD, buf, sizeof buf, ed, sizeof ed);
  CHECK(buf[0] == '\0', "unset reads empty");
  drmaa_delete_job_template(jt, ed, sizeof ed);

  CHECK(submit("exit 3", id, sizeof id) == 0, "submit");
  int ps = 0;
  CHECK(drmaa_job_ps(id, &ps, ed, sizeof ed) == 0, "ps %s", ed);
  int stat = 0;
  drmaa_attr_values_t *ru = NULL;
  rc = drmaa_wait(id, out, sizeof out, &stat, 60, &ru, ed, sizeof ed);
  CHECK(rc == 0 && strcmp(out, id) == 0, "wait %d %s", rc, ed);
  int n = 0;
  drmaa_get_num_attr_values(ru, &n);
  CHECK(n > 0, "rusage");
  while (drmaa_get_next_attr_value(ru, buf, sizeof buf) == DRMAA_ERRNO_SUCCESS) CHECK(strchr(buf, '=') != NULL, "%s", buf);
  drmaa_release_attr_values(ru);
  int v = 0;
  drmaa_wexitstatus(&v, stat, NULL, 0);
  CHECK(v == 3, "exit status %d", v);
  CHECK(drmaa_job_ps(id, &ps, ed, sizeof ed) == 0 && ps == DRMAA_PS_FAILED, "ps failed %x", ps);
  rc = drmaa_wait(id, out, sizeof out, &stat, 0, NULL, ed, sizeof ed);
  CHECK(rc == DRMAA_ERRNO_INVALID_JOB, "second wait %d", rc);
  rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, -1, NULL, ed, sizeof ed);
  CHECK(rc == DRMAA_ERRNO_INVALID_JOB, "wait any on empty %d %s", rc, ed);

  CHECK(submit("sleep 30", id, sizeof id) == 0, "submit sleeper");
  rc = drmaa_wait(id, out, sizeof out, &stat, 1, NULL, ed, sizeof ed);
  CHECK(rc == DRMAA_ERRNO_EXIT_TIMEOUT, "wait timeout %d %s", rc, ed);
  rc = drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, DRMAA_CONTROL_TERMINATE, ed, sizeof ed);
  CHECK(rc == 0, "terminate all %d %s", rc, ed);
  const char *all[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
  rc = drmaa_synchronize(all, 60, 0, ed, sizeof ed);
  CHECK(rc == 0, "sync %d %s", rc, ed);
  rc = drmaa_wait(id, out, sizeof out, &stat, 0, NULL, ed, sizeof ed);
  int sig = 0, ab = 0;
  drmaa_wifsignaled(&sig, stat, NULL, 0);
  drmaa_wifaborted(&ab, stat, NULL, 0);
  char sname[DRMAA_SIGNAL_BUFFER];
  drmaa_wtermsig(sname, sizeof sname, stat, NULL, 0);
  CHECK(rc == 0 && (sig == 1 || ab == 1), "killed: rc %d sig %d aborted %d %s", rc, sig, ab, sname);

  drmaa_job_ids_t *ids = NULL;
  drmaa_allocate_job_template(&jt, ed, sizeof ed);
  drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/true", ed, sizeof ed);
  rc = drmaa_run_bulk_jobs(&ids, jt, 1, 3, 1, ed, sizeof ed);
  CHECK(rc == 0, "bulk %d %s", rc, ed);
  drmaa_delete_job_template(jt, ed, sizeof ed);
  n = 0;
  drmaa_get_num_job_ids(ids, &n);
  CHECK(n == 3, "bulk ids %d", n);
  while (drmaa_get_next_job_id(ids, id, sizeof id) == 0) {
  }
  CHECK(drmaa_get_next_job_id(ids, id, sizeof id) == DRMAA_ERRNO_NO_MORE_ELEMENTS, "no more");
  drmaa_release_job_ids(ids);
  rc = drmaa_synchronize(all, 60, 1, ed, sizeof ed);
  CHECK(rc == 0, "sync dispose %d %s", rc, ed);

  pthread_t t[3];
  for (size_t i = 0; i < 3; i++) pthread_create(&t[i], NULL, worker, (void *)(i + 1));
  for (size_t i = 0; i < 3; i++) pthread_join(t[i], NULL);

  CHECK(drmaa_exit(ed, sizeof ed) == 0, "exit");
  rc = drmaa_init(contact, ed, sizeof ed);
  CHECK(rc == 0, "reattach %d %s", rc, ed);

  /* drmaa_exit while another thread waits: the wait ends, nothing is freed under it. */
  CHECK(submit("sleep 30", id, sizeof id) == 0, "submit sleeper");
  pthread_t w;
  int wait_rc = -1;
  pthread_create(&w, NULL, waiter, &wait_rc);
  struct timespec pause = {0, 500 * 1000 * 1000};
  nanosleep(&pause, NULL);
  CHECK(drmaa_exit(ed, sizeof ed) == 0, "exit during wait");
  pthread_join(w, NULL);
  CHECK(wait_rc == DRMAA_ERRNO_NO_ACTIVE_SESSION, "wait after exit: %d", wait_rc);
  drmaa_init(contact, NULL, 0);
  drmaa_control(id, DRMAA_CONTROL_TERMINATE, NULL, 0);
  drmaa_exit(NULL, 0);
  printf(failures ? "smoke: %d failure(s)\n" : "smoke: ok\n", failures);
  return failures != 0;
}
