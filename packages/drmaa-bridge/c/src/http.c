/*
 * The daemon over libcurl. An easy handle is never used by two threads at once:
 * each call borrows one from its connection's small pool and gives it back, so a
 * handle's open connection is reused by the next call while no lock is held
 * during a transfer (a wait blocking for minutes never stops another thread).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define POOL_SIZE 8
#define MAX_BODY (64u << 20)
#define CONNECT_TIMEOUT_S 10L

struct conn {
  char *base_url;
  char *auth_header;
  pthread_mutex_t lock; /* guards idle[] only */
  CURL *idle[POOL_SIZE];
  int n_idle;
  atomic_int cancelled;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_setup(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Leaves nothing behind for valgrind once the program is done with the library. */
__attribute__((destructor)) static void curl_teardown(void) {
  if (curl_init_result == CURLE_OK) curl_global_cleanup();
}

struct conn *conn_new(const char *base_url, const char *token) {
  pthread_once(&curl_once, curl_setup);
  if (curl_init_result != CURLE_OK) return NULL;
  struct conn *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->base_url = xstrdup(base_url);
  c->auth_header = token ? strprintf("Authorization: Bearer %s", token) : NULL;
  if (c->base_url == NULL || (token && c->auth_header == NULL) || pthread_mutex_init(&c->lock, NULL) != 0) {
    free(c->base_url);
    free(c->auth_header);
    free(c);
    return NULL;
  }
  atomic_init(&c->cancelled, 0);
  return c;
}

void conn_free(struct conn *c) {
  if (c == NULL) return;
  for (int i = 0; i < c->n_idle; i++) curl_easy_cleanup(c->idle[i]);
  pthread_mutex_destroy(&c->lock);
  free(c->base_url);
  free(c->auth_header);
  free(c);
}

void conn_cancel(struct conn *c) { atomic_store(&c->cancelled, 1); }

const char *conn_base_url(const struct conn *c) { return c->base_url; }

static CURL *borrow(struct conn *c) {
  CURL *h = NULL;
  bool fresh = false;
  pthread_mutex_lock(&c->lock);
  if (c->n_idle > 0) {
    h = c->idle[--c->n_idle];
  } else {
    /* curl_easy_init checks libcurl's global state with a spin lock that thread checkers cannot see; it is quick. */
    h = curl_easy_init();
    fresh = true;
  }
  pthread_mutex_unlock(&c->lock);
  /* Forgets the last call's options; the handle keeps its open connections. */
  if (h && !fresh) curl_easy_reset(h);
  return h;
}

static void give_back(struct conn *c, CURL *h) {
  pthread_mutex_lock(&c->lock);
  if (c->n_idle < POOL_SIZE) {
    c->idle[c->n_idle++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&c->lock);
  if (h) curl_easy_cleanup(h);
}

struct body {
  char *data;
  size_t len, cap;
  bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata) {
  struct body *b = userdata;
  size_t n = size * nmemb;
  if (b->len + n + 1 > MAX_BODY) {
    b->too_big = true;
    return 0;
  }
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char *grown = realloc(b->data, cap);
    if (grown == NULL) return 0;
    b->data = grown;
    b->cap = cap;
  }
  memcpy(b->data + b->len, ptr, n);
  b->len += n;
  b->data[b->len] = '\0';
  return n;
}

/* Called by curl about once a second even while a long-poll is idle: how drmaa_exit stops a wait. */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  const struct conn *c = clientp;
  return atomic_load(&((struct conn *)c)->cancelled) ? 1 : 0;
}

void http_reply_clear(struct http_reply *r) {
  cJSON_Delete(r->json);
  *r = (struct http_reply){0};
}

bool http_ok(const struct http_reply *r) { return r->status >= 200 && r->status < 300; }

