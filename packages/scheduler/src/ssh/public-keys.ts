/**
 * OpenSSH public key lines as users paste them (`~/.ssh/id_ed25519.pub`): parsed and checked
 * with ssh2's own parser, the one the gateway verifies signatures with, so a key accepted
 * here is a key that can log in.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '@godocker/sdk';
import ssh2 from 'ssh2';

export interface PublicKeyLine {
  type: string;
  /** `SHA256:` and the unpadded base64 digest, as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  comment: string;
  /** The key as one normalised line: type, base64, comment. */
  line: string;
}

/** The fingerprint of a key's wire form (what a client sends when it offers the key). */
export function fingerprintOf(wire: Buffer): string {
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

/** A short id for the API and the CLI: the fingerprint's first 12 digest characters, made URL-safe. */
export function keyIdOf(fingerprint: string): string {
  return fingerprint
    .slice('SHA256:'.length, 'SHA256:'.length + 12)
    .replaceAll('+', '-')
    .replaceAll('/', '_');
}

const FIELD = 'publicKey';

export function parsePublicKeyLine(text: string): PublicKeyLine {
  const trimmed = text.trim();
  if (/PRIVATE KEY/.test(trimmed)) {
    throw new ValidationError(
      'this is a private key: never hand it to anyone; give its public half, the .pub file (ssh-keygen -y -f KEY prints it)',
      FIELD,
    );
  }
  const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('#'));
  if (lines.length !== 1) {
    throw new ValidationError(
      `expected one OpenSSH public key line ("ssh-ed25519 AAAA... comment"), got ${lines.length} lines: add keys one at a time`,
      FIELD,
    );
  }
  const parsed = ssh2.utils.parseKey(lines[0] as string);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (key === undefined || key instanceof Error) {
    const why = key instanceof Error ? key.message : 'nothing in it';
    throw new ValidationError(
      `not an OpenSSH public key (${why}): give the line of a .pub file, such as ~/.ssh/id_ed25519.pub`,
      FIELD,
    );
  }
  if (key.isPrivateKey()) {
    throw new ValidationError('this is a private key: give its public half, the .pub file', FIELD);
  }
  const wire = key.getPublicSSH();
  return {
    type: key.type,
    fingerprint: fingerprintOf(wire),
    comment: key.comment,
    line: `${key.type} ${wire.toString('base64')}${key.comment ? ` ${key.comment}` : ''}`,
  };
}
