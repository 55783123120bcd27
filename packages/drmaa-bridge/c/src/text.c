/* Small string helpers: copies, formatting, URL escapes, job numbers. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

char *xstrdup(const char *s) {
  if (s == NULL) return NULL;
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p) memcpy(p, s, n);
  return p;
}

char *strprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  char *p = malloc((size_t)n + 1);
  if (p == NULL) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

static bool unreserved(unsigned char ch) {
  return isalnum(ch) || strchr("-_.!~*'()", ch) != NULL;
}

char *url_encode_component(const char *s) {
  size_t n = strlen(s);
  char *out = malloc(3 * n + 1);
  if (out == NULL) return NULL;
  char *o = out;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p < 0x80 && unreserved(*p)) {
      *o++ = (char)*p;
    } else {
      snprintf(o, 4, "%%%02X", *p);
      o += 3;
    }
  }
  *o = '\0';
  return out;
}

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

char *url_decode(const char *s) {
  char *out = malloc(strlen(s) + 1);
  if (out == NULL) return NULL;
  char *o = out;
  for (const char *p = s; *p; p++) {
    if (*p != '%') {
      *o++ = *p;
      continue;
    }
    int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
    if (hi < 0 || lo < 0) {
      free(out);
      return NULL;
    }
    *o++ = (char)(hi * 16 + lo);
    p += 2;
  }
  *o = '\0';
  return out;
}

long long job_number(const char *s) {
  /* The SDK's rule: 1 to 15 digits, no leading zero; anything else is no GoDocker job. */
  if (s == NULL || *s < '1' || *s > '9') return 0;
  long long v = 0;
  size_t digits = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9' || ++digits > 15) return 0;
    v = v * 10 + (*p - '0');
  }
  return v;
}