int http_call(struct conn *c, const char *method, const char *path, const cJSON *body, const char *idempotency_key,
              double timeout_s, struct http_reply *out, char *ed, size_t el) {
  *out = (struct http_reply){0};
  if (atomic_load(&c->cancelled))
    return diag(ed, el, DRMAA_ERRNO_NO_ACTIVE_SESSION, "the session was ended by drmaa_exit");
  char *url = strprintf("%s%s%s", c->base_url, API_PREFIX, path);
  char *payload = body ? cJSON_PrintUnformatted(body) : NULL;
  char *idem = idempotency_key ? strprintf("Idempotency-Key: %s", idempotency_key) : NULL;
  CURL *h = borrow(c);
  struct curl_slist *headers = NULL, *grown;
  bool ok = url && h && (body == NULL || payload) && (idempotency_key == NULL || idem);
  const char *lines[] = {"Accept: application/json", body ? "Content-Type: application/json" : NULL,
                         /* no 100-continue round trip before a large body */
                         "Expect:", c->auth_header, idem};
  for (size_t i = 0; ok && i < sizeof lines / sizeof *lines; i++) {
    if (lines[i] == NULL) continue;
    grown = curl_slist_append(headers, lines[i]);
    if (grown == NULL) ok = false;
    else headers = grown;
  }
  int rc = DRMAA_ERRNO_SUCCESS;
  struct body got = {0};
  if (!ok) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory preparing a request to the daemon");
    goto done;
  }
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
  if (payload) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(payload));
  } else if (strcmp(method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
  /* Threads: no SIGALRM-based DNS timeouts. */
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_s * 1000.0));
  /* A long-poll is a silent connection for minutes: keep-alive probes stop NATs and firewalls dropping it. */
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 30L);
  curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 15L);
  curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "godocker-libdrmaa/" GODOCKER_VERSION);
  CURLcode res = curl_easy_perform(h);
  if (res == CURLE_ABORTED_BY_CALLBACK && atomic_load(&c->cancelled)) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_ACTIVE_SESSION, "the session was ended by drmaa_exit while this call waited");
    goto done;
  }
  if (got.too_big) {
    rc = diag(ed, el, DRMAA_ERRNO_INTERNAL_ERROR, "the daemon's answer to %s %s is larger than %u MiB", method, path,
              MAX_BODY >> 20);
    goto done;
  }
  if (res != CURLE_OK) {
    rc = diag(ed, el, DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE,
              "no answer from the GoDocker daemon at %s (%s): is it running? Set GODOCKER_URL or pass its URL as "
              "the contact string",
              c->base_url, curl_easy_strerror(res));
    goto done;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
  out->json = got.data ? json_parse(got.data, got.len) : NULL;
done:
  curl_slist_free_all(headers);
  if (h) give_back(c, h);
  free(got.data);
  free(url);
  free(idem);
  cJSON_free(payload);
  return rc;
}

static bool is(const char *code, const char *want) { return code && strcmp(code, want) == 0; }

int api_failure(const struct http_reply *r, enum api_call call, int control_action, char *ed, size_t el) {
  const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
  const cJSON *jcode = cJSON_GetObjectItemCaseSensitive(err, "code");
  const cJSON *jmsg = cJSON_GetObjectItemCaseSensitive(err, "message");
  const char *code = cJSON_IsString(jcode) ? jcode->valuestring : NULL;
  const char *msg = cJSON_IsString(jmsg) ? jmsg->valuestring : NULL;
  long st = r->status;
  int e;
  if (st == 401 || is(code, "GOD_UNAUTHENTICATED")) {
    e = DRMAA_ERRNO_AUTH_FAILURE;
  } else if (is(code, "GOD_FORBIDDEN") || is(code, "GOD_QUOTA_EXCEEDED") || is(code, "GOD_ROOT_NOT_ALLOWED") ||
             is(code, "GOD_IMAGE_NOT_ALLOWED") || is(code, "GOD_VOLUME_NOT_ALLOWED") ||
             is(code, "GOD_LIMIT_EXCEEDED") || is(code, "GOD_WEBHOOK_TARGET_REFUSED") || (st == 403 && code == NULL)) {
    e = DRMAA_ERRNO_DENIED_BY_DRM;
  } else if (is(code, "GOD_SESSION_NOT_FOUND")) {
    e = call == CALL_INIT ? DRMAA_ERRNO_INVALID_CONTACT_STRING : DRMAA_ERRNO_NO_ACTIVE_SESSION;
  } else if (call == CALL_INIT && is(code, "GOD_INVALID_REQUEST")) {
    /* At init the only thing sent is the session name the contact string gave. */
    e = DRMAA_ERRNO_INVALID_CONTACT_STRING;
  } else if (is(code, "GOD_JOB_NOT_FOUND")) {
    e = DRMAA_ERRNO_INVALID_JOB;
  } else if (call == CALL_CONTROL && is(code, "GOD_INVALID_STATE")) {
    static const int inconsistent[] = {
        [DRMAA_CONTROL_SUSPEND] = DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE,
        [DRMAA_CONTROL_RESUME] = DRMAA_ERRNO_RESUME_INCONSISTENT_STATE,
        [DRMAA_CONTROL_HOLD] = DRMAA_ERRNO_HOLD_INCONSISTENT_STATE,
        [DRMAA_CONTROL_RELEASE] = DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE,
        /* DRMAA has no inconsistent state for TERMINATE: a job that can no longer be killed is over. */
        [DRMAA_CONTROL_TERMINATE] = DRMAA_ERRNO_INVALID_JOB,
    };
    e = inconsistent[control_action];
  } else if (call == CALL_SUBMIT && (is(code, "GOD_INVALID_REQUEST") || is(code, "GOD_UNSUPPORTED_ATTRIBUTE"))) {
    e = DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE;
  } else if (is(code, "GOD_RATE_LIMITED") || (code == NULL && st == 429)) {
    e = DRMAA_ERRNO_TRY_LATER;
  } else if (is(code, "GOD_UNAVAILABLE") || is(code, "GOD_EXECUTOR_UNAVAILABLE") || is(code, "GOD_CONNECTION_ERROR") ||
             (code == NULL && (st == 502 || st == 503 || st == 504))) {
    e = DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE;
  } else {
    e = DRMAA_ERRNO_INTERNAL_ERROR;
  }
  if (msg) return diag(ed, el, e, "%s", msg);
  return diag(ed, el, e, "the GoDocker daemon answered HTTP %ld%s%s", st, code ? " " : "", code ? code : "");
}
