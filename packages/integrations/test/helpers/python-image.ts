/**
 * A local image for Python jobs made from a cached venv (scripts/build-python-image.sh): jobs run
 * the same tools (rlaunch, snakemake) as the tests, at the same paths. Kept while its venv and
 * packages are unchanged, so only the first run (or a change) pays for it.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, venvPath } from './pytest-run.js';

/** Builds IMAGE from venv NAME plus these packages/integrations folders, unless it is current; returns IMAGE. */
export function pythonImage(venv: string, image: string, packages: readonly string[] = []): string {
  execFileSync(
    'bash',
    [
      join(REPO, 'scripts/build-python-image.sh'),
      venvPath(venv),
      image,
      ...packages.map((p) => join(REPO, 'packages/integrations', p)),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 },
  );
  return image;
}
