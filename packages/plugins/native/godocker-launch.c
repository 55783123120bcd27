/*
 * godocker-launch: the local executor's launcher. One per daemon, started by it once;
 * it creates task folders and starts their monitors (godocker-task), so that the daemon,
 * a large process, never forks for a job (a fork of the daemon costs milliseconds of its
 * event loop; one of this small process, a few dozen microseconds of its own).
 *
 *   godocker-launch TASKS_FOLDER MONITOR
 *
 * Requests come on stdin, answers and news go to stdout: both are pipes that only the
 * daemon holds. Every message is a frame: a 32-bit little-endian length, then that many
 * bytes of fields, each a 32-bit little-endian length and its bytes. Requests:
 *
 *   start ID KEY UID GID LOGDIR SCRIPT ENV SPEC ARG...
 *       Fills TASKS_FOLDER/KEY.staging-RANDOM (env, spec.json, 0700/0600 and the daemon's
 *       user's; a spare folder of a collected task when there is one, else a new folder),
 *       renames it to KEY without replacing anything (the claim on the key), opens
 *       LOGDIR/stdout and LOGDIR/stderr without following links, puts SCRIPT in a sealed
 *       memfd (0500, the job's user's), and becomes `MONITOR TASKS_FOLDER/KEY ARG...` in a
 *       session of its own, with those files as output, the script as descriptor 3,
 *       /dev/null as input, / as its folder, PATH as its only environment and no other
 *       descriptor. UID and GID are empty when the daemon is not root.
 *       Answers: started ID PID | exists ID | failed ID STAGE ERRNO PATH MESSAGE
 *       (STAGE: claim, nothing was made; logs or spawn, the folder is in place and no
 *       monitor runs). When it answers `started`, the monitor's pid is in the folder's `pid`.
 *
 *   remove ID KEY
 *       Takes TASKS_FOLDER/KEY away (renamed, so it is no task any more) and answers. When this
 *       launcher reaped the key's monitor, the folder is kept as a spare (.spare-RANDOM, at
 *       most SPARE_MAX) for a later start; otherwise it is deleted in a process of its own. A
 *       folder already gone is fine.
 *       Answers: removed ID | failed ID remove ERRNO PATH MESSAGE
 *
 * Each start is carried out by a process of its own, forked from this small one, which
 * becomes the monitor: starts proceed side by side while the file system is slow, and the
 * launcher itself only reads requests, writes answers and reaps.
 *
 * A request that is not one of these, well formed, is answered `refused ID MESSAGE` (ID
 * empty when it could not be read) and changes nothing: the launcher carries on.
 *
 * News, unasked: when a monitor it started ends, `ended PID KEY STATUS ERROR JOBMTIME
 * STATUSMTIME` with the task folder's files as the monitor left them (empty when absent;
 * ERROR only for a start failure; mtimes as SECONDS.NANOSECONDS), so the daemon learns the
 * end without reading them.
 *
 * It exits when stdin ends (the daemon is gone or closed it); the monitors run on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Far above a job's script and environment as the daemon accepts them. */
#define FRAME_MAX (256u * 1024 * 1024)
#define KEY_MAX 200
#define STAGING_MARK ".staging-"
/*
 * A collected task's folder kept for a later start. Reused, no inode of a task folder is
 * freed or allocated per job: on ext4 without a journal every allocation scans past the
 * inodes freed in the last minutes, so a few thousand freed a second make each new file
 * cost tens of microseconds of the kernel's time, growing with the rate.
 */
#define SPARE_MARK ".spare-"
#define SPARE_MAX 256
/* Keys whose monitor this launcher has reaped, newest last: their folders may be reused. */
#define REAPED_MAX 1024
/* The monitor's descriptor of the job's script (`--script-fd=3` among its arguments). */
#define SCRIPT_FD 3
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define MONITOR_PATH_ENV "PATH=/usr/local/bin:/usr/bin:/bin"
/* What the monitor writes at most; more is not a status. */
#define SMALL_FILE_MAX 8192
/* The monitor's pid, written by the start's process, renamed to `pid` once it is the monitor's (by the launcher or the monitor, whichever comes first). */
#define PID_ASIDE ".pid.launch"

static const char *root_path;
static const char *monitor_path;

struct field {
  char *data;
  uint32_t len;
};

/* ---- output ----------------------------------------------------------------------- */

