/* Reading the daemon's answers: ids and values may come as strings or numbers. */
#include <pthread.h>
#include <stdio.h>

#include "internal.h"

const char *json_item_text(const cJSON *item, char *scratch, size_t scratch_len) {
  if (cJSON_IsString(item)) return item->valuestring;
  if (cJSON_IsNumber(item)) {
    double v = item->valuedouble;
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
      snprintf(scratch, scratch_len, "%lld", (long long)v);
    else
      snprintf(scratch, scratch_len, "%.17g", v);
    return scratch;
  }
  if (cJSON_IsBool(item)) return cJSON_IsTrue(item) ? "true" : "false";
  return NULL;
}

const char *json_text(const cJSON *obj, const char *key, char *scratch, size_t scratch_len) {
  return json_item_text(cJSON_GetObjectItemCaseSensitive(obj, key), scratch, scratch_len);
}

/* cJSON's parser records the position of its last error in a global: parses take turns. */
static pthread_mutex_t parse_lock = PTHREAD_MUTEX_INITIALIZER;

cJSON *json_parse(const char *text, size_t len) {
  pthread_mutex_lock(&parse_lock);
  cJSON *doc = cJSON_ParseWithLength(text, len);
  pthread_mutex_unlock(&parse_lock);
  return doc;
}
