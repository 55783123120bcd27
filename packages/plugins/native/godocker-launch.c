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
 *       Fills TASKS_FOLDER/KEY.staging-RANDOM (job.sh, env, spec.json, all 0700/0600 and the
 *       daemon's user's, job.sh the job's), renames it to KEY without replacing anything (the
 *       claim on the key), opens LOGDIR/stdout and LOGDIR/stderr without following links,
 *       and starts `MONITOR TASKS_FOLDER/KEY ARG...` in a session of its own, with those
 *       files as output, /dev/null as input, / as its folder, PATH as its only environment
 *       and no other descriptor. UID and GID are empty when the daemon is not root.
 *       Answers: started ID PID PIDERROR | exists ID | failed ID STAGE ERRNO PATH MESSAGE
 *       (STAGE: claim, nothing was created; logs, the folder is in place and no monitor runs;
 *       spawn, the same; PIDERROR: empty, or the errno of the pid file, which the monitor
 *       writes as well).
 *
 *   remove ID KEY
 *       Removes TASKS_FOLDER/KEY and the files in it (a folder already gone is fine).
 *       Answers: removed ID | failed ID remove ERRNO PATH MESSAGE (EISDIR: it holds a folder).
 *
 * A request that is not one of these, well formed, is answered `refused ID MESSAGE` (ID
 * empty when it could not be read) and changes nothing: the launcher carries on.
 *
 * News, unasked: when a monitor it started ends, `ended PID KEY STATUS ERROR JOBMTIME
 * STATUSMTIME` with the task folder's files as the monitor left them (empty when absent;
 * mtimes as SECONDS.NANOSECONDS), so the daemon learns the end without reading them.
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
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Far above a job's script and environment as the daemon accepts them. */
#define FRAME_MAX (256u * 1024 * 1024)
#define KEY_MAX 200
#define STAGING_MARK ".staging-"
#define MONITOR_PATH_ENV "PATH=/usr/local/bin:/usr/bin:/bin"
/* What the monitor writes at most; more is not a status. */
#define SMALL_FILE_MAX 8192

static const char *root_path;
static const char *monitor_path;
/*
 * The tasks folder, opened by its path for each request (and each batch of news), never
 * kept: a data folder unmounted or moved is seen as gone, as the daemon sees it.
 */
static int root_fd = -1;

static int open_root(void) {
  root_fd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return root_fd;
}

static void close_root(void) {
  if (root_fd >= 0) close(root_fd);
  root_fd = -1;
}

struct field {
  char *data;
  uint32_t len;
};

/* ---- output ------------------------------------------------------------------- */

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

/* One frame of NUL-terminated strings, `count` of them. */
static void send_frame(const char *const *values, size_t count) {
  size_t total = 0;
  for (size_t i = 0; i < count; i++) total += 4 + strlen(values[i]);
  char *frame = malloc(4 + total);
  if (frame == NULL) _exit(3);
  put32(frame, (uint32_t)total);
  char *at = frame + 4;
  for (size_t i = 0; i < count; i++) {
    size_t len = strlen(values[i]);
    put32(at, (uint32_t)len);
    memcpy(at + 4, values[i], len);
    at += 4 + len;
  }
  write_all(STDOUT_FILENO, frame, 4 + total);
  free(frame);
}

/* Returns 0, so that `return refuse(...)` ends a handler. */
static int refuse(const char *id, const char *message) {
  const char *values[] = {"refused", id, message};
  send_frame(values, 3);
  return 0;
}

static int fail(const char *id, const char *stage, int error, const char *path) {
  const char *name = strerrorname_np(error);
  const char *values[] = {"failed", id, stage, name ? name : "EIO", path, strerror(error)};
  send_frame(values, 6);
  return 0;
}

/* ---- small helpers ------------------------------------------------------------- */

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

/* A new file in `dirfd`: created here, never through a link, whole or failed. */
static int create_file(int dirfd, const char *name, const struct field *content, mode_t mode, long long uid, long long gid) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return -1;
  int rc = write_whole(fd, content->data, content->len);
  if (rc == 0 && uid >= 0 && fchown(fd, (uid_t)uid, (gid_t)gid) != 0) rc = -1;
  int saved = errno;
  if (close(fd) != 0 && rc == 0) return -1;
  errno = saved;
  return rc;
}