static void write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* The daemon is gone: nobody is left to answer. */
      _exit(0);
    }
    p += n;
    len -= (size_t)n;
  }
}

static void put32(char *at, uint32_t v) {
  at[0] = (char)(v & 0xff);
  at[1] = (char)((v >> 8) & 0xff);
  at[2] = (char)((v >> 16) & 0xff);
  at[3] = (char)((v >> 24) & 0xff);
}

static uint32_t get32(const char *at) {
  const unsigned char *u = (const unsigned char *)at;
  return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

/*
 * Frames wait here until the loop is about to sleep: the answers and news of one wake-up
 * go to the daemon in one write, which wakes its event loop once.
 */
static char *out_buf;
static size_t out_len, out_room;

static void flush_output(void) {
  if (out_len == 0) return;
  write_all(STDOUT_FILENO, out_buf, out_len);
  out_len = 0;
}

/* One frame of NUL-terminated strings, `count` of them. */
static void send_frame(const char *const *values, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += 4 + strlen(values[i]);
  if (out_len + 4 + total > out_room) {
    size_t room = (out_len + 4 + total) * 2;
    char *grown = realloc(out_buf, room);
    if (grown == NULL) _exit(3);
    out_buf = grown;
    out_room = room;
  }
  char *frame = out_buf + out_len;
  put32(frame, (uint32_t)total);
  char *at = frame + 4;
  for (size_t i = 0; i < count; i++) {
    size_t len = strlen(values[i]);
    put32(at, (uint32_t)len);
    memcpy(at + 4, values[i], len);
    at += 4 + len;
  }
  out_len += 4 + total;
}

/* Returns 0, so that `return refuse(...)` ends a handler. */
static int refuse(const char *id, const char *message) {
  const char *values[] = {"refused", id, message};
  send_frame(values, 3);
  return 0;
}

static void send_failure(const char *id, const char *stage, int error, const char *path) {
  const char *name = strerrorname_np(error);
  const char *values[] = {"failed", id, stage, name ? name : "EIO", path, strerror(error)};
  send_frame(values, 6);
}

/* ---- small helpers ------------------------------------------------------------------ */

static bool valid_key(const char *key, size_t len) {
  if (len == 0 || len > KEY_MAX) return false;
  for (size_t i = 0; i < len; i++) {
    char c = key[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return strstr(key, STAGING_MARK) == NULL;
}

/* An id or a uid: decimal digits, at most `max`; -1 when empty (allowed or not by the caller). */
static long long decimal(const char *text, long long max) {
  if (*text == '\0') return -1;
  long long v = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return -2;
    v = v * 10 + (*p - '0');
    if (v > max) return -2;
  }
  return v;
}

static int write_whole(int fd, const char *data, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    len -= (size_t)n;
  }
  return 0;
}

/*
 * A file of the daemon's in `dirfd` (a fresh folder, or a spare whose monitor has ended):
 * written here, never through a link, whole or failed. An existing one is overwritten in
 * place, its inode kept.
 */
/*
 * Written over what a reused folder left, then cut to length: never emptied first (ext4
 * writes a file truncated to zero out to disk as soon as it is closed: auto_da_alloc).
 */
static int create_file(int dirfd, const char *name, const struct field *content) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  int rc = write_whole(fd, content->data, content->len);
  if (rc == 0 && ftruncate(fd, (off_t)content->len) != 0) rc = -1;
  int saved = errno;
  if (close(fd) != 0 && rc == 0) return -1;
  errno = saved;
  return rc;
}

/* Empties and removes a folder of plain files (a task or staging folder); a folder inside stays. */
static void remove_folder(int parent, const char *name) {
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    close(fd);
    return;
  }
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL)
    if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) unlinkat(fd, entry->d_name, 0);
  closedir(dir);
  unlinkat(parent, name, AT_REMOVEDIR);
}

