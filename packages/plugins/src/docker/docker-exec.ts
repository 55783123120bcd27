/**
 * A command run inside a job's container (`docker exec`), for the SSH gateway: as the
 * job's uid:gid, with its environment, with or without a terminal. The engine's hijacked
 * connection carries stdin one way and the output the other: multiplexed frames without a
 * terminal (split by the modem's demuxer), raw bytes with one.
 */
import { type Duplex, PassThrough } from 'node:stream';
import { type ExecRequest, type ExecSession, ExecutorError } from '@godocker/sdk';
import type Docker from 'dockerode';
import { messageOf } from './docker-errors.js';

/** How often the end of an exec is asked for after its stream closed (the engine records it a moment later). */
const EXIT_POLL_MS = 50;
const EXIT_POLL_TRIES = 100;

export async function execInContainer(
  docker: Docker,
  container: Docker.Container,
  request: ExecRequest,
  what: string,
): Promise<ExecSession> {
  const tty = request.tty !== null;
  let exec: Docker.Exec;
  let stream: Duplex;
  try {
    exec = await container.exec({
      Cmd: request.command,
      User: `${request.uid}:${request.gid}`,
      Env: Object.entries(request.env).map(([name, value]) => `${name}=${value}`),
      ...(request.workdir ? { WorkingDir: request.workdir } : {}),
      Tty: tty,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    stream = (await exec.start({ hijack: true, stdin: true, Tty: tty })) as Duplex;
  } catch (error) {
    throw new ExecutorError(`running a command in ${what}: ${messageOf(error)}`, error);
  }
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  if (tty) stream.pipe(stdout);
  else {
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.once('end', () => {
      stdout.end();
      stderr.end();
    });
  }
  if (tty) stream.once('end', () => stderr.end());
  // Stdin is its own stream so that ending it half-closes the connection (EOF for the command)
  // while the output still comes back.
  const stdin = new PassThrough();
  stdin.pipe(stream);
  const closed = new Promise<void>((resolve) => {
    stream.once('close', resolve);
    stream.once('end', resolve);
    stream.once('error', resolve);
  });
  const exit = closed.then(async () => {
    for (let i = 0; i < EXIT_POLL_TRIES; i += 1) {
      const info = await exec.inspect().catch(() => null);
      if (info && !info.Running && typeof info.ExitCode === 'number') return info.ExitCode;
      await new Promise((r) => setTimeout(r, EXIT_POLL_MS));
    }
    // The container went away with the command (the job ended): what a killed shell reports.
    return 137;
  });
  if (tty && request.tty) await exec.resize({ h: request.tty.rows, w: request.tty.cols }).catch(() => undefined);
  return {
    stdin,
    stdout,
    stderr,
    async resize(rows, cols) {
      if (!tty) return;
      await exec.resize({ h: rows, w: cols }).catch(() => undefined);
    },
    exit,
    async close() {
      // The engine has no way to stop one exec: hanging up makes the terminal's shell get SIGHUP;
      // a command without one ends with the job, which is what cuts sessions anyway.
      stream.destroy();
    },
  };
}
