/**
 * Writes the first V8 code cache of dist/cli.cjs (see src/bin.ts) by running the
 * command people run most, `submit`, through the built executable, against a stand-in
 * on 127.0.0.1 that answers every request with a 503 in the API's error envelope: the
 * option parsing, the request, the HTTP client and the error path all get compiled.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(503, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code: 'GOD_UNAVAILABLE', message: 'compile cache warm-up' } }));
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
const { port } = server.address();
try {
  const failed = await promisify(execFile)(process.execPath, [`${dist}godocker.cjs`, 'submit', '--cmd', 'true'], {
    env: { ...process.env, GODOCKER_URL: `http://127.0.0.1:${port}`, GODOCKER_TOKEN: 'compile-cache-warm-up' },
    timeout: 30_000,
  }).then(
    () => null,
    (e) => e,
  );
  if (!failed?.stderr?.includes('compile cache warm-up')) {
    throw new Error(`warm-compile-cache: unexpected result of godocker submit: ${failed?.stderr ?? 'it succeeded'}`);
  }
  if (!readdirSync(dist).some((f) => f.endsWith('.v8cache'))) throw new Error('warm-compile-cache: no code cache in dist/');
} finally {
  server.close();
}
