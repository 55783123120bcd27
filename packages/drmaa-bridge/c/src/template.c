/*
 * Job templates: attribute values kept as strings exactly as set, so they read
 * back byte for byte. Their meaning (paths, placeholders, limits, the native
 * specification) is the daemon's business at submission; only the few values
 * the standard fixes are checked here, when they are set.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const SCALARS[] = {
    DRMAA_REMOTE_COMMAND, DRMAA_JS_STATE,    DRMAA_WD,          DRMAA_JOB_CATEGORY, DRMAA_NATIVE_SPECIFICATION,
    DRMAA_BLOCK_EMAIL,    DRMAA_START_TIME,  DRMAA_JOB_NAME,    DRMAA_INPUT_PATH,   DRMAA_OUTPUT_PATH,
    DRMAA_ERROR_PATH,     DRMAA_JOIN_FILES,  DRMAA_WCT_HLIMIT,
};
#define N_SCALARS (sizeof SCALARS / sizeof *SCALARS)

static const char *const VECTORS[] = {DRMAA_V_ARGV, DRMAA_V_ENV, DRMAA_V_EMAIL};
#define N_VECTORS (sizeof VECTORS / sizeof *VECTORS)

struct drmaa_job_template_s {
  /* Several threads may submit the same template while another sets on it. */
  pthread_mutex_t lock;
  char *scalar[N_SCALARS]; /* NULL: never set */
  struct strlist vector[N_VECTORS];
  bool vector_set[N_VECTORS];
};

static int find(const char *const *names, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

static int unknown_name(const char *name, bool vector, char *ed, size_t el) {
  if (name == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "the attribute name is NULL");
  if (!vector && find(VECTORS, N_VECTORS, name) >= 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "%s is a vector attribute: use drmaa_set_vector_attribute", name);
  if (vector && find(SCALARS, N_SCALARS, name) >= 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "%s is not a vector attribute: use drmaa_set_attribute", name);
  return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT,
              "GoDocker has no job template attribute \"%s\": drmaa_get_attribute_names and "
              "drmaa_get_vector_attribute_names list the ones it has",
              name);
}

