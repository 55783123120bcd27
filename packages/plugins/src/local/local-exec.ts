/**
 * A command run beside a local job (the SSH gateway's shell), as the job's uid/gid with
 * its environment. Node has no terminal of its own and a native module (node-pty) cannot
 * be downloaded prebuilt here, so a few lines of Python (its `pty` module, in every Debian)
 * run between the daemon and the command: they drop nothing (Node already spawned them as
 * the user), enter the working directory as that user (a chdir done by the spawn would be
 * root's), and either exec the command or hold its terminal, sizing it on each line
 * "ROWS COLS" read from fd 3. Python runs isolated (-I -S): the job's PYTHON* variables do
 * not reach it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { type ExecRequest, type ExecSession, ExecutorError } from '@godocker/sdk';
import { jobEnv } from './job-env.js';

const PYTHON = '/usr/bin/python3';
/** After SIGHUP, a command that ignores it gets SIGKILL this much later. */
const HANGUP_GRACE_MS = 2000;

const EXEC_HELPER = String.raw`
import os, sys, pty, select, signal, struct, fcntl, termios
wd, rows, cols, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
try:
    os.chdir(wd)
except OSError as e:
    sys.stderr.write("cannot enter %s: %s\n" % (wd, e.strerror)); sys.exit(1)
def run():
    try:
        os.execvp(cmd[0], cmd)
    except OSError as e:
        os.write(2, ("%s: %s\n" % (cmd[0], e.strerror)).encode()); os._exit(127)
if rows <= 0:
    run()
pid, fd = pty.fork()
if pid == 0:
    run()
def size(r, c):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", r, c, 0, 0))
size(rows, cols)
def hangup(*_):
    try:
        os.killpg(pid, signal.SIGHUP)
    except OSError:
        pass
signal.signal(signal.SIGHUP, hangup)
signal.signal(signal.SIGTERM, hangup)
def put(to, data):
    while data:
        data = data[os.write(to, data):]
ins, buf = [0, 3, fd], b""
while True:
    try:
        ready = select.select(ins, [], [])[0]
    except InterruptedError:
        continue
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        put(1, data)
    if 0 in ready:
        data = os.read(0, 65536)
        if data:
            put(fd, data)
        else:
            ins.remove(0); put(fd, b"\x04")
    if 3 in ready:
        data = os.read(3, 4096)
        if not data:
            ins.remove(3)
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            try:
                r, c = (int(x) for x in line.split())
                size(r, c)
            except ValueError:
                pass
code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
sys.exit(code if code >= 0 else 128 - code)
`;

/** `runAs` null: the daemon is not root, and commands run as its user, like the jobs. */
export async function execLocal(
  request: ExecRequest,
  runAs: { uid: number; gid: number } | null,
  home: string,
): Promise<ExecSession> {
  const env = jobEnv(request.env, home);
  const workdir = request.workdir ?? env.HOME ?? '/';
  const size = request.tty ?? { rows: 0, cols: 0 };
  const child = spawn(
    PYTHON,
    ['-I', '-S', '-c', EXEC_HELPER, workdir, String(size.rows), String(size.cols), ...request.command],
    {
      cwd: '/',
      env,
      // Its own session and process group: close() hangs up on all of it, never on the daemon.
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    },
  );
  const exit = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
    child.once('error', () => resolve(127));
  });
  try {
    await once(child, 'spawn');
  } catch (error) {
    throw new ExecutorError(`cannot run ${PYTHON} for a command in a local job: ${(error as Error).message}`, error);
  }
  const control = child.stdio[3] as Writable;
  control.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  const pid = child.pid as number;
  const signalGroup = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // Already gone.
    }
  };
  return {
    stdin: child.stdin,
    stdout: child.stdout as Readable,
    stderr: child.stderr as Readable,
    async resize(rows, cols) {
      if (request.tty && control.writable) control.write(`${rows} ${cols}\n`);
    },
    exit,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup('SIGHUP');
      const timer = setTimeout(() => signalGroup('SIGKILL'), HANGUP_GRACE_MS);
      timer.unref();
      await exit;
      clearTimeout(timer);
    },
  };
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : constants.signals[signal];
}
