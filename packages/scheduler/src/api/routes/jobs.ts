/** Submit, list, get, act on and wait for jobs. */
import {
  type ActionBody,
  ActionBodySchema,
  ErrorBodySchema,
  ExplanationSchema,
  ForbiddenError,
  type Job,
  type JobBatch,
  JobBatchResultSchema,
  JobBatchSchema,
  JobIdParamsSchema,
  JobListSchema,
  JobNotFoundError,
  JobSchema,
  type JobState,
  type JobSubmission,
  JobSubmissionSchema,
  JobUsageSchema,
  jobSearchProblem,
  type ListJobsQuery,
  ListJobsQuerySchema,
  parseTimeSpec,
  type User,
  ValidationError,
  type WaitFor,
  type WaitManyBody,
  WaitManyBodySchema,
  WaitManyResultSchema,
  WaitQuerySchema,
  WaitResultSchema,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { emptyUsage, publicUsage } from '../../runtime/usage-series.js';
import type { JobFilter } from '../../store/store.js';
import { type ApiContext, canSee, currentUser, makeAuth, visibleJob } from '../context.js';
import { idempotencyHeaders, idempotencyOf } from '../idempotency-key.js';
import { waitForJobs } from '../job-waiter.js';
import { ID_LIST_BODY_BYTES } from '../request-limits.js';
import { abortOnClose, loadJobs } from '../wait-support.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

/** 202: an array's parent is stored, its tasks are still landing (`array.created` of `array.count`). */
function isLanding(job: Job): boolean {
  return job.array !== null && (job.array.created ?? job.array.count) < job.array.count;
}

// Checked here rather than in the runtime: sessions are an API concern, the runtime only stores the name.
async function checkSession(ctx: ApiContext, user: User, session: string | undefined, field: string): Promise<void> {
  if (session !== undefined && !(await ctx.store.getSession(user.name, session))) {
    throw new ValidationError(
      `you have no session named "${session}": create it first (POST /api/v1/sessions), or leave "session" out`,
      field,
    );
  }
}

export function jobRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Body: JobSubmission }>(
    '/jobs',
    {
      onRequest: requireUser,
      bodyLimit: ctx.config.server.bodyLimitBytes,
      schema: {
        summary:
          'Submit a job, or an array of jobs: 201 with the job; 202 with the parent of an array whose tasks are still being stored (array.created of array.count); 200 for a retry with the same Idempotency-Key and body',
        headers: idempotencyHeaders,
        body: JobSubmissionSchema,
        response: { 200: JobSchema, 201: JobSchema, 202: JobSchema, ...errors, 422: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const idempotency = idempotencyOf(request, user.name);
      await checkSession(ctx, user, request.body.session, 'session');
      const result = await ctx.runtime.submit(user, request.body, idempotency);
      return reply.status(isLanding(result.job) ? 202 : result.created ? 201 : 200).send(result.job);
    },
  );

  app.post<{ Body: JobBatch }>(
    '/jobs/batch',
    {
      onRequest: requireUser,
      bodyLimit: ctx.config.server.bodyLimitBytes,
      schema: {
        summary:
          'Submit several jobs in one request: all are stored, or none is and the error names the first bad one; 201, 202 while an array of it has tasks still being stored, 200 for a retry',
        headers: idempotencyHeaders,
        body: JobBatchSchema,
        response: {
          200: JobBatchResultSchema,
          201: JobBatchResultSchema,
          202: JobBatchResultSchema,
          ...errors,
          422: ErrorBodySchema,
        },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const idempotency = idempotencyOf(request, user.name);
      for (const [i, job] of request.body.jobs.entries()) await checkSession(ctx, user, job.session, `jobs.${i}.session`);
      const result = await ctx.runtime.submitBatch(user, request.body.jobs, idempotency);
      const status = result.jobs.some(isLanding) ? 202 : result.created ? 201 : 200;
      return reply.status(status).send({ jobs: result.jobs });
    },
  );

  app.get<{ Querystring: ListJobsQuery }>(
    '/jobs',
    {
      onRequest: requireUser,
      schema: {
        summary: 'List jobs, newest first',
        querystring: ListJobsQuerySchema,
        response: { 200: JobListSchema, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const q = request.query;
      if (q.user && q.user !== user.name && !user.admin)
        throw new ForbiddenError('you may only list your own jobs', 'query.user');
      const filter: JobFilter = {};
      if (q.state) filter.states = q.state.split(',') as JobState[];
      const owner = user.admin ? q.user : user.name;
      if (owner) filter.user = owner;
      if (q.project) filter.project = q.project;
      if (q.tag) filter.tag = q.tag;
      if (q.name) filter.name = q.name;
      if (q.session) filter.session = q.session;
      if (q.q !== undefined) filter.search = searchText(q.q);
      if (q.parent) filter.parentId = q.parent;
      if (q.reaped !== undefined) filter.reaped = q.reaped;
      if (q.arrayParents === false) filter.arrayParent = false;
      const window = timeWindow(q.starttime, q.endtime, new Date());
      if (window) filter.window = window;
      const page = await ctx.store.listJobs(filter, { limit: q.limit ?? 100, ...(q.cursor ? { cursor: Number(q.cursor) } : {}) });
      return {
        jobs: page.jobs.map((j) => ctx.runtime.present(j)),
        nextCursor: page.nextCursor === null ? null : String(page.nextCursor),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      onRequest: requireUser,
      schema: { summary: 'One job', params: JobIdParamsSchema, response: { 200: JobSchema, ...errors } },
    },
    async (request) => ctx.runtime.present(await visibleJob(ctx, currentUser(request), request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/explain',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Why a job waits (reason code, sentence with the numbers, priority and its factors) or how it ended',
        params: JobIdParamsSchema,
        response: { 200: ExplanationSchema, ...errors },
      },
    },
    async (request) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      return { id: job.id, state: job.status.state, ...ctx.runtime.explain(job) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/usage',
    {
      onRequest: requireUser,
      schema: {
        summary:
          'What a job used while it ran, sampled from its executor: totals (cpu seconds, peak memory, io and network bytes) and a bounded time series',
        params: JobIdParamsSchema,
        response: { 200: JobUsageSchema, ...errors },
      },
    },
    async (request) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      // The leader has the latest readings in memory; the store has them as of the last save.
      const record = ctx.runtime.sampler.current(job.id) ?? (await ctx.store.getJobUsage(job.id));
      return record ? publicUsage(record) : emptyUsage(job.id, ctx.config.usage.sampleSeconds);
    },
  );

  app.post<{ Params: { id: string }; Body: ActionBody }>(
    '/jobs/:id/actions',
    {
      onRequest: requireUser,
      schema: {
        summary: 'kill, suspend, resume, hold or release a job (or every task of an array)',
        params: JobIdParamsSchema,
        body: ActionBodySchema,
        response: { 200: JobSchema, ...errors },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const job = await visibleJob(ctx, user, request.params.id);
      return ctx.runtime.action(job, request.body.action, user.name);
    },
  );

  app.get<{ Params: { id: string }; Querystring: { timeout?: number; for?: WaitFor } }>(
    '/jobs/:id/wait',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Long-poll until the job has started or terminated',
        params: JobIdParamsSchema,
        querystring: WaitQuerySchema,
        response: { 200: WaitResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      const abort = abortOnClose(reply.raw, ctx.shutdown);
      const out = await waitForJobs(ctx.bus, (ids) => loadJobs(ctx.store, ids), {
        ids: [job.id],
        mode: 'any',
        for: request.query.for ?? 'terminated',
        timeoutMs: (request.query.timeout ?? 30) * 1000,
        signal: abort,
      });
      return { job: out.jobs.get(job.id) ?? job, timedOut: out.timedOut };
    },
  );

  app.post<{ Body: WaitManyBody }>(
    '/jobs/wait',
    {
      onRequest: requireUser,
      bodyLimit: ID_LIST_BODY_BYTES,
      schema: {
        summary: 'Long-poll on several jobs (any or all)',
        body: WaitManyBodySchema,
        response: { 200: WaitManyResultSchema, ...errors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const ids = [...new Set(request.body.ids)];
      const jobs = await loadJobs(ctx.store, ids);
      const found = new Set(jobs.filter((j) => canSee(user, j)).map((j) => j.id));
      const missing = ids.find((id) => !found.has(id));
      if (missing !== undefined) throw new JobNotFoundError(missing);
      const out = await waitForJobs(ctx.bus, (x) => loadJobs(ctx.store, x), {
        ids,
        mode: request.body.mode ?? 'all',
        for: request.body.for ?? 'terminated',
        timeoutMs: (request.body.timeout ?? 30) * 1000,
        signal: abortOnClose(reply.raw, ctx.shutdown),
      });
      return { ready: out.ready, timedOut: out.timedOut };
    },
  );
}

/** sacct's -S/-E as the store's window; a window that ends before it starts is a mistake to report. */
function searchText(text: string): string {
  const problem = jobSearchProblem(text);
  if (problem) throw new ValidationError(problem, 'query.q');
  return text;
}

function timeWindow(start: string | undefined, end: string | undefined, now: Date): JobFilter['window'] {
  if (start === undefined && end === undefined) return undefined;
  const from = start === undefined ? undefined : parseTimeSpec(start, 'query.starttime', now);
  const to = end === undefined ? undefined : parseTimeSpec(end, 'query.endtime', now);
  if (from !== undefined && to !== undefined && to < from) {
    throw new ValidationError(`endtime ${end} is before starttime ${start}: swap them`, 'query.endtime');
  }
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}
