/*
 * Contact strings and the connection they select, read exactly as the SDK reads
 * them (parseContact in packages/sdk/src/session-contact.ts, resolveConnection in
 * packages/sdk/src/login-file.ts), so a contact printed by one works in the other.
 */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static const char SESSIONS_PATH[] = API_PREFIX "/sessions/";

static bool has_scheme(const char *s) {
  if (!isalpha((unsigned char)s[0])) return false;
  const char *p = s + 1;
  while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-') p++;
  return strncmp(p, "://", 3) == 0;
}

/* JavaScript's String.prototype.trim, for the ASCII whitespace a C caller can pass. */
static char *trimmed(const char *s) {
  while (*s && isspace((unsigned char)*s)) s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1])) n--;
  char *out = malloc(n + 1);
  if (out == NULL) return NULL;
  memcpy(out, s, n);
  out[n] = '\0';
  return out;
}

char *normalize_base_url(const char *url) {
  char *t = trimmed(url);
  if (t == NULL) return NULL;
  char *u = has_scheme(t) ? t : strprintf("http://%s", t);
  if (u != t) free(t);
  if (u == NULL) return NULL;
  size_t n = strlen(u);
  while (n > 0 && u[n - 1] == '/') u[--n] = '\0';
  size_t plen = strlen(API_PREFIX);
  if (n >= plen && strcmp(u + n - plen, API_PREFIX) == 0) u[n - plen] = '\0';
  return u;
}

char *session_contact(const char *base_url, const char *name) {
  char *base = normalize_base_url(base_url);
  char *enc = url_encode_component(name);
  char *out = (base && enc) ? strprintf("%s%s%s", base, SESSIONS_PATH, enc) : NULL;
  free(base);
  free(enc);
  return out;
}

void contact_clear(struct contact *c) {
  free(c->url);
  free(c->session);
  *c = (struct contact){0};
}

static int not_a_contact(const char *text, char *ed, size_t el) {
  return diag(ed, el, DRMAA_ERRNO_INVALID_CONTACT_STRING,
              "\"%s\" is not a GoDocker contact: use a daemon URL, a session URL "
              "(http://HOST:PORT/api/v1/sessions/NAME) or session=NAME",
              text);
}

/* The session name when path is PREFIX/api/v1/sessions/NAME[/], with prefix_len set; else NULL. */
static const char *session_in_path(const char *path, size_t *prefix_len) {
  /* The first occurrence that makes the whole path match, as the lazy (.*?) of the SDK's pattern. */
  for (const char *at = strstr(path, SESSIONS_PATH); at; at = strstr(at + 1, SESSIONS_PATH)) {
    const char *name = at + strlen(SESSIONS_PATH);
    size_t len = strcspn(name, "/");
    if (len == 0) continue;
    if (name[len] == '\0' || (name[len] == '/' && name[len + 1] == '\0')) {
      *prefix_len = (size_t)(at - path);
      return name;
    }
  }
  return NULL;
}

int contact_parse(const char *contact, struct contact *out, char *ed, size_t el) {
  *out = (struct contact){0};
  char *text = trimmed(contact ? contact : "");
  if (text == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  int rc = DRMAA_ERRNO_SUCCESS;
  char *full = NULL, *base = NULL, *path = NULL;
  if (text[0] == '\0') goto done;
  if (strncmp(text, "session=", 8) == 0 && text[8] != '\0') {
    out->session = xstrdup(text + 8);
    goto done;
  }
  full = has_scheme(text) ? xstrdup(text) : strprintf("http://%s", text);
  if (full == NULL) goto oom;
  char *sep = strstr(full, "://");
  for (char *p = full; p < sep; p++) *p = (char)tolower((unsigned char)*p);
  bool https = strncmp(full, "https://", 8) == 0;
  if (!https && strncmp(full, "http://", 7) != 0) {
    rc = diag(ed, el, DRMAA_ERRNO_INVALID_CONTACT_STRING,
              "\"%s\" is not a GoDocker contact: the daemon is reached over http or https", text);
    goto done;
  }
  char *auth = sep + 3;
  size_t auth_len = strcspn(auth, "/?#");
  char *rest = auth + auth_len;
  /* The host only: user info is no part of a daemon's address. */
  char *host = auth;
  for (char *p = auth; p < rest; p++)
    if (*p == '@') host = p + 1;
  size_t host_len = (size_t)(rest - host);
  if (host_len == 0 || *host == ':') {
    rc = not_a_contact(text, ed, el);
    goto done;
  }
  for (char *p = host; p < rest; p++) *p = (char)tolower((unsigned char)*p);
  const char *default_port = https ? ":443" : ":80";
  size_t dp = strlen(default_port);
  if (host_len > dp && strncmp(rest - dp, default_port, dp) == 0) host_len -= dp;
  size_t path_len = *rest == '/' ? strcspn(rest, "?#") : 0;
  path = path_len ? strprintf("%.*s", (int)path_len, rest) : xstrdup("/");
  base = strprintf("%s://%.*s", https ? "https" : "http", (int)host_len, host);
  if (path == NULL || base == NULL) goto oom;
  size_t prefix_len = 0;
  const char *name = session_in_path(path, &prefix_len);
  if (name != NULL) {
    char *raw = strprintf("%.*s", (int)strcspn(name, "/"), name);
    char *joined = strprintf("%s%.*s", base, (int)prefix_len, path);
    if (raw == NULL || joined == NULL) {
      free(raw);
      free(joined);
      goto oom;
    }
    out->session = url_decode(raw);
    out->url = normalize_base_url(joined);
    free(raw);
    free(joined);
    if (out->session == NULL) {
      rc = diag(ed, el, DRMAA_ERRNO_INVALID_CONTACT_STRING,
                "\"%s\" is not a GoDocker contact: the session name has a malformed %%-escape", text);
      goto done;
    }
  } else {
    char *joined = strprintf("%s%s", base, path);
    if (joined == NULL) goto oom;
    out->url = normalize_base_url(joined);
    free(joined);
  }
  if (out->url == NULL) goto oom;
  goto done;
oom:
  rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory reading the contact string");
done:
  if (rc == DRMAA_ERRNO_SUCCESS && text[0] != '\0' && out->url == NULL && out->session == NULL)
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory reading the contact string");
  if (rc != DRMAA_ERRNO_SUCCESS) contact_clear(out);
  free(text);
  free(full);
  free(base);
  free(path);
  return rc;
}

static const char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return (v && *v) ? v : NULL;
}

