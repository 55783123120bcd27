/* The opaque string lists: attribute names, attribute values, job ids. */
#include <stdlib.h>

#include "internal.h"

bool strlist_push(struct strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    char **items = realloc(l->items, cap * sizeof *items);
    if (items == NULL) return false;
    l->items = items;
    l->cap = cap;
  }
  char *copy = xstrdup(s);
  if (copy == NULL) return false;
  l->items[l->n++] = copy;
  return true;
}

void strlist_clear(struct strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  *l = (struct strlist){0};
}

static int next(struct strlist *l, char *value, size_t value_len) {
  if (l == NULL) return DRMAA_ERRNO_INVALID_ARGUMENT;
  if (l->pos >= l->n) return DRMAA_ERRNO_NO_MORE_ELEMENTS;
  copy_out(value, value_len, l->items[l->pos++]);
  return DRMAA_ERRNO_SUCCESS;
}

static int count(const struct strlist *l, int *size) {
  if (l == NULL || size == NULL) return DRMAA_ERRNO_INVALID_ARGUMENT;
  *size = (int)l->n;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_next_attr_name(drmaa_attr_names_t *values, char *value, size_t value_len) {
  return next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_next_attr_value(drmaa_attr_values_t *values, char *value, size_t value_len) {
  return next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_next_job_id(drmaa_job_ids_t *values, char *value, size_t value_len) {
  return next(values ? &values->list : NULL, value, value_len);
}

int drmaa_get_num_attr_names(drmaa_attr_names_t *values, int *size) {
  return count(values ? &values->list : NULL, size);
}

int drmaa_get_num_attr_values(drmaa_attr_values_t *values, int *size) {
  return count(values ? &values->list : NULL, size);
}

int drmaa_get_num_job_ids(drmaa_job_ids_t *values, int *size) {
  return count(values ? &values->list : NULL, size);
}

void drmaa_release_attr_names(drmaa_attr_names_t *values) {
  if (values == NULL) return;
  strlist_clear(&values->list);
  free(values);
}

void drmaa_release_attr_values(drmaa_attr_values_t *values) {
  if (values == NULL) return;
  strlist_clear(&values->list);
  free(values);
}

void drmaa_release_job_ids(drmaa_job_ids_t *values) {
  if (values == NULL) return;
  strlist_clear(&values->list);
  free(values);
}
