/*
 * godocker-task: the monitor of one local task (what conmon is to a container).
 *
 *   godocker-task DIR [--uid=N --gid=N] [--cwd=PATH --cwd-kind=workdir|home] [--script-fd=N] [--env=NAME]
 *                 [--stdin=PATH] [--stdout=PATH] [--stderr=PATH] [--join] [--out-name=N] [--err-name=N]
 *                 -- COMMAND [ARGS...]
 *
 * Started by the daemon's launcher (godocker-launch.c; root, or the daemon's own user) as a
 * process in a session of its own, with an environment of its own and the task's log files
 * as stdout and stderr. The job's environment
 * is the NUL-separated file --env in DIR, given to the job's exec only: a job's LD_PRELOAD
 * never reaches a process running as the daemon's user. It runs as the daemon's
 * user and only ever writes into DIR, the task folder, which the job cannot reach:
 *
 *   pid      its own pid (the launcher writes it too, right after the exec)
 *   job      "PID STARTTIME": the job's process (its own process group) and its start time
 *            in clock ticks since boot, so a signal never goes to a recycled pid
 *   status   how the job ended, exactly as waitpid said: "exited N", "signaled N [core]",
 *            or "failed" when it never started (then `error` says why)
 *   error    why it could not start: the path and the errno
 *
 * The job's process drops to the job's uid and gid (and no supplementary groups) before
 * it touches any path of the job's: it enters the working directory, opens the input,
 * output and error files as the job's user, then executes COMMAND. "@SCRIPT@" in the
 * command stands for the script, descriptor --script-fd (a sealed memfd from the launcher),
 * which the job inherits, so the job needs no access to the data folder.
 * A failure before the exec travels back over a close-on-exec pipe.
 *
 * When the job's process ends, whatever it left in its process group is killed (as a
 * container's processes end with it), then the status is written. When the status cannot
 * be written (the data folder read-only for a while) the monitor keeps trying: the end of
 * a job is never lost to a short fault.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a status that cannot be written is tried again: a day, once a second. */
#define STATUS_TRIES 86400
#define MESSAGE_MAX 8192
/* Far above what the daemon accepts for a job's environment. */
#define ENV_MAX_BYTES (64 * 1024 * 1024)
/* Where the launcher sets the monitor's pid aside before its exec (PID_ASIDE in godocker-launch.c). */
#define PID_ASIDE ".pid.launch"

/* The job's environment: NAME=VALUE entries, each ended by a NUL. */
static char **read_env(int dirfd, const char *name) {
  static char *empty[] = {NULL};
  if (name == NULL) return empty;
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NULL;
  struct stat sb;
  if (fstat(fd, &sb) != 0 || sb.st_size > ENV_MAX_BYTES) {
    close(fd);
    return NULL;
  }
  size_t size = (size_t)sb.st_size;
  char *text = malloc(size + 1);
  if (!text) {
    close(fd);
    return NULL;
  }
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, text + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  close(fd);
  text[done] = '\0';
  size_t count = 0;
  for (size_t i = 0; i < done; i++)
    if (text[i] == '\0') count++;
  char **env = calloc(count + 1, sizeof *env);
  if (!env) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < done && k < count; k++) {
    env[k] = text + i;
    i += strlen(text + i) + 1;
  }
  return env;
}

struct options {
  const char *dir;
  long uid, gid;
  const char *cwd;
  const char *cwd_kind;
  /* The script's descriptor; -1 when there is none. */
  int script;
  const char *env;
  const char *files[3]; /* stdin, stdout, stderr */
  bool join;
  const char *names[3]; /* file names in a folder, for stdout and stderr */
  char **command;
};

/* What failed in the job's process before its exec, sent to the monitor. */
struct failure {
  int kind;
  int error;
  /* The output or error path was a folder, and the file of its name in it failed. */
  int in_folder;
};

enum { K_UID, K_CWD, K_STDIN, K_STDOUT, K_STDERR, K_EXEC, K_NONE };

static void usage(const char *why) {
  fprintf(stderr, "godocker-task: %s\n", why);
  exit(2);
}

static const char *option(const char *arg, const char *name) {
  size_t n = strlen(name);
  return strncmp(arg, name, n) == 0 ? arg + n : NULL;
}

static long number(const char *text, const char *what) {
  char *end;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || *end != '\0' || end == text || v < 0) usage(what);
  return v;
}

