/**
 * Tests that run code in a child process (examples, a client that exits) use
 * the built packages, as a user would: this fails early, and says why, when the
 * build is older than the sources.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Throws unless `packages/NAME/dist` was built after its last source change. */
export function assertBuilt(...packages: string[]): void {
  for (const name of packages) {
    const root = join(REPO, 'packages', name);
    let built = 0;
    try {
      built = statSync(join(root, 'dist', 'index.js')).mtimeMs;
    } catch {
      // not built at all
    }
    if (built < newest(join(root, 'src'))) {
      throw new Error(`packages/${name}/dist is missing or older than its sources: run \`npm run build\` first`);
    }
  }
}
