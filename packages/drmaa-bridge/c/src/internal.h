/*
 * What the library's files share. Only the 36 drmaa_* functions leave the
 * library: everything is built with -fvisibility=hidden and drmaa.h is read here
 * under visibility "default", so its declarations (and only they) are exported.
 */
#ifndef GODOCKER_DRMAA_INTERNAL_H
#define GODOCKER_DRMAA_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#pragma GCC visibility push(default)
#include "drmaa.h"
#pragma GCC visibility pop

#include <cjson/cJSON.h>

#ifndef GODOCKER_VERSION
#define GODOCKER_VERSION "0.0.0"
#endif

#define API_PREFIX "/api/v1"
#define DEFAULT_URL "http://127.0.0.1:6543"

/* ---- errors.c: diagnosis buffers ---- */

/* Writes the formatted message into error_diagnosis (NULL allowed, truncated); returns code. */
int diag(char *buf, size_t len, int code, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* snprintf-style copy: never past len, always NUL-terminated when len > 0. */
void copy_out(char *dst, size_t len, const char *src);

/* ---- text.c: strings ---- */

char *xstrdup(const char *s);
char *strprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As JavaScript's encodeURIComponent, for a session name in a URL path. */
char *url_encode_component(const char *s);
/* Percent-decoding; NULL when an escape is malformed. */
char *url_decode(const char *s);
/* A positive job number as the daemon writes it ("12"); 0 when s is not one. */
long long job_number(const char *s);

/* ---- iterators.c: the opaque string lists ---- */

struct strlist {
  char **items;
  size_t n, cap, pos;
};
struct drmaa_attr_names_s {
  struct strlist list;
};
struct drmaa_attr_values_s {
  struct strlist list;
};
struct drmaa_job_ids_s {
  struct strlist list;
};
/* Appends a copy of s; false when out of memory. */
bool strlist_push(struct strlist *l, const char *s);
void strlist_clear(struct strlist *l);

/* ---- contact.c: which daemon, which token, which session ---- */

struct contact {
  char *url;     /* NULL: the default daemon */
  char *session; /* NULL: a new session */
};
int contact_parse(const char *text, struct contact *out, char *ed, size_t el);
void contact_clear(struct contact *c);
/* As resolveConnection in the SDK: url (or NULL) → base URL and token (NULL when none). */
int connection_resolve(const char *url, char **base_url, char **token, char *ed, size_t el);
/* The daemon a new session would be made on, for drmaa_get_contact before drmaa_init. */
char *default_daemon_url(void);
char *normalize_base_url(const char *url);
char *session_contact(const char *base_url, const char *name);

/* ---- http.c: one daemon, spoken to over libcurl ---- */

struct conn;
struct conn *conn_new(const char *base_url, const char *token);
void conn_free(struct conn *c);
/* Makes every call in flight on c give up (drmaa_exit from another thread). */
void conn_cancel(struct conn *c);
const char *conn_base_url(const struct conn *c);

struct http_reply {
  long status;
  cJSON *json; /* the parsed body, NULL when it is not JSON */
};
void http_reply_clear(struct http_reply *r);

/*
 * One request to API_PREFIX + path; body may be NULL; idempotency_key may be NULL.
 * timeout_s bounds the whole exchange. Returns SUCCESS when an answer came (any
 * status), DRM_COMMUNICATION_FAILURE when none did, NO_ACTIVE_SESSION when
 * conn_cancel stopped it.
 */
int http_call(struct conn *c, const char *method, const char *path, const cJSON *body, const char *idempotency_key,
              double timeout_s, struct http_reply *out, char *ed, size_t el);

/* What the call was, for the status → DRMAA errno mapping of PROTOCOL.md. */
enum api_call { CALL_INIT, CALL_SUBMIT, CALL_CONTROL, CALL_OTHER };
/* For a reply with a non-2xx status: the DRMAA errno, the server's message in ed. */
int api_failure(const struct http_reply *r, enum api_call call, int control_action, char *ed, size_t el);
bool http_ok(const struct http_reply *r);

/* ---- session.c: the one active session of the process ---- */

struct session {
  struct conn *conn;
  char *name;
  char *contact;
  int refs; /* guarded by the session lock; freed when it drops to 0 */
};
/* A counted reference to the active session, so drmaa_exit in another thread cannot free it under a call. */
int session_acquire(struct session **out, char *ed, size_t el);
void session_release(struct session *s);

/* ---- json.c ---- */

/* cJSON_ParseWithLength, safe to call from several threads at once. */
cJSON *json_parse(const char *text, size_t len);

/* The member as a string: a JSON string as is, a number printed as an integer; NULL otherwise. */
const char *json_text(const cJSON *obj, const char *key, char *scratch, size_t scratch_len);
/* An array item as json_text does. */
const char *json_item_text(const cJSON *item, char *scratch, size_t scratch_len);

/* ---- template.c ---- */

/* The template as the body of POST /sessions/NAME/drmaa1/jobs (without "bulk"). */
cJSON *template_to_json(const drmaa_job_template_t *jt);

/* ---- wait_status.c ---- */

/* The stat of a JobInfo, as PROTOCOL.md encodes it. */
int wait_status_of(const cJSON *info);

/* ---- time ---- */

double monotonic_seconds(void);

#endif