/* mkdir -p, every missing folder 0777 less the umask, as the daemon's own did. */
static int make_folders(char *path) {
  if (mkdir(path, 0777) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  char *slash = strrchr(path, '/');
  if (slash == NULL || slash == path) return -1;
  *slash = '\0';
  int rc = make_folders(path);
  *slash = '/';
  if (rc != 0) return -1;
  return mkdir(path, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

static void random_suffix(char *out, size_t size) {
  unsigned char random[4] = {0};
  if (getrandom(random, sizeof random, GRND_NONBLOCK) != (ssize_t)sizeof random) {
    /* Unique enough without it: the pid and the time. */
    snprintf(out, size, "%08x", (unsigned)getpid() ^ (unsigned)time(NULL));
    return;
  }
  snprintf(out, size, "%02x%02x%02x%02x", random[0], random[1], random[2], random[3]);
}

/* ---- the processes carrying out requests, and the monitors -------------------------- */

/* What a request's process tells the launcher, once, through its pipe. */
enum stage { S_EXISTS, S_CLAIM, S_LOGS, S_SPAWN };
/* Which path a failure names. */
enum path { P_ROOT, P_STAGING, P_DIR, P_LOGDIR, P_STDOUT, P_STDERR, P_MONITOR };

struct report {
  int stage;
  int error;
  int path;
};

enum kind { K_START, K_MONITOR };

struct child {
  pid_t pid;
  /* The read end of its report pipe while its answer is still to come; -1 after. */
  int pipe;
  enum kind kind;
  char id[24];
  char key[KEY_MAX + 1];
  char staging[KEY_MAX + 32];
  /* A start's spare folder to reuse; empty for a new one. */
  char spare[32];
  /* For the paths of a start's failure. */
  char *logdir;
};

/* Requests being carried out: a handful. Monitors running: as many as tasks run. */
static struct child *busy, *monitors;
static size_t busy_count, busy_room, monitor_count, monitor_room;
static pid_t launcher_pid;

/* Spare folders (their names in the tasks folder), and the keys whose monitors were reaped. */
static char spares[SPARE_MAX][32];
static size_t spare_count;
static char reaped[REAPED_MAX][KEY_MAX + 1];
static size_t reaped_next;

static void forget_reaped(const char *key) {
  for (size_t i = 0; i < REAPED_MAX; i++)
    if (reaped[i][0] == key[0] && strcmp(reaped[i], key) == 0) reaped[i][0] = '\0';
}

/*
 * The folder of `key` may be reused: its monitor was started and reaped by this launcher,
 * so no process writes there any more, and no start or monitor of the key is under way.
 */
static bool reusable(const char *key) {
  for (size_t i = 0; i < busy_count; i++)
    if (strcmp(busy[i].key, key) == 0) return false;
  for (size_t i = 0; i < monitor_count; i++)
    if (strcmp(monitors[i].key, key) == 0) return false;
  for (size_t i = 0; i < REAPED_MAX; i++)
    if (reaped[i][0] == key[0] && strcmp(reaped[i], key) == 0) return true;
  return false;
}

/* Room for one more entry; false when there is none to be had. */
static bool make_room(struct child **table, size_t count, size_t *room) {
  if (count < *room) return true;
  size_t grown_room = *room ? *room * 2 : 64;
  struct child *grown = realloc(*table, grown_room * sizeof *grown);
  if (grown == NULL) return false;
  *table = grown;
  *room = grown_room;
  return true;
}

static void report_and_exit(int pipe, int stage, int error, int path) {
  struct report r = {stage, error, path};
  ssize_t ignored = write(pipe, &r, sizeof r);
  (void)ignored;
  _exit(0);
}

/* In the process that becomes the monitor: a fresh session, the logs as output, nothing else inherited. */
static void exec_monitor(int out, int err, int script, int pipe, char **argv) {
  setsid();
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0)
    report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);
  /* The script goes to SCRIPT_FD, kept open across the exec; the report pipe moves out of its way. */
  if (pipe == SCRIPT_FD) {
    int moved = fcntl(pipe, F_DUPFD_CLOEXEC, SCRIPT_FD + 1);
    if (moved < 0) report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);
    pipe = moved;
  }
  if (script == SCRIPT_FD ? fcntl(script, F_SETFD, 0) != 0 : dup2(script, SCRIPT_FD) < 0)
    report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);
  /*
   * What the launcher blocks or ignores is not the monitor's business. It ignores SIGPIPE
   * only (handlers end with the exec; an ignored signal would stay ignored).
   */
  signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (chdir("/") != 0) report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);
  /* Every other descriptor closes on exec; so does the report pipe, which so tells of the exec. */
  if (syscall(SYS_close_range, SCRIPT_FD + 1u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0)
    for (int fd = SCRIPT_FD + 1; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  char *env[] = {MONITOR_PATH_ENV, NULL};
  execve(monitor_path, argv, env);
  report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);
}

