/**
 * Projects and their members (admin), the projects a user belongs to (anyone),
 * and the admin's reset of the cumulative cpu-time quota.
 *
 * A project answers 404 to someone who is not a member, like a missing one, so
 * project names cannot be probed.
 */
import {
  type AddMemberBody,
  AddMemberBodySchema,
  type CreateProjectBody,
  CreateProjectBodySchema,
  ErrorBodySchema,
  ForbiddenError,
  type ListProjectsQuery,
  ListProjectsQuerySchema,
  NotFoundError,
  type Project,
  ProjectListSchema,
  ProjectSchema,
  type ResetUsageBody,
  ResetUsageBodySchema,
  type ResetUsageResult,
  ResetUsageResultSchema,
  type UpdateMemberBody,
  UpdateMemberBodySchema,
  type UpdateProjectBody,
  UpdateProjectBodySchema,
} from '@godocker/sdk';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };
const ProjectParam = Type.String({ minLength: 1, maxLength: 128 });
const UserParam = Type.String({ minLength: 1, maxLength: 64 });
const NameParams = Type.Object({ name: ProjectParam }, { additionalProperties: false });
const MemberParams = Type.Object({ name: ProjectParam, user: UserParam }, { additionalProperties: false });

type Name = { Params: { name: string } };
type MemberPath = { Params: { name: string; user: string } };

export function projectRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser, requireAdmin } = makeAuth(ctx);

  app.get<{ Querystring: ListProjectsQuery }>(
    '/projects',
    {
      onRequest: requireUser,
      schema: {
        summary:
          'Projects with their members: all of them for an admin, the caller’s own for a user; `user` narrows to one user’s',
        querystring: ListProjectsQuerySchema,
        response: { 200: ProjectListSchema, ...errors },
      },
    },
    async (request) => {
      const me = currentUser(request);
      const user = request.query.user;
      if (!me.admin && user !== undefined && user !== me.name) {
        throw new ForbiddenError('only an admin may list the projects of another user', 'query.user');
      }
      if (user !== undefined) return { projects: await ctx.store.projectsOfUser(user) };
      return { projects: me.admin ? await ctx.store.listProjects() : await ctx.store.projectsOfUser(me.name) };
    },
  );

  app.get<Name>(
    '/projects/:name',
    {
      onRequest: requireUser,
      schema: {
        summary: 'One project with its members (its members and admins)',
        params: NameParams,
        response: { 200: ProjectSchema, ...errors },
      },
    },
    async (request) => {
      const me = currentUser(request);
      const project = await ctx.store.getProject(request.params.name);
      if (!project || !(me.admin || project.members.some((m) => m.user === me.name))) {
        throw new NotFoundError(
          `no project named "${request.params.name}" (or you are not a member): list yours with \`godocker project list\``,
        );
      }
      return project;
    },
  );

  app.post<{ Body: CreateProjectBody }>(
    '/projects',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Create a project, with no members yet (admin)',
        body: CreateProjectBodySchema,
        response: { 201: ProjectSchema, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const project = await ctx.store.createProject({
        name: b.name,
        description: b.description ?? '',
        shares: b.shares ?? 1,
        priority: b.priority ?? 0,
        quota: b.quota ?? {},
        createdAt: new Date().toISOString(),
      });
      return reply.status(201).send(project);
    },
  );

  app.patch<Name & { Body: UpdateProjectBody }>(
    '/projects/:name',
    {
      onRequest: requireAdmin,
      schema: {
        summary: "Change a project's description, shares, priority or quota (keys merge; null removes a limit) (admin)",
        params: NameParams,
        body: UpdateProjectBodySchema,
        response: { 200: ProjectSchema, ...errors },
      },
    },
    async (request): Promise<Project> => ctx.store.updateProject(request.params.name, request.body),
  );

  app.delete<Name>(
    '/projects/:name',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Delete a project that no job names (admin); the default project stays',
        params: NameParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await ctx.store.deleteProject(request.params.name);
      return reply.status(204).send();
    },
  );

  app.post<Name & { Body: AddMemberBody }>(
    '/projects/:name/members',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Add a user to a project, with shares (1 by default) (admin)',
        params: NameParams,
        body: AddMemberBodySchema,
        response: { 201: ProjectSchema, ...errors },
      },
    },
    async (request, reply) => {
      const project = await ctx.store.addMember(request.params.name, request.body.user, request.body.shares ?? 1);
      return reply.status(201).send(project);
    },
  );

  app.patch<MemberPath & { Body: UpdateMemberBody }>(
    '/projects/:name/members/:user',
    {
      onRequest: requireAdmin,
      schema: {
        summary: "Set a member's shares in a project (admin)",
        params: MemberParams,
        body: UpdateMemberBodySchema,
        response: { 200: ProjectSchema, ...errors },
      },
    },
    async (request): Promise<Project> => ctx.store.updateMember(request.params.name, request.params.user, request.body.shares),
  );

  app.delete<MemberPath>(
    '/projects/:name/members/:user',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Remove a user from a project; their recorded usage still counts (admin)',
        params: MemberParams,
        response: { 200: ProjectSchema, ...errors },
      },
    },
    async (request): Promise<Project> => ctx.store.removeMember(request.params.name, request.params.user),
  );

  app.post<{ Body: ResetUsageBody }>(
    '/usage/reset',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Reset the cumulative cpu-time quota: of everyone, a project, a user, or a user in a project (admin)',
        body: ResetUsageBodySchema,
        response: { 200: ResetUsageResultSchema, ...errors },
      },
    },
    async (request): Promise<ResetUsageResult> => {
      const { project, user } = request.body;
      // A typo would otherwise reset nothing and look like success.
      if (project !== undefined && !(await ctx.store.getProject(project)))
        throw new NotFoundError(`no project named "${project}"`);
      if (user !== undefined && !(await ctx.store.getUser(user))) throw new NotFoundError(`no user named "${user}"`);
      const buckets = await ctx.store.resetCpuTime(project, user);
      return { project: project ?? null, user: user ?? null, buckets };
    },
  );
}
