/*
 * How jobs end, as a DRMAA 1.0 C client sees it through libdrmaa.so (issue 9,
 * sections 3 and 4); TAP on stdout. Run by packages/drmaa-bridge/test/c-job-ends.test.ts
 * once per executor, with GODOCKER_URL and GODOCKER_TOKEN naming the daemon and a
 * normal user, and ENDS_SCRATCH a host folder the jobs see at the same path, holding:
 *   rel/relative/  and  dir/   folders the job's user may write in
 *   locked/                    a folder it may not write in
 *
 * - `exit N` for every N of 0..255: wifexited 1, wexitstatus N, wifsignaled 0.
 * - TERMINATE: a running job was signalled; a job that never ran was aborted.
 * - A job whose files cannot be opened, or whose working directory does not
 *   exist, never runs: wifaborted 1, state FAILED (Grid Engine's behaviour).
 *   The ids of those jobs are printed as `# job LABEL ID` for the runner, which
 *   checks the reason the daemon gives.
 * - `:relative/path` is in the working directory; a folder as output path gets
 *   NAME.oJOBID in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "drmaa.h"
#include "tap.h"

#define CODES 256
/* 256 exit codes, 6 for TERMINATE, 5 start failures of 3 each and 1 for them all, 2 relative paths, 2 for the folder. */
#define PLAN (CODES + 6 + 5 * 3 + 1 + 2 + 2)

static const char *scratch;

static void path_in(char *out, size_t len, const char *rest) { snprintf(out, len, "%s/%s", scratch, rest); }

/* The whole of a small file; "" when it cannot be read. */
static const char *slurp(const char *path) {
  static char buf[256];
  buf[0] = '\0';
  FILE *f = fopen(path, "r");
  if (f == NULL) return buf;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static void exit_codes(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  static char ids[CODES][ID_LEN];
  const char *all[CODES + 1];
  drmaa_job_ids_t *list = NULL;
  /* Bulk indexes start at 1 (as Grid Engine's do): task N exits N-1. */
  drmaa_job_template_t *jt = shell_template("exit $((GODOCKER_TASK_ID - 1))");
  int rc = jt ? drmaa_run_bulk_jobs(&list, jt, 1, CODES, 1, ed, sizeof ed) : DRMAA_ERRNO_INTERNAL_ERROR;
  if (jt) drmaa_delete_job_template(jt, NULL, 0);
  int n = 0;
  if (rc == DRMAA_ERRNO_SUCCESS) {
    while (n < CODES && drmaa_get_next_job_id(list, ids[n], ID_LEN) == DRMAA_ERRNO_SUCCESS) n++;
    drmaa_release_job_ids(list);
  } else {
    diag("drmaa_run_bulk_jobs 1..%d: %d (%s): %s", CODES, rc, drmaa_strerror(rc), ed);
  }
  for (int i = 0; i < n; i++) all[i] = ids[i];
  all[n] = NULL;
  if (n > 0) rc = drmaa_synchronize(all, 900, 0, ed, sizeof ed);
  if (n != CODES || rc != DRMAA_ERRNO_SUCCESS) diag("%d of %d tasks; drmaa_synchronize: %d: %s", n, CODES, rc, ed);
  for (int code = 0; code < CODES; code++) {
    int stat = -1;
    rc = code < n ? wait_for(ids[code], &stat, 0, NULL, ed) : DRMAA_ERRNO_INVALID_JOB;
    struct wait_status s = decode(stat);
    if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.all_ok && s.exited == 1 && s.exit_status == code && s.signaled == 0 &&
                s.aborted == 0,
            "exit %d: wifexited 1, wexitstatus %d, wifsignaled 0, wifaborted 0", code, code))
      show_status(code < n ? ids[code] : "(none)", stat, s);
  }
}

