/** What both stores say about SSH keys, in the same words. */
import { ErrorCodes, GodockerError, NotFoundError, type SshKey } from '@godocker/sdk';
import type { StoredSshKey } from './store.js';

export function sshKeyExists(key: StoredSshKey): GodockerError {
  return new GodockerError(ErrorCodes.CONFLICT, `this key (${key.fingerprint}) is already registered as key ${key.id}`, {
    field: 'publicKey',
  });
}

export function sshKeyMissing(id: string): NotFoundError {
  return new NotFoundError(`you have no SSH key "${id}": \`godocker key list\` shows their ids`);
}

/** The key as the API shows it: without the key line. */
export function publicView(key: StoredSshKey): SshKey {
  const { publicKey: _line, ...shown } = key;
  return shown;
}
