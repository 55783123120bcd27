/**
 * Job sessions (DRMAA): kept by the server, so that a session outlives the client
 * that made it, and its wait means what DRMAA says. A session belongs to the
 * user who created it; its jobs are that user's jobs submitted with its name.
 */
import { randomBytes } from 'node:crypto';
import {
  type CreateSessionBody,
  CreateSessionBodySchema,
  ErrorBodySchema,
  ErrorCodes,
  type Job,
  NotFoundError,
  type Session,
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
import { abortOnClose, loadJobs } from '../wait-support.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

type NameParams = { Params: { name: string } };

async function sessionOf(ctx: ApiContext, user: User, name: string): Promise<Session> {
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

export function sessionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Body: CreateSessionBody }>(
    '/sessions',
    {
      preHandler: requireUser,
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
      preHandler: requireUser,
      schema: { summary: 'The caller\u2019s job sessions, by name', response: { 200: SessionListSchema, ...errors } },
    },
    async (request) => ({ sessions: await ctx.store.listSessions(currentUser(request).name) }),
  );

  app.get<NameParams>(
    '/sessions/:name',
    {
      preHandler: requireUser,
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
      preHandler: requireUser,
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
      preHandler: requireUser,
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
        return { ready: [], timedOut: false, reaped: [], unknown };
      }
      for (;;) {
        const out = await waitForJobs(ctx.bus, (x) => loadJobs(ctx.store, x), {
          ids,
          mode,
          for: what,
          timeoutMs: Math.max(0, deadline - Date.now()),
          signal,
        });
        if (out.timedOut || !reap) return { ready: out.ready, timedOut: out.timedOut, reaped: [], unknown };
        const at = new Date().toISOString();
        if (mode === 'all') {
          return { ready: out.ready, timedOut: false, reaped: await ctx.store.reapJobs(ids, at), unknown };
        }
        const candidates = [...out.ready].sort(firstEnded);
        for (const job of candidates) {
          const [got] = await ctx.store.reapJobs([job.id], at);
          if (got !== undefined) return { ready: out.ready, timedOut: false, reaped: [got], unknown };
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
}
