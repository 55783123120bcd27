/**
 * Job sessions (DRMAA): kept by the server, so that a session outlives the client
 * that made it, and its wait means what DRMAA says. A session belongs to the
 * user who created it; its jobs are that user's jobs submitted with its name.
 */
import { randomBytes } from 'node:crypto';
import {
  ACTION_FROM,
  type CreateSessionBody,
  CreateSessionBodySchema,
  drmaa1,
  ErrorBodySchema,
  ErrorCodes,
  GodockerError,
  type Job,
  type JobAction,
  NotFoundError,
  type Session,
  type SessionActionBody,
  SessionActionBodySchema,
  type SessionActionResult,
  SessionActionResultSchema,
  SessionListSchema,
  SessionParamsSchema,
  SessionSchema,
  type SessionWaitBody,
  SessionWaitBodySchema,
  type SessionWaitResult,
  SessionWaitResultSchema,
  type User,
  ValidationError,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, currentUser, makeAuth } from '../context.js';
import { waitForJobs } from '../job-waiter.js';
import { ID_LIST_BODY_BYTES } from '../request-limits.js';
import { abortOnClose, loadJobs } from '../wait-support.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

type NameParams = { Params: { name: string } };

export async function sessionOf(ctx: ApiContext, user: User, name: string): Promise<Session> {
  const session = await ctx.store.getSession(user.name, name);
  if (!session) {
    throw new NotFoundError(
      `you have no session named "${name}": list yours with GET /api/v1/sessions`,
      ErrorCodes.SESSION_NOT_FOUND,
    );
  }
  return session;
}

function notInSession(id: number, session: Session): NotFoundError {
  return new NotFoundError(
    `job ${id} is not a job of session "${session.name}" that can still be waited for: it was never submitted in it, or a wait already reaped it`,
    ErrorCodes.JOB_NOT_FOUND,
  );
}

function noJobLeft(session: Session): NotFoundError {
  return new NotFoundError(
    `session "${session.name}" has no job left to wait for: none was submitted in it, or waits have reaped them all`,
    ErrorCodes.JOB_NOT_FOUND,
  );
}

/** The one DRMAA's wait returns when several are ready: the first to have ended, then the oldest. */
function firstEnded(a: Job, b: Job): number {
  return (a.status.endedAt ?? '').localeCompare(b.status.endedAt ?? '') || a.id - b.id;
}

function waitResult(ready: Job[], timedOut: boolean, reaped: number[], unknown: number[], omitJobs: boolean): SessionWaitResult {
  const byId = new Map(ready.map((j) => [j.id, j]));
  const info = reaped.flatMap((id) => {
    const job = byId.get(id);
    return job ? [drmaa1.jobInfoOf(job)] : [];
  });
  return { ready: omitJobs ? [] : ready, readyIds: ready.map((j) => j.id), timedOut, reaped, unknown, info };
}

/** A job the action no longer applies to (it changed state meanwhile, or vanished) is left alone, as DRMAA's SESSION_ALL says. */
function isLeftAlone(e: unknown): boolean {
  return GodockerError.is(e) && (e.code === ErrorCodes.INVALID_STATE || e.code === ErrorCodes.JOB_NOT_FOUND);
}

/**
 * The action on every active, unreaped job of the session it applies to; an array
 * is acted on once, through its parent, for its tasks. Returns the ids acted on
 * (tasks, never parents: DRMAA knows only those).
 */
