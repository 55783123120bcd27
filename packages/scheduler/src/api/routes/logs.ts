/**
 * stdout and stderr of a job: whole (text), or followed live as server-sent
 * events until the job ends. Ended jobs are read from the files the executor
 * collected in the job's directory; running ones from the executor. An archived
 * job's logs are gone: 410.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  ErrorBodySchema,
  ErrorCodes,
  GodockerError,
  isTerminal,
  type Job,
  LogQuerySchema,
  type LogStream,
  LogStreamParamsSchema,
  NotSupportedError,
  taskKey,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { refuseArchived } from '../../job-files/archived.js';
import { jobDirOf, legacyLogDirOf } from '../../job-files/job-dir.js';
import { openFile } from '../../job-files/job-file-io.js';
import { TEXT_OR_EVENTS_200 } from '../api-responses.js';
import { type ApiContext, currentUser, makeAuth, visibleJob } from '../context.js';
import { reached, waitForJobs } from '../job-waiter.js';
import { openSse } from '../sse.js';

export function logRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.get<{ Params: { id: string; stream: LogStream }; Querystring: { follow?: boolean } }>(
    '/jobs/:id/logs/:stream',
    {
      onRequest: requireUser,
      schema: {
        summary: 'stdout or stderr of a job; ?follow=true streams it (SSE: `log` events, then `end` with the job)',
        params: LogStreamParamsSchema,
        querystring: LogQuerySchema,
        response: {
          200: TEXT_OR_EVENTS_200,
          401: ErrorBodySchema,
          404: ErrorBodySchema,
          409: ErrorBodySchema,
          410: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      refuseArchived(job);
      const stream = request.params.stream;
      if (!request.query.follow) {
        const body = await openLog(ctx, job, stream, false);
        return reply.type('text/plain; charset=utf-8').send(body ?? '');
      }
      const live = job.status.state === 'running' || job.status.state === 'suspended';
      const runner = ctx.runtime.executorOf(job);
      if (live && !runner.features.logsFollow) throw new NotSupportedError(runner.name, 'follow the logs of a running job');
      const sse = openSse(reply, ctx.shutdown);
      await followLog(ctx, job, stream, (text) => sse.send('log', { text }), sse.done);
      if (!sse.closed) {
        const final = (await ctx.store.getJob(job.id)) ?? job;
        sse.send('end', final);
        sse.close();
      }
    },
  );
}

/** The whole log so far, or a live stream of it; null when there is nothing yet. */
async function openLog(ctx: ApiContext, job: Job, stream: LogStream, follow: boolean): Promise<Readable | null> {
  if (job.status.state === 'running' || job.status.state === 'suspended') {
    const handle = { key: taskKey(ctx.clusterId, job.id), id: job.status.containerId, node: job.status.node };
    try {
      return await ctx.executor.logs(handle, stream, { follow });
    } catch {
      // Collected between our read of the state and this call: the file has it.
    }
  }
  // The job could write its directory: its `stdout` is opened as any of its files, never through a link out.
  const opened = await openFile(jobDirOf(ctx.config, job.id), stream).catch((error: unknown) => {
    if (GodockerError.is(error) && error.code === ErrorCodes.NOT_FOUND) return null;
    throw error;
  });
  if (opened) return opened.handle.createReadStream({ autoClose: true });
  // Jobs that ended before jobs had a directory kept their logs here, written by the daemon alone.
  const legacy = join(legacyLogDirOf(ctx.config, job.id), stream);
  try {
    await stat(legacy);
  } catch {
    return null;
  }
  return createReadStream(legacy);
}

async function followLog(
  ctx: ApiContext,
  first: Job,
  stream: LogStream,
  emit: (text: string) => void,
  gone: Promise<void>,
): Promise<void> {
  let left = false;
  void gone.then(() => {
    left = true;
  });
  const abort = new AbortController();
  void gone.then(() => abort.abort());
  // A job not started yet has no output: wait for it to start (or end).
  let job = first;
  while (!left && !reached(job, 'started')) {
    const out = await waitForJobs(ctx.bus, async () => [(await ctx.store.getJob(job.id)) ?? job], {
      ids: [job.id],
      mode: 'any',
      for: 'started',
      timeoutMs: 60_000,
      signal: abort.signal,
    });
    job = out.jobs.get(job.id) ?? job;
  }
  if (left) return;
  const live = !isTerminal(job.status.state);
  const source = await openLog(ctx, job, stream, live);
  if (source) {
    // Decodes across chunk boundaries, so a multibyte character is never split.
    source.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      source.on('data', (chunk: Buffer | string) => emit(chunk.toString()));
      source.on('end', resolve);
      source.on('error', () => resolve());
      void gone.then(() => {
        source.destroy();
        resolve();
      });
    });
  }
  if (live && !left) {
    // The live stream ends with the task; the final state follows once the logs are collected.
    await waitForJobs(ctx.bus, async () => [(await ctx.store.getJob(job.id)) ?? job], {
      ids: [job.id],
      mode: 'any',
      for: 'terminated',
      timeoutMs: 30_000,
      signal: abort.signal,
    });
  }
}
