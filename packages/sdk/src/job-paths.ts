/**
 * The placeholders a job's paths (`command.workdir`, `stdin`, `stdout`, `stderr`)
 * may hold, and how the daemon fills them in at submit: `$HOME` (at the start)
 * is the owner's home, a relative file path is under the working directory, and
 * `$GODOCKER_TASK_ID` is an array task's index, filled in for each task. The
 * stored job then holds the paths its executor opens.
 *
 * ```ts
 * resolveJobPath('out/log', 'command.stdout', { home: '/home/alice', workdir: '$HOME/run' }); // '/home/alice/run/out/log'
 * ```
 */
import { ValidationError } from './errors.js';

export const HOME_PLACEHOLDER = '$HOME';
export const TASK_INDEX_PLACEHOLDER = '$GODOCKER_TASK_ID';

export interface JobPathContext {
  /** The owner's home. */
  home: string;
  /** The job's working directory as submitted (it may start with `$HOME`); null when not set. */
  workdir: string | null;
}

function withHome(path: string, home: string): string {
  if (path !== HOME_PLACEHOLDER && !path.startsWith(`${HOME_PLACEHOLDER}/`)) return path;
  return `${home.replace(/\/+$/, '')}${path.slice(HOME_PLACEHOLDER.length)}` || '/';
}

/**
 * The path with the home filled in and, for a file, made absolute under the working
 * directory. The task index is left in: each task of an array gets its own (`withTaskIndex`).
 */
export function resolveJobPath(path: string, field: string, context: JobPathContext): string {
  if (path.includes('\0')) throw new ValidationError(`${field} contains a NUL byte`, field);
  const home = withHome(path, context.home);
  if (home.startsWith('/')) return home;
  if (context.workdir === null) {
    throw new ValidationError(
      `${field} "${path}" is relative to the working directory, but the job has none: set command.workdir, or give an absolute path`,
      field,
    );
  }
  const workdir = withHome(context.workdir, context.home).replace(/\/+$/, '');
  return path === '.' ? workdir || '/' : `${workdir}/${path}`;
}

export function usesTaskIndex(path: string): boolean {
  return path.includes(TASK_INDEX_PLACEHOLDER);
}

export function withTaskIndex(path: string, index: number): string {
  return path.replaceAll(TASK_INDEX_PLACEHOLDER, String(index));
}
