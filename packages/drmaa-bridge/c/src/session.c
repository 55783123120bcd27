/*
 * The process's DRMAA session: drmaa_init, drmaa_exit, drmaa_get_contact.
 * The session itself lives on the daemon; here is only which one, on which daemon.
 * Calls hold a counted reference, so drmaa_exit in one thread never frees what a
 * call in another is using: it cancels their transfers and the last one out frees.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define INIT_TIMEOUT_S 60.0

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct session *active;
static bool initialising;

static void session_free(struct session *s) {
  conn_free(s->conn);
  free(s->name);
  free(s->contact);
  free(s);
}

int session_acquire(struct session **out, char *ed, size_t el) {
  pthread_mutex_lock(&lock);
  struct session *s = active;
  if (s) s->refs++;
  pthread_mutex_unlock(&lock);
  *out = s;
  if (s == NULL) return diag(ed, el, DRMAA_ERRNO_NO_ACTIVE_SESSION, "no active session: call drmaa_init first");
  return DRMAA_ERRNO_SUCCESS;
}

void session_release(struct session *s) {
  if (s == NULL) return;
  pthread_mutex_lock(&lock);
  bool last = --s->refs == 0;
  pthread_mutex_unlock(&lock);
  if (last) session_free(s);
}

/* GET /users/me, then a new session or the named one. */
static int attach(struct conn *c, const char *reattach, char **name, char *ed, size_t el) {
  struct http_reply r;
  int rc = http_call(c, "GET", "/users/me", NULL, NULL, INIT_TIMEOUT_S, &r, ed, el);
  if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  if (!http_ok(&r)) {
    rc = api_failure(&r, CALL_INIT, 0, ed, el);
    http_reply_clear(&r);
    return rc;
  }
  char scratch[64];
  const char *user = json_text(r.json, "name", scratch, sizeof scratch);
  char *who = xstrdup(user ? user : "you");
  http_reply_clear(&r);
  if (who == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");

  if (reattach == NULL) {
    cJSON *body = cJSON_CreateObject();
    if (body == NULL || cJSON_AddStringToObject(body, "kind", "drmaa1") == NULL) {
      cJSON_Delete(body);
      free(who);
      return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    }
    rc = http_call(c, "POST", "/sessions", body, NULL, INIT_TIMEOUT_S, &r, ed, el);
    cJSON_Delete(body);
  } else {
    char *enc = url_encode_component(reattach);
    char *path = enc ? strprintf("/sessions/%s", enc) : NULL;
    free(enc);
    if (path == NULL) {
      free(who);
      return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
    }
    rc = http_call(c, "GET", path, NULL, NULL, INIT_TIMEOUT_S, &r, ed, el);
    free(path);
  }
  if (rc == DRMAA_ERRNO_SUCCESS && !http_ok(&r)) {
    rc = api_failure(&r, CALL_INIT, 0, ed, el);
    if (rc == DRMAA_ERRNO_INVALID_CONTACT_STRING && r.status == 404)
      diag(ed, el, rc, "%s has no session \"%s\" on %s", who, reattach ? reattach : "", conn_base_url(c));
  }
  if (rc == DRMAA_ERRNO_SUCCESS) {
    const char *got = json_text(r.json, "name", scratch, sizeof scratch);
    if (got == NULL)
      rc = diag(ed, el, DRMAA_ERRNO_DRMS_INIT_FAILED, "the daemon at %s made a session without a name",
                conn_base_url(c));
    else if ((*name = xstrdup(got)) == NULL)
      rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  http_reply_clear(&r);
  free(who);
  return rc;
}

int drmaa_init(const char *contact, char *error_diagnosis, size_t error_diag_len) {
  char *ed = error_diagnosis;
  size_t el = error_diag_len;
  pthread_mutex_lock(&lock);
  bool busy = active != NULL || initialising;
  if (!busy) initialising = true;
  pthread_mutex_unlock(&lock);
  if (busy)
    return diag(ed, el, DRMAA_ERRNO_ALREADY_ACTIVE_SESSION,
                "a DRMAA session is already active in this process: call drmaa_exit first");

  struct contact parsed;
  char *base = NULL, *token = NULL;
  struct session *s = NULL;
  int rc = contact_parse(contact, &parsed, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS) rc = connection_resolve(parsed.url, &base, &token, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS && token == NULL)
    rc = diag(ed, el, DRMAA_ERRNO_AUTH_FAILURE, "no token for %s: set GODOCKER_TOKEN, or run `godocker login`", base);
  if (rc == DRMAA_ERRNO_SUCCESS) {
    s = calloc(1, sizeof *s);
    if (s == NULL || (s->conn = conn_new(base, token)) == NULL)
      rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory (or libcurl could not start)");
  }
  if (rc == DRMAA_ERRNO_SUCCESS) rc = attach(s->conn, parsed.session, &s->name, ed, el);
  if (rc == DRMAA_ERRNO_SUCCESS && (s->contact = session_contact(base, s->name)) == NULL)
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  contact_clear(&parsed);
  free(base);
  free(token);
  if (rc != DRMAA_ERRNO_SUCCESS && s) {
    session_free(s);
    s = NULL;
  }
  pthread_mutex_lock(&lock);
  if (s) {
    s->refs = 1; /* the active slot's own reference */
    active = s;
  }
  initialising = false;
  pthread_mutex_unlock(&lock);
  return rc;
}

int drmaa_exit(char *error_diagnosis, size_t error_diag_len) {
  pthread_mutex_lock(&lock);
  struct session *s = active;
  active = NULL;
  pthread_mutex_unlock(&lock);
  if (s == NULL)
    return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_NO_ACTIVE_SESSION,
                "no active session: drmaa_init was not called, or drmaa_exit already was");
  /* Only this process lets go: the jobs and the server's session stay, to reattach with the contact. */
  conn_cancel(s->conn);
  session_release(s);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_contact(char *contact, size_t contact_len, char *error_diagnosis, size_t error_diag_len) {
  struct session *s = NULL;
  if (session_acquire(&s, NULL, 0) == DRMAA_ERRNO_SUCCESS) {
    copy_out(contact, contact_len, s->contact);
    session_release(s);
    return DRMAA_ERRNO_SUCCESS;
  }
  char *url = default_daemon_url();
  if (url == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  copy_out(contact, contact_len, url);
  free(url);
  return DRMAA_ERRNO_SUCCESS;
}
