/**
 * A submitted command's paths as the executor will open them: the working
 * directory and the files of the standard streams, with `$HOME` filled in and
 * relative files put under the working directory (job-paths.ts in the SDK). The
 * task index is filled in for each task of an array; a single job has none.
 */
import { type Job, type JobSubmission, resolveJobPath, usesTaskIndex, ValidationError, withTaskIndex } from '@godocker/sdk';

export type CommandPaths = Pick<Job['command'], 'workdir' | 'stdin' | 'stdout' | 'stderr' | 'joinStderr'>;

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;

export function resolveCommandPaths(command: JobSubmission['command'], home: string, isArray: boolean): CommandPaths {
  const workdir =
    command.workdir === undefined ? null : resolveJobPath(command.workdir, 'command.workdir', { home, workdir: null });
  const paths: CommandPaths = { workdir };
  for (const stream of STREAMS) {
    const path = command[stream];
    if (path !== undefined) paths[stream] = resolveJobPath(path, `command.${stream}`, { home, workdir });
  }
  if (command.joinStderr) {
    if (command.stderr !== undefined) {
      throw new ValidationError(
        'command.joinStderr sends stderr where stdout goes: give it or command.stderr, not both',
        'command.joinStderr',
      );
    }
    paths.joinStderr = true;
  }
  if (!isArray) {
    for (const field of ['workdir', ...STREAMS] as const) {
      const path = paths[field];
      if (typeof path === 'string' && usesTaskIndex(path)) {
        throw new ValidationError(
          `command.${field} "${path}" uses the task index, but the job is not an array: only array tasks have one`,
          `command.${field}`,
        );
      }
    }
  }
  return paths;
}

/** The paths of one task of an array. */
export function taskPaths(paths: CommandPaths, index: number): CommandPaths {
  const out: CommandPaths = { ...paths, workdir: paths.workdir === null ? null : withTaskIndex(paths.workdir, index) };
  for (const stream of STREAMS) {
    const path = paths[stream];
    if (path !== undefined) out[stream] = withTaskIndex(path, index);
  }
  return out;
}