static void parse(int argc, char **argv, struct options *o) {
  memset(o, 0, sizeof *o);
  o->uid = o->gid = -1;
  o->script = -1;
  if (argc < 2) usage("no task folder");
  o->dir = argv[1];
  int i = 2;
  for (; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--") == 0) break;
    if ((v = option(a, "--uid="))) o->uid = number(v, "bad --uid");
    else if ((v = option(a, "--gid="))) o->gid = number(v, "bad --gid");
    else if ((v = option(a, "--cwd="))) o->cwd = v;
    else if ((v = option(a, "--cwd-kind="))) o->cwd_kind = v;
    else if ((v = option(a, "--script-fd="))) o->script = (int)number(v, "bad --script-fd");
    else if ((v = option(a, "--env="))) o->env = v;
    else if ((v = option(a, "--stdin="))) o->files[0] = v;
    else if ((v = option(a, "--stdout="))) o->files[1] = v;
    else if ((v = option(a, "--stderr="))) o->files[2] = v;
    else if ((v = option(a, "--out-name="))) o->names[1] = v;
    else if ((v = option(a, "--err-name="))) o->names[2] = v;
    else if (strcmp(a, "--join") == 0) o->join = true;
    else usage("unknown option");
  }
  if (i >= argc - 1) usage("no command after --");
  o->command = argv + i + 1;
}

/*
 * Writes NAME in the task folder whole or not at all: aside, then renamed over. The aside
 * name is fixed, so that in a reused folder it is the last task's file, overwritten in place
 * (the launcher renames NAME back to it): no inode allocated or freed per job.
 */
static int write_file(int dirfd, const char *name, const char *text) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, ".%s.tmp", name);
  /*
   * Written over what a reused folder left, then cut to length: never emptied first. ext4
   * writes a file out to disk at once when it is closed after being truncated to zero
   * (auto_da_alloc), which would cost a disk write per file per job.
   */
  int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return -1;
  size_t len = strlen(text), done = 0;
  while (done < len) {
    ssize_t n = write(fd, text + done, len - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      close(fd);
      unlinkat(dirfd, tmp, 0);
      return -1;
    }
    done += (size_t)n;
  }
  if (ftruncate(fd, (off_t)len) != 0) {
    close(fd);
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  if (close(fd) != 0 || renameat(dirfd, tmp, dirfd, name) != 0) {
    unlinkat(dirfd, tmp, 0);
    return -1;
  }
  return 0;
}

static void write_persistently(int dirfd, const char *name, const char *text) {
  for (int i = 0; i < STATUS_TRIES; i++) {
    if (write_file(dirfd, name, text) == 0) return;
    /* The folder itself is gone (collected): nobody is left to tell. */
    if (errno == ENOENT || errno == ENOTDIR) return;
    sleep(1);
  }
}

/* NAME in the task folder holds exactly `text`. */
static bool file_holds(int dirfd, const char *name, const char *text) {
  char buf[64];
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n < 0) return false;
  buf[n] = '\0';
  return strcmp(buf, text) == 0;
}

/* Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. */
static unsigned long long start_time(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2; /* field 3, the state */
  for (int field = 3; field < 22 && p; field++) {
    p = strchr(p, ' ');
    if (p) p++;
  }
  return p ? strtoull(p, NULL, 10) : 0;
}

static int in_folder;

/* Output and error files: a folder gets the file of its name inside it, as Grid Engine does. */
static int open_output(const char *path, const char *name_in_folder) {
  in_folder = 0;
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0 || errno != EISDIR || name_in_folder == NULL) return fd;
  in_folder = 1;
  int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return -1;
  fd = openat(dir, name_in_folder, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int saved = errno;
  close(dir);
  errno = saved;
  return fd;
}

static void fail(int report, int kind) {
  struct failure f = {kind, errno, in_folder};
  ssize_t ignored = write(report, &f, sizeof f);
  (void)ignored;
  _exit(127);
}

static void move_to(int fd, int target, int report, int kind) {
  if (fd < 0) fail(report, kind);
  if (fd != target) {
    if (dup2(fd, target) < 0) fail(report, kind);
    close(fd);
  }
}