/*
 * Empties and removes a folder of plain files (a task or staging folder): 0, or -1 with errno
 * (EISDIR when it holds a folder, which no task folder does). A folder already gone is removed.
 */
static int remove_folder(int parent, const char *name) {
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  DIR *dir = fdopendir(fd);
  if (dir == NULL) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  int rc = 0, saved = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    if (unlinkat(fd, entry->d_name, 0) != 0 && errno != ENOENT && rc == 0) {
      rc = -1;
      saved = errno;
    }
  }
  closedir(dir);
  if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) != 0 && errno != ENOENT) return -1;
  errno = saved;
  return rc;
}

/* mkdir -p, every missing folder 0777 less the umask, as the daemon's own did. */
static int make_folders(char *path) {
  struct stat sb;
  if (stat(path, &sb) == 0) return S_ISDIR(sb.st_mode) ? 0 : (errno = ENOTDIR, -1);
  for (char *p = path + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    int rc = mkdir(path, 0777);
    int saved = errno;
    *p = '/';
    if (rc != 0 && saved != EEXIST) {
      errno = saved;
      return -1;
    }
  }
  if (mkdir(path, 0777) != 0 && errno != EEXIST) return -1;
  return 0;
}

static int open_log(const char *dir, const char *name, char *path, size_t size) {
  snprintf(path, size, "%s/%s", dir, name);
  return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
}

/* Written aside, then renamed over: readers never see half of it. */
static int write_atomic(int dirfd, const char *name, const char *text) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".%s.launch.%d.tmp", name, (int)getpid());
  struct field content = {(char *)text, (uint32_t)strlen(text)};
  if (create_file(dirfd, tmp, &content, 0600, -1, -1) != 0) {
    int saved = errno;
    unlinkat(dirfd, tmp, 0);
    errno = saved;
    return -1;
  }
  if (renameat(dirfd, tmp, dirfd, name) != 0) {
    int saved = errno;
    unlinkat(dirfd, tmp, 0);
    errno = saved;
    return -1;
  }
  return 0;
}

/* ---- the monitors started, for the news of their end ---------------------------- */

struct monitor {
  pid_t pid;
  char key[KEY_MAX + 1];
};

static struct monitor *monitors;
static size_t monitor_count, monitor_room;

static void remember(pid_t pid, const char *key) {
  if (monitor_count == monitor_room) {
    size_t room = monitor_room ? monitor_room * 2 : 64;
    struct monitor *grown = realloc(monitors, room * sizeof *grown);
    /* Without room the end is still found by the daemon's own checks of the folder. */
    if (grown == NULL) return;
    monitors = grown;
    monitor_room = room;
  }
  monitors[monitor_count].pid = pid;
  snprintf(monitors[monitor_count].key, sizeof monitors[monitor_count].key, "%s", key);
  monitor_count++;
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
  out[done] = '\0';
  /* A NUL inside would cut the field short: such a file is no status anyway. */
}

static void mtime_of(int dirfd, const char *name, char *out, size_t size) {
  struct stat sb;
  if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
    out[0] = '\0';
    return;
  }
  snprintf(out, size, "%lld.%09ld", (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec);
}

static void report_end(const struct monitor *m) {
  static char status[SMALL_FILE_MAX], error[SMALL_FILE_MAX];
  char pid[24], job_mtime[48], status_mtime[48];
  snprintf(pid, sizeof pid, "%d", (int)m->pid);
  status[0] = error[0] = job_mtime[0] = status_mtime[0] = '\0';
  int dirfd = openat(root_fd, m->key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd >= 0) {
    read_small(dirfd, "status", status, sizeof status);
    read_small(dirfd, "error", error, sizeof error);
    mtime_of(dirfd, "job", job_mtime, sizeof job_mtime);
    mtime_of(dirfd, "status", status_mtime, sizeof status_mtime);
    close(dirfd);
  }
  const char *values[] = {"ended", pid, m->key, status, error, job_mtime, status_mtime};
  send_frame(values, 7);
}

static void reap(void) {
  bool opened = false;
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    /* Unopened, the news carries no files: the daemon then reads the folder itself. */
    if (!opened) {
      open_root();
      opened = true;
    }
    for (size_t i = 0; i < monitor_count; i++) {
      if (monitors[i].pid != pid) continue;
      struct monitor ended = monitors[i];
      monitors[i] = monitors[--monitor_count];
      report_end(&ended);
      break;
    }
  }
  close_root();
}

