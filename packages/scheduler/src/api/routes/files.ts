/**
 * A job's directory through the API: list a folder, download a file (with Range), upload a
 * file (streamed to disk). Owner or admin only; someone else's job is a 404. Works while the
 * job is pending (uploads land before it starts), running and ended, until it is archived (410).
 * Paths are checked by job-files/safe-paths.ts: nothing outside the directory is ever reached.
 */
import {
  ErrorBodySchema,
  ErrorCodes,
  GodockerError,
  isTerminal,
  JobFileListSchema,
  JobFileQuerySchema,
  JobFilesQuerySchema,
  JobFileWrittenSchema,
  JobIdParamsSchema,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { refuseArchived } from '../../job-files/archived.js';
import { ensureJobDir, fileOwner, jobDirOf } from '../../job-files/job-dir.js';
import { listFolder, openFile, writeFile } from '../../job-files/job-file-io.js';
import { type ApiContext, currentUser, makeAuth, visibleJob } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 410: ErrorBodySchema };

const FILE_200 = {
  description: 'the file, as application/octet-stream (206 with a Range)',
  content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
} as const;

interface Params {
  id: string;
}

/** One `bytes=` range of a file of `size` bytes, or null for the whole; 'unsatisfiable' when it lies beyond. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'unsatisfiable' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  // Several ranges, or another unit: the whole file, as RFC 9110 lets a server answer.
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export function fileRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  // Uploads are streamed to disk as they come, never buffered: the route counts the bytes itself.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.get<{ Params: Params; Querystring: { path?: string } }>(
    '/jobs/:id/files',
    {
      onRequest: requireUser,
      schema: {
        summary: "List a folder of the job's directory (links are listed, never followed)",
        params: JobIdParamsSchema,
        querystring: JobFilesQuerySchema,
        response: { 200: JobFileListSchema, ...errors },
      },
    },
    async (request) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      refuseArchived(job);
      const path = request.query.path ?? '';
      try {
        return { path, entries: await listFolder(jobDirOf(ctx.config, job.id), path) };
      } catch (error) {
        // Not made yet (no upload, not started): an empty directory, as the job will find it.
        const empty = GodockerError.is(error) && error.code === ErrorCodes.NOT_FOUND && path.replaceAll(/[/.]/g, '') === '';
        if (empty) return { path, entries: [] };
        throw error;
      }
    },
  );

  app.get<{ Params: Params; Querystring: { path: string } }>(
    '/jobs/:id/files/content',
    {
      onRequest: requireUser,
      schema: {
        summary: "Download a file of the job's directory; a Range header gets that part (206)",
        params: JobIdParamsSchema,
        querystring: JobFileQuerySchema,
        response: { 200: FILE_200, 206: FILE_200, 416: ErrorBodySchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      refuseArchived(job);
      const { handle, size } = await openFile(jobDirOf(ctx.config, job.id), request.query.path);
      const range = parseRange(request.headers.range, size);
      if (range === 'unsatisfiable') {
        await handle.close();
        reply.header('content-range', `bytes */${size}`);
        throw new GodockerError(
          ErrorCodes.INVALID_REQUEST,
          `the range ${request.headers.range} lies beyond the file's ${size} bytes`,
          { status: 416, field: 'range' },
        );
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? size - 1;
      reply.header('accept-ranges', 'bytes');
      reply.header('content-length', String(Math.max(0, end - start + 1)));
      if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
      reply.type('application/octet-stream');
      // A file the job is still writing is sent as long as it was when opened: Content-Length holds.
      return reply.send(size === 0 ? '' : handle.createReadStream({ start, end, autoClose: true }));
    },
  );

  app.put<{ Params: Params; Querystring: { path: string } }>(
    '/jobs/:id/files/content',
    {
      onRequest: requireUser,
      schema: {
        summary:
          "Upload a file into the job's directory (application/octet-stream): parents made, owned by the job's uid, " +
          'visible only once whole; limits.maxUploadBytes and limits.maxJobDirBytes apply (413)',
        params: JobIdParamsSchema,
        querystring: JobFileQuerySchema,
        response: { 201: JobFileWrittenSchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      refuseArchived(job);
      const body = request.body as NodeJS.ReadableStream | undefined;
      if (!body || typeof (body as { pipe?: unknown }).pipe !== 'function') {
        throw new GodockerError(
          ErrorCodes.INVALID_REQUEST,
          'send the file as the body, with Content-Type: application/octet-stream',
          { status: 415 },
        );
      }
      const dir = await ensureJobDir(ctx.config, job);
      const declared = request.headers['content-length'];
      const size = await writeFile(
        dir,
        request.query.path,
        request.raw,
        fileOwner(job),
        { maxBytes: ctx.config.limits.maxUploadBytes, maxTotalBytes: ctx.config.limits.maxJobDirBytes },
        declared === undefined ? null : Number(declared),
      );
      if (isTerminal(job.status.state)) request.log.info({ jobId: job.id }, 'file uploaded into an ended job');
      return reply.code(201).send({ path: request.query.path, size });
    },
  );
}