async function actOnSession(ctx: ApiContext, session: Session, action: JobAction, who: string): Promise<number[]> {
  // Only the jobs in a state the action applies to: the others are left alone.
  const ids = await ctx.store.listJobIds({
    user: session.user,
    session: session.name,
    reaped: false,
    states: [...ACTION_FROM[action]],
  });
  const singles: Job[] = [];
  const tasksOf = new Map<number, number[]>();
  for (const job of await loadJobs(ctx.store, ids)) {
    if (job.array !== null) continue;
    if (job.parentId === null) singles.push(job);
    else {
      const tasks = tasksOf.get(job.parentId);
      if (tasks) tasks.push(job.id);
      else tasksOf.set(job.parentId, [job.id]);
    }
  }
  const acted: number[] = [];
  const act = async (job: Job, stands: number[]) => {
    try {
      await ctx.runtime.action(job, action, who);
      acted.push(...stands);
    } catch (e) {
      if (!isLeftAlone(e)) throw e;
    }
  };
  const parents = await loadJobs(ctx.store, [...tasksOf.keys()]);
  await Promise.all([
    ...singles.map((job) => act(job, [job.id])),
    ...parents.map((parent) => act(parent, tasksOf.get(parent.id) ?? [])),
  ]);
  return acted.sort((a, b) => a - b);
}

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Body: CreateSessionBody }>(
    '/sessions',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Create a job session (DRMAA); a name is generated when none is given',
        body: CreateSessionBodySchema,
        response: { 201: SessionSchema, ...errors },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const session = await ctx.store.createSession({
        name: request.body.name ?? `session-${randomBytes(6).toString('hex')}`,
        user: user.name,
        kind: request.body.kind ?? 'drmaa2',
        createdAt: new Date().toISOString(),
      });
      return reply.status(201).send(session);
    },
  );

  app.get(
    '/sessions',
    {
      onRequest: requireUser,
      schema: { summary: 'The caller\u2019s job sessions, by name', response: { 200: SessionListSchema, ...errors } },
    },
    async (request) => ({ sessions: await ctx.store.listSessions(currentUser(request).name) }),
  );

  app.get<NameParams>(
    '/sessions/:name',
    {
      onRequest: requireUser,
      schema: {
        summary: 'One of the caller\u2019s job sessions',
        params: SessionParamsSchema,
        response: { 200: SessionSchema, ...errors },
      },
    },
    async (request) => sessionOf(ctx, currentUser(request), request.params.name),
  );

  app.delete<NameParams>(
    '/sessions/:name',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Delete a job session: its jobs keep running and no longer belong to any session',
        params: SessionParamsSchema,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await ctx.store.deleteSession(currentUser(request).name, request.params.name);
      return reply.status(204).send();
    },
  );

  app.post<NameParams & { Body: SessionWaitBody }>(
    '/sessions/:name/wait',
    {
      onRequest: requireUser,
      bodyLimit: ID_LIST_BODY_BYTES,
      schema: {
        summary:
          'DRMAA wait: long-poll until any or all of the session\u2019s jobs (or the ids given) have started or terminated; reap marks them',
        params: SessionParamsSchema,
        body: SessionWaitBodySchema,
        response: { 200: SessionWaitResultSchema, ...errors },
      },
    },
    async (request, reply): Promise<SessionWaitResult> => {
      const session = await sessionOf(ctx, currentUser(request), request.params.name);
      const body = request.body;
      const mode = body.mode ?? 'all';
      const what = body.for ?? 'terminated';
      const reap = body.reap ?? false;
      const omit = body.omitJobs ?? false;
      if (reap && what !== 'terminated') {
        throw new ValidationError('only terminated jobs can be reaped: send "for": "terminated" with "reap"', 'reap');
      }
      const deadline = Date.now() + (body.timeout ?? 30) * 1000;
      const signal = abortOnClose(reply.raw, ctx.shutdown);
      // The jobs a DRMAA wait may still return: the session's own, not yet reaped. Array
      // parents stand for their tasks, so SESSION_ANY/ALL look at the tasks only.
      const waitable = await ctx.store.listJobIds({
        user: session.user,
        session: session.name,
        reaped: false,
        ...(body.ids ? {} : { arrayParent: false }),
      });
      const unknown: number[] = [];
      let ids = waitable;
      if (body.ids) {
        const known = new Set(waitable);
        ids = [];
        for (const id of new Set(body.ids)) {
          if (known.has(id)) ids.push(id);
          else if (body.skipUnknown) unknown.push(id);
          else throw notInSession(id, session);
        }
      }
      if (ids.length === 0) {
        // DRMAA: wait on SESSION_ANY with nothing left fails at once; synchronize on nothing succeeds.
        if (mode === 'any' && !body.ids) throw noJobLeft(session);
        return waitResult([], false, [], unknown, omit);
      }
      for (;;) {
        const out = await waitForJobs(ctx.bus, (x) => loadJobs(ctx.store, x), {
          ids,
          mode,
          for: what,
          timeoutMs: Math.max(0, deadline - Date.now()),
          signal,
        });
        if (out.timedOut || !reap) return waitResult(out.ready, out.timedOut, [], unknown, omit);
        const at = new Date().toISOString();
        if (mode === 'all') {
          return waitResult(out.ready, false, await ctx.store.reapJobs(ids, at), unknown, omit);
        }
        const candidates = [...out.ready].sort(firstEnded);
        for (const job of candidates) {
          const [got] = await ctx.store.reapJobs([job.id], at);
          if (got !== undefined) return waitResult(out.ready, false, [got], unknown, omit);
        }
        // Every ready job was reaped by a concurrent wait meanwhile: go on waiting for the others.
        const taken = new Set(candidates.map((j) => j.id));
        ids = ids.filter((id) => !taken.has(id));
        if (ids.length === 0) {
          if (body.ids?.length === 1) throw notInSession(body.ids[0] as number, session);
          throw noJobLeft(session);
        }
      }
    },
  );

  app.post<NameParams & { Body: SessionActionBody }>(
    '/sessions/:name/actions',
    {
      onRequest: requireUser,
      schema: {
        summary:
          'DRMAA control(SESSION_ALL): kill, suspend, resume, hold or release every active job of the session the action applies to',
        params: SessionParamsSchema,
        body: SessionActionBodySchema,
        response: { 200: SessionActionResultSchema, ...errors },
      },
    },
    async (request): Promise<SessionActionResult> => {
      const user = currentUser(request);
      const session = await sessionOf(ctx, user, request.params.name);
      const ids = await actOnSession(ctx, session, request.body.action, user.name);
      return { jobIds: ids.map(String) };
    },
  );
}
