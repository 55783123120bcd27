/* drmaa_control and drmaa_job_ps: POST /jobs/ID/actions, POST /sessions/NAME/actions, GET /jobs/ID/drmaa1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CONTROL_TIMEOUT_S 120.0

static const char *const VERBS[] = {
    [DRMAA_CONTROL_SUSPEND] = "suspend", [DRMAA_CONTROL_RESUME] = "resume", [DRMAA_CONTROL_HOLD] = "hold",
    [DRMAA_CONTROL_RELEASE] = "release", [DRMAA_CONTROL_TERMINATE] = "kill",
};

static int not_a_job(const char *job_id, char *ed, size_t el) {
  return diag(ed, el, DRMAA_ERRNO_INVALID_JOB, "\"%s\" is not a GoDocker job id", job_id ? job_id : "(null)");
}

int drmaa_control(const char *jobid, int action, char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (action < DRMAA_CONTROL_SUSPEND || action > DRMAA_CONTROL_TERMINATE)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT,
                "unknown control action %d: use DRMAA_CONTROL_SUSPEND, _RESUME, _HOLD, _RELEASE or _TERMINATE", action);
  if (jobid == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jobid must not be NULL");
  struct session *s;
  int rc = session_acquire(&s, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  bool all = strcmp(jobid, DRMAA_JOB_IDS_SESSION_ALL) == 0;
  long long id = all ? 0 : job_number(jobid);
  char *path = NULL;
  cJSON *body = NULL;
  struct http_reply r = {0};
  if (!all && id == 0) {
    rc = not_a_job(jobid, ed, el);
    goto done;
  }
  if (all) {
    char *enc = url_encode_component(s->name);
    path = enc ? strprintf("/sessions/%s/actions", enc) : NULL;
    free(enc);
  } else {
    path = strprintf("/jobs/%lld/actions", id);
  }
  body = cJSON_CreateObject();
  if (path == NULL || body == NULL || !cJSON_AddStringToObject(body, "action", VERBS[action])) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    goto done;
  }
  rc = http_call(s->conn, "POST", path, body, NULL, CONTROL_TIMEOUT_S, &r, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS && !http_ok(&r)) rc = api_failure(&r, CALL_CONTROL, action, ed, el);
done:
  http_reply_clear(&r);
  cJSON_Delete(body);
  free(path);
  session_release(s);
  return rc;
}

static const struct {
  const char *name;
  int ps;
} STATES[] = {
    {"QUEUED_ACTIVE", DRMAA_PS_QUEUED_ACTIVE},
    {"SYSTEM_ON_HOLD", DRMAA_PS_SYSTEM_ON_HOLD},
    {"USER_ON_HOLD", DRMAA_PS_USER_ON_HOLD},
    {"USER_SYSTEM_ON_HOLD", DRMAA_PS_USER_SYSTEM_ON_HOLD},
    {"RUNNING", DRMAA_PS_RUNNING},
    {"SYSTEM_SUSPENDED", DRMAA_PS_SYSTEM_SUSPENDED},
    {"USER_SUSPENDED", DRMAA_PS_USER_SUSPENDED},
    {"USER_SYSTEM_SUSPENDED", DRMAA_PS_USER_SYSTEM_SUSPENDED},
    {"DONE", DRMAA_PS_DONE},
    {"FAILED", DRMAA_PS_FAILED},
};

int drmaa_job_ps(const char *job_id, int *remote_ps, char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (remote_ps == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "remote_ps must not be NULL");
  struct session *s;
  int rc = session_acquire(&s, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  long long id = job_number(job_id);
  if (id == 0) {
    session_release(s);
    return not_a_job(job_id, ed, el);
  }
  char path[64];
  snprintf(path, sizeof path, "/jobs/%lld/drmaa1", id);
  struct http_reply r;
  rc = http_call(s->conn, "GET", path, NULL, NULL, CONTROL_TIMEOUT_S, &r, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS && !http_ok(&r)) rc = api_failure(&r, CALL_OTHER, 0, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS) {
    char scratch[8];
    const char *state = json_text(r.json, "state", scratch, sizeof scratch);
    *remote_ps = DRMAA_PS_UNDETERMINED;
    for (size_t i = 0; state && i < sizeof STATES / sizeof *STATES; i++)
      if (strcmp(STATES[i].name, state) == 0) *remote_ps = STATES[i].ps;
  }
  http_reply_clear(&r);
  session_release(s);
  return rc;
}
