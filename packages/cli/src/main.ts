#!/usr/bin/env node
/** The `godocker` executable. Everything else lives in run.ts, so tests never spawn a process. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { run } from './run.js';

export { run } from './run.js';

function isMain(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    // npm links bins through node_modules/.bin symlinks.
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  const code = await run(process.argv.slice(2));
  // Exit explicitly: an idle keep-alive socket or a daemon handle left by `server` must not
  // keep a finished command alive. stdout/stderr writes are synchronous on Linux for files,
  // pipes and terminals, so nothing printed is lost.
  process.exit(code);
}
