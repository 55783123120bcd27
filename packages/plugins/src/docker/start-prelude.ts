/**
 * The start prelude: a few lines of /bin/sh (busybox is enough) run as the job's
 * user in its container before its command. It enters the working directory and
 * opens the files of `RunSpec.files`, all before touching the standard streams,
 * then execs the command, which keeps its pid. Docker is not given WorkingDir: it
 * would create a missing one, as root, on a bind-mounted host path.
 *
 * A step that fails writes one line to the container's stderr and exits 125,
 * and the command never runs. How the executor tells that from a job that itself
 * exits 125: the line starts with a nonce, 128 random bits put in the prelude's
 * own argv (the container's Cmd, which the engine keeps and the executor reads
 * back). The exec replaces that argv before any code of the job runs, and the
 * nonce is in no variable the job inherits, so a job cannot forge a start failure,
 * even its own. What the executor reads is bounded and only ever this container's
 * own log; the path in the message comes from the Cmd, not from the log.
 */
import { randomBytes } from 'node:crypto';
import type { TaskFiles } from '@godocker/sdk';

/** argv[0] of the prelude: marks a container whose Cmd starts with it. */
const PRELUDE_NAME = 'godocker-start';
/** As `docker run` exits 125 when the container could not run. */
export const PRELUDE_FAILED_EXIT = 125;
/** Longer than any line the prelude writes; a longer last line is not a prelude's. */
export const PRELUDE_LINE_MAX_BYTES = 4096;

/**
 * $1 nonce, $2 workdir, $3 stdin, $4 stdout, $5 stderr, $6 join (1), $7 and $8 the
 * file names in a folder; empty means not asked. Each file is opened on a spare fd by
 * `command exec` (a failed open does not end the shell) with the standard streams
 * untouched, so /dev/stderr as an output path is the job's stderr; the reason is read
 * from a second try in a subshell: the text after the shell's last ": ".
 */
export const PRELUDE_SCRIPT = [
  'n=$1 w=$2 i=$3 o=$4 e=$5 j=$6 on=$7 en=$8',
  'shift 8',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion
  'fail() { printf "%s %s %s\\n" "$n" "$1" "${2##*: }" >&2; exit 125; }',
  'if [ -n "$w" ]; then cd -- "$w" 2>/dev/null || fail workdir "$( (cd -- "$w") 2>&1 )"; fi',
  'if [ -n "$i" ]; then command exec 3<"$i" || fail stdin "$( (: <"$i") 2>&1 )"; else exec 3<&0; fi',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion
  'k=stdout; if [ -d "$o" ]; then o=${o%/}/$on k=stdout-in; fi',
  'if [ -n "$o" ]; then command exec 4>"$o" || fail $k "$( (: >"$o") 2>&1 )"; else exec 4>&1; fi',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion
  'k=stderr; if [ -d "$e" ]; then e=${e%/}/$en k=stderr-in; fi',
  'if [ -n "$e" ]; then command exec 5>"$e" || fail $k "$( (: >"$e") 2>&1 )"; else exec 5>&2; fi',
  'exec <&3 >&4 2>&5 3<&- 4>&- 5>&-',
  'if [ "$j" = 1 ]; then exec 2>&1; fi',
  'exec "$@"',
].join('\n');

export function needsPrelude(workdir: string | null, files: TaskFiles | undefined): boolean {
  return Boolean(workdir) || files !== undefined;
}

/** The container's command: the prelude, then the job's own command as its arguments. */
export function preludeCommand(workdir: string | null, files: TaskFiles | undefined, command: readonly string[]): string[] {
  const f = files ?? {};
  return [
    '/bin/sh',
    '-c',
    PRELUDE_SCRIPT,
    PRELUDE_NAME,
    randomBytes(16).toString('hex'),
    workdir ?? '',
    f.stdin ?? '',
    f.stdout ?? '',
    f.joinStderr ? '' : (f.stderr ?? ''),
    f.joinStderr ? '1' : '',
    f.inDirectory?.stdout ?? 'stdout',
    f.inDirectory?.stderr ?? 'stderr',
    ...command,
  ];
}

interface PreludeArgs {
  nonce: string;
  workdir: string;
  stdin: string;
  stdout: string;
  stderr: string;
  stdoutName: string;
  stderrName: string;
}

/** The prelude's arguments, from a container's Cmd; null when the container has no prelude. */
export function preludeArgs(cmd: readonly string[] | null | undefined): PreludeArgs | null {
  if (!cmd || cmd.length < 12 || cmd[0] !== '/bin/sh' || cmd[1] !== '-c' || cmd[3] !== PRELUDE_NAME) return null;
  const [nonce = '', workdir = '', stdin = '', stdout = '', stderr = '', , stdoutName = '', stderrName = ''] = cmd.slice(4, 12);
  return /^[0-9a-f]{32}$/.test(nonce) ? { nonce, workdir, stdin, stdout, stderr, stdoutName, stderrName } : null;
}

/** errno names of the texts shells print (busybox and dash shorten ENOENT in their own words). */
const ERRNO_TEXTS: ReadonlyArray<[RegExp, string, string]> = [
  [
    /^(no such file( or directory)?|(nonexistent|non-existent) directory|directory nonexistent)$/i,
    'No such file or directory',
    'ENOENT',
  ],
  [/^permission denied$/i, 'Permission denied', 'EACCES'],
  [/^is a directory$/i, 'Is a directory', 'EISDIR'],
  [/^not a directory$/i, 'Not a directory', 'ENOTDIR'],
  [/^read-only file system$/i, 'Read-only file system', 'EROFS'],
  [/^no space left on device$/i, 'No space left on device', 'ENOSPC'],
  [/^too many levels of symbolic links$/i, 'Too many levels of symbolic links', 'ELOOP'],
  [/^text file busy$/i, 'Text file busy', 'ETXTBSY'],
  [/^operation not permitted$/i, 'Operation not permitted', 'EPERM'],
  [/^file name too long$/i, 'File name too long', 'ENAMETOOLONG'],
];

function errnoText(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '').trim();
  for (const [pattern, message, name] of ERRNO_TEXTS) if (pattern.test(clean)) return `${message} (${name})`;
  return clean === '' ? 'unknown error' : clean.slice(0, 200);
}

function inFolder(folder: string, name: string): string {
  return `${folder.replace(/\/$/, '')}/${name}`;
}

/**
 * The start failure a prelude reported in `lastLine` (the container's last stderr
 * line), as `ExitInfo.error`; null when the line is not the prelude's.
 */
export function preludeFailure(args: PreludeArgs, lastLine: string): string | null {
  const m = /^([0-9a-f]{32}) (\S+) ?(.*)$/.exec(lastLine.replace(/\r?\n$/, ''));
  if (!m || m[1] !== args.nonce) return null;
  const why = errnoText(m[3] ?? '');
  switch (m[2]) {
    case 'workdir':
      return why.startsWith('No such file or directory')
        ? `working directory ${args.workdir} does not exist`
        : `cannot enter working directory ${args.workdir}: ${why}`;
    case 'stdin':
      return `cannot open input file ${args.stdin}: ${why}`;
    case 'stdout':
      return `cannot open output file ${args.stdout}: ${why}`;
    case 'stdout-in':
      return `cannot open output file ${inFolder(args.stdout, args.stdoutName)}: ${why}`;
    case 'stderr':
      return `cannot open error file ${args.stderr}: ${why}`;
    case 'stderr-in':
      return `cannot open error file ${inFolder(args.stderr, args.stderrName)}: ${why}`;
    default:
      return null;
  }
}
