/** Users and their API tokens (admin), and `users/me` for anyone. */
import {
  CreatedTokenSchema,
  type CreateUserBody,
  CreateUserBodySchema,
  ErrorBodySchema,
  NotFoundError,
  UserSchema,
} from '@godocker/sdk';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { generateToken, hashToken } from '../../auth/tokens.js';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };
const NameParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export function userRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser, requireAdmin } = makeAuth(ctx);

  app.get(
    '/users/me',
    { preHandler: requireUser, schema: { summary: 'Who this token belongs to', response: { 200: UserSchema, ...errors } } },
    async (request) => currentUser(request),
  );

  app.get(
    '/users',
    {
      preHandler: requireAdmin,
      schema: { summary: 'All users (admin)', response: { 200: Type.Object({ users: Type.Array(UserSchema) }), ...errors } },
    },
    async () => ({ users: await ctx.store.listUsers() }),
  );

  app.post<{ Body: CreateUserBody }>(
    '/users',
    {
      preHandler: requireAdmin,
      schema: {
        summary: 'Create a user and its first token (admin)',
        body: CreateUserBodySchema,
        response: { 201: CreatedTokenSchema, ...errors },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const user = {
        name: b.name,
        uid: b.uid,
        gid: b.gid,
        home: b.home ?? `/home/${b.name}`,
        admin: b.admin ?? false,
        createdAt: new Date().toISOString(),
      };
      await ctx.store.createUser(user);
      const token = generateToken();
      await ctx.store.addToken(user.name, hashToken(token), 'created with the user');
      return reply.status(201).send({ user, token });
    },
  );

  app.post<{ Params: { name: string } }>(
    '/users/:name/tokens',
    {
      preHandler: requireAdmin,
      schema: { summary: 'A new token for a user (admin)', params: NameParams, response: { 201: CreatedTokenSchema, ...errors } },
    },
    async (request, reply) => {
      const user = await ctx.store.getUser(request.params.name);
      if (!user) throw new NotFoundError(`user ${request.params.name} does not exist`);
      const token = generateToken();
      await ctx.store.addToken(user.name, hashToken(token), 'created by an admin');
      return reply.status(201).send({ user, token });
    },
  );
}
