/*
 * The behaviour DRMAA clients depend on (issue 5, section 3), checked against
 * libdrmaa.so and a live daemon; TAP on stdout. Run by
 * packages/drmaa-bridge/test/c-library.test.ts under valgrind memcheck, with
 * GODOCKER_URL and GODOCKER_TOKEN naming the daemon and a normal user.
 *
 * Written against the DRMAA 1.0 C binding only (it also builds with Grid
 * Engine's drmaa.h), so it says what any DRMAA library must do; the GoDocker
 * specifics it relies on are the wait-status encoding and the daemon's job ids
 * having at least three digits (the runner makes sure they do).
 *
 * Polling with sleeps appears here only where a test must see a job reach a
 * state (running, held) before acting on it; the library itself never polls.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drmaa.h"
#include "tap.h"

/* Keep in step with the number of ok() calls: a crash or an early return shows as a short run. */
#define PLAN 123

#define GUARD 0x5a
#define GUARD_LEN 16

static int guards_intact(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != GUARD) return 0;
  return 1;
}

/* Submits `/bin/sh -c SCRIPT` (held if asked); DRMAA_ERRNO_SUCCESS and its id in ID, or the error. */
static int submit(const char *script, int hold, char *id) {
  drmaa_job_template_t *jt = shell_template(script);
  if (jt == NULL) return DRMAA_ERRNO_INTERNAL_ERROR;
  int rc = DRMAA_ERRNO_SUCCESS;
  if (hold) rc = drmaa_set_attribute(jt, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD, NULL, 0);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = run_template(jt, id, ID_LEN);
  drmaa_delete_job_template(jt, NULL, 0);
  return rc;
}

/* Ends whatever a section left behind, so the next one starts from an empty session. */
static void clear_session(void) {
  const char *all[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
  drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, DRMAA_CONTROL_TERMINATE, NULL, 0);
  drmaa_synchronize(all, 60, 1, NULL, 0);
}

/* ---- Sections ---- */

static void before_init(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char buf[DRMAA_DRM_SYSTEM_BUFFER];
  unsigned major = 42, minor = 42;
  int rc = drmaa_version(&major, &minor, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && major == 1 && minor == 0, "before drmaa_init: drmaa_version is 1.0 (got %d, %u.%u)",
     rc, major, minor);

  memset(buf, GUARD, sizeof buf);
  rc = drmaa_get_contact(buf, sizeof buf, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && memchr(buf, '\0', sizeof buf) != NULL,
     "before drmaa_init: drmaa_get_contact succeeds with a NUL-terminated string (rc %d)", rc);

  rc = drmaa_get_DRM_system(buf, sizeof buf, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && strncmp(buf, "GoDocker", 8) == 0,
     "before drmaa_init: drmaa_get_DRM_system names GoDocker (rc %d, \"%s\")", rc, rc ? ed : buf);

  rc = drmaa_get_DRMAA_implementation(buf, sizeof buf, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && buf[0] != '\0',
     "before drmaa_init: drmaa_get_DRMAA_implementation succeeds (rc %d, \"%s\")", rc, rc ? ed : buf);

  int messages_ok = 1;
  for (int e = DRMAA_ERRNO_SUCCESS; e < DRMAA_NO_ERRNO; e++) {
    const char *m = drmaa_strerror(e);
    if (m == NULL || m[0] == '\0') {
      diag("  drmaa_strerror(%d) is empty", e);
      messages_ok = 0;
    }
  }
  ok(messages_ok, "drmaa_strerror gives a message for every error code");

  /* Truncation: a 4-byte diagnosis buffer gets 3 characters and a NUL, and nothing beyond. */
  unsigned char small[4 + GUARD_LEN];
  memset(small, GUARD, sizeof small);
  rc = drmaa_exit((char *)small, 4);
  ok_rc(rc, DRMAA_ERRNO_NO_ACTIVE_SESSION, "", "drmaa_exit before drmaa_init fails with NO_ACTIVE_SESSION");
  ok(small[3] == '\0' && strlen((char *)small) == 3 && guards_intact(small + 4, GUARD_LEN),
     "a 4-byte error buffer holds 3 characters and a NUL, and nothing past it is written");
}

static void init_twice(char *contact, size_t contact_len) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  int rc = drmaa_init(NULL, ed, sizeof ed);
  if (!ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_init(NULL) opens a session on GODOCKER_URL")) {
    printf("Bail out! no session: %s\n", ed);
    exit(1);
  }
  rc = drmaa_init(NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_ALREADY_ACTIVE_SESSION, ed, "a second drmaa_init fails with ALREADY_ACTIVE_SESSION");

  rc = drmaa_get_contact(contact, contact_len, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && contact[0] != '\0', "drmaa_get_contact names the session (\"%s\")", contact);

  char drm[DRMAA_DRM_SYSTEM_BUFFER];
  rc = drmaa_get_DRM_system(drm, sizeof drm, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && strncmp(drm, "GoDocker ", 9) == 0 && drm[9] >= '0' && drm[9] <= '9',
     "in a session drmaa_get_DRM_system names GoDocker and its version (\"%s\")", drm);
}

