/**
 * Password logins (`POST /auth/login`, when a directory is configured) and a user's own
 * tokens: list them, revoke one. A token is shown once, at its making; these show only its
 * id, label and times.
 */
import {
  ErrorBodySchema,
  ErrorCodes,
  ForbiddenError,
  GodockerError,
  type ListTokensQuery,
  ListTokensQuerySchema,
  type LoginBody,
  LoginBodySchema,
  LoginResultSchema,
  NotFoundError,
  TokenListSchema,
} from '@godocker/sdk';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema };
const loginErrors = { ...errors, 409: ErrorBodySchema, 429: ErrorBodySchema, 503: ErrorBodySchema };
const TokenParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

export function authRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Body: LoginBody }>(
    '/auth/login',
    {
      schema: {
        summary:
          'Log in with a user name and password checked by the directory (auth.ldap); answers a token that expires (auth.tokenTtl)',
        body: LoginBodySchema,
        response: { 200: LoginResultSchema, ...loginErrors },
      },
    },
    async (request) => {
      if (!ctx.logins) {
        throw new GodockerError(
          ErrorCodes.NOT_SUPPORTED,
          'this daemon has no directory for password logins (auth.ldap): log in with a token from your admin, `godocker login --token -`',
        );
      }
      const { user, password, label } = request.body;
      return ctx.logins.login({ user, password, label, address: request.ip });
    },
  );

  app.get<{ Querystring: ListTokensQuery }>(
    '/tokens',
    {
      onRequest: requireUser,
      schema: {
        summary: "The caller's tokens (an admin: `user` names another's): id, label, made, expires, last used",
        querystring: ListTokensQuerySchema,
        response: { 200: TokenListSchema, ...errors },
      },
    },
    async (request) => {
      const me = currentUser(request);
      const user = request.query.user ?? me.name;
      if (user !== me.name && !me.admin) throw new ForbiddenError("only an admin may list another user's tokens", 'query.user');
      return { tokens: await ctx.store.listTokens(user) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/tokens/:id',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Revoke a token: one of the caller’s own (an admin: anyone’s); it answers 401 from then on',
        params: TokenParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      const me = currentUser(request);
      const token = await ctx.store.getToken(request.params.id);
      // Someone else's token answers as a missing one: ids cannot be probed.
      if (!token || (token.user !== me.name && !me.admin) || !(await ctx.store.deleteToken(token.id))) {
        throw new NotFoundError(`no token ${request.params.id} of yours: list them with \`godocker token list\``);
      }
      return reply.status(204).send();
    },
  );
}
