/**
 * The routes of `libdrmaa.so` (packages/drmaa-bridge/PROTOCOL.md): a job template
 * as the C binding's attribute strings, turned into a submission by the SDK's
 * own DRMAA1 code, and a job's state under its DRMAA 1.0 name.
 */
import {
  DRMAA1_STATE,
  type Drmaa1JobState,
  Drmaa1JobStateSchema,
  type Drmaa1JobsBody,
  Drmaa1JobsBodySchema,
  Drmaa1JobsResultSchema,
  drmaa1,
  drmaa2,
  ErrorBodySchema,
  JobIdParamsSchema,
  type JobSubmission,
  JobSubmissionSchema,
  SessionParamsSchema,
  type User,
  ValidationError,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import type { GodockerConfig } from '../../config/config-schema.js';
import { resolveCommandPaths, taskPaths } from '../../runtime/command-paths.js';
import { type HostPathNeed, mergeVolumes, seesHostPaths, volumesForHostPaths } from '../../runtime/host-paths.js';
import { type ApiContext, currentUser, makeAuth, visibleJob } from '../context.js';
import { idempotencyHeaders, idempotencyOf } from '../idempotency-key.js';
import { toValidationError, validatorCompiler } from '../validation.js';
import { sessionOf } from './sessions.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

// The submission is built here rather than received, so it gets the same check POST /jobs gives its body.
const checkSubmission = validatorCompiler({ schema: JobSubmissionSchema, method: 'POST', url: '', httpPart: 'body' }) as ((
  value: unknown,
) => boolean) & { errors?: Parameters<typeof toValidationError>[0] | null };

type Drmaa2Template = drmaa2.JobTemplate;

/**
 * The host paths a DRMAA job uses, and how it uses them, as the daemon will resolve
 * them (the home filled in, relative files in the working directory; task 1 stands
 * for every task of a bulk job, whose files differ only by name).
 */
function hostPathNeeds(t: Drmaa2Template, submission: JobSubmission, user: User, isBulk: boolean): HostPathNeed[] {
  const needs: HostPathNeed[] = [];
  const paths = taskPaths(resolveCommandPaths(submission.command, user.home, isBulk), 1);
  if (paths.workdir !== null) needs.push({ field: 'workingDirectory', path: paths.workdir, kind: 'folder', write: 'prefer' });
  if (t.remoteCommand?.startsWith('/')) {
    needs.push({ field: 'remoteCommand', path: t.remoteCommand, kind: 'file', write: false, optional: true });
  }
  if (paths.stdin !== undefined) needs.push({ field: 'inputPath', path: paths.stdin, kind: 'file', write: false });
  if (paths.stdout !== undefined) needs.push({ field: 'outputPath', path: paths.stdout, kind: 'fileOrFolder', write: true });
  if (paths.stderr !== undefined) needs.push({ field: 'errorPath', path: paths.stderr, kind: 'fileOrFolder', write: true });
  return needs;
}

/** The submission a DRMAA 1.0 C template stands for, in session `session`, where this daemon runs jobs. */
export async function drmaa1Submission(
  body: Drmaa1JobsBody,
  session: string,
  user: User,
  ctx: Pick<ApiContext, 'config' | 'executor' | 'runtime'>,
): Promise<JobSubmission> {
  const config: GodockerConfig = ctx.config;
  let submission: JobSubmission;
  try {
    const jt = drmaa1.fromCAttributes(body.attributes, body.vectors ?? {}, { categories: config.drmaa.categories });
    const template = drmaa1.toDrmaa2Template(jt);
    if (template.image === undefined && config.drmaa.image !== undefined) template.image = config.drmaa.image;
    submission = await drmaa2.templateToSubmission(template, {
      session,
      machines: async () => ctx.runtime.nodes.map((n) => n.name),
    });
    const needs = seesHostPaths(ctx.executor.name) ? [] : hostPathNeeds(template, submission, user, body.bulk !== undefined);
    const volumes = volumesForHostPaths(needs, user, config);
    if (volumes.length > 0) {
      submission.container = {
        ...submission.container,
        volumes: mergeVolumes(submission.container?.volumes ?? [], volumes),
      };
    }
  } catch (e) {
    throw drmaa1.inCTerms(e);
  }
  if (body.bulk) {
    const { start, end, incr } = body.bulk;
    if (end < start) throw new ValidationError(`bulk: end ${end} is before start ${start}`, 'bulk.end');
    submission.array = `${start}-${end}:${incr}`;
  }
  if (!checkSubmission(submission)) throw toValidationError(checkSubmission.errors ?? [], 'body');
  return submission;
}

export function drmaa1Routes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Params: { name: string }; Body: Drmaa1JobsBody }>(
    '/sessions/:name/drmaa1/jobs',
    {
      onRequest: requireUser,
      bodyLimit: ctx.config.server.bodyLimitBytes,
      schema: {
        summary:
          'DRMAA 1.0 run_job / run_bulk_jobs (libdrmaa.so): the template as C attribute strings; answers the job id, or the task ids in index order',
        params: SessionParamsSchema,
        headers: idempotencyHeaders,
        body: Drmaa1JobsBodySchema,
        response: { 201: Drmaa1JobsResultSchema, ...errors, 422: ErrorBodySchema },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const idempotency = idempotencyOf(request, user.name);
      const session = await sessionOf(ctx, user, request.params.name);
      // A retry after a lost answer gets the first answer, even if the template would now be refused.
      const earlier = idempotency ? await ctx.store.findIdempotent(user.name, idempotency.key, idempotency.fingerprint) : null;
      const job =
        earlier ??
        (await ctx.runtime.submit(user, await drmaa1Submission(request.body, session.name, user, ctx), idempotency)).job;
      // libdrmaa gets every task id in one answer: a large bulk job is answered once all are stored.
      await ctx.runtime.landed(job.id);
      const ids = job.array === null ? [job.id] : await ctx.store.listJobIds({ parentId: job.id });
      // 201 for a retry too: libdrmaa reads one answer, and the ids are those the first call created.
      return reply.status(201).send({ jobIds: ids.map(String) });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/drmaa1',
    {
      onRequest: requireUser,
      schema: {
        summary:
          'DRMAA 1.0 job_ps: the job state under its DRMAA name (FAILED: exit code not 0, killed, timed out, never started)',
        params: JobIdParamsSchema,
        response: { 200: Drmaa1JobStateSchema, ...errors },
      },
    },
    async (request): Promise<Drmaa1JobState> => {
      const job = await visibleJob(ctx, currentUser(request), request.params.id);
      return { jobId: String(job.id), state: DRMAA1_STATE[job.status.state] };
    },
  );
}
