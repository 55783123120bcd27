/**
 * Writes the first V8 code cache of dist/cli.cjs (see src/bin.ts) by running the
 * command people run most, `submit`, through the built executable. Nothing listens
 * on the port it is pointed at: the run ends with a connection error, after the
 * option parsing, the request building and the HTTP client have all been compiled.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const run = spawnSync(process.execPath, [`${dist}godocker.cjs`, 'submit', '--cmd', 'true'], {
  env: { ...process.env, GODOCKER_URL: 'http://127.0.0.1:9', GODOCKER_TOKEN: 'compile-cache-warm-up' },
  encoding: 'utf8',
});
if (!/cannot reach the GoDocker daemon/.test(run.stderr)) {
  console.error(`warm-compile-cache: unexpected result of godocker submit (exit ${run.status}):\n${run.stderr}`);
  process.exit(1);
}
if (!readdirSync(dist).some((f) => f.endsWith('.v8cache'))) {
  console.error('warm-compile-cache: no code cache was written in dist/');
  process.exit(1);
}
