/**
 * A local image for Python jobs made from a cached venv (scripts/build-python-image.sh): jobs run
 * the same tools (rlaunch, snakemake) as the tests, at the same paths. Kept while its venv and
 * packages are unchanged, so only the first run (or a change) pays for it.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO, venvPath } from './pytest-run.js';

const run = promisify(execFile);

/** Builds IMAGE from venv NAME plus these packages/integrations folders, unless it is current; returns IMAGE. */
export async function pythonImage(venv: string, image: string, packages: readonly string[] = []): Promise<string> {
  // Not execFileSync: the vitest worker stays free while the image builds (minutes when cold).
  const { stderr } = await run(
    'bash',
    [
      join(REPO, 'scripts/build-python-image.sh'),
      await venvPath(venv),
      image,
      ...packages.map((p) => join(REPO, 'packages/integrations', p)),
    ],
    { timeout: 900_000 },
  );
  if (stderr) process.stderr.write(stderr);
  return image;
}
