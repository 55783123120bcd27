/**
 * The task monitor, `godocker-task` (native/godocker-task.c, built by `npm run build`):
 * a small C program that outlives the daemon, runs the job's process as the job's user,
 * and records how it ended exactly as waitpid says, in the task folder the job cannot
 * reach. See the C file for what it does and in which order. The launcher (launcher.ts)
 * starts it; this file says with which arguments.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExecutorError, type RunSpec } from '@godocker/sdk';

/** argv[0] of the monitor as `ps` shows it. */
export const MONITOR_NAME = 'godocker-task';

/** Stands for the script's inherited descriptor in the command (the monitor substitutes /proc/self/fd/N). */
const SCRIPT_PLACEHOLDER = '@SCRIPT@';

/** The environment file in the task folder, handed to the job's exec by the monitor. */
export const ENV_FILE = 'env';

/** Same depth from src/local and dist/local. */
export const MONITOR_PATH = fileURLToPath(new URL('../../build/godocker-task', import.meta.url));

export function checkMonitor(): void {
  if (!existsSync(MONITOR_PATH)) {
    throw new ExecutorError(
      `the local executor's task monitor ${MONITOR_PATH} is missing: build it with \`npm run build\` (needs a C compiler: apt-get install build-essential)`,
    );
  }
}

/** A shebang picks its own interpreter; anything else runs with /bin/sh, as the job document promises. */
export function scriptCommand(script: string, args: readonly string[]): string[] {
  return script.startsWith('#!') ? [SCRIPT_PLACEHOLDER, ...args] : ['/bin/sh', SCRIPT_PLACEHOLDER, ...args];
}

export interface MonitorPlan {
  dir: string;
  /** null: run as the daemon's own user (a daemon that is not root). */
  runAs: { uid: number; gid: number } | null;
  cwd: string;
  cwdKind: 'workdir' | 'home';
}

/** The monitor's arguments: the task folder first (process-probe.ts finds a monitor by it), then options, then the command. */
export function monitorArgs(spec: RunSpec, plan: MonitorPlan): string[] {
  const args = [plan.dir];
  if (plan.runAs) args.push(`--uid=${plan.runAs.uid}`, `--gid=${plan.runAs.gid}`);
  args.push(`--cwd=${plan.cwd}`, `--cwd-kind=${plan.cwdKind}`, '--script-fd=3', `--env=${ENV_FILE}`);
  const files = spec.files ?? {};
  if (files.stdin) args.push(`--stdin=${files.stdin}`);
  if (files.stdout) args.push(`--stdout=${files.stdout}`);
  if (files.joinStderr) args.push('--join');
  else if (files.stderr) args.push(`--stderr=${files.stderr}`);
  if (files.inDirectory) args.push(`--out-name=${files.inDirectory.stdout}`, `--err-name=${files.inDirectory.stderr}`);
  return [...args, '--', ...scriptCommand(spec.script, spec.args)];
}
