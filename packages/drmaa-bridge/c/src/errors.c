/* The standard's error messages, and how diagnoses reach the callers' buffers. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Worded as the DRMAA 1.0 C binding gives them, so logs read the same as with any DRM. */
static const char *const MESSAGES[DRMAA_NO_ERRNO] = {
    [DRMAA_ERRNO_SUCCESS] = "Routine returned normally with success.",
    [DRMAA_ERRNO_INTERNAL_ERROR] = "Unexpected or internal DRMAA error like memory allocation, system call failure, etc.",
    [DRMAA_ERRNO_DRM_COMMUNICATION_FAILURE] = "Could not contact DRM system for this request.",
    [DRMAA_ERRNO_AUTH_FAILURE] = "The specified request is not processed successfully due to authorization failure.",
    [DRMAA_ERRNO_INVALID_ARGUMENT] = "The input value for an argument is invalid.",
    [DRMAA_ERRNO_NO_ACTIVE_SESSION] = "Exit routine failed because there is no active session.",
    [DRMAA_ERRNO_NO_MEMORY] = "Failed allocating memory.",
    [DRMAA_ERRNO_INVALID_CONTACT_STRING] = "Initialization failed due to invalid contact string.",
    [DRMAA_ERRNO_DEFAULT_CONTACT_STRING_ERROR] =
        "DRMAA could not use the default contact string to connect to DRM system.",
    [DRMAA_ERRNO_NO_DEFAULT_CONTACT_STRING_SELECTED] =
        "No default contact string was provided or selected. DRMAA requires that the default contact string is "
        "selected when there is more than one default contact string due to multiple DRMAA implementation "
        "contained in the binary module.",
    [DRMAA_ERRNO_DRMS_INIT_FAILED] = "Initialization failed due to failure to init DRM system.",
    [DRMAA_ERRNO_ALREADY_ACTIVE_SESSION] = "Initialization failed due to existing DRMAA session.",
    [DRMAA_ERRNO_DRMS_EXIT_ERROR] = "DRM system disengagement failed.",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_FORMAT] = "The format for the job attribute value is invalid.",
    [DRMAA_ERRNO_INVALID_ATTRIBUTE_VALUE] = "The value for the job attribute is invalid.",
    [DRMAA_ERRNO_CONFLICTING_ATTRIBUTE_VALUES] =
        "The value of this attribute is conflicting with a previously set attributes.",
    [DRMAA_ERRNO_TRY_LATER] = "Could not pass job now to DRM system. A retry may succeed however (saturation).",
    [DRMAA_ERRNO_DENIED_BY_DRM] = "The DRM system rejected the job. The job will never be accepted due to DRM "
                                  "configuration or job template settings.",
    [DRMAA_ERRNO_INVALID_JOB] = "The job specified by the 'jobid' does not exist.",
    [DRMAA_ERRNO_RESUME_INCONSISTENT_STATE] =
        "The job has not been suspended. The RESUME request will not be processed.",
    [DRMAA_ERRNO_SUSPEND_INCONSISTENT_STATE] = "The job has not been running, and it cannot be suspended.",
    [DRMAA_ERRNO_HOLD_INCONSISTENT_STATE] = "The job cannot be moved to a HOLD state.",
    [DRMAA_ERRNO_RELEASE_INCONSISTENT_STATE] = "The job is not in a HOLD state.",
    [DRMAA_ERRNO_EXIT_TIMEOUT] = "We have encountered a time-out condition for drmaa_synchronize or drmaa_wait.",
    [DRMAA_ERRNO_NO_RUSAGE] = "This error code is returned by drmaa_wait() when a job has finished but no rusage "
                              "and stat data could be provided.",
    [DRMAA_ERRNO_NO_MORE_ELEMENTS] = "There are no more elements in the opaque string vector.",
};

const char *drmaa_strerror(int drmaa_errno) {
  if (drmaa_errno < 0 || drmaa_errno >= DRMAA_NO_ERRNO) return NULL;
  return MESSAGES[drmaa_errno];
}

void copy_out(char *dst, size_t len, const char *src) {
  if (dst == NULL || len == 0) return;
  snprintf(dst, len, "%s", src ? src : "");
}

int diag(char *buf, size_t len, int code, const char *fmt, ...) {
  if (buf != NULL && len > 0) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, len, fmt, ap);
    va_end(ap);
  }
  return code;
}
