/** `godocker submit`: send a job; with --wait, run it like a local command (its output, its exit code). */
import { type GodockerClient, GodockerError, type Job } from '@godocker/sdk/client';
import { type Command, Option } from 'commander';
import type { Context } from '../context.js';
import { EXIT_INTERRUPTED, UsageError } from '../errors.js';
import { onLine, parseJobFile } from '../job-file.js';
import { jobExitCode, reasonWorthShowing } from '../job-view.js';
import { beginOption, collect, cpuOption, durationOption, integerOption, mailTypeListOption, memoryOption } from '../options.js';
import { buildSubmission, readScript, readTextFile, type SubmitFlags } from '../submission.js';
import { uploadLocalFile } from './files.js';
import { runSsh } from './ssh.js';

/** An interactive job's time limit when none is given. */
const INTERACTIVE_DEFAULT_SECONDS = 3600;

/**
 * What an interactive job runs: nothing but a wait, ended a moment before its time limit so that
 * it ends done rather than killed; the user works in it through the SSH gateway. The daemon stops
 * it once no SSH session has been open for ssh.interactiveIdleSeconds: the trap makes that stop
 * an exit 0 (a shell that is PID 1 of its container ignores a TERM it has no trap for).
 */
function interactiveScript(file: string | undefined, opts: SubmitOptions): string {
  if (file !== undefined || opts.cmd !== undefined) {
    throw new UsageError('--interactive runs no script: it waits for you to `godocker ssh` into it');
  }
  opts.time ??= INTERACTIVE_DEFAULT_SECONDS;
  opts.tag = [...(opts.tag ?? []), 'interactive'];
  opts.name ??= 'interactive';
  return (
    '# godocker submit --interactive: holds its place until its time limit, or until it is left idle\n' +
    "trap 'exit 0' TERM INT HUP\n" +
    `sleep ${Math.max(1, opts.time - 2)} &\n` +
    'wait $!\n'
  );
}

