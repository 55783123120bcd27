/**
 * `run(argv, io)`: the whole CLI as a function, so tests (and embedders) run it
 * in-process with captured output and get the exit code back instead of an exit.
 */
import { Command, CommanderError } from 'commander';
import { Context, type GlobalOptions } from './context.js';
import { EXIT_USAGE, exitCodeOf, formatError } from './errors.js';
import { type CliIo, processIo } from './io.js';
import { buildProgram } from './program.js';

/**
 * Runs one command line (without the `node godocker` part) and resolves with its exit code.
 *
 * ```ts
 * const code = await run(['jobs', '--json'], { ...processIo(), stdout: captured });
 * ```
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = new Command();
  const ctx = new Context(io, () => program.opts<GlobalOptions>());
  await buildProgram(program, ctx, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    // commander has already printed its message (usage errors, --help, --version).
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : EXIT_USAGE;
    io.stderr.write(formatError(e));
    return exitCodeOf(e);
  }
}
