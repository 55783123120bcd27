/**
 * What the `godocker` executable runs: bundled into dist/cli.cjs, which bin.ts
 * loads with V8's code cache. Everything else lives in run.ts, so tests never spawn a process.
 */
import { run } from './run.js';

// Exit explicitly: an idle keep-alive socket or a daemon handle left by `server` must not
// keep a finished command alive. stdout/stderr writes are synchronous on Linux for files,
// pipes and terminals, so nothing printed is lost.
run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    // run() turns every failure into an exit code; this is a bug in it.
    process.stderr.write(`godocker: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
