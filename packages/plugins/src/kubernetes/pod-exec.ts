/**
 * A command inside a job's pod through the API server's exec (a websocket, @kubernetes/client-node's
 * Exec). Kubernetes exec has no user, environment or working-directory options: the command
 * runs as the container runs, which job-manifest.ts sets to the job's uid/gid
 * (securityContext.runAsUser/runAsGroup), and a small sh prelude sets the rest.
 */
import { PassThrough } from 'node:stream';
import { type ExecRequest, type ExecSession, ExecutorError } from '@godocker/sdk';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';

/** The exit code a V1Status says: Success is 0, NonZeroExitCode carries it in its causes. */
export function exitCodeOf(status: V1Status): number {
  if (status.status === 'Success') return 0;
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  const code = Number(cause?.message);
  return Number.isInteger(code) ? code : 1;
}

/** argv wrapped so that it starts in `workdir` with `env`, as the other executors start it. */
export function wrapped(request: ExecRequest): string[] {
  const env = Object.entries(request.env).map(([k, v]) => `${k}=${v}`);
  // "$1" is the folder; what follows `--` is env's: the variables, then the command.
  const script = 'if [ -n "$1" ]; then cd "$1" || exit 126; fi; shift; exec env "$@"';
  return ['/bin/sh', '-c', script, 'sh', request.workdir ?? '', ...env, ...request.command];
}

/** The exit code when the websocket closes without a status (the pod went away): killed. */
const LOST_EXIT = 137;

export async function execInPod(
  kc: KubeConfig,
  where: { namespace: string; pod: string; container: string },
  request: ExecRequest,
): Promise<ExecSession> {
  if (request.command.some((a) => a.includes('\0')) || Object.keys(request.env).some((k) => k.includes('='))) {
    throw new ExecutorError('exec: a NUL byte in the command or an = in a variable name');
  }
  const stdin = new PassThrough();
  const stdout = new PassThrough() as PassThrough & { rows?: number; columns?: number };
  const stderr = new PassThrough();
  if (request.tty) {
    // Exec sends a resize for each 'resize' of a stdout with rows and columns (as a TTY has).
    stdout.rows = request.tty.rows;
    stdout.columns = request.tty.cols;
  }
  let settle: (code: number) => void = () => undefined;
  const exit = new Promise<number>((resolve) => {
    settle = resolve;
  });
  const ws = await new Exec(kc)
    .exec(
      where.namespace,
      where.pod,
      where.container,
      wrapped(request),
      stdout,
      request.tty ? null : stderr,
      stdin,
      request.tty !== null,
      (status) => settle(exitCodeOf(status)),
    )
    .catch((e: unknown) => {
      throw new ExecutorError(`exec in pod ${where.pod}: ${(e as Error).message}`);
    });
  ws.on('close', () => {
    settle(LOST_EXIT);
    stdout.end();
    stderr.end();
  });
  if (request.tty) stderr.end();
  return {
    stdin,
    stdout,
    stderr,
    exit,
    async resize(rows, cols) {
      if (!request.tty) return;
      stdout.rows = rows;
      stdout.columns = cols;
      stdout.emit('resize');
    },
    async close() {
      ws.close();
    },
  };
}
