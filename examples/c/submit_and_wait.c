/*
 * Submit one job through DRMAA and wait for it: a C program written for any
 * DRMAA 1.0 library, run against GoDocker by linking (or pointing the dynamic
 * loader) at its libdrmaa.so.
 *
 *     make -C examples/c
 *     GODOCKER_URL=http://127.0.0.1:6543 GODOCKER_TOKEN=... examples/c/build/submit_and_wait
 *
 * (Without the variables, the login saved by `godocker login` is used.)
 * An optional argument is the shell script to run; the default exits 3.
 */
#include <stdio.h>
#include <string.h>

#include "drmaa.h"

/* Prints what failed with the library's own diagnosis, and ends the session if one is open. */
static int fail(const char *what, int rc, const char *diagnosis, int in_session) {
  fprintf(stderr, "%s failed: %s (%s)\n", what, drmaa_strerror(rc), diagnosis);
  if (in_session) drmaa_exit(NULL, 0);
  return 1;
}

int main(int argc, char **argv) {
  char diagnosis[DRMAA_ERROR_STRING_BUFFER];
  char drm[DRMAA_DRM_SYSTEM_BUFFER], contact[DRMAA_CONTACT_BUFFER];
  char job_id[DRMAA_JOBNAME_BUFFER], waited_id[DRMAA_JOBNAME_BUFFER];
  const char *script = argc > 1 ? argv[1] : "echo \"hello from $GREETING\"; exit 3";

  /* NULL: a new session on GODOCKER_URL (or the saved login's daemon). */
  int rc = drmaa_init(NULL, diagnosis, sizeof diagnosis);
  if (rc != DRMAA_ERRNO_SUCCESS) return fail("drmaa_init", rc, diagnosis, 0);
  drmaa_get_DRM_system(drm, sizeof drm, NULL, 0);
  drmaa_get_contact(contact, sizeof contact, NULL, 0);
  printf("connected to %s, contact %s\n", drm, contact);

  drmaa_job_template_t *jt = NULL;
  const char *args[] = {"-c", script, NULL};
  const char *env[] = {"GREETING=GoDocker", NULL};
  rc = drmaa_allocate_job_template(&jt, diagnosis, sizeof diagnosis);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", diagnosis, sizeof diagnosis);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, args, diagnosis, sizeof diagnosis);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_set_vector_attribute(jt, DRMAA_V_ENV, env, diagnosis, sizeof diagnosis);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_set_attribute(jt, DRMAA_JOB_NAME, "hello", diagnosis, sizeof diagnosis);
  /* GoDocker's own options, as `godocker submit` takes them. */
  if (rc == DRMAA_ERRNO_SUCCESS)
    rc = drmaa_set_attribute(jt, DRMAA_NATIVE_SPECIFICATION, "-c 0.5 -m 64M --time 5m", diagnosis, sizeof diagnosis);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_run_job(job_id, sizeof job_id, jt, diagnosis, sizeof diagnosis);
  if (jt != NULL) drmaa_delete_job_template(jt, NULL, 0);
  if (rc != DRMAA_ERRNO_SUCCESS) return fail("submitting the job", rc, diagnosis, 1);
  printf("submitted job %s\n", job_id);

  /* Blocks in the daemon (a long-poll), not in a polling loop. */
  int stat = 0;
  drmaa_attr_values_t *rusage = NULL;
  rc = drmaa_wait(job_id, waited_id, sizeof waited_id, &stat, DRMAA_TIMEOUT_WAIT_FOREVER, &rusage, diagnosis,
                  sizeof diagnosis);
  if (rc != DRMAA_ERRNO_SUCCESS) return fail("drmaa_wait", rc, diagnosis, 1);

  int exited = 0, signaled = 0, status = 0;
  drmaa_wifexited(&exited, stat, NULL, 0);
  drmaa_wifsignaled(&signaled, stat, NULL, 0);
  if (exited) {
    drmaa_wexitstatus(&status, stat, NULL, 0);
    printf("job %s exited with status %d\n", waited_id, status);
  } else if (signaled) {
    char signal[DRMAA_SIGNAL_BUFFER];
    drmaa_wtermsig(signal, sizeof signal, stat, NULL, 0);
    printf("job %s was killed by %s\n", waited_id, signal);
  } else {
    printf("job %s never ran\n", waited_id);
  }

  /* Resource usage comes as name=value strings. */
  char entry[DRMAA_ATTR_BUFFER];
  while (drmaa_get_next_attr_value(rusage, entry, sizeof entry) == DRMAA_ERRNO_SUCCESS) {
    if (strncmp(entry, "ru_wallclock=", 13) == 0) printf("wall clock: %s s\n", entry + 13);
  }
  drmaa_release_attr_values(rusage);

  rc = drmaa_exit(diagnosis, sizeof diagnosis);
  if (rc != DRMAA_ERRNO_SUCCESS) return fail("drmaa_exit", rc, diagnosis, 0);
  return 0;
}