/* ---- start ----------------------------------------------------------------------- */

/* In the monitor's process, before its exec: a fresh session, the logs as output, nothing else inherited. */
static void become_monitor(int out, int err, int report, char **argv) {
  setsid();
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(err, STDERR_FILENO) < 0) goto failed;
  /* What the launcher itself blocks or ignores is not the monitor's business. */
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  if (chdir("/") != 0) goto failed;
  /* Every other descriptor closes on exec; the report pipe so tells of a successful exec. */
  if (syscall(SYS_close_range, 3u, ~0u, 4u /* CLOSE_RANGE_CLOEXEC */) != 0) {
    for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  char *env[] = {MONITOR_PATH_ENV, NULL};
  execve(monitor_path, argv, env);
failed: {
  int error = errno;
  ssize_t ignored = write(report, &error, sizeof error);
  (void)ignored;
  _exit(127);
}
}

/* The monitor's pid, or -1 with errno set when it could not be started. */
static pid_t start_monitor(int out, int err, char **argv) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) {
    int saved = errno;
    close(pipefd[0]);
    close(pipefd[1]);
    errno = saved;
    return -1;
  }
  if (pid == 0) {
    close(pipefd[0]);
    become_monitor(out, err, pipefd[1], argv);
  }
  close(pipefd[1]);
  int error = 0;
  ssize_t got;
  do got = read(pipefd[0], &error, sizeof error);
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);
  if (got == (ssize_t)sizeof error) {
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    errno = error;
    return -1;
  }
  return pid;
}

enum { F_OP, F_ID, F_KEY, F_UID, F_GID, F_LOGDIR, F_SCRIPT, F_ENV, F_SPEC, F_ARGS };

static int start(struct field *f, size_t count) {
  const char *id = f[F_ID].data;
  if (count < F_ARGS) return refuse(id, "start: too few fields");
  const char *key = f[F_KEY].data, *logdir = f[F_LOGDIR].data;
  if (!valid_key(key, f[F_KEY].len)) return refuse(id, "start: the key is not a plain folder name");
  long long uid = decimal(f[F_UID].data, (long long)UINT32_MAX - 1), gid = decimal(f[F_GID].data, (long long)UINT32_MAX - 1);
  if (uid < -1 || gid < -1 || (uid < 0) != (gid < 0)) return refuse(id, "start: uid and gid are both numbers or both empty");
  if (logdir[0] != '/' || f[F_LOGDIR].len >= PATH_MAX - 16)
    return refuse(id, "start: the log folder is not an absolute path");

  char dir[PATH_MAX], staging[KEY_MAX + 32];
  if (snprintf(dir, sizeof dir, "%s/%s", root_path, key) >= (int)sizeof dir) return refuse(id, "start: the task folder's path is too long");
  unsigned char random[4] = {0};
  if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random) return fail(id, "claim", errno, root_path);
  snprintf(staging, sizeof staging, "%s%s%02x%02x%02x%02x", key, STAGING_MARK, random[0], random[1], random[2], random[3]);
  char staging_path[PATH_MAX];
  snprintf(staging_path, sizeof staging_path, "%s/%s", root_path, staging);

  /* The claim: a staging folder filled, then renamed to the key; never a half-filled task. */
  if (mkdirat(root_fd, staging, 0700) != 0) return fail(id, "claim", errno, staging_path);
  int task = openat(root_fd, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (task < 0) {
    int saved = errno;
    remove_folder(root_fd, staging);
    return fail(id, "claim", saved, staging_path);
  }
  /* The script is the job's own, so its process may read (and, for a #! script, execute) it. */
  if (create_file(task, "job.sh", &f[F_SCRIPT], 0500, uid, gid) != 0 || create_file(task, "env", &f[F_ENV], 0600, -1, -1) != 0 ||
      create_file(task, "spec.json", &f[F_SPEC], 0600, -1, -1) != 0) {
    int saved = errno;
    close(task);
    remove_folder(root_fd, staging);
    return fail(id, "claim", saved, staging_path);
  }
  if (renameat2(root_fd, staging, root_fd, key, RENAME_NOREPLACE) != 0) {
    int saved = errno;
    close(task);
    remove_folder(root_fd, staging);
    if (saved == EEXIST || saved == ENOTEMPTY) {
      const char *values[] = {"exists", id};
      send_frame(values, 2);
      return 0;
    }
    return fail(id, "claim", saved, dir);
  }

  char logs[PATH_MAX], out_path[PATH_MAX], err_path[PATH_MAX];
  snprintf(logs, sizeof logs, "%s", logdir);
  int out = -1, err = -1;
  if (make_folders(logs) != 0) {
    int saved = errno;
    close(task);
    return fail(id, "logs", saved, logdir);
  }
  out = open_log(logdir, "stdout", out_path, sizeof out_path);
  int saved = errno;
  if (out >= 0) {
    err = open_log(logdir, "stderr", err_path, sizeof err_path);
    saved = errno;
  }
  if (out < 0 || err < 0) {
    if (out >= 0) close(out);
    close(task);
    return fail(id, "logs", saved, out < 0 ? out_path : err_path);
  }

  size_t argc = count - F_ARGS;
  char **argv = calloc(argc + 3, sizeof *argv);
  if (argv == NULL) {
    close(out);
    close(err);
    close(task);
    return fail(id, "spawn", ENOMEM, monitor_path);
  }
  argv[0] = (char *)monitor_path;
  argv[1] = dir;
  for (size_t i = 0; i < argc; i++) argv[2 + i] = f[F_ARGS + i].data;
  pid_t pid = start_monitor(out, err, argv);
  saved = errno;
  free(argv);
  close(out);
  close(err);
  if (pid < 0) {
    close(task);
    return fail(id, "spawn", saved, monitor_path);
  }
  remember(pid, key);

  /* The monitor writes it too, and keeps trying while the folder is read-only. */
  char text[24], pid_text[24];
  snprintf(text, sizeof text, "%d\n", (int)pid);
  snprintf(pid_text, sizeof pid_text, "%d", (int)pid);
  const char *pid_error = "";
  if (write_atomic(task, "pid", text) != 0) {
    const char *name = strerrorname_np(errno);
    pid_error = name ? name : "EIO";
  }
  close(task);
  const char *values[] = {"started", id, pid_text, pid_error};
  send_frame(values, 4);
  return 0;
}

