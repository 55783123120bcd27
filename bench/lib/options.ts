/**
 * A benchmark's command-line options (`npm run bench -- NAME --option value`): each
 * takes a value, has a default, and an unknown or malformed one stops the benchmark
 * with a message that lists the options, before anything is started.
 */
import { parseArgs } from 'node:util';

export interface OptionSpec {
  default: string;
  /** What it sets, shown when an option is wrong. */
  help: string;
}

export class OptionError extends Error {}

export function readOptions<K extends string>(specs: Record<K, OptionSpec>): Record<K, string> {
  const usage = () =>
    Object.entries<OptionSpec>(specs)
      .map(([name, s]) => `  --${name} (default ${s.default}): ${s.help}`)
      .join('\n');
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: Object.fromEntries(Object.keys(specs).map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    const out = {} as Record<K, string>;
    for (const name of Object.keys(specs) as K[]) out[name] = (values[name] as string | undefined) ?? specs[name].default;
    return out;
  } catch (e) {
    throw new OptionError(`${(e as Error).message}\noptions:\n${usage()}`);
  }
}

/** A whole number of at least `min`, or an OptionError naming the option. */
export function wholeNumber(value: string, name: string, min = 1): number {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new OptionError(`--${name} must be a whole number >= ${min}, not "${value}"`);
  return n;
}

/** One of `choices`, or an OptionError listing them. */
export function oneOf<T extends string>(value: string, name: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new OptionError(`--${name} must be one of ${choices.join(', ')}, not "${value}"`);
  }
  return value as T;
}