/* Everything on an empty session: nothing to wait for, and SESSION_ALL acts on nothing. */
static void empty_session(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char out[ID_LEN];
  int stat = 0;
  double t0 = now_seconds();
  int rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, DRMAA_TIMEOUT_WAIT_FOREVER, NULL, ed,
                      sizeof ed);
  double took = now_seconds() - t0;
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "drmaa_wait(SESSION_ANY, WAIT_FOREVER) on an empty session fails with INVALID_JOB");
  ok(took < 1.0, "... and fails at once (%.3f s)", took);

  const char *actions[] = {"SUSPEND", "RESUME", "HOLD", "RELEASE", "TERMINATE"};
  for (int a = DRMAA_CONTROL_SUSPEND; a <= DRMAA_CONTROL_TERMINATE; a++) {
    char what[96];
    snprintf(what, sizeof what, "drmaa_control(SESSION_ALL, %s) on an empty session succeeds", actions[a]);
    ok_rc(drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, a, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed, what);
  }

  const char *all[] = {DRMAA_JOB_IDS_SESSION_ALL, NULL};
  rc = drmaa_synchronize(all, DRMAA_TIMEOUT_WAIT_FOREVER, 1, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize(SESSION_ALL) on an empty session succeeds");

  const char *unknown[] = {"987654321", "987654322", NULL};
  t0 = now_seconds();
  rc = drmaa_synchronize(unknown, 10, 0, ed, sizeof ed);
  took = now_seconds() - t0;
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize with unknown job ids succeeds");
  ok(took < 1.0, "... without waiting for them (%.3f s)", took);

  rc = drmaa_wait("987654321", out, sizeof out, &stat, 0, NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "drmaa_wait on an unknown job id fails with INVALID_JOB");
}

/* Walks NAMES to its end (an iterator cannot be rewound): 1 if WANT was among them. */
static int has_name(drmaa_attr_names_t *names, const char *want) {
  char name[DRMAA_ATTR_BUFFER];
  int found = 0;
  while (drmaa_get_next_attr_name(names, name, sizeof name) == DRMAA_ERRNO_SUCCESS) found |= strcmp(name, want) == 0;
  return found;
}

