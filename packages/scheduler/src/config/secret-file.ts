/** Secrets kept out of the config file: read from a file of their own at start. */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@godocker/sdk';

/** The file's content, trimmed; a ConfigError naming `key` when it cannot be read or is shorter than `minLength`. */
export function readSecretFile(path: string, key: string, minLength: number): string {
  let secret: string;
  try {
    secret = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`cannot read ${key} ${path}: ${(e as Error).message}`, key);
  }
  if (secret.length < minLength) {
    throw new ConfigError(`${key} holds fewer than ${minLength} characters: use a longer secret`, key);
  }
  return secret;
}