enum { F_OP, F_ID, F_KEY, F_UID, F_GID, F_LOGDIR, F_SCRIPT, F_ENV, F_SPEC, F_ARGS };

/*
 * The job's script as a sealed memfd: no file of the task folder, so a job's process that
 * outlived its group never holds a descriptor to what a later job of the same folder reads,
 * and nothing can change the script under the job. The job's own (0500), as job.sh was.
 */
static int script_memfd(const struct field *content, long long uid, long long gid) {
  unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
  int fd = memfd_create("job.sh", flags | MFD_EXEC);
  /* Kernels before 6.3 know no MFD_EXEC; their memfds are executable anyway. */
  if (fd < 0 && errno == EINVAL) fd = memfd_create("job.sh", flags);
  if (fd < 0) return -1;
  if (write_whole(fd, content->data, content->len) != 0 || (uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) ||
      fchmod(fd, 0500) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

/*
 * A spare folder made ready to be filled: what its last task's monitor wrote goes back to
 * the names the next monitor writes through (inodes kept), the rest is removed (rare).
 */
static int reset_spare(int task) {
  static const char *const kept[][2] = {{"status", ".status.tmp"}, {"job", ".job.tmp"}, {"pid", PID_ASIDE}};
  static const char *const dropped[] = {"error", "paused", "job.sh"};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
    if (renameat(task, kept[i][0], task, kept[i][1]) != 0 && errno != ENOENT) return -1;
  for (size_t i = 0; i < sizeof dropped / sizeof *dropped; i++)
    if (unlinkat(task, dropped[i], 0) != 0 && errno != ENOENT) return -1;
  return 0;
}

/* The staging folder, open: a spare taken over when the launcher gave one, else a new folder. */
static int staging_folder(int root, const struct child *c) {
  if (c->spare[0] != '\0' && renameat2(root, c->spare, root, c->staging, RENAME_NOREPLACE) == 0) {
    int task = openat(root, c->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (task >= 0 && reset_spare(task) == 0) return task;
    if (task >= 0) close(task);
    remove_folder(root, c->staging);
  }
  if (mkdirat(root, c->staging, 0700) != 0) return -1;
  return openat(root, c->staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* The start's own process: the claim, the logs, then the monitor. Never returns. */
static void start_task(const struct child *c, struct field *f, size_t count, long long uid, long long gid, int pipe) {
  int root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) report_and_exit(pipe, S_CLAIM, errno, P_ROOT);
  /* The claim: a staging folder filled, then renamed to the key; never a half-filled task. */
  int task = staging_folder(root, c);
  if (task < 0) report_and_exit(pipe, S_CLAIM, errno, P_STAGING);
  if (create_file(task, "env", &f[F_ENV]) != 0 || create_file(task, "spec.json", &f[F_SPEC]) != 0) {
    int saved = errno;
    remove_folder(root, c->staging);
    report_and_exit(pipe, S_CLAIM, saved, P_STAGING);
  }
  if (renameat2(root, c->staging, root, c->key, RENAME_NOREPLACE) != 0) {
    int saved = errno;
    remove_folder(root, c->staging);
    if (saved == EEXIST || saved == ENOTEMPTY) report_and_exit(pipe, S_EXISTS, 0, P_DIR);
    report_and_exit(pipe, S_CLAIM, saved, P_DIR);
  }
  /*
   * Claimed: a start again finds the folder and waits for this one's monitor, so it goes on
   * without the launcher (and the monitor outlives it: the signal would last past the exec).
   */
  prctl(PR_SET_PDEATHSIG, 0);

  char logs[PATH_MAX], path[PATH_MAX];
  snprintf(logs, sizeof logs, "%s", c->logdir);
  if (make_folders(logs) != 0) report_and_exit(pipe, S_LOGS, errno, P_LOGDIR);
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
  snprintf(path, sizeof path, "%s/stdout", c->logdir);
  int out = open(path, flags, 0640);
  if (out < 0) report_and_exit(pipe, S_LOGS, errno, P_STDOUT);
  snprintf(path, sizeof path, "%s/stderr", c->logdir);
  int err = open(path, flags, 0640);
  if (err < 0) report_and_exit(pipe, S_LOGS, errno, P_STDERR);
  int script = script_memfd(&f[F_SCRIPT], uid, gid);
  if (script < 0) report_and_exit(pipe, S_SPAWN, errno, P_MONITOR);

  /*
   * Its pid, set aside: the launcher puts it in place once the exec has made this process
   * the monitor (before, a reader would find a pid that is not yet a monitor's).
   */
  char text[24];
  snprintf(text, sizeof text, "%d\n", (int)getpid());
  struct field pid = {text, (uint32_t)strlen(text)};
  create_file(task, PID_ASIDE, &pid);

  char dir[PATH_MAX];
  snprintf(dir, sizeof dir, "%s/%s", root_path, c->key);
  size_t argc = count - F_ARGS;
  char **argv = calloc(argc + 3, sizeof *argv);
  if (argv == NULL) report_and_exit(pipe, S_SPAWN, ENOMEM, P_MONITOR);
  argv[0] = (char *)monitor_path;
  argv[1] = dir;
  for (size_t i = 0; i < argc; i++) argv[2 + i] = f[F_ARGS + i].data;
  exec_monitor(out, err, script, pipe, argv);
}

/* Forks the process of a start; false (errno set) when it could not be. */
static bool fork_request(struct child *c, struct field *f, size_t count, long long uid, long long gid) {
  /* Room first: once forked, its answer must be awaited. */
  if (!make_room(&busy, busy_count, &busy_room)) {
    errno = ENOMEM;
    return false;
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return false;
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    errno = saved;
    return false;
  }
  if (pid == 0) {
    /*
     * Dies with the launcher until its claim: the daemon takes a launcher's death as "not
     * started" and may start the job again, so no start of a dead launcher may claim its
     * key later. (A start past its claim is found by its folder.)
     */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != launcher_pid) _exit(0);
    close(pipefd[0]);
    start_task(c, f, count, uid, gid, pipefd[1]);
  }
  close(pipefd[1]);
  c->pid = pid;
  c->pipe = pipefd[0];
  busy[busy_count++] = *c;
  return true;
}

static void path_of(const struct child *c, int which, char *out, size_t size) {
  switch (which) {
  case P_STAGING:
    snprintf(out, size, "%s/%s", root_path, c->staging);
    break;
  case P_DIR:
    snprintf(out, size, "%s/%s", root_path, c->key);
    break;
  case P_LOGDIR:
    snprintf(out, size, "%s", c->logdir);
    break;
  case P_STDOUT:
  case P_STDERR:
    snprintf(out, size, "%s/%s", c->logdir, which == P_STDOUT ? "stdout" : "stderr");
    break;
  case P_MONITOR:
    snprintf(out, size, "%s", monitor_path);
    break;
  default:
    snprintf(out, size, "%s", root_path);
  }
}

static const char *const STAGE_NAMES[] = {"exists", "claim", "logs", "spawn"};

/* A request's process has answered (or ended): the answer goes to the daemon. */
static void answer(struct child *c) {
  struct report r;
  ssize_t got;
  do got = read(c->pipe, &r, sizeof r);
  while (got < 0 && errno == EINTR);
  close(c->pipe);
  c->pipe = -1;
  if (got == 0 && c->kind == K_START) {
    /* Closed on exec: the monitor runs. Its pid is recorded; it writes it too, and keeps trying. */
    char aside[PATH_MAX + KEY_MAX], recorded[PATH_MAX + KEY_MAX];
    snprintf(aside, sizeof aside, "%s/%s/%s", root_path, c->key, PID_ASIDE);
    snprintf(recorded, sizeof recorded, "%s/%s/pid", root_path, c->key);
    rename(aside, recorded);
    char pid[24];
    snprintf(pid, sizeof pid, "%d", (int)c->pid);
    const char *values[] = {"started", c->id, pid};
    send_frame(values, 3);
    c->kind = K_MONITOR;
    return;
  }
  if (got != (ssize_t)sizeof r || r.stage < S_EXISTS || r.stage > S_SPAWN) {
    /* It died before it could tell: whatever it did, it did not finish. */
    r = (struct report){S_SPAWN, ECHILD, P_MONITOR};
  }
  if (r.stage == S_EXISTS) {
    const char *values[] = {"exists", c->id};
    send_frame(values, 2);
    return;
  }
  char path[PATH_MAX + KEY_MAX];
  path_of(c, r.path, path, sizeof path);
  send_failure(c->id, STAGE_NAMES[r.stage], r.error, path);
}

static void read_small(int dirfd, const char *name, char *out, size_t size) {
  out[0] = '\0';
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return;
  size_t done = 0;
  while (done < size - 1) {
    ssize_t n = read(fd, out + done, size - 1 - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  close(fd);
  /* A NUL inside would cut the field short: such a file is no status anyway. */
  out[done] = '\0';
}

static void mtime_of(int dirfd, const char *name, char *out, size_t size) {
  struct stat sb;
  if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
    out[0] = '\0';
    return;
  }
  snprintf(out, size, "%lld.%09ld", (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
}

/* The folder is opened by its path, never kept open: a data folder unmounted is seen as gone. */
static void report_end(const struct child *m) {
  static char status[SMALL_FILE_MAX], error[SMALL_FILE_MAX];
  snprintf(reaped[reaped_next], sizeof reaped[reaped_next], "%s", m->key);
  reaped_next = (reaped_next + 1) % REAPED_MAX;
  char pid[24], job_mtime[48], status_mtime[48], dir[PATH_MAX + KEY_MAX];
  snprintf(pid, sizeof pid, "%d", (int)m->pid);
  snprintf(dir, sizeof dir, "%s/%s", root_path, m->key);
  status[0] = error[0] = job_mtime[0] = status_mtime[0] = '\0';
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd >= 0) {
    read_small(dirfd, "status", status, sizeof status);
    /* Only a start failure has its reason there. */
    if (strncmp(status, "failed", 6) == 0) read_small(dirfd, "error", error, sizeof error);
    mtime_of(dirfd, "job", job_mtime, sizeof job_mtime);
    mtime_of(dirfd, "status", status_mtime, sizeof status_mtime);
    close(dirfd);
  }
  const char *values[] = {"ended", pid, m->key, status, error, job_mtime, status_mtime};
  send_frame(values, 7);
}

static void forget_busy(size_t i) {
  free(busy[i].logdir);
  busy[i] = busy[--busy_count];
}

static void reap(void) {
  for (;;) {
    pid_t pid = waitpid(-1, NULL, WNOHANG);
    if (pid <= 0) return;
    bool found = false;
    for (size_t i = 0; i < busy_count && !found; i++) {
      if (busy[i].pid != pid) continue;
      found = true;
      /* Its answer first: a monitor that ended at once was started before its end is told. */
      if (busy[i].pipe >= 0) answer(&busy[i]);
      struct child c = busy[i];
      forget_busy(i);
      if (c.kind == K_MONITOR) report_end(&c);
    }
    for (size_t i = 0; i < monitor_count && !found; i++) {
      if (monitors[i].pid != pid) continue;
      found = true;
      struct child ended = monitors[i];
      monitors[i] = monitors[--monitor_count];
      report_end(&ended);
    }
  }
}

/* Answers that came in; a start's process that became a monitor moves to the monitors. */
static void answers(const struct pollfd *fds, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    for (size_t i = 0; i < busy_count; i++) {
      if (busy[i].pipe != fds[k].fd) continue;
      answer(&busy[i]);
      /* A process that answered otherwise is forgotten once reaped. */
      if (busy[i].kind == K_MONITOR) {
        struct child m = busy[i];
        m.logdir = NULL;
        /* Without room its end is still found by the daemon's own checks of the folder. */
        if (make_room(&monitors, monitor_count, &monitor_room)) monitors[monitor_count++] = m;
        forget_busy(i);
      }
      break;
    }
  }
}

/* ---- requests ----------------------------------------------------------------------- */

static int start(struct field *f, size_t count) {
  const char *id = f[F_ID].data;
  if (count < F_ARGS) return refuse(id, "start: too few fields");
  const char *key = f[F_KEY].data, *logdir = f[F_LOGDIR].data;
  if (!valid_key(key, f[F_KEY].len)) return refuse(id, "start: the key is not a plain folder name");
  long long uid = decimal(f[F_UID].data, (long long)UINT32_MAX - 1), gid = decimal(f[F_GID].data, (long long)UINT32_MAX - 1);
  if (uid < -1 || gid < -1 || (uid < 0) != (gid < 0)) return refuse(id, "start: uid and gid are both numbers or both empty");
  if (logdir[0] != '/' || f[F_LOGDIR].len >= PATH_MAX - 16) return refuse(id, "start: the log folder is not an absolute path");
  if (strlen(root_path) + f[F_KEY].len + 2 > PATH_MAX) return refuse(id, "start: the task folder's path is too long");
  struct child c = {.kind = K_START, .pipe = -1};
  snprintf(c.id, sizeof c.id, "%s", id);
  snprintf(c.key, sizeof c.key, "%s", key);
  char suffix[16];
  random_suffix(suffix, sizeof suffix);
  snprintf(c.staging, sizeof c.staging, "%s%s%s", key, STAGING_MARK, suffix);
  if (spare_count > 0) snprintf(c.spare, sizeof c.spare, "%s", spares[--spare_count]);
  forget_reaped(key);
  c.logdir = strdup(logdir);
  if (c.logdir == NULL || !fork_request(&c, f, count, uid, gid)) {
    int saved = errno;
    free(c.logdir);
    send_failure(id, "claim", saved, root_path);
  }
  return 0;
}

/*
 * Renamed away at once (the folder is then no task any more) and answered: kept as a spare
 * when it may be reused, else deleted by a process of its own, off the daemon's way.
 */
static int remove_request(struct field *f, size_t count) {
  const char *id = f[F_ID].data, *key = count == 3 ? f[F_KEY].data : "";
  if (count != 3 || !valid_key(key, f[F_KEY].len)) return refuse(id, "remove: one field, a key that is a plain folder name");
  char dir[PATH_MAX + KEY_MAX], trash[PATH_MAX + KEY_MAX + 48], suffix[16];
  random_suffix(suffix, sizeof suffix);
  snprintf(dir, sizeof dir, "%s/%s", root_path, key);
  if (spare_count < SPARE_MAX && reusable(key)) {
    char spare[PATH_MAX + 32];
    snprintf(spares[spare_count], sizeof spares[spare_count], "%s%s", SPARE_MARK, suffix);
    snprintf(spare, sizeof spare, "%s/%s", root_path, spares[spare_count]);
    /* Otherwise removed as any folder, which also tells a folder already gone. */
    if (renameat2(AT_FDCWD, dir, AT_FDCWD, spare, RENAME_NOREPLACE) == 0) {
      spare_count++;
      forget_reaped(key);
      const char *values[] = {"removed", id};
      send_frame(values, 2);
      return 0;
    }
  }
  snprintf(trash, sizeof trash, "%s%sremoved-%s", dir, STAGING_MARK, suffix);
  if (renameat2(AT_FDCWD, dir, AT_FDCWD, trash, RENAME_NOREPLACE) != 0) {
    int saved = errno;
    struct stat sb;
    /* No folder is removed; no tasks folder is an outage, said as such. */
    if (saved == ENOENT && stat(root_path, &sb) == 0) saved = 0;
    if (saved != 0) send_failure(id, "remove", saved, saved == ENOENT ? root_path : dir);
    else {
      const char *values[] = {"removed", id};
      send_frame(values, 2);
    }
    return 0;
  }
  const char *values[] = {"removed", id};
  send_frame(values, 2);
  /* Left as it is when this fails: a later daemon's start deletes it, as any staging folder. */
  if (fork() == 0) {
    remove_folder(AT_FDCWD, trash);
    _exit(0);
  }
  return 0;
}

/* The fields that must be text (everything but the files' contents) hold no NUL. */
static bool text_fields(const struct field *f, size_t count) {
  for (size_t i = 0; i < count; i++) {
    bool content = i == F_SCRIPT || i == F_ENV || i == F_SPEC;
    if (!content && strlen(f[i].data) != f[i].len) return false;
  }
  return true;
}

/* Splits a payload into fields; how many, or -1 when it does not split exactly. */
static long split(char *data, uint32_t len, struct field *into) {
  long count = 0;
  uint32_t at = 0;
  while (at < len) {
    if (len - at < 4) return -1;
    uint32_t n = get32(data + at);
    at += 4;
    if (n > len - at) return -1;
    if (into) into[count] = (struct field){data + at, n};
    count++;
    at += n;
  }
  return count;
}

/* One frame's payload, `len` bytes at `data`, with one spare byte after it. */
static int handle(char *data, uint32_t len) {
  long count = split(data, len, NULL);
  if (count < 0) return refuse("", "a field runs past the end of its frame");
  if (count < 2) return refuse("", "a request names an operation and an id");
  struct field *fields = calloc((size_t)count, sizeof *fields);
  if (fields == NULL) return refuse("", "out of memory");
  split(data, len, fields);
  /*
   * Each field becomes a C string: the byte after it is the next field's length, read
   * already, or the spare byte after the frame.
   */
  for (long i = 0; i < count; i++) fields[i].data[fields[i].len] = '\0';
  const char *id = fields[F_ID].data;
  if (!text_fields(fields, 2) || decimal(id, 999999999999999LL) < 0) refuse("", "the request id is not a number");
  else if (!text_fields(fields, (size_t)count)) refuse(id, "a field that must be text holds a NUL byte");
  else if (strcmp(fields[F_OP].data, "start") == 0) start(fields, (size_t)count);
  else if (strcmp(fields[F_OP].data, "remove") == 0) remove_request(fields, (size_t)count);
  else refuse(id, "unknown operation");
  free(fields);
  return 0;
}

/* Frames arrive in pieces: kept until whole, with room for one spare byte after them. */
static char *inbox;
static size_t inbox_len, inbox_room;
/* Bytes still to drop of a frame too large to take. */
static size_t discarding;

static void take(const char *chunk, size_t n) {
  size_t drop = n < discarding ? n : discarding;
  discarding -= drop;
  chunk += drop;
  n -= drop;
  if (inbox_len + n + 1 > inbox_room) {
    size_t room = inbox_room ? inbox_room : 65536;
    while (room < inbox_len + n + 1) room *= 2;
    char *grown = realloc(inbox, room);
    if (grown == NULL) _exit(3);
    inbox = grown;
    inbox_room = room;
  }
  memcpy(inbox + inbox_len, chunk, n);
  inbox_len += n;
  size_t at = 0;
  while (inbox_len - at >= 4) {
    uint32_t len = get32(inbox + at);
    size_t here = inbox_len - at - 4;
    if (len > FRAME_MAX) {
      refuse("", "a frame larger than the launcher takes");
      size_t skip = here < len ? here : len;
      discarding = len - skip;
      at += 4 + skip;
      continue;
    }
    if (here < len) break;
    char *payload = inbox + at + 4;
    char spare = payload[len];
    (void)handle(payload, len);
    payload[len] = spare;
    at += 4 + len;
  }
  memmove(inbox, inbox + at, inbox_len - at);
  inbox_len -= at;
}

/* Spares left by an earlier launcher: made only of folders whose monitors had ended. */
static void find_spares(void) {
  DIR *dir = opendir(root_path);
  if (dir == NULL) return;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL && spare_count < SPARE_MAX) {
    if (strncmp(entry->d_name, SPARE_MARK, strlen(SPARE_MARK)) != 0 || strlen(entry->d_name) >= sizeof spares[0]) continue;
    snprintf(spares[spare_count++], sizeof spares[0], "%s", entry->d_name);
  }
  closedir(dir);
}

int main(int argc, char **argv) {
  if (argc != 3 || argv[1][0] != '/' || argv[2][0] != '/') {
    fprintf(stderr, "usage: godocker-launch TASKS_FOLDER MONITOR (absolute paths)\n");
    return 2;
  }
  root_path = argv[1];
  monitor_path = argv[2];
  launcher_pid = getpid();
  find_spares();
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) {
    perror("godocker-launch: signalfd");
    return 2;
  }
  static char chunk[65536];
  struct pollfd *fds = NULL;
  size_t fds_room = 0;
  for (;;) {
    if (busy_count + 2 > fds_room) {
      fds_room = (busy_count + 2) * 2;
      fds = realloc(fds, fds_room * sizeof *fds);
      if (fds == NULL) _exit(3);
    }
    fds[0] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    fds[1] = (struct pollfd){sfd, POLLIN, 0};
    size_t n = 2;
    for (size_t i = 0; i < busy_count; i++)
      if (busy[i].pipe >= 0) fds[n++] = (struct pollfd){busy[i].pipe, POLLIN, 0};
    flush_output();
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      perror("godocker-launch: poll");
      return 2;
    }
    /* Answers before ends: a start is answered before the end of its monitor is told. */
    answers(fds + 2, n - 2);
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t got = read(STDIN_FILENO, chunk, sizeof chunk);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        flush_output();
        return 0;
      }
      take(chunk, (size_t)got);
    }
  }
}
