/** DRMAA's mail attributes become the job's `notify`, in both versions of the standard. */
import { describe, expect, it } from 'vitest';
import { drmaa1, drmaa2, UnsupportedAttributeError } from '../src/index.js';

describe('DRMAA mail attributes', () => {
  it('DRMAA2: emailOnStarted and emailOnTerminated are the begin and end mail types, to the one address given', async () => {
    const sub = await drmaa2.templateToSubmission({
      remoteCommand: 'true',
      email: ['alice@example.org'],
      emailOnStarted: true,
      emailOnTerminated: true,
    });
    expect(sub.notify).toEqual({ mailTypes: ['begin', 'end'], mailUser: 'alice@example.org' });
    // No address: the user's own, which the daemon knows or asks for.
    expect((await drmaa2.templateToSubmission({ remoteCommand: 'true', emailOnTerminated: true })).notify).toEqual({
      mailTypes: ['end'],
    });
    // An address alone asks for no mail (both flags default to false).
    expect((await drmaa2.templateToSubmission({ remoteCommand: 'true', email: ['alice@example.org'] })).notify).toBeUndefined();
    const two = drmaa2.templateToSubmission({ remoteCommand: 'true', email: ['a@b.org', 'c@d.org'], emailOnTerminated: true });
    await expect(two).rejects.toBeInstanceOf(UnsupportedAttributeError);
  });

  it('DRMAA1: drmaa_v_email mails at the end unless drmaa_block_email', async () => {
    const mailed = await drmaa2.templateToSubmission(
      drmaa1.toDrmaa2Template({ remoteCommand: 'true', email: ['bob@example.org'] }),
    );
    expect(mailed.notify).toEqual({ mailTypes: ['end'], mailUser: 'bob@example.org' });
    const blocked = drmaa1.toDrmaa2Template({ remoteCommand: 'true', email: ['bob@example.org'], blockEmail: true });
    expect((await drmaa2.templateToSubmission(blocked)).notify).toBeUndefined();
  });
});