static void terminate(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char running[ID_LEN] = "", held[ID_LEN] = "";
  int stat = -1;
  drmaa_job_template_t *jt = shell_template("sleep 300");
  int rc = jt ? run_template(jt, running, sizeof running) : DRMAA_ERRNO_INTERNAL_ERROR;
  if (jt) drmaa_set_attribute(jt, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD, NULL, 0);
  if (jt && rc == DRMAA_ERRNO_SUCCESS) rc = run_template(jt, held, sizeof held);
  if (jt) drmaa_delete_job_template(jt, NULL, 0);
  ok(rc == DRMAA_ERRNO_SUCCESS && reach_state(running, DRMAA_PS_RUNNING, 60),
     "a running job and a held one (the running one RUNNING)");
  rc = drmaa_control(running, DRMAA_CONTROL_TERMINATE, ed, sizeof ed);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_control(held, DRMAA_CONTROL_TERMINATE, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_control(TERMINATE) on both succeeds");

  rc = wait_for(running, &stat, 60, NULL, ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.all_ok && s.signaled == 1 && s.exited == 0 && s.aborted == 0,
          "terminated while running: wifsignaled 1, wifexited 0, wifaborted 0"))
    show_status(running, stat, s);
  if (!ok(strcmp(s.signal, "SIGTERM") == 0 || strcmp(s.signal, "SIGKILL") == 0,
          "... wtermsig is the signal GoDocker sent (\"%s\")", s.signal))
    show_status(running, stat, s);
  ok(job_state(running) == DRMAA_PS_FAILED, "... and the job is FAILED (0x%x)", job_state(running));

  rc = wait_for(held, &stat, 60, NULL, ed);
  s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.all_ok && s.aborted == 1 && s.exited == 0 && s.signaled == 0,
          "terminated before it ran: wifaborted 1, wifexited 0, wifsignaled 0"))
    show_status(held, stat, s);
}

/* Submits `/bin/sh -c SCRIPT` with up to two attributes set; its id in ID. */
static int submit_with(const char *script, char *id, const char *a1, const char *v1, const char *a2, const char *v2) {
  drmaa_job_template_t *jt = shell_template(script);
  if (jt == NULL) return DRMAA_ERRNO_INTERNAL_ERROR;
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  int rc = DRMAA_ERRNO_SUCCESS;
  if (a1) rc = drmaa_set_attribute(jt, a1, v1, ed, sizeof ed);
  if (rc == DRMAA_ERRNO_SUCCESS && a2) rc = drmaa_set_attribute(jt, a2, v2, ed, sizeof ed);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = run_template(jt, id, ID_LEN);
  else diag("drmaa_set_attribute: %d (%s): %s", rc, drmaa_strerror(rc), ed);
  drmaa_delete_job_template(jt, NULL, 0);
  return rc;
}

/* A job that must never run: aborted, FAILED, neither exited nor signalled; the runner checks its reason. */
static void never_runs(const char *label, const char *what, const char *a1, const char *v1, const char *a2,
                       const char *v2) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char id[ID_LEN] = "", script[600];
  snprintf(script, sizeof script, "touch '%s/ran'", scratch);
  int rc = submit_with(script, id, a1, v1, a2, v2);
  if (!ok_rc(rc, DRMAA_ERRNO_SUCCESS, "", what)) return;
  diag("job %s %s", label, id);
  int stat = -1;
  rc = wait_for(id, &stat, 120, NULL, ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.all_ok && s.aborted == 1 && s.exited == 0 && s.signaled == 0,
          "... it never ran: wifaborted 1, wifexited 0, wifsignaled 0"))
    show_status(id, stat, s);
  ok(job_state(id) == DRMAA_PS_FAILED, "... and it is FAILED (0x%x)", job_state(id));
}