static void attribute_names(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char name[DRMAA_ATTR_BUFFER];
  drmaa_attr_names_t *names = NULL;
  int n = -1;
  int rc = drmaa_get_attribute_names(&names, ed, sizeof ed);
  if (!ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_get_attribute_names succeeds")) return;
  drmaa_get_num_attr_names(names, &n);
  int walked = 0;
  while (drmaa_get_next_attr_name(names, name, sizeof name) == DRMAA_ERRNO_SUCCESS) walked++;
  ok(n >= 10 && walked == n, "the attribute names iterator yields as many names as it counts (%d of %d)", walked, n);
  rc = drmaa_get_next_attr_name(names, name, sizeof name);
  ok_rc(rc, DRMAA_ERRNO_NO_MORE_ELEMENTS, "", "the attribute names iterator ends with NO_MORE_ELEMENTS");
  drmaa_release_attr_names(names);

  names = NULL;
  rc = drmaa_get_attribute_names(&names, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && has_name(names, DRMAA_REMOTE_COMMAND) == 1,
     "the attribute names include drmaa_remote_command");
  if (names) drmaa_release_attr_names(names);

  names = NULL;
  rc = drmaa_get_vector_attribute_names(&names, ed, sizeof ed);
  int env_found = rc == DRMAA_ERRNO_SUCCESS && has_name(names, DRMAA_V_ENV);
  ok(env_found && drmaa_get_next_attr_name(names, name, sizeof name) == DRMAA_ERRNO_NO_MORE_ELEMENTS,
     "the vector attribute names include drmaa_v_env and end with NO_MORE_ELEMENTS");
  if (names) drmaa_release_attr_names(names);
}

static void template_attributes(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char buf[DRMAA_ATTR_BUFFER];
  drmaa_job_template_t *jt = NULL;
  int rc = drmaa_allocate_job_template(&jt, ed, sizeof ed);
  if (!ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_allocate_job_template succeeds")) return;

  /* Unknown names, scalar and vector, in both directions. */
  const char *vals[] = {"x", NULL};
  drmaa_attr_values_t *values = NULL;
  ok_rc(drmaa_set_attribute(jt, "drmaa_bogus", "x", ed, sizeof ed), DRMAA_ERRNO_INVALID_ARGUMENT, ed,
        "drmaa_set_attribute with an unknown name fails with INVALID_ARGUMENT");
  ok_rc(drmaa_get_attribute(jt, "drmaa_bogus", buf, sizeof buf, ed, sizeof ed), DRMAA_ERRNO_INVALID_ARGUMENT, ed,
        "drmaa_get_attribute with an unknown name fails with INVALID_ARGUMENT");
  ok_rc(drmaa_set_vector_attribute(jt, "drmaa_v_bogus", vals, ed, sizeof ed), DRMAA_ERRNO_INVALID_ARGUMENT, ed,
        "drmaa_set_vector_attribute with an unknown name fails with INVALID_ARGUMENT");
  rc = drmaa_get_vector_attribute(jt, "drmaa_v_bogus", &values, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_ARGUMENT, ed, "drmaa_get_vector_attribute with an unknown name fails with INVALID_ARGUMENT");
  if (rc == DRMAA_ERRNO_SUCCESS) drmaa_release_attr_values(values);
  ok_rc(drmaa_set_vector_attribute(jt, DRMAA_REMOTE_COMMAND, vals, ed, sizeof ed), DRMAA_ERRNO_INVALID_ARGUMENT, ed,
        "drmaa_set_vector_attribute with a scalar attribute's name fails with INVALID_ARGUMENT");
  ok_rc(drmaa_set_attribute(jt, DRMAA_V_ARGV, "x", ed, sizeof ed), DRMAA_ERRNO_INVALID_ARGUMENT, ed,
        "drmaa_set_attribute with a vector attribute's name fails with INVALID_ARGUMENT");

  /* Byte-for-byte round trips. */
  char long_value[1001];
  for (int i = 0; i < 1000; i++) long_value[i] = (char)('a' + i % 26);
  long_value[1000] = '\0';
  struct {
    const char *attr, *value, *what;
  } trips[] = {
      {DRMAA_JOB_NAME, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac", "UTF-8"},
      {DRMAA_JOB_NAME, "it's \"quoted\" \\ and `ticked`", "quotes and backslashes"},
      {DRMAA_NATIVE_SPECIFICATION, "  leading,  inner   and trailing spaces\t ", "spaces and a tab"},
      {DRMAA_JOB_NAME, long_value, "a 1000-character value"},
      {DRMAA_OUTPUT_PATH, ":$drmaa_hd_ph$/out.$drmaa_incr_ph$", "placeholders"},
  };
  for (size_t i = 0; i < sizeof trips / sizeof trips[0]; i++) {
    memset(buf, GUARD, sizeof buf);
    rc = drmaa_set_attribute(jt, trips[i].attr, trips[i].value, ed, sizeof ed);
    int got = rc == DRMAA_ERRNO_SUCCESS && drmaa_get_attribute(jt, trips[i].attr, buf, sizeof buf, ed, sizeof ed) == 0;
    if (!ok(got && strcmp(buf, trips[i].value) == 0, "%s round-trips byte for byte (%s)", trips[i].attr, trips[i].what))
      diag("  set rc %d, read back \"%.80s\": %s", rc, got ? buf : "(error)", ed);
  }

  /* Out-buffer truncation on get_attribute: 4 characters and a NUL of the 1000. */
  unsigned char small[5 + GUARD_LEN];
  memset(small, GUARD, sizeof small);
  drmaa_set_attribute(jt, DRMAA_JOB_NAME, long_value, NULL, 0);
  rc = drmaa_get_attribute(jt, DRMAA_JOB_NAME, (char *)small, 5, ed, sizeof ed);
  ok(small[4] == '\0' && memcmp(small, long_value, 4) == 0 && guards_intact(small + 5, GUARD_LEN),
     "drmaa_get_attribute into a 5-byte buffer truncates to 4 characters and a NUL (rc %d)", rc);

  /* Vectors: '=' inside an env value, an empty value, UTF-8; then the iterator's end. */
  const char *env[] = {"A=b=c", "EMPTY=", "U=\xc3\xa9t\xc3\xa9 \"x\"", NULL};
  rc = drmaa_set_vector_attribute(jt, DRMAA_V_ENV, env, ed, sizeof ed);
  values = NULL;
  int n = -1, same = 1, i = 0;
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_get_vector_attribute(jt, DRMAA_V_ENV, &values, ed, sizeof ed);
  if (rc == DRMAA_ERRNO_SUCCESS) {
    drmaa_get_num_attr_values(values, &n);
    while (drmaa_get_next_attr_value(values, buf, sizeof buf) == DRMAA_ERRNO_SUCCESS) {
      same &= i < 3 && strcmp(buf, env[i]) == 0;
      i++;
    }
  }
  ok(rc == DRMAA_ERRNO_SUCCESS && n == 3 && i == 3 && same,
     "drmaa_v_env round-trips byte for byte, '=' in values included (rc %d, %d values)", rc, i);
  rc = values ? drmaa_get_next_attr_value(values, buf, sizeof buf) : -1;
  ok_rc(rc, DRMAA_ERRNO_NO_MORE_ELEMENTS, "", "the attribute values iterator ends with NO_MORE_ELEMENTS");
  if (values) drmaa_release_attr_values(values);

  /* "" means unset: it reads back empty. */
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "1", NULL, 0);
  rc = drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "", ed, sizeof ed);
  buf[0] = 'x';
  int rc2 = drmaa_get_attribute(jt, DRMAA_WCT_HLIMIT, buf, sizeof buf, ed, sizeof ed);
  ok(rc == DRMAA_ERRNO_SUCCESS && rc2 == DRMAA_ERRNO_SUCCESS && buf[0] == '\0',
     "drmaa_wct_hlimit set to \"\" reads back empty (rc %d/%d)", rc, rc2);
  ok_rc(drmaa_delete_job_template(jt, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed, "drmaa_delete_job_template succeeds");
}

/*
 * The values reach the job unchanged: the job compares its argv and environment
 * with what was set and exits 0 only if all match.
 */
static void values_reach_the_job(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char id[ID_LEN];
  const char *script = "test \"$1\" = \"$ARG\" && test \"$A\" = 'b=c' && test \"$U\" = \"$(printf '\\303\\251t\\303\\251 \\042x\\042')\"";
  const char *arg = "h\xc3\xa9llo \"w\" 'x' $HOME `y` \\ ";
  /* $ARG is the same as $1 but passed through the environment, so both paths are compared. */
  char arg_env[128];
  snprintf(arg_env, sizeof arg_env, "ARG=%s", arg);
  const char *argv[] = {"-c", script, "sh", arg, NULL};
  const char *env[] = {"A=b=c", "U=\xc3\xa9t\xc3\xa9 \"x\"", arg_env, NULL};
  drmaa_job_template_t *jt = NULL;
  drmaa_allocate_job_template(&jt, NULL, 0);
  drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", NULL, 0);
  drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, argv, NULL, 0);
  drmaa_set_vector_attribute(jt, DRMAA_V_ENV, env, NULL, 0);
  /* Set then cleared: the job must run with no limit, so a 2-second job ends normally. */
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "1", NULL, 0);
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "", NULL, 0);
  int rc = run_template(jt, id, sizeof id);
  drmaa_delete_job_template(jt, NULL, 0);

  const char *sleeper_argv[] = {"-c", "sleep 2", NULL};
  char sleeper[ID_LEN];
  jt = NULL;
  drmaa_allocate_job_template(&jt, NULL, 0);
  drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/bin/sh", NULL, 0);
  drmaa_set_vector_attribute(jt, DRMAA_V_ARGV, sleeper_argv, NULL, 0);
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "1", NULL, 0);
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "", NULL, 0);
  int rc2 = run_template(jt, sleeper, sizeof sleeper);
  drmaa_delete_job_template(jt, NULL, 0);

  int stat = -1;
  if (rc == DRMAA_ERRNO_SUCCESS) rc = wait_for(id, &stat, 60, NULL, ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && s.exited == 1 && s.exit_status == 0,
          "argv and env values (UTF-8, quotes, '=' in values) reach the job byte for byte"))
    show_status(id, stat, s);

  if (rc2 == DRMAA_ERRNO_SUCCESS) rc2 = wait_for(sleeper, &stat, 60, NULL, ed);
  s = decode(stat);
  if (!ok(rc2 == DRMAA_ERRNO_SUCCESS && s.exited == 1 && s.exit_status == 0 && job_state(sleeper) == DRMAA_PS_DONE,
          "drmaa_wct_hlimit \"\" is no limit: a 2 s job ends DONE with exit 0"))
    show_status(sleeper, stat, s);
}

