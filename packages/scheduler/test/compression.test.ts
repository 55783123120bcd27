/**
 * JSON answers are compressed for a client that asks (br, gzip), and only those: the event
 * stream stays uncompressed and live, each event on the wire as it happens.
 */
import { type IncomingMessage, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { Job, JobList } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

/** The answer's headers and its bytes as they crossed the wire (fetch would decode them). */
function rawGet(url: string, token: string, encoding: string | null): Promise<{ res: IncomingMessage; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (encoding !== null) headers['accept-encoding'] = encoding;
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ res, bytes: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('compressed answers', () => {
  let t: TestDaemon;
  let alice: Caller;
  let plain: Buffer;

  beforeAll(async () => {
    t = await startTestDaemon('local');
    alice = await t.addUser('alice', 2201);
    const jobs = Array.from({ length: 200 }, (_, i) => ({
      command: { script: 'true' },
      meta: { name: `held-${i}` },
      hold: true,
    }));
    expect((await alice.call('POST', '/api/v1/jobs/batch', { jobs })).status).toBe(201);
    const identity = await rawGet(`${t.url}/api/v1/jobs?limit=200`, alice.token, null);
    expect(identity.res.headers['content-encoding']).toBeUndefined();
    plain = identity.bytes;
    expect((JSON.parse(plain.toString()) as JobList).jobs).toHaveLength(200);
  });
  afterAll(async () => t?.stop());

  it.each([
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ] as const)('sends a large job list as %s when asked, a fraction of its size, the same JSON', async (encoding, decode) => {
    const { res, bytes } = await rawGet(`${t.url}/api/v1/jobs?limit=200`, alice.token, `${encoding}, identity`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe(encoding);
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(bytes.length).toBeLessThan(plain.length / 5);
    expect(decode(bytes).equals(plain)).toBe(true);
  });

  it('leaves a small answer as it is', async () => {
    const { res } = await rawGet(`${t.url}/api/v1/users/me`, alice.token, 'gzip');
    expect(res.headers['content-encoding']).toBeUndefined();
  });

  it('streams events uncompressed, each as it happens, to a client that accepts compression', async () => {
    const stop = new AbortController();
    const received: string[] = [];
    const opened = new Promise<IncomingMessage>((resolve, reject) => {
      request(
        `${t.url}/api/v1/events`,
        { headers: { authorization: `Bearer ${alice.token}`, 'accept-encoding': 'br, gzip' }, signal: stop.signal },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (c: string) => received.push(c));
          res.on('error', () => {});
          resolve(res);
        },
      )
        .on('error', (e) => stop.signal.aborted || reject(e))
        .end();
    });
    try {
      const res = await opened;
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(res.headers['content-encoding']).toBeUndefined();
      const job = (await alice.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, meta: { name: 'live-one' } }))
        .body;
      // Arrives while the stream stays open: nothing holds it back for a compressor's block.
      await expect.poll(() => received.join(''), { timeout: 10_000 }).toContain(`"id":${job.id},`);
      expect(res.complete).toBe(false);
    } finally {
      stop.abort();
    }
  });
});
