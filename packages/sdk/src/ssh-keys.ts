/**
 * SSH public keys a user registers (`godocker key add FILE`) to reach their running jobs
 * through the daemon's SSH gateway (`ssh -p 2222 alice@host 42`).
 */
import { type Static, Type } from '@sinclair/typebox';

/** A registered key as the API shows it; the key itself is kept by the server only. */
export const SshKeySchema = Type.Object({
  /** Short and stable: the first 12 characters of the fingerprint's digest. */
  id: Type.String(),
  user: Type.String(),
  /** ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256... */
  type: Type.String(),
  /** As `ssh-keygen -lf` prints it: `SHA256:...`. */
  fingerprint: Type.String(),
  /** The comment of the key line (often user@host), or the name given at `key add`. */
  comment: Type.String(),
  createdAt: Type.String(),
});
export type SshKey = Static<typeof SshKeySchema>;

export const AddSshKeyBodySchema = Type.Object(
  {
    /** One line of an OpenSSH public key file (`~/.ssh/id_ed25519.pub`). */
    publicKey: Type.String({ minLength: 1, maxLength: 16384 }),
    /** Replaces the key line's comment. */
    comment: Type.Optional(Type.String({ maxLength: 256 })),
  },
  { additionalProperties: false },
);
export type AddSshKeyBody = Static<typeof AddSshKeyBodySchema>;

export const SshKeyParamsSchema = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) },
  { additionalProperties: false },
);

export const SshKeyListSchema = Type.Object({ keys: Type.Array(SshKeySchema) });
export type SshKeyList = Static<typeof SshKeyListSchema>;