/* The job's process: drop to the user first, then every path is touched as the user. */
static void run_job(const struct options *o, int report, int script_fd, char **env) {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_DFL);

  if (geteuid() == 0 && o->uid >= 0) {
    if (setgroups(0, NULL) != 0 || setgid((gid_t)o->gid) != 0 || setuid((uid_t)o->uid) != 0) fail(report, K_UID);
    if (o->uid != 0 && setuid(0) == 0) {
      errno = EPERM;
      fail(report, K_UID);
    }
  }
  if (o->cwd && chdir(o->cwd) != 0) fail(report, K_CWD);
  if (o->files[0]) move_to(open(o->files[0], O_RDONLY | O_CLOEXEC), 0, report, K_STDIN);
  else move_to(open("/dev/null", O_RDONLY | O_CLOEXEC), 0, report, K_STDIN);
  if (o->files[1]) move_to(open_output(o->files[1], o->names[1]), 1, report, K_STDOUT);
  if (o->join) {
    if (dup2(1, 2) < 0) fail(report, K_STDERR);
  } else if (o->files[2]) {
    move_to(open_output(o->files[2], o->names[2]), 2, report, K_STDERR);
  }

  char fdpath[32] = "";
  if (script_fd >= 0) snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", script_fd);
  char **argv = o->command;
  for (char **a = argv; *a; a++)
    if (strcmp(*a, "@SCRIPT@") == 0) *a = fdpath;
  execve(argv[0], argv, env);
  fail(report, K_EXEC);
}

static char interpreter[256];

/* glibc names every errno; built on musl (a cheaper exec: no CPUID probing at start, which
 * a virtual machine traps), the ones a start can meet are named here. */
static const char *errno_name(int e) {
#ifdef __GLIBC__
  const char *name = strerrorname_np(e);
  return name ? name : "E?";
#else
  switch (e) {
#define NAME(x) case x: return #x
    NAME(EPERM); NAME(ENOENT); NAME(ESRCH); NAME(EINTR); NAME(EIO); NAME(ENXIO); NAME(E2BIG);
    NAME(ENOEXEC); NAME(EBADF); NAME(ECHILD); NAME(EAGAIN); NAME(ENOMEM); NAME(EACCES);
    NAME(EFAULT); NAME(EBUSY); NAME(EEXIST); NAME(ENOTDIR); NAME(EISDIR); NAME(EINVAL);
    NAME(ENFILE); NAME(EMFILE); NAME(ETXTBSY); NAME(EFBIG); NAME(ENOSPC); NAME(EROFS);
    NAME(EMLINK); NAME(ENAMETOOLONG); NAME(ELOOP); NAME(EDQUOT); NAME(ENOSYS); NAME(ESTALE);
#undef NAME
  default: return "E?";
  }
#endif
}

static void describe(const struct options *o, struct failure f, char *out, size_t len) {
  const char *reason = strerror(f.error), *name = errno_name(f.error);
  bool missing = f.error == ENOENT;
  switch (f.kind) {
  case K_UID:
    snprintf(out, len, "cannot run as uid %ld gid %ld: %s (%s)", o->uid, o->gid, reason, name);
    break;
  case K_CWD: {
    const char *what = o->cwd_kind && strcmp(o->cwd_kind, "home") == 0 ? "home" : "working directory";
    if (missing) snprintf(out, len, "%s %s does not exist", what, o->cwd);
    else snprintf(out, len, "cannot enter %s %s: %s (%s)", what, o->cwd, reason, name);
    break;
  }
  case K_STDIN:
    snprintf(out, len, "cannot open input file %s: %s (%s)", o->files[0] ? o->files[0] : "/dev/null", reason, name);
    break;
  case K_STDOUT:
  case K_STDERR: {
    int i = f.kind == K_STDOUT ? 1 : 2;
    const char *what = i == 1 ? "output" : "error";
    const char *file = o->files[i] ? o->files[i] : "(the output file)";
    if (f.in_folder) snprintf(out, len, "cannot open %s file %s/%s: %s (%s)", what, file, o->names[i], reason, name);
    else snprintf(out, len, "cannot open %s file %s: %s (%s)", what, file, reason, name);
    break;
  }
  default:
    if (interpreter[0] != '\0')
      snprintf(out, len, "cannot run the job's script with %s: %s (%s)", interpreter, reason, name);
    else snprintf(out, len, "cannot run %s: %s (%s)", o->script >= 0 ? "the job's script" : o->command[0], reason, name);
  }
}