static void start_failures(void) {
  char locked_out[512], locked[512], no_input[512], missing_wd[512];
  path_in(locked_out, sizeof locked_out, "locked/out");
  path_in(locked, sizeof locked, "locked");
  path_in(no_input, sizeof no_input, "no-such-input");
  path_in(missing_wd, sizeof missing_wd, "missing-wd");
  char colon[520];

  snprintf(colon, sizeof colon, ":%s", locked_out);
  never_runs("output-denied", "an output path in a folder the user cannot write: submitted", DRMAA_OUTPUT_PATH, colon,
             NULL, NULL);
  snprintf(colon, sizeof colon, ":%s", locked);
  never_runs("error-folder-denied", "an error path that is such a folder: submitted", DRMAA_ERROR_PATH, colon,
             DRMAA_JOB_NAME, "denied");
  snprintf(colon, sizeof colon, ":%s", no_input);
  never_runs("input-missing", "an input path that does not exist: submitted", DRMAA_INPUT_PATH, colon, NULL, NULL);
  never_runs("workdir-missing", "a working directory that does not exist: submitted", DRMAA_WD, missing_wd, NULL,
             NULL);
  never_runs("workdir-missing-relative", "... with a relative output path in it: submitted", DRMAA_WD, missing_wd,
             DRMAA_OUTPUT_PATH, ":out");
  char ran[512];
  path_in(ran, sizeof ran, "ran");
  ok(!exists(ran) && !exists(missing_wd) && !exists(locked_out),
     "none of them ran, and no file or folder was made for them (ran %d, missing-wd %d, locked/out %d)", exists(ran),
     exists(missing_wd), exists(locked_out));
}

static void relative_and_folder_paths(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char wd[512], out[512], dir[512], colon[520], id[ID_LEN] = "", file[600];
  int stat = -1;
  path_in(wd, sizeof wd, "rel");
  path_in(out, sizeof out, "rel/relative/out");
  int rc = submit_with("echo \"in $PWD\"", id, DRMAA_WD, wd, DRMAA_OUTPUT_PATH, ":relative/out");
  if (rc == DRMAA_ERRNO_SUCCESS) rc = wait_for(id, &stat, 120, NULL, ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.exited == 1 && s.exit_status == 0, ":relative/out with drmaa_wd: the job exits 0"))
    show_status(id, stat, s);
  char want[600];
  snprintf(want, sizeof want, "in %s\n", wd);
  ok(strcmp(slurp(out), want) == 0, "... and its output is in drmaa_wd/relative/out (\"%s\")", slurp(out));

  path_in(dir, sizeof dir, "dir");
  snprintf(colon, sizeof colon, ":%s", dir);
  drmaa_job_template_t *jt = shell_template("echo to-out; echo to-err >&2");
  rc = jt ? DRMAA_ERRNO_SUCCESS : DRMAA_ERRNO_INTERNAL_ERROR;
  if (jt) {
    drmaa_set_attribute(jt, DRMAA_JOB_NAME, "named", NULL, 0);
    drmaa_set_attribute(jt, DRMAA_OUTPUT_PATH, colon, NULL, 0);
    drmaa_set_attribute(jt, DRMAA_ERROR_PATH, colon, NULL, 0);
    rc = run_template(jt, id, sizeof id);
    drmaa_delete_job_template(jt, NULL, 0);
  }
  if (rc == DRMAA_ERRNO_SUCCESS) rc = wait_for(id, &stat, 120, NULL, ed);
  s = decode(stat);
  snprintf(file, sizeof file, "%s/named.o%s", dir, id);
  ok(rc == DRMAA_ERRNO_SUCCESS && s.exited == 1 && strcmp(slurp(file), "to-out\n") == 0,
     "a folder as output path gets NAME.oJOBID in it (%s: \"%s\")", file, slurp(file));
  snprintf(file, sizeof file, "%s/named.e%s", dir, id);
  ok(strcmp(slurp(file), "to-err\n") == 0, "... and as error path NAME.eJOBID (%s: \"%s\")", file, slurp(file));
}

int main(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  scratch = getenv("ENDS_SCRATCH");
  printf("1..%d\n", PLAN);
  if (scratch == NULL || scratch[0] != '/') {
    printf("Bail out! ENDS_SCRATCH must name the scratch folder\n");
    return 1;
  }
  if (drmaa_init(NULL, ed, sizeof ed) != DRMAA_ERRNO_SUCCESS) {
    printf("Bail out! drmaa_init: %s\n", ed);
    return 1;
  }
  exit_codes();
  terminate();
  start_failures();
  relative_and_folder_paths();
  drmaa_exit(NULL, 0);
  return tap_end(PLAN);
}