int drmaa_allocate_job_template(drmaa_job_template_t **jt, char *error_diagnosis, size_t error_diag_len) {
  if (jt == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  struct drmaa_job_template_s *t = calloc(1, sizeof *t);
  if (t == NULL || pthread_mutex_init(&t->lock, NULL) != 0) {
    free(t);
    return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  *jt = t;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_delete_job_template(drmaa_job_template_t *jt, char *error_diagnosis, size_t error_diag_len) {
  if (jt == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  for (size_t i = 0; i < N_SCALARS; i++) free(jt->scalar[i]);
  for (size_t i = 0; i < N_VECTORS; i++) strlist_clear(&jt->vector[i]);
  pthread_mutex_destroy(&jt->lock);
  free(jt);
  return DRMAA_ERRNO_SUCCESS;
}

/* The values the standard fixes; "" is always accepted and means unset. */
static int check_value(const char *name, const char *value, char *ed, size_t el) {
  if (value[0] == '\0') return DRMAA_ERRNO_SUCCESS;
  if (strcmp(name, DRMAA_JS_STATE) == 0 && strcmp(value, DRMAA_SUBMISSION_STATE_ACTIVE) != 0 &&
      strcmp(value, DRMAA_SUBMISSION_STATE_HOLD) != 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "%s must be \"%s\" or \"%s\", not \"%s\"", name,
                DRMAA_SUBMISSION_STATE_ACTIVE, DRMAA_SUBMISSION_STATE_HOLD, value);
  if (strcmp(name, DRMAA_JOIN_FILES) == 0 && strcmp(value, "y") != 0 && strcmp(value, "n") != 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "%s must be \"y\" or \"n\", not \"%s\"", name, value);
  if (strcmp(name, DRMAA_BLOCK_EMAIL) == 0 && strcmp(value, "0") != 0 && strcmp(value, "1") != 0)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE, "%s must be \"0\" or \"1\", not \"%s\"", name, value);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_set_attribute(drmaa_job_template_t *jt, const char *name, const char *value, char *error_diagnosis,
                        size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (jt == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  int i = find(SCALARS, N_SCALARS, name);
  if (i < 0) return unknown_name(name, false, ed, el);
  if (value == NULL)
    return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "the value of %s is NULL: pass \"\" to unset it", name);
  int rc = check_value(name, value, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  char *copy = xstrdup(value);
  if (copy == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  pthread_mutex_lock(&jt->lock);
  free(jt->scalar[i]);
  jt->scalar[i] = copy;
  pthread_mutex_unlock(&jt->lock);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_attribute(drmaa_job_template_t *jt, const char *name, char *value, size_t value_len,
                        char *error_diagnosis, size_t error_diag_len) {
  if (jt == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  int i = find(SCALARS, N_SCALARS, name);
  if (i < 0) return unknown_name(name, false, error_diagnosis, error_diag_len);
  /* Never set reads as "", which also means unset: what Python drmaa's properties expect. */
  pthread_mutex_lock(&jt->lock);
  copy_out(value, value_len, jt->scalar[i] ? jt->scalar[i] : "");
  pthread_mutex_unlock(&jt->lock);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_set_vector_attribute(drmaa_job_template_t *jt, const char *name, const char *value[],
                               char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (jt == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jt must not be NULL");
  int i = find(VECTORS, N_VECTORS, name);
  if (i < 0) return unknown_name(name, true, ed, el);
  struct strlist fresh = {0};
  for (size_t k = 0; value && value[k]; k++) {
    if (!strlist_push(&fresh, value[k])) {
      strlist_clear(&fresh);
      return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    }
  }
  pthread_mutex_lock(&jt->lock);
  struct strlist old = jt->vector[i];
  jt->vector[i] = fresh;
  jt->vector_set[i] = value != NULL;
  pthread_mutex_unlock(&jt->lock);
  strlist_clear(&old);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_vector_attribute(drmaa_job_template_t *jt, const char *name, drmaa_attr_values_t **values,
                               char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  if (jt == NULL || values == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "jt and values must not be NULL");
  int i = find(VECTORS, N_VECTORS, name);
  if (i < 0) return unknown_name(name, true, ed, el);
  drmaa_attr_values_t *out = calloc(1, sizeof *out);
  if (out == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  bool ok = true;
  /* Never set reads as an empty list, as for scalars. */
  pthread_mutex_lock(&jt->lock);
  for (size_t k = 0; ok && k < jt->vector[i].n; k++) ok = strlist_push(&out->list, jt->vector[i].items[k]);
  pthread_mutex_unlock(&jt->lock);
  if (!ok) {
    drmaa_release_attr_values(out);
    return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  *values = out;
  return DRMAA_ERRNO_SUCCESS;
}

static int names(const char *const *list, size_t n, drmaa_attr_names_t **values, char *ed, size_t el) {
  if (values == NULL) return diag(ed, el, DRMAA_ERRNO_INVALID_ARGUMENT, "values must not be NULL");
  drmaa_attr_names_t *out = calloc(1, sizeof *out);
  bool ok = out != NULL;
  for (size_t i = 0; ok && i < n; i++) ok = strlist_push(&out->list, list[i]);
  if (!ok) {
    drmaa_release_attr_names(out);
    return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  *values = out;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis, size_t error_diag_len) {
  return names(SCALARS, N_SCALARS, values, error_diagnosis, error_diag_len);
}

int drmaa_get_vector_attribute_names(drmaa_attr_names_t **values, char *error_diagnosis, size_t error_diag_len) {
  return names(VECTORS, N_VECTORS, values, error_diagnosis, error_diag_len);
}

cJSON *template_to_json(const drmaa_job_template_t *cjt) {
  drmaa_job_template_t *jt = (drmaa_job_template_t *)cjt; /* the lock is not part of the value */
  cJSON *body = cJSON_CreateObject();
  cJSON *attrs = cJSON_AddObjectToObject(body, "attributes");
  cJSON *vecs = cJSON_AddObjectToObject(body, "vectors");
  bool ok = body && attrs && vecs;
  pthread_mutex_lock(&jt->lock);
  for (size_t i = 0; ok && i < N_SCALARS; i++)
    if (jt->scalar[i]) ok = cJSON_AddStringToObject(attrs, SCALARS[i], jt->scalar[i]) != NULL;
  for (size_t i = 0; ok && i < N_VECTORS; i++) {
    if (!jt->vector_set[i]) continue;
    cJSON *arr = cJSON_AddArrayToObject(vecs, VECTORS[i]);
    ok = arr != NULL;
    for (size_t k = 0; ok && k < jt->vector[i].n; k++) {
      cJSON *item = cJSON_CreateString(jt->vector[i].items[k]);
      ok = item != NULL && cJSON_AddItemToArray(arr, item);
    }
  }
  pthread_mutex_unlock(&jt->lock);
  if (!ok) {
    cJSON_Delete(body);
    return NULL;
  }
  return body;
}