/* The interpreter a #! line names, for the message when it cannot be run; "" when there is none. */
static void read_interpreter(int script_fd) {
  char line[sizeof interpreter + 2];
  ssize_t n = pread(script_fd, line, sizeof line - 1, 0);
  if (n < 3 || line[0] != '#' || line[1] != '!') return;
  line[n] = '\0';
  char *start = line + 2;
  while (*start == ' ' || *start == '\t') start++;
  size_t end = strcspn(start, " \t\n");
  if (end == 0 || end >= sizeof interpreter) return;
  memcpy(interpreter, start, end);
  interpreter[end] = '\0';
}

int main(int argc, char **argv) {
  struct options o;
  parse(argc, argv, &o);
  int dirfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0) {
    perror("godocker-task: task folder");
    return 2;
  }
  /* The job's group gets the daemon's signals; the monitor lives on to record the end. */
  int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU};
  for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) signal(sigs[i], SIG_IGN);

  char **env = read_env(dirfd, o.env);
  if (env == NULL) {
    char message[MESSAGE_MAX];
    snprintf(message, sizeof message, "cannot read the job's environment: %s (%s)", strerror(errno), errno_name(errno));
    write_persistently(dirfd, "error", message);
    write_persistently(dirfd, "status", "failed\n");
    return 0;
  }
  int script_fd = o.script;
  if (script_fd >= 0) {
    struct stat sb;
    int bad = fstat(script_fd, &sb) != 0 ? errno : S_ISREG(sb.st_mode) ? 0 : EBADF;
    if (bad != 0) {
      errno = bad;
      char message[MESSAGE_MAX];
      snprintf(message, sizeof message, "cannot open the job's script: %s (%s)", strerror(errno), errno_name(errno));
      write_persistently(dirfd, "error", message);
      write_persistently(dirfd, "status", "failed\n");
      return 0;
    }
    read_interpreter(script_fd);
  }
  /*
   * The launcher set this process's pid aside in PID_ASIDE before the exec and moves it in
   * place after; whichever of the two moves it first, it is recorded. When neither can (the
   * folder turned read-only in between, the launcher killed), this write, retried, still tells
   * every later reader where the task is. It comes before the job's fork: a folder without a
   * pid never ran a job.
   */
  char text[MESSAGE_MAX];
  snprintf(text, sizeof text, "%d\n", (int)getpid());
  if (renameat(dirfd, PID_ASIDE, dirfd, "pid") != 0 && !file_holds(dirfd, "pid", text)) write_persistently(dirfd, "pid", text);

  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    perror("godocker-task: pipe");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("godocker-task: fork");
    return 2;
  }
  if (child == 0) {
    close(pipefd[0]);
    close(dirfd);
    run_job(&o, pipefd[1], script_fd, env);
  }
  close(pipefd[1]);
  if (script_fd >= 0) close(script_fd);
  /* Also set here: a signal from the daemon may come before the child's own setpgid. */
  setpgid(child, child);

  snprintf(text, sizeof text, "%d %llu\n", (int)child, start_time(child));
  write_persistently(dirfd, "job", text);

  struct failure f = {K_NONE, 0, 0};
  ssize_t got;
  do got = read(pipefd[0], &f, sizeof f);
  while (got < 0 && errno == EINTR);
  close(pipefd[0]);

  /*
   * Whatever the job left running in its group ends with it, as in a container. The leader
   * is waited for without being reaped: as a zombie it keeps its pid, so no other process
   * can have become group `child` when the group is killed. Then it is reaped.
   */
  siginfo_t info;
  memset(&info, 0, sizeof info);
  while (waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  kill(-child, SIGKILL);
  int st;
  while (waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }

  if (got == (ssize_t)sizeof f && f.kind != K_NONE) {
    char message[MESSAGE_MAX];
    describe(&o, f, message, sizeof message);
    write_persistently(dirfd, "error", message);
    write_persistently(dirfd, "status", "failed\n");
  } else if (WIFSIGNALED(st)) {
    snprintf(text, sizeof text, "signaled %d%s\n", WTERMSIG(st), WCOREDUMP(st) ? " core" : "");
    write_persistently(dirfd, "status", text);
  } else {
    snprintf(text, sizeof text, "exited %d\n", WEXITSTATUS(st));
    write_persistently(dirfd, "status", text);
  }
  return 0;
}
