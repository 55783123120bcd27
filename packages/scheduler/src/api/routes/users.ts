/** Users and their API tokens (admin), `users/me` for anyone, and a user's own record. */
import {
  CreatedTokenSchema,
  type CreateUserBody,
  CreateUserBodySchema,
  ErrorBodySchema,
  ErrorCodes,
  ForbiddenError,
  GodockerError,
  NotFoundError,
  type UpdateUserBody,
  UpdateUserBodySchema,
  UserSchema,
} from '@godocker/sdk';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { generateToken, hashToken } from '../../auth/tokens.js';
import type { StoredUser } from '../../store/store.js';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

async function mustGetUser(ctx: ApiContext, name: string): Promise<StoredUser> {
  const user = await ctx.store.getUser(name);
  if (!user) throw new NotFoundError(`user ${name} does not exist`);
  return user;
}

export function userRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser, requireAdmin } = makeAuth(ctx);

  app.get(
    '/users/me',
    { onRequest: requireUser, schema: { summary: 'Who this token belongs to', response: { 200: UserSchema, ...errors } } },
    async (request) => currentUser(request),
  );

  app.get(
    '/users',
    {
      onRequest: requireAdmin,
      schema: { summary: 'All users (admin)', response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errors } },
    },
    async () => ({ users: await ctx.store.listUsers() }),
  );

  app.post<{ Body: CreateUserBody }>(
    '/users',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Create a user and its first token (admin); the user joins the default project',
        body: CreateUserBodySchema,
        response: { 201: CreatedTokenSchema, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      await ctx.store.createUser({
        name: b.name,
        uid: b.uid,
        gid: b.gid,
        home: b.home ?? `/home/${b.name}`,
        admin: b.admin ?? false,
        createdAt: new Date().toISOString(),
        ...(b.priority !== undefined ? { priority: b.priority } : {}),
        ...(b.quota !== undefined ? { quota: b.quota } : {}),
      });
      // Read back: the answer shows the user as stored (defaults filled, quota normalised).
      const user = await mustGetUser(ctx, b.name);
      const token = generateToken();
      await ctx.store.addToken(user.name, hashToken(token), 'created with the user');
      return reply.status(201).send({ user, token });
    },
  );

  app.get<{ Params: { name: string } }>(
    '/users/:name',
    {
      onRequest: requireUser,
      schema: { summary: 'One user (admin, or the user themself)', params: NameParams, response: { 200: UserSchema, ...errors } },
    },
    async (request) => {
      const me = currentUser(request);
      // Checked before the lookup, so the answer says nothing about whether the name exists.
      if (!me.admin && me.name !== request.params.name) throw new ForbiddenError('only an admin may look at another user');
      return mustGetUser(ctx, request.params.name);
    },
  );

  app.patch<{ Params: { name: string }; Body: UpdateUserBody }>(
    '/users/:name',
    {
      onRequest: requireAdmin,
      schema: {
        summary: "Change a user's priority, quota (keys merge; null removes a limit) or admin right (admin)",
        params: NameParams,
        body: UpdateUserBodySchema,
        response: { 200: UserSchema, ...errors },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (request.body.admin === false) await refuseLastAdmin(ctx, name);
      return ctx.store.updateUser(name, request.body);
    },
  );

  app.post<{ Params: { name: string } }>(
    '/users/:name/tokens',
    {
      onRequest: requireAdmin,
      schema: { summary: 'A new token for a user (admin)', params: NameParams, response: { 201: CreatedTokenSchema, ...errors } },
    },
    async (request, reply) => {
      const user = await mustGetUser(ctx, request.params.name);
      const token = generateToken();
      await ctx.store.addToken(user.name, hashToken(token), 'created by an admin');
      return reply.status(201).send({ user, token });
    },
  );
}

/** Taking the right from the only admin would leave no one able to give it back. */
async function refuseLastAdmin(ctx: ApiContext, name: string): Promise<void> {
  const admins = (await ctx.store.listUsers()).filter((u) => u.admin);
  if (admins.length === 1 && admins[0]?.name === name) {
    throw new GodockerError(ErrorCodes.CONFLICT, `${name} is the only admin: make another user admin first`, {
      field: 'admin',
    });
  }
}
