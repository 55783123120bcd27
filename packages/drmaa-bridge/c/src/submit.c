/* drmaa_run_job and drmaa_run_bulk_jobs: POST /sessions/NAME/drmaa1/jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>

#include "internal.h"

#define SUBMIT_TIMEOUT_S 120.0

/* 32 hex digits; the daemon answers a repeated key with the job it already made. */
static void idempotency_key(char out[33]) {
  unsigned char raw[16];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got < sizeof raw) {
    /* No entropy source: still unique enough per process and call to tell submissions apart. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long seed = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
                              (unsigned long long)(size_t)raw;
    for (size_t i = got; i < sizeof raw; i++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      raw[i] = (unsigned char)(seed >> 56);
    }
  }
  for (size_t i = 0; i < sizeof raw; i++) snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

static int submit(const drmaa_job_template_t *jt, const cJSON *bulk, struct strlist *ids, char *ed, size_t el) {
  if (jt == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  struct session *s;
  int rc = session_acquire(&s, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  cJSON *body = template_to_json(jt);
  char *enc = url_encode_component(s->name);
  char *path = enc ? strprintf("/sessions/%s/drmaa1/jobs", enc) : NULL;
  free(enc);
  struct http_reply r = {0};
  if (body == NULL || path == NULL || (bulk && !cJSON_AddItemToObject(body, "bulk", cJSON_Duplicate(bulk, 1)))) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    goto done;
  }
  char key[33];
  idempotency_key(key);
  rc = http_call(s->conn, "POST", path, body, key, SUBMIT_TIMEOUT_S, &r, ed, el);
  /* The request may have arrived and only the answer been lost: the same key cannot make a second job. */
  if (rc == DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE)
    rc = http_call(s->conn, "POST", path, body, key, SUBMIT_TIMEOUT_S, &r, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) goto done;
  if (!http_ok(&r)) {
    rc = api_failure(&r, CALL_SUBMIT, 0, ed, el);
    goto done;
  }
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(r.json, "jobIds");
  const cJSON *item;
  cJSON_ArrayForEach(item, list) {
    char scratch[32];
    const char *id = json_item_text(item, scratch, sizeof scratch);
    if (id == NULL) continue;
    if (!strlist_push(ids, id)) {
      rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
      goto done;
    }
  }
  if (ids->n == 0)
    rc = diag(ed, el, DRMAA_ERRNO_INTERNAL_ERROR, "the daemon accepted the submission but named no job (no jobIds)");
done:
  http_reply_clear(&r);
  cJSON_Delete(body);
  free(path);
  session_release(s);
  return rc;
}

int drmaa_run_job(char *job_id, size_t job_id_len, const drmaa_job_template_t *jt, char *error_diagnosis,
                  size_t error_diag_len) {
  struct strlist ids = {0};
  int rc = submit(jt, NULL, &ids, error_diagnosis, error_diag_len);
  if (rc == DRMAA_ERRNO_SUCCESS) copy_out(job_id, job_id_len, ids.items[0]);
  strlist_clear(&ids);
  return rc;
}

int drmaa_run_bulk_jobs(drmaa_job_ids_t **jobids, const drmaa_job_template_t *jt, unsigned start, unsigned end,
                        int incr, char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (jobids == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jobids must not be NULL");
  if (incr <= 0 || start > end || start == 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT,
                "bulk jobs need 1 <= start <= end and incr >= 1; got start %u, end %u, incr %d", start, end, incr);
  cJSON *bulk = cJSON_CreateObject();
  if (bulk == NULL || !cJSON_AddNumberToObject(bulk, "start", start) || !cJSON_AddNumberToObject(bulk, "end", end) ||
      !cJSON_AddNumberToObject(bulk, "incr", incr)) {
    cJSON_Delete(bulk);
    return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  drmaa_job_ids_t *out = calloc(1, sizeof *out);
  int rc = out ? submit(jt, bulk, &out->list, ed, el) : diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  cJSON_Delete(bulk);
  if (rc != DRMAA_ERRNO_SUCCESS) {
    drmaa_release_job_ids(out);
    return rc;
  }
  *jobids = out;
  return DRMAA_ERRNO_SUCCESS;
}
