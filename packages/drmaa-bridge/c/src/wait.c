/*
 * drmaa_wait and drmaa_synchronize: POST /sessions/NAME/wait, a long-poll that
 * blocks in the daemon. A longer or endless timeout is a series of long-polls of
 * at most MAX_POLL_S each, never a sleep-and-ask loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define MAX_POLL_S 300.0
/* curl's own limit must outlast the daemon's long-poll, or curl would cut every wait short. */
#define POLL_MARGIN_S 60.0

double monotonic_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Sends body (its "timeout" set per poll) until an answer that has not timed out,
 * which is left in r. EXIT_TIMEOUT when the deadline passes first. accept() tells
 * whether an answer that did not time out is final (a wait whose ready job another
 * thread reaped first goes on waiting).
 */
static int long_poll(struct session *s, cJSON *body, signed long timeout, bool (*accept)(const struct http_reply *),
                     struct http_reply *r, char *ed, size_t el) {
  char *enc = url_encode_component(s->name);
  char *path = enc ? strprintf("/sessions/%s/wait", enc) : NULL;
  free(enc);
  if (path == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  bool forever = timeout < 0;
  double deadline = monotonic_seconds() + (forever ? 0.0 : (double)timeout);
  int rc;
  for (;;) {
    double left = forever ? MAX_POLL_S : deadline - monotonic_seconds();
    if (left < 0) left = 0;
    double poll = left < MAX_POLL_S ? left : MAX_POLL_S;
    /* Whole milliseconds, so the daemon reads the number as written. */
    poll = (double)(long long)(poll * 1000.0) / 1000.0;
    cJSON_DeleteItemFromObjectCaseSensitive(body, "timeout");
    if (!cJSON_AddNumberToObject(body, "timeout", poll)) {
      rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
      break;
    }
    rc = http_call(s->conn, "POST", path, body, NULL, poll + POLL_MARGIN_S, r, ed, el);
    if (rc != DRMAA_ERRNO_SUCCESS) break;
    if (!http_ok(r)) {
      rc = api_failure(r, CALL_OTHER, 0, ed, el);
      break;
    }
    bool timed_out = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "timedOut"));
    if (!timed_out && accept(r)) break;
    if (!forever && monotonic_seconds() >= deadline) {
      rc = diag(ed, el, DRMAA_ERRNO_EXIT_TIMEOUT, "%s", timeout == 0 ? "no job ended yet (no wait)" : "timed out");
      break;
    }
    http_reply_clear(r);
  }
  free(path);
  return rc;
}

static cJSON *wait_body(const char *mode, bool reap) {
  cJSON *body = cJSON_CreateObject();
  if (body == NULL) return NULL;
  if (!cJSON_AddStringToObject(body, "mode", mode) || !cJSON_AddStringToObject(body, "for", "terminated") ||
      !cJSON_AddBoolToObject(body, "reap", reap) || !cJSON_AddBoolToObject(body, "omitJobs", true)) {
    cJSON_Delete(body);
    return NULL;
  }
  return body;
}

static bool reaped_one(const struct http_reply *r) {
  return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "reaped")) > 0;
}

static bool any_answer(const struct http_reply *r) {
  (void)r;
  return true;
}

static const cJSON *info_of(const cJSON *reply, const char *id) {
  const cJSON *info;
  cJSON_ArrayForEach(info, cJSON_GetObjectItemCaseSensitive(reply, "info")) {
    char scratch[32];
    const char *got = json_text(info, "jobId", scratch, sizeof scratch);
    if (got && strcmp(got, id) == 0) return info;
  }
  return NULL;
}

