/**
 * @godocker/cli — the `godocker` command, also callable in-process.
 *
 * ```ts
 * import { run } from '@godocker/cli';
 * process.exitCode = await run(process.argv.slice(2));
 * ```
 */

export { type CliIo, type Output, processIo } from './io.js';
export { run } from './run.js';
