/**
 * What the routes share, and per-user visibility: a user sees and controls only
 * their own jobs, an admin all; someone else's job answers 404 like a missing one,
 * so ids cannot be probed.
 */
import { type Executor, ForbiddenError, type Job, JobNotFoundError, type User } from '@godocker/sdk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LoginService } from '../auth/login-service.js';
import type { TokenAuthenticator } from '../auth/tokens.js';
import type { GodockerConfig } from '../config/config-schema.js';
import type { EventBus } from '../events/event-bus.js';
import type { JobArchiver } from '../job-files/archiver.js';
import type { JobRuntime } from '../runtime/job-runtime.js';
import type { Store } from '../store/store.js';

export interface ApiContext {
  store: Store;
  runtime: JobRuntime;
  /** Archives old ended jobs; runs on its own only while this daemon leads. */
  archiver: JobArchiver;
  bus: EventBus;
  config: GodockerConfig;
  executor: Executor;
  clusterId: string;
  /** Where the SSH gateway listens, once it does (GET /api/v1/info tells `godocker ssh`); null when it is off. */
  ssh?: { host: string; port: number } | null;
  /** Aborted when the daemon stops: long-polls answer and streams close at once. */
  shutdown: AbortSignal;
  tokens: TokenAuthenticator;
  /** Password logins (POST /auth/login); null when no directory is configured. */
  logins: LoginService | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
}

export function makeAuth(ctx: ApiContext) {
  const requireUser = async (request: FastifyRequest, _reply: FastifyReply) => {
    request.user = await ctx.tokens.authenticate(request.headers.authorization);
  };
  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
    await requireUser(request, reply);
    if (!request.user?.admin) throw new ForbiddenError('this needs an admin token');
  };
  return { requireUser, requireAdmin };
}

export function currentUser(request: FastifyRequest): User {
  if (!request.user) throw new Error('route is missing its auth hook');
  return request.user;
}

export function canSee(user: User, job: Job): boolean {
  return user.admin || job.user.name === user.name;
}

export async function visibleJob(ctx: ApiContext, user: User, idText: string | number): Promise<Job> {
  const id = Number(idText);
  const job = Number.isSafeInteger(id) ? await ctx.store.getJob(id) : null;
  if (!job || !canSee(user, job)) throw new JobNotFoundError(idText);
  return job;
}
