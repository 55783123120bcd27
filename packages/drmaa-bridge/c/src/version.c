/* drmaa_version, drmaa_get_DRM_system, drmaa_get_DRMAA_implementation: usable before drmaa_init. */
#include <stdlib.h>

#include "internal.h"

int drmaa_version(unsigned int *major, unsigned int *minor, char *error_diagnosis, size_t error_diag_len) {
  if (major == NULL || minor == NULL)
    return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "major and minor must not be NULL");
  *major = 1;
  *minor = 0;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_DRMAA_implementation(char *drmaa_impl, size_t drmaa_impl_len, char *error_diagnosis,
                                   size_t error_diag_len) {
  (void)error_diagnosis, (void)error_diag_len;
  copy_out(drmaa_impl, drmaa_impl_len, "GoDocker libdrmaa " GODOCKER_VERSION);
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_get_DRM_system(char *drm_system, size_t drm_system_len, char *error_diagnosis, size_t error_diag_len) {
  struct session *s = NULL;
  if (session_acquire(&s, NULL, 0) != DRMAA_ERRNO_SUCCESS) {
    /* Before drmaa_init there is no daemon chosen yet to ask for its version. */
    copy_out(drm_system, drm_system_len, "GoDocker");
    return DRMAA_ERRNO_SUCCESS;
  }
  struct http_reply r;
  int rc = http_call(s->conn, "GET", "/info", NULL, NULL, 60.0, &r, error_diagnosis, error_diag_len);
  if (rc == DRMAA_ERRNO_SUCCESS && !http_ok(&r)) rc = api_failure(&r, CALL_OTHER, 0, error_diagnosis, error_diag_len);
  if (rc == DRMAA_ERRNO_SUCCESS) {
    char scratch[64];
    const char *version = json_text(r.json, "version", scratch, sizeof scratch);
    if (version == NULL) {
      copy_out(drm_system, drm_system_len, "GoDocker");
    } else {
      char *text = strprintf("GoDocker %s", version);
      if (text == NULL) rc = diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_NO_MEMORY, "out of memory");
      copy_out(drm_system, drm_system_len, text);
      free(text);
    }
  }
  http_reply_clear(&r);
  session_release(s);
  return rc;
}