static int usage_list(const cJSON *info, drmaa_attr_values_t **rusage, char *ed, size_t el) {
  drmaa_attr_values_t *out = calloc(1, sizeof *out);
  bool ok = out != NULL;
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(info, "resourceUsage")) {
    if (!ok) break;
    char scratch[64];
    const char *value = json_item_text(item, scratch, sizeof scratch);
    char *pair = strprintf("%s=%s", item->string ? item->string : "", value ? value : "");
    ok = pair && strlist_push(&out->list, pair);
    free(pair);
  }
  if (!ok) {
    drmaa_release_attr_values(out);
    return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  *rusage = out;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wait(const char *job_id, char *job_id_out, size_t job_id_out_len, int *stat, signed long timeout,
               drmaa_attr_values_t **rusage, char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (job_id == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "job_id must not be NULL");
  if (timeout < DRMAA_TIMEOUT_WAIT_FOREVER)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT,
                "timeout must be seconds >= 0, or DRMAA_TIMEOUT_WAIT_FOREVER (-1); got %ld", timeout);
  bool any = strcmp(job_id, DRMAA_JOB_IDS_SESSION_ANY) == 0;
  long long id = any ? 0 : job_number(job_id);
  if (!any && id == 0) return diag(ed, el, DRMAA_ERRNO_INVALID_JOB, "\"%s\" is not a GoDocker job id", job_id);
  struct session *s;
  int rc = session_acquire(&s, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  struct http_reply r = {0};
  cJSON *body = wait_body("any", true);
  cJSON *ids = any ? NULL : cJSON_AddArrayToObject(body, "ids");
  if (body == NULL || (!any && (ids == NULL || !cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id))))) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    goto done;
  }
  rc = long_poll(s, body, timeout, reaped_one, &r, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) goto done;
  char scratch[32];
  const char *done_id = json_item_text(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r.json, "reaped"), 0),
                                       scratch, sizeof scratch);
  copy_out(job_id_out, job_id_out_len, done_id);
  const cJSON *info = done_id ? info_of(r.json, done_id) : NULL;
  if (info == NULL) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_RUSAGE,
              "job %s ended and was reaped, but the daemon sent no job info for it (is the daemon older than this "
              "libdrmaa?)",
              done_id ? done_id : "?");
    goto done;
  }
  if (stat) *stat = wait_status_of(info);
  if (rusage) rc = usage_list(info, rusage, ed, el);
done:
  http_reply_clear(&r);
  cJSON_Delete(body);
  session_release(s);
  return rc;
}

int drmaa_synchronize(const char *job_ids[], signed long timeout, int dispose, char *error_diagnosis,
                      size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (job_ids == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "job_ids must not be NULL");
  if (timeout < DRMAA_TIMEOUT_WAIT_FOREVER)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT,
                "timeout must be seconds >= 0, or DRMAA_TIMEOUT_WAIT_FOREVER (-1); got %ld", timeout);
  struct session *s;
  int rc = session_acquire(&s, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  struct http_reply r = {0};
  cJSON *body = wait_body("all", dispose != 0);
  bool all = false;
  for (size_t i = 0; job_ids[i]; i++)
    if (strcmp(job_ids[i], DRMAA_JOB_IDS_SESSION_ALL) == 0) all = true;
  cJSON *ids = cJSON_CreateArray();
  bool ok = body && ids && cJSON_AddBoolToObject(body, "skipUnknown", true);
  /* Ids that are no GoDocker job cannot be waited for: like unknown ones, they count as ended. */
  for (size_t i = 0; ok && !all && job_ids[i]; i++) {
    long long id = job_number(job_ids[i]);
    if (id > 0) ok = cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)id));
  }
  if (!ok) {
    cJSON_Delete(ids);
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    goto done;
  }
  if (!all && cJSON_GetArraySize(ids) == 0) {
    cJSON_Delete(ids);
    goto done;
  }
  if (all)
    cJSON_Delete(ids);
  else
    cJSON_AddItemToObject(body, "ids", ids);
  rc = long_poll(s, body, timeout, any_answer, &r, ed, el);
done:
  http_reply_clear(&r);
  cJSON_Delete(body);
  session_release(s);
  return rc;
}