/* Job id buffers: 3 bytes hold 2 characters and a NUL, and nothing past them is written. */
static void job_id_truncation(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char full[ID_LEN];
  int rc = submit("exit 0", 1, full);
  ok(rc == DRMAA_ERRNO_SUCCESS && strlen(full) >= 3, "job ids have at least 3 characters here (\"%s\")", full);

  drmaa_job_template_t *jt = shell_template("exit 0");
  drmaa_set_attribute(jt, DRMAA_JS_STATE, DRMAA_SUBMISSION_STATE_HOLD, NULL, 0);
  unsigned char small[3 + GUARD_LEN];
  memset(small, GUARD, sizeof small);
  rc = drmaa_run_job((char *)small, 3, jt, ed, sizeof ed);
  drmaa_delete_job_template(jt, NULL, 0);
  ok(small[2] == '\0' && strlen((char *)small) == 2 && guards_intact(small + 3, GUARD_LEN),
     "drmaa_run_job into a 3-byte job id buffer writes 2 characters and a NUL, nothing past it (rc %d)", rc);
  clear_session();
}

static void wait_reaps(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char buf[DRMAA_ATTR_BUFFER];
  char id[ID_LEN], out[ID_LEN];
  int stat = -1;
  drmaa_attr_values_t *rusage = NULL;
  int rc = submit("exit 3", 0, id);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_wait(id, out, sizeof out, &stat, 60, &rusage, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_wait on a job that exits 3 succeeds");
  ok(strcmp(out, id) == 0, "drmaa_wait writes the job's id (\"%s\", want \"%s\")", out, id);

  struct wait_status s = decode(stat);
  if (!ok(s.all_ok && s.exited == 1 && s.exit_status == 3 && s.signaled == 0 && s.aborted == 0 && s.coredump == 0,
          "exit 3: wifexited 1, wexitstatus 3, wifsignaled 0, wifaborted 0, wcoredump 0, every call succeeds"))
    show_status(id, stat, s);

  int n = -1, walked = 0, all_pairs = 1;
  if (rusage) {
    drmaa_get_num_attr_values(rusage, &n);
    while (drmaa_get_next_attr_value(rusage, buf, sizeof buf) == DRMAA_ERRNO_SUCCESS) {
      walked++;
      const char *eq = strchr(buf, '=');
      if (eq == NULL || eq == buf) {
        all_pairs = 0;
        diag("  rusage entry \"%s\" is not name=value", buf);
      }
    }
  }
  ok(rusage != NULL && n > 0 && walked == n && all_pairs, "rusage holds %d entries, every one name=value", walked);
  rc = rusage ? drmaa_get_next_attr_value(rusage, buf, sizeof buf) : -1;
  ok_rc(rc, DRMAA_ERRNO_NO_MORE_ELEMENTS, "", "the rusage iterator ends with NO_MORE_ELEMENTS");
  if (rusage) drmaa_release_attr_values(rusage);

  rc = drmaa_wait(id, out, sizeof out, &stat, 0, NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "a second drmaa_wait on a reaped job fails with INVALID_JOB");
  ok(job_state(id) == DRMAA_PS_FAILED, "drmaa_job_ps of a job that exited 3 is FAILED (0x%x)", job_state(id));

  rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, DRMAA_TIMEOUT_WAIT_FOREVER, NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "drmaa_wait(SESSION_ANY) once every job is reaped fails with INVALID_JOB");
}