static char *login_file_path(void) {
  const char *xdg = env_nonempty("XDG_CONFIG_HOME");
  if (xdg) return strprintf("%s/godocker/login.json", xdg);
  const char *home = env_nonempty("HOME");
  if (home == NULL) {
    struct passwd *pw = getpwuid(getuid());
    home = pw ? pw->pw_dir : "/";
  }
  return strprintf("%s/.config/godocker/login.json", home);
}

struct saved_login {
  char *url, *token;
};

/* SUCCESS with both NULL when there is no saved login; an error naming the file when it is damaged. */
static int load_login(struct saved_login *out, char *ed, size_t el) {
  *out = (struct saved_login){0};
  char *path = login_file_path();
  if (path == NULL) return diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int err = errno;
    char why[256] = "";
    if (err != ENOENT && strerror_r(err, why, sizeof why) != 0) snprintf(why, sizeof why, "error %d", err);
    int rc = err == ENOENT ? DRMAA_ERRNO_SUCCESS
                           : diag(ed, el, DRMAA_ERRNO_DRMS_INIT_FAILED, "cannot read the saved login %s: %s", path, why);
    free(path);
    return rc;
  }
  char *text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? 2 * cap : 8192;
      char *grown = realloc(text, cap);
      if (grown == NULL) break;
      text = grown;
    }
    size_t got = fread(text + len, 1, cap - len - 1, f);
    len += got;
    if (got == 0) break;
  }
  fclose(f);
  cJSON *doc = text ? json_parse(text, len) : NULL;
  free(text);
  const cJSON *url = cJSON_GetObjectItemCaseSensitive(doc, "url");
  const cJSON *token = cJSON_GetObjectItemCaseSensitive(doc, "token");
  int rc = DRMAA_ERRNO_SUCCESS;
  if (!cJSON_IsString(url) || !cJSON_IsString(token)) {
    rc = diag(ed, el, DRMAA_ERRNO_DRMS_INIT_FAILED,
              "the saved login %s is damaged: run `godocker login` again (or delete the file)", path);
  } else {
    out->url = xstrdup(url->valuestring);
    out->token = xstrdup(token->valuestring);
    if (out->url == NULL || out->token == NULL) rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  }
  cJSON_Delete(doc);
  free(path);
  if (rc != DRMAA_ERRNO_SUCCESS) {
    free(out->url);
    free(out->token);
    *out = (struct saved_login){0};
  }
  return rc;
}

int connection_resolve(const char *url, char **base_url, char **token, char *ed, size_t el) {
  *base_url = NULL;
  *token = NULL;
  const char *env_url = env_nonempty("GODOCKER_URL");
  const char *env_token = env_nonempty("GODOCKER_TOKEN");
  struct saved_login saved = {0};
  /* The saved login is read only when something is still missing, as the SDK does. */
  if ((url == NULL && env_url == NULL) || env_token == NULL) {
    int rc = load_login(&saved, ed, el);
    if (rc != DRMAA_ERRNO_SUCCESS) return rc;
  }
  const char *chosen = url ? url : env_url ? env_url : saved.url ? saved.url : DEFAULT_URL;
  int rc = DRMAA_ERRNO_SUCCESS;
  *base_url = normalize_base_url(chosen);
  if (*base_url == NULL) {
    rc = diag(ed, el, DRMAA_ERRNO_NO_MEMORY, "out of memory");
  } else if (env_token) {
    *token = xstrdup(env_token);
  } else if (saved.url) {
    /* The saved token belongs to the saved daemon: never send it anywhere else. */
    char *saved_base = normalize_base_url(saved.url);
    if (saved_base && strcmp(saved_base, *base_url) == 0) *token = xstrdup(saved.token);
    free(saved_base);
  }
  free(saved.url);
  free(saved.token);
  return rc;
}

char *default_daemon_url(void) {
  char *base = NULL, *token = NULL;
  if (connection_resolve(NULL, &base, &token, NULL, 0) != DRMAA_ERRNO_SUCCESS) {
    /* A damaged saved login is reported by drmaa_init; here the environment or the default will do. */
    const char *env_url = env_nonempty("GODOCKER_URL");
    base = normalize_base_url(env_url ? env_url : DEFAULT_URL);
  }
  free(token);
  return base;
}
