/*
 * The wait status: one int built from the daemon's JobInfo (PROTOCOL.md), and
 * drmaa_wifexited & co, which all succeed on any status and agree with each other:
 *   exited with code C   (C & 0xff) << 8
 *   signal N             N & 0x7f, | 0x80 with a core dump
 *   aborted              0x10000 (the job never ran)
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ABORTED 0x10000
#define SIG_MASK 0x7f
#define CORE_FLAG 0x80
/* A signal the daemon named but this table does not know. */
#define SIG_UNKNOWN 0x7f

/* Linux numbers, which the daemon's signal names come from; the names are POSIX's. */
static const char *const SIGNALS[] = {
    [1] = "SIGHUP",    [2] = "SIGINT",   [3] = "SIGQUIT",   [4] = "SIGILL",    [5] = "SIGTRAP",   [6] = "SIGABRT",
    [7] = "SIGBUS",    [8] = "SIGFPE",   [9] = "SIGKILL",   [10] = "SIGUSR1",  [11] = "SIGSEGV",  [12] = "SIGUSR2",
    [13] = "SIGPIPE",  [14] = "SIGALRM", [15] = "SIGTERM",  [16] = "SIGSTKFLT", [17] = "SIGCHLD", [18] = "SIGCONT",
    [19] = "SIGSTOP",  [20] = "SIGTSTP", [21] = "SIGTTIN",  [22] = "SIGTTOU",  [23] = "SIGURG",   [24] = "SIGXCPU",
    [25] = "SIGXFSZ",  [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH", [29] = "SIGPOLL", [30] = "SIGPWR",
    [31] = "SIGSYS",
};
#define N_SIGNALS (int)(sizeof SIGNALS / sizeof *SIGNALS)

static int signal_number(const char *name) {
  if (name == NULL) return SIG_UNKNOWN;
  if (strcmp(name, "SIGIO") == 0) return 29;
  if (strcmp(name, "SIGIOT") == 0) return 6;
  for (int i = 1; i < N_SIGNALS; i++)
    if (strcmp(SIGNALS[i], name) == 0 || strcmp(SIGNALS[i] + 3, name) == 0) return i;
  return SIG_UNKNOWN;
}

static bool flag(const cJSON *info, const char *key) { return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(info, key)); }

int wait_status_of(const cJSON *info) {
  if (flag(info, "wasAborted")) return ABORTED;
  if (flag(info, "hasSignaled")) {
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(info, "terminatingSignal");
    int n = signal_number(cJSON_IsString(sig) ? sig->valuestring : NULL);
    return (n & SIG_MASK) | (flag(info, "hasCoreDump") ? CORE_FLAG : 0);
  }
  if (flag(info, "hasExited")) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(info, "exitStatus");
    int c = cJSON_IsNumber(code) ? code->valueint : 0;
    return (c & 0xff) << 8;
  }
  /* Ended, yet neither exited nor signalled: it never completed a run, which is what aborted means. */
  return ABORTED;
}

static bool aborted(int stat) { return (stat & ABORTED) != 0; }

int drmaa_wifaborted(int *out, int stat, char *error_diagnosis, size_t error_diag_len) {
  if (out == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "aborted is NULL");
  *out = aborted(stat) ? 1 : 0;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wifexited(int *out, int stat, char *error_diagnosis, size_t error_diag_len) {
  if (out == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "exited is NULL");
  *out = !aborted(stat) && (stat & SIG_MASK) == 0 ? 1 : 0;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wexitstatus(int *out, int stat, char *error_diagnosis, size_t error_diag_len) {
  if (out == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "exit_status is NULL");
  *out = (stat >> 8) & 0xff;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wifsignaled(int *out, int stat, char *error_diagnosis, size_t error_diag_len) {
  if (out == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "signaled is NULL");
  *out = !aborted(stat) && (stat & SIG_MASK) != 0 ? 1 : 0;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wcoredump(int *out, int stat, char *error_diagnosis, size_t error_diag_len) {
  if (out == NULL) return diag(error_diagnosis, error_diag_len, DRMAA_ERRNO_INVALID_ARGUMENT, "core_dumped is NULL");
  *out = !aborted(stat) && (stat & SIG_MASK) != 0 && (stat & CORE_FLAG) != 0 ? 1 : 0;
  return DRMAA_ERRNO_SUCCESS;
}

int drmaa_wtermsig(char *signal, size_t signal_len, int stat, char *error_diagnosis, size_t error_diag_len) {
  (void)error_diagnosis, (void)error_diag_len;
  int n = aborted(stat) ? 0 : stat & SIG_MASK;
  if (n == 0) {
    copy_out(signal, signal_len, "");
  } else if (n < N_SIGNALS && SIGNALS[n]) {
    copy_out(signal, signal_len, SIGNALS[n]);
  } else {
    /* Not a POSIX signal: the standard lets any string stand for it. */
    char name[16];
    snprintf(name, sizeof name, n == SIG_UNKNOWN ? "SIGUNKNOWN" : "SIG%d", n);
    copy_out(signal, signal_len, name);
  }
  return DRMAA_ERRNO_SUCCESS;
}