static void synchronize_dispose(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char kept[ID_LEN], disposed[ID_LEN];
  int stat = -1;
  int rc = submit("exit 0", 0, disposed);
  const char *ids1[] = {disposed, NULL};
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_synchronize(ids1, 60, 1, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize(dispose=1) succeeds");
  rc = wait_for(disposed, &stat, 0, NULL, ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "... and a drmaa_wait after it fails with INVALID_JOB (disposed)");

  rc = submit("exit 5", 0, kept);
  const char *ids2[] = {kept, NULL};
  if (rc == DRMAA_ERRNO_SUCCESS) rc = drmaa_synchronize(ids2, 60, 0, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize(dispose=0) succeeds");
  rc = wait_for(kept, &stat, 0, NULL, ed);
  struct wait_status s = decode(stat);
  ok(rc == DRMAA_ERRNO_SUCCESS && s.exit_status == 5,
     "... and a drmaa_wait after it succeeds with the job's exit status (rc %d, status %d)", rc, s.exit_status);

  /* A wait that times out reaps nothing. */
  char sleeper[ID_LEN];
  rc = submit("sleep 30", 0, sleeper);
  double t0 = now_seconds();
  if (rc == DRMAA_ERRNO_SUCCESS) rc = wait_for(sleeper, &stat, 1, NULL, ed);
  double took = now_seconds() - t0;
  ok(rc == DRMAA_ERRNO_EXIT_TIMEOUT && took >= 0.9 && took < 5,
     "drmaa_wait with a 1 s timeout on a running job fails with EXIT_TIMEOUT after about 1 s (rc %d, %.2f s)", rc, took);
  const char *ids3[] = {sleeper, NULL};
  rc = drmaa_synchronize(ids3, 1, 1, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_EXIT_TIMEOUT, ed, "drmaa_synchronize with a 1 s timeout on a running job fails with EXIT_TIMEOUT");
  drmaa_control(sleeper, DRMAA_CONTROL_TERMINATE, NULL, 0);
  rc = wait_for(sleeper, &stat, 60, NULL, ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "... and neither timed-out call reaped it: a later drmaa_wait succeeds");
}

/* One of each way a job ends, all in flight at once so the section takes as long as its slowest job. */
static void endings(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char done[ID_LEN], running[ID_LEN], held[ID_LEN], timed_out[ID_LEN], no_start[ID_LEN];
  int stat = -1;

  int rc_done = submit("exit 0", 0, done);
  int rc_running = submit("sleep 30", 0, running);
  int rc_held = submit("exit 0", 1, held);
  drmaa_job_template_t *jt = shell_template("sleep 30");
  drmaa_set_attribute(jt, DRMAA_WCT_HLIMIT, "1", NULL, 0);
  int rc_timed = run_template(jt, timed_out, sizeof timed_out);
  drmaa_delete_job_template(jt, NULL, 0);
  jt = NULL;
  drmaa_allocate_job_template(&jt, NULL, 0);
  drmaa_set_attribute(jt, DRMAA_REMOTE_COMMAND, "/no/such/command", NULL, 0);
  int rc_no_start = run_template(jt, no_start, sizeof no_start);
  drmaa_delete_job_template(jt, NULL, 0);
  ok(rc_done == 0 && rc_running == 0 && rc_held == 0 && rc_timed == 0 && rc_no_start == 0,
     "five jobs submitted (exit 0, sleep 30, held, sleep 30 with drmaa_wct_hlimit 1, a missing command)");

  /* Terminating a running job. */
  ok(reach_state(running, DRMAA_PS_RUNNING, 20), "drmaa_job_ps reports the sleeping job RUNNING");
  ok(reach_state(held, DRMAA_PS_USER_ON_HOLD, 5), "drmaa_job_ps reports the held job USER_ON_HOLD");
  ok_rc(drmaa_control(running, DRMAA_CONTROL_TERMINATE, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(TERMINATE) on the running job succeeds");
  ok_rc(drmaa_control(held, DRMAA_CONTROL_TERMINATE, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(TERMINATE) on the held job succeeds");

  const char *ids[] = {done, running, held, timed_out, no_start, NULL};
  int rc = drmaa_synchronize(ids, 60, 0, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize on the five jobs (dispose=0) succeeds");

  ok(job_state(done) == DRMAA_PS_DONE, "drmaa_job_ps of a job that exited 0 is DONE (0x%x)", job_state(done));
  ok(job_state(running) == DRMAA_PS_FAILED, "drmaa_job_ps of a terminated job is FAILED (0x%x)", job_state(running));
  ok(job_state(held) == DRMAA_PS_FAILED, "drmaa_job_ps of a job terminated while held is FAILED (0x%x)",
     job_state(held));
  ok(job_state(timed_out) == DRMAA_PS_FAILED, "drmaa_job_ps of a job past its drmaa_wct_hlimit is FAILED (0x%x)",
     job_state(timed_out));
  ok(job_state(no_start) == DRMAA_PS_FAILED, "drmaa_job_ps of a job that could not start is FAILED (0x%x)",
     job_state(no_start));

  rc = wait_for(done, &stat, 0, NULL, ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == 0 && s.all_ok && s.exited == 1 && s.exit_status == 0 && s.signaled == 0 && s.aborted == 0,
          "exit 0: wifexited 1, wexitstatus 0, wifsignaled 0, wifaborted 0"))
    show_status(done, stat, s);

  rc = wait_for(running, &stat, 0, NULL, ed);
  s = decode(stat);
  if (!ok(rc == 0 && s.all_ok && s.signaled == 1 && s.exited == 0 && s.aborted == 0,
          "terminated while running: wifsignaled stores exactly 1, wifexited 0, wifaborted 0"))
    show_status(running, stat, s);
  if (!ok(strcmp(s.signal, "SIGKILL") == 0 || strcmp(s.signal, "SIGTERM") == 0,
          "... wtermsig is a POSIX signal name (\"%s\")", s.signal))
    show_status(running, stat, s);
  ok(s.coredump == 0, "... wcoredump stores 0 (%d)", s.coredump);
  unsigned char small[4 + GUARD_LEN];
  memset(small, GUARD, sizeof small);
  drmaa_wtermsig((char *)small, 4, stat, NULL, 0);
  ok(small[3] == '\0' && memcmp(small, "SIG", 3) == 0 && guards_intact(small + 4, GUARD_LEN),
     "drmaa_wtermsig into a 4-byte buffer writes \"SIG\" and a NUL, nothing past it");

  rc = wait_for(held, &stat, 0, NULL, ed);
  s = decode(stat);
  if (!ok(rc == 0 && s.all_ok && s.aborted == 1 && s.exited == 0 && s.signaled == 0,
          "terminated while held: wifaborted stores exactly 1, wifexited 0, wifsignaled 0"))
    show_status(held, stat, s);

  rc = wait_for(timed_out, &stat, 0, NULL, ed);
  s = decode(stat);
  if (!ok(rc == 0 && s.all_ok && (s.signaled + s.exited + s.aborted) == 1,
          "past its wall-clock limit: exactly one of wifexited, wifsignaled, wifaborted"))
    show_status(timed_out, stat, s);

  rc = wait_for(no_start, &stat, 0, NULL, ed);
  s = decode(stat);
  if (!ok(rc == 0 && s.all_ok && (s.signaled + s.exited + s.aborted) == 1,
          "could not start: drmaa_wait succeeds, exactly one of wifexited, wifsignaled, wifaborted"))
    show_status(no_start, stat, s);
}

static void hold_release(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char id[ID_LEN];
  int stat = -1;
  int rc = submit("exit 7", 1, id);
  ok(rc == DRMAA_ERRNO_SUCCESS && reach_state(id, DRMAA_PS_USER_ON_HOLD, 5),
     "drmaa_js_state drmaa_hold: the job waits USER_ON_HOLD");
  rc = wait_for(id, &stat, 1, NULL, ed);
  ok_rc(rc, DRMAA_ERRNO_EXIT_TIMEOUT, ed, "a held job does not run: drmaa_wait(1 s) times out");
  ok_rc(drmaa_control(id, DRMAA_CONTROL_RELEASE, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(RELEASE) on the held job succeeds");
  rc = wait_for(id, &stat, 60, NULL, ed);
  struct wait_status s = decode(stat);
  ok(rc == DRMAA_ERRNO_SUCCESS && s.exited == 1 && s.exit_status == 7,
     "the released job runs and exits 7 (rc %d, status %d)", rc, s.exit_status);

  /* HOLD and RELEASE of a queued job: a start time years away keeps it queued for as long as this takes. */
  drmaa_job_template_t *jt = shell_template("exit 0");
  if (jt) drmaa_set_attribute(jt, DRMAA_START_TIME, "2099/01/01 00:00 +00:00", NULL, 0);
  rc = jt ? run_template(jt, id, sizeof id) : DRMAA_ERRNO_INTERNAL_ERROR;
  if (jt) drmaa_delete_job_template(jt, NULL, 0);
  ok(rc == DRMAA_ERRNO_SUCCESS && reach_state(id, DRMAA_PS_QUEUED_ACTIVE, 5),
     "a job with drmaa_start_time in 2099 waits QUEUED_ACTIVE");
  ok_rc(drmaa_control(id, DRMAA_CONTROL_HOLD, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(HOLD) on the queued job succeeds");
  ok(reach_state(id, DRMAA_PS_USER_ON_HOLD, 5), "drmaa_job_ps reports it USER_ON_HOLD");
  /* As Grid Engine's qhold: holding a held job asks for what already is. */
  ok_rc(drmaa_control(id, DRMAA_CONTROL_HOLD, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(HOLD) on a held job succeeds");
  ok(reach_state(id, DRMAA_PS_USER_ON_HOLD, 5), "... and it stays USER_ON_HOLD");
  ok_rc(drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, DRMAA_CONTROL_RELEASE, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(SESSION_ALL, RELEASE) succeeds");
  ok(reach_state(id, DRMAA_PS_QUEUED_ACTIVE, 5), "... and the job is QUEUED_ACTIVE again, waiting for its start time");
  ok_rc(drmaa_control(id, DRMAA_CONTROL_RELEASE, ed, sizeof ed), DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE, ed,
        "drmaa_control(RELEASE) on a job not held fails with RELEASE_INCONSISTENT_STATE");
  drmaa_control(id, DRMAA_CONTROL_TERMINATE, NULL, 0);
  rc = wait_for(id, &stat, 60, NULL, ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "... and once terminated, drmaa_wait reaps it");

  /* SUSPEND/RESUME of a running job. */
  rc = submit("sleep 30", 0, id);
  if (rc == DRMAA_ERRNO_SUCCESS) reach_state(id, DRMAA_PS_RUNNING, 20);
  ok_rc(drmaa_control(id, DRMAA_CONTROL_SUSPEND, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(SUSPEND) on a running job succeeds");
  ok(reach_state(id, DRMAA_PS_USER_SUSPENDED, 5), "drmaa_job_ps reports it USER_SUSPENDED");
  ok_rc(drmaa_control(id, DRMAA_CONTROL_RESUME, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(RESUME) succeeds");
  ok(reach_state(id, DRMAA_PS_RUNNING, 5), "drmaa_job_ps reports it RUNNING again");
  ok_rc(drmaa_control(id, DRMAA_CONTROL_RESUME, ed, sizeof ed), DRMAA_ERRNO_RESUME_INCONSISTENT_STATE, ed,
        "drmaa_control(RESUME) on a running job fails with RESUME_INCONSISTENT_STATE");
  ok_rc(drmaa_control(DRMAA_JOB_IDS_SESSION_ALL, DRMAA_CONTROL_TERMINATE, ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed,
        "drmaa_control(SESSION_ALL, TERMINATE) succeeds");
  rc = wait_for(id, &stat, 60, NULL, ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "... and the job ends");
  ok_rc(drmaa_control("987654321", DRMAA_CONTROL_TERMINATE, ed, sizeof ed), DRMAA_ERRNO_INVALID_JOB, ed,
        "drmaa_control on an unknown job id fails with INVALID_JOB");
}

static void bulk(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char id[ID_LEN], first[ID_LEN] = "";
  drmaa_job_ids_t *ids = NULL;
  drmaa_job_template_t *jt = shell_template("exit 0");
  int rc = jt ? drmaa_run_bulk_jobs(&ids, jt, 1, 5, 2, ed, sizeof ed) : DRMAA_ERRNO_INTERNAL_ERROR;
  if (jt) drmaa_delete_job_template(jt, NULL, 0);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_run_bulk_jobs 1..5:2 succeeds");
  if (rc != DRMAA_ERRNO_SUCCESS) return;
  int n = -1, walked = 0, distinct = 1;
  drmaa_get_num_job_ids(ids, &n);
  const char *sync[4] = {NULL, NULL, NULL, NULL};
  char kept[3][ID_LEN];
  while (drmaa_get_next_job_id(ids, id, sizeof id) == DRMAA_ERRNO_SUCCESS) {
    if (walked == 0) snprintf(first, sizeof first, "%s", id);
    for (int i = 0; i < walked && i < 3; i++) distinct &= strcmp(kept[i], id) != 0;
    if (walked < 3) {
      snprintf(kept[walked], ID_LEN, "%s", id);
      sync[walked] = kept[walked];
    }
    walked++;
  }
  ok(n == 3 && walked == 3 && distinct, "... gives 3 distinct job ids (counted %d, walked %d)", n, walked);
  rc = drmaa_get_next_job_id(ids, id, sizeof id);
  ok_rc(rc, DRMAA_ERRNO_NO_MORE_ELEMENTS, "", "the job ids iterator ends with NO_MORE_ELEMENTS");
  drmaa_release_job_ids(ids);
  rc = drmaa_synchronize(sync, 60, 1, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_synchronize(dispose=1) on the three tasks succeeds");
  char out[ID_LEN];
  int stat;
  rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, 5, NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "... which disposed of them: drmaa_wait(SESSION_ANY) fails with INVALID_JOB");
}

/* ---- Three threads at once ---- */

struct worker {
  int index;
  pthread_barrier_t *start;
  int submitted, waited_right;
  char problem[512];
};

static void *worker_main(void *arg) {
  struct worker *w = arg;
  char ids[3][ID_LEN], ed[DRMAA_ERROR_STRING_BUFFER] = "", out[ID_LEN];
  pthread_barrier_wait(w->start);
  for (int j = 0; j < 3; j++) {
    char script[32];
    snprintf(script, sizeof script, "exit %d", 10 * (w->index + 1) + j);
    if (submit(script, 0, ids[j]) == DRMAA_ERRNO_SUCCESS) w->submitted++;
  }
  /* Newest first: each thread's wait must return exactly the job it names. */
  for (int j = 2; j >= 0 && w->submitted == 3; j--) {
    int stat = -1, status = -1;
    int rc = drmaa_wait(ids[j], out, sizeof out, &stat, 60, NULL, ed, sizeof ed);
    drmaa_wexitstatus(&status, stat, NULL, 0);
    if (rc == DRMAA_ERRNO_SUCCESS && strcmp(out, ids[j]) == 0 && status == 10 * (w->index + 1) + j)
      w->waited_right++;
    else if (w->problem[0] == '\0')
      snprintf(w->problem, sizeof w->problem, "wait %s: rc %d out \"%s\" status %d: %.120s", ids[j], rc, out, status,
               ed);
  }
  return NULL;
}

static void threads(void) {
  pthread_t t[3];
  struct worker w[3];
  pthread_barrier_t start;
  pthread_barrier_init(&start, NULL, 3);
  for (int i = 0; i < 3; i++) {
    memset(&w[i], 0, sizeof w[i]);
    w[i].index = i;
    w[i].start = &start;
    pthread_create(&t[i], NULL, worker_main, &w[i]);
  }
  for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&start);
  for (int i = 0; i < 3; i++) {
    if (!ok(w[i].submitted == 3 && w[i].waited_right == 3,
            "thread %d of 3 at once: submitted 3 jobs, each drmaa_wait returned its own id and exit status", i + 1))
      diag("  submitted %d, waited right %d; %s", w[i].submitted, w[i].waited_right, w[i].problem);
  }
}

/* ---- Sessions: reattach, other sessions' jobs ---- */

static void sessions(const char *contact) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  char id[ID_LEN], out[ID_LEN];
  int stat = -1;
  int rc = submit("sleep 1; exit 4", 0, id);
  ok_rc(drmaa_exit(ed, sizeof ed), DRMAA_ERRNO_SUCCESS, ed, "drmaa_exit with a job still running succeeds");
  ok_rc(drmaa_exit(ed, sizeof ed), DRMAA_ERRNO_NO_ACTIVE_SESSION, ed, "a second drmaa_exit fails with NO_ACTIVE_SESSION");

  rc = drmaa_init(NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_init(NULL) after drmaa_exit opens a new session");
  char other[DRMAA_CONTACT_BUFFER] = "";
  drmaa_get_contact(other, sizeof other, NULL, 0);
  ok(strcmp(other, contact) != 0, "the new session has its own contact (\"%s\")", other);
  int ps = job_state(id);
  ok(ps == DRMAA_PS_RUNNING || ps == DRMAA_PS_QUEUED_ACTIVE || ps == DRMAA_PS_DONE,
     "drmaa_job_ps finds a job of another session by id (0x%x)", ps);
  rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, 0, NULL, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_JOB, ed, "... but drmaa_wait(SESSION_ANY) of the new session does not see it");
  drmaa_exit(NULL, 0);

  rc = drmaa_init(contact, ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_SUCCESS, ed, "drmaa_init(the first session's contact) reattaches");
  char again[DRMAA_CONTACT_BUFFER] = "";
  drmaa_get_contact(again, sizeof again, NULL, 0);
  ok(strcmp(again, contact) == 0, "the reattached session has the same contact (\"%s\")", again);
  rc = drmaa_wait(DRMAA_JOB_IDS_SESSION_ANY, out, sizeof out, &stat, 60, NULL, ed, sizeof ed);
  struct wait_status s = decode(stat);
  if (!ok(rc == DRMAA_ERRNO_SUCCESS && strcmp(out, id) == 0 && s.exit_status == 4,
          "drmaa_wait(SESSION_ANY) after reattaching returns the job submitted before drmaa_exit, exit 4"))
    diag("  rc %d out \"%s\" want \"%s\" status %d: %s", rc, out, id, s.exit_status, ed);

  rc = drmaa_init("http://127.0.0.1:9/api/v1/sessions/no-such-session", ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_ALREADY_ACTIVE_SESSION, ed, "drmaa_init with any contact while a session is active fails");
}

static void bad_contact(void) {
  char ed[DRMAA_ERROR_STRING_BUFFER] = "";
  drmaa_exit(NULL, 0);
  int rc = drmaa_init("session=no-such-session-0000", ed, sizeof ed);
  ok_rc(rc, DRMAA_ERRNO_INVALID_CONTACT_STRING, ed, "drmaa_init with an unknown session fails with INVALID_CONTACT_STRING");
  ok(ed[0] != '\0', "... and says why (\"%s\")", ed);
  if (rc == DRMAA_ERRNO_SUCCESS) drmaa_exit(NULL, 0);
}

int main(void) {
  char contact[DRMAA_CONTACT_BUFFER] = "";
  printf("1..%d\n", PLAN);
  before_init();
  init_twice(contact, sizeof contact);
  empty_session();
  attribute_names();
  template_attributes();
  values_reach_the_job();
  job_id_truncation();
  wait_reaps();
  synchronize_dispose();
  endings();
  hold_release();
  bulk();
  threads();
  clear_session();
  sessions(contact);
  clear_session();
  bad_contact();
  return tap_end(PLAN);
}
