/**
 * The wrapper: a tiny /bin/sh program that outlives the daemon. It runs the
 * job's script as its child, waits, and records the status in the task folder,
 * so a daemon restarted later still learns how the job ended.
 *
 * - TERM/HUP/INT are caught (not ignored: an ignored signal would be inherited by
 *   the job) so that kill()'s SIGTERM to the process group ends the job but not
 *   the wrapper, which then records 143. SIGKILL ends both: see `killed`.
 * - `$?` of a command killed by signal N is 128+N, as with every shell.
 * - The status is written aside and renamed, so a reader never sees half of it.
 * - Last, whatever the job left running in its process group is killed (the
 *   wrapper with it): a container's processes end with it, so do a task's.
 * - The task folder travels as an argument of its own, so the wrapper can be
 *   recognised in /proc (see process-probe.ts).
 */
export const WRAPPER_SCRIPT = [
  'd=$1; shift',
  'trap : HUP INT TERM',
  '"$@"',
  's=$?',
  'echo "$s" > "$d/exit.tmp" && /bin/mv -f "$d/exit.tmp" "$d/exit"',
  'kill -s KILL -- -$$ 2>/dev/null',
  'exit "$s"',
].join('\n');

/** argv[0] of the wrapper as `ps` shows it. */
export const WRAPPER_NAME = 'godocker-task';

/** A shebang picks its own interpreter; anything else runs with /bin/sh, as the job document promises. */
export function scriptCommand(script: string, scriptPath: string, args: readonly string[]): string[] {
  return script.startsWith('#!') ? [scriptPath, ...args] : ['/bin/sh', scriptPath, ...args];
}

/** Arguments of `/bin/sh` that start the wrapper for one task. */
export function wrapperArgs(dir: string, command: readonly string[]): string[] {
  return ['-c', WRAPPER_SCRIPT, WRAPPER_NAME, dir, ...command];
}
