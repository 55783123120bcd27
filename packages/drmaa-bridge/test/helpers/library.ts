/**
 * Our libdrmaa.so for the tests: its path, and a build that several test files
 * (run in parallel workers) may ask for at once. `npm test` has built it
 * already, so this is normally make's no-op; the lock keeps two makes from
 * writing the same objects when a test file runs on a clean tree.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BRIDGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO = join(BRIDGE, '..', '..');
export const LIBRARY = join(BRIDGE, 'build', 'libdrmaa.so');

export function buildLibrary(): void {
  execFileSync('flock', [join(tmpdir(), 'godocker-libdrmaa-build.lock'), 'make', '-s', '-C', join(BRIDGE, 'c')], {
    stdio: 'pipe',
  });
}
