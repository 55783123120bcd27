/**
 * SSH public keys (`godocker key add FILE | list | remove ID`): each user registers their
 * own, which then log them in to the SSH gateway. The key line is checked here, once, with
 * the parser the gateway verifies signatures with; a private key or garbage is a 400.
 */
import {
  type AddSshKeyBody,
  AddSshKeyBodySchema,
  ErrorBodySchema,
  type SshKey,
  SshKeyListSchema,
  SshKeyParamsSchema,
  SshKeySchema,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { keyIdOf, parsePublicKeyLine } from '../../ssh/public-keys.js';
import { publicView } from '../../store/ssh-key-errors.js';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 404: ErrorBodySchema, 409: ErrorBodySchema };

export function sshKeyRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);

  app.post<{ Body: AddSshKeyBody }>(
    '/keys',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Register an SSH public key of the caller (one OpenSSH line) for the SSH gateway',
        body: AddSshKeyBodySchema,
        response: { 201: SshKeySchema, ...errors },
      },
    },
    async (request, reply): Promise<SshKey> => {
      const user = currentUser(request);
      const parsed = parsePublicKeyLine(request.body.publicKey);
      const key = await ctx.store.addSshKey({
        id: keyIdOf(parsed.fingerprint),
        user: user.name,
        type: parsed.type,
        fingerprint: parsed.fingerprint,
        comment: request.body.comment ?? parsed.comment,
        publicKey: parsed.line,
        createdAt: new Date().toISOString(),
      });
      reply.status(201);
      return key;
    },
  );

  app.get(
    '/keys',
    {
      onRequest: requireUser,
      schema: { summary: 'The caller\u2019s SSH keys, oldest first', response: { 200: SshKeyListSchema, ...errors } },
    },
    async (request) => ({ keys: (await ctx.store.listSshKeys(currentUser(request).name)).map(publicView) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/keys/:id',
    {
      onRequest: requireUser,
      schema: {
        summary: 'Remove one of the caller\u2019s SSH keys',
        params: SshKeyParamsSchema,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await ctx.store.deleteSshKey(currentUser(request).name, request.params.id);
      return reply.status(204).send();
    },
  );
}