/* remove ID KEY: the task folder and everything in it, once its task has ended. */
static int remove_task(struct field *f, size_t count) {
  const char *id = f[F_ID].data, *key = count == 3 ? f[F_KEY].data : "";
  if (count != 3 || !valid_key(key, f[F_KEY].len)) return refuse(id, "remove: one field, a key that is a plain folder name");
  if (remove_folder(root_fd, key) != 0) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", root_path, key);
    return fail(id, "remove", errno, dir);
  }
  const char *values[] = {"removed", id};
  send_frame(values, 2);
  return 0;
}

/* ---- requests ------------------------------------------------------------------- */

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
  else if (strcmp(fields[F_OP].data, "start") == 0) {
    if (open_root() < 0) fail(id, "claim", errno, root_path);
    else start(fields, (size_t)count);
  } else if (strcmp(fields[F_OP].data, "remove") == 0) {
    if (open_root() < 0) fail(id, "remove", errno, root_path);
    else remove_task(fields, (size_t)count);
  } else refuse(id, "unknown operation");
  close_root();
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
    /* Between two requests, the ends that came in meanwhile. */
    reap();
  }
  memmove(inbox, inbox + at, inbox_len - at);
  inbox_len -= at;
}

int main(int argc, char **argv) {
  if (argc != 3 || argv[1][0] != '/' || argv[2][0] != '/') {
    fprintf(stderr, "usage: godocker-launch TASKS_FOLDER MONITOR (absolute paths)\n");
    return 2;
  }
  root_path = argv[1];
  monitor_path = argv[2];
  if (open_root() < 0) {
    perror("godocker-launch: tasks folder");
    return 2;
  }
  close_root();
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
  for (;;) {
    struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("godocker-launch: poll");
      return 2;
    }
    if (fds[1].revents & POLLIN) {
      struct signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) > 0) {
      }
      reap();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return 0;
      take(chunk, (size_t)n);
    }
  }
}
