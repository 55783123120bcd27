/**
 * Compressed answers: a page of 50 jobs is about 44 KB of JSON and a tenth of that in gzip or
 * brotli, which is what a dashboard on a slow link waits for. Only whole answers are
 * compressed: the event and log-follow streams (text/event-stream, on a hijacked reply)
 * are never touched, since a compressor holds bytes back until its block fills and a live
 * stream must not wait for that.
 */

import { constants } from 'node:zlib';
import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/** Smaller answers cost more to compress than they save. */
const THRESHOLD_BYTES = 1024;

/** Registered before the routes: the plugin adds its hook to each route as it is declared. */
export async function compressAnswers(app: FastifyInstance): Promise<void> {
  await app.register(compress, {
    threshold: THRESHOLD_BYTES,
    // Both are in every browser; deflate's framing is ambiguous across clients, zstd is not everywhere.
    encodings: ['br', 'gzip'],
    // Brotli's default quality (11) takes tens of milliseconds on a page of jobs; 4 keeps most of the gain.
    brotliOptions: { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } },
    // JSON (the plugin's default types also take text/event-stream's neighbours, but never it).
    customTypes: /^application\/(?:[\w.+-]+\+)?json(?:;|$)/,
    // Request bodies stay as sent: a compressed body would pass the size limits at its packed size.
    globalDecompression: false,
  });
}
