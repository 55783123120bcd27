/* The helpers of the C test programs (tap.c). */
#ifndef GODOCKER_TEST_TAP_H
#define GODOCKER_TEST_TAP_H

#include <stddef.h>

#include "drmaa.h"

#define ID_LEN 64

/* One TAP test line; returns COND. */
int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A `#` line after the test it explains. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Checks a DRMAA return code; on a mismatch says which code came back, with the library's diagnosis. */
int ok_rc(int rc, int want, const char *ed, const char *what);
int tap_end(int plan);

double now_seconds(void);
void pause_ms(long ms);

drmaa_job_template_t *shell_template(const char *script);
int run_template(drmaa_job_template_t *jt, char *id, size_t id_len);
int job_state(const char *id);
int reach_state(const char *id, int want, double seconds);
int wait_for(const char *id, int *stat, long timeout, drmaa_attr_values_t **rusage, char *ed);

struct wait_status {
  int exited, exit_status, signaled, coredump, aborted;
  int all_ok; /* every drmaa_w* call returned SUCCESS */
  char signal[DRMAA_SIGNAL_BUFFER];
};

struct wait_status decode(int stat);
void show_status(const char *id, int stat, struct wait_status s);

#endif
