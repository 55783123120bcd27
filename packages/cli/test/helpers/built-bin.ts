/** The built `godocker` executable, as package.json's `bin` names it (what npm links). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export function builtBin(): string {
  const pkg = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { bin: { godocker: string } };
  return join(packageDir, pkg.bin.godocker);
}