interface SubmitOptions extends SubmitFlags {
  file?: string;
  upload?: string[];
  interactive?: boolean;
  ssh?: boolean;
  wait?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Streams stdout and stderr until the job ends; resolves with the final job (null when interrupted). */
async function streamOutput(client: GodockerClient, ctx: Context, job: Job, interrupted: AbortSignal): Promise<Job | null> {
  // If one stream fails, the other is stopped too rather than left running unobserved.
  const local = new AbortController();
  const signal = AbortSignal.any([interrupted, local.signal]);
  const pump = async (stream: 'stdout' | 'stderr'): Promise<Job | null> => {
    const it = client.followLogs(job.id, stream, { signal });
    for (;;) {
      const r = await it.next();
      if (r.done) return r.value;
      (stream === 'stdout' ? ctx.io.stdout : ctx.io.stderr).write(r.value);
    }
  };
  try {
    const [out] = await Promise.all([pump('stdout'), pump('stderr')]);
    return out;
  } finally {
    local.abort();
  }
}

async function waitQuietly(client: GodockerClient, job: Job, signal: AbortSignal): Promise<Job | null> {
  try {
    return (await client.wait(job.id, { for: 'terminated', signal })).job;
  } catch (e) {
    if (signal.aborted) return null;
    throw e;
  }
}

/**
 * --upload: the job is submitted held, so it cannot start before its input is in; the files go
 * into its directory, then it is released (unless --hold asked to keep it held). When an upload
 * fails, the job is killed before it ever ran (not left waiting without its input), and the
 * error says so: nothing is lost, the local files are untouched, the same submit can be run again.
 */
async function uploadThenRelease(
  client: GodockerClient,
  ctx: Context,
  job: Job,
  files: string[],
  keepHeld: boolean,
): Promise<Job> {
  for (const file of files) {
    try {
      await uploadLocalFile(client, ctx, job.id, file);
    } catch (error) {
      await client.action(job.id, 'kill').catch(() => undefined);
      const why = error instanceof Error ? error.message : String(error);
      throw new GodockerError(
        GodockerError.is(error) ? error.code : 'GOD_INVALID_REQUEST',
        `could not upload ${file} into job ${job.id} (${why}); job ${job.id} was killed before it started, nothing ran: fix and submit again`,
      );
    }
  }
  return keepHeld ? job : client.action(job.id, 'release');
}

/** --file: every command of the file a job with the other options, in one request. */
async function submitFile(ctx: Context, file: string, script: string | undefined, opts: SubmitOptions): Promise<void> {
  if (script !== undefined || opts.cmd !== undefined)
    throw new UsageError('give --file, a SCRIPT_FILE or --cmd, not two of them');
  if (opts.wait) {
    throw new UsageError('--wait follows one job; for the jobs of a file: godocker wait $(godocker submit --file FILE)');
  }
  if (opts.upload) throw new UsageError('--upload goes with one job, not --file: upload with `godocker put ID FILE`');
  const name = file === '-' ? 'stdin' : file;
  const text = file === '-' ? await ctx.io.readStdin() : readTextFile(file, ctx.io.cwd, 'job file');
  const commands = parseJobFile(text, name);
  const submissions = commands.map(({ command }) => buildSubmission(command, undefined, opts, ctx.io.env));
  const jobs = await ctx
    .client()
    .submitBatch(submissions)
    .catch((e: unknown) => {
      throw onLine(e, commands, name);
    });
  if (opts.json) ctx.json(jobs);
  else ctx.out(jobs.map((j) => `${j.id}\n`).join(''));
}

export function registerSubmit(program: Command, ctx: Context): void {
  program
    .command('submit')
    .description('submit a job: a script file, - for stdin, or --cmd')
    .argument('[SCRIPT_FILE]', 'script to run (with /bin/sh unless it starts with #!); - reads it from stdin')
    .option('--cmd <command>', "a one-line script, e.g. --cmd 'echo hi'")
    .option('--file <file>', 'one job per line of FILE (- for stdin), sent in one request; prints the job ids; # comments')
    .option('-c, --cpu <cores>', 'CPU cores (fractions allowed)', cpuOption)
    .option('-m, --mem <size>', 'memory, e.g. 512M, 4G (a bare number is MiB)', memoryOption)
    .option('--gpus <n>', 'GPUs', integerOption(0))
    .option(
      '--constraint <KEY=VALUE>',
      'run only on nodes with this label, e.g. disk=ssd (repeatable; `godocker nodes` lists labels)',
      collect,
    )
    .option('--executor <name>', "run on this executor of the daemon (default: its first; `godocker nodes` shows each node's)")
    .option('--image <image>', 'container image (see `godocker info` for the catalogue)')
    .option('--volume <name[:ro|rw]>', 'mount a catalogue volume (repeatable)', collect)
    .option('--time <duration>', 'time limit, e.g. 90, 10m, 1h30m, 2-00:00:00', durationOption)
    .option('--array <spec>', 'job array START-END[:STEP][%MAX], e.g. 0-9%2')
    .option('-d, --dependency <list>', 'start only after other jobs: afterok:42,afterany:43,afternotok:44 (all must hold)')
    .option('--name <name>', 'job name (default: the script file name)')
    .option('--project <project>', 'project to account the job to')
    .option('--tag <tag>', 'tag (repeatable)', collect)
    .option('--env <K=V>', 'environment variable; a bare K copies it from this shell (repeatable)', collect)
    .option('--workdir <path>', 'working directory in the container')
    .option('--root', 'run as root in the container (only where the admin allows it)')
    .option('--network', 'ask for network access (only where the admin allows it)')
    .option(
      '--port <port[/proto]>',
      'publish a container port, e.g. 8080 or 9090/udp: it gets a host port of its node (`godocker show`, $GODOCKER_PORT_8080) (repeatable)',
      collect,
    )
    .addOption(new Option('--priority <n>', 'job priority, -10000 to 10000').argParser(integerOption(-10000, 10000)))
    .option('--hold', 'submit held: it waits until `godocker release ID`')
    .option(
      '--upload <file>',
      "copy FILE into the job's directory ($GODOCKER_JOB_DIR) before it starts (repeatable); an upload that fails kills the job unstarted",
      collect,
    )
    .option(
      '--begin <time>',
      'do not start before TIME: 2026-11-29T14:00[Z], now+10min, 14:00 (today, or tomorrow once past), tomorrow',
      beginOption,
    )
    .option(
      '--mail-type <types>',
      "Slurm's: mail (and POST to --notify-url) on begin, end, fail, requeue, time_limit, all or none, comma-separated (default end)",
      mailTypeListOption,
    )
    .option('--mail-user <address>', 'where the mail goes (default: your address, when the site knows it)')
    .option('--notify-url <url>', 'an http(s) URL that gets a signed JSON POST for each of those events')
    .option('--wait', "wait until the job ends, print its output and exit with the job's exit code")
    .option(
      '--interactive',
      "a job that waits for you (like salloc): reach it with `godocker ssh ID`; it ends, done, once no SSH session has been open for the site's ssh.interactiveIdleSeconds (default 5 min), or at its time limit (default 1h)",
    )
    .option('--ssh', 'with --interactive: wait until it runs and open a shell in it at once')
    .option('-q, --quiet', 'print only the job id')
    .option('--json', 'print the job as JSON (with --wait: the final job)')
    .action(async (file: string | undefined, opts: SubmitOptions) => {
      if (opts.file !== undefined) return submitFile(ctx, opts.file, file, opts);
      if (opts.ssh && !opts.interactive) throw new UsageError('--ssh goes with --interactive');
      if (opts.interactive && opts.wait) throw new UsageError('--interactive jobs wait for you: use --ssh, not --wait');
      const script = opts.interactive ? interactiveScript(file, opts) : await readScript(file, opts, ctx.io);
      const submission = buildSubmission(script, file, opts, ctx.io.env);
      if (opts.interactive) submission.container = { ...submission.container, interactive: true };
      const uploads = opts.upload ?? [];
      if (uploads.length > 0 && submission.array) {
        throw new UsageError(
          "--upload fills one job's directory; each task of an array has its own: put shared input on a volume, or `godocker put` into each task",
        );
      }
      if (uploads.length > 0) submission.hold = true;
      const client = ctx.client();
      const submitted = await client.submit(submission);
      const job = uploads.length > 0 ? await uploadThenRelease(client, ctx, submitted, uploads, opts.hold === true) : submitted;
      if (opts.ssh) {
        if (!opts.quiet) ctx.err(`job ${job.id} submitted, waiting for it to run\n`);
        const started = (await client.wait(job.id, { for: 'started', signal: ctx.io.interrupted() })).job;
        if (started.status.state !== 'running') {
          ctx.err(`job ${job.id} is ${started.status.state}: ${started.status.reason}\n`);
          ctx.exitCode = 1;
          return;
        }
        ctx.exitCode = await runSsh(ctx, job.id, []);
        return;
      }

      if (!opts.wait) {
        if (opts.json) ctx.json(job);
        else
          ctx.out(
            opts.quiet ? `${job.id}\n` : `job ${job.id} submitted${job.array ? ` (array of ${job.array.count} tasks)` : ''}\n`,
          );
        return;
      }
      if (!opts.json && !opts.quiet) ctx.err(`job ${job.id} submitted, waiting for it to end\n`);
      const signal = ctx.io.interrupted();
      // An array parent has no output of its own: wait for its tasks instead.
      const streamed =
        opts.json || job.array ? await waitQuietly(client, job, signal) : await streamOutput(client, ctx, job, signal);
      const final = streamed ?? (signal.aborted ? null : (await client.wait(job.id, { for: 'terminated', signal })).job);
      if (!final) {
        ctx.err(`interrupted; job ${job.id} goes on: \`godocker wait ${job.id}\` or \`godocker kill ${job.id}\`\n`);
        ctx.exitCode = EXIT_INTERRUPTED;
        return;
      }
      if (opts.json) ctx.json(final);
      ctx.exitCode = jobExitCode(final);
      if (reasonWorthShowing(final) && !opts.json) ctx.err(`job ${final.id} failed: ${final.status.reason}\n`);
    });
}
