/** The nodes (`godocker nodes`) and an admin's drain and resume (`godocker node drain|resume`). */
import {
  type DrainRequest,
  DrainRequestSchema,
  ErrorBodySchema,
  type NodeList,
  NodeListSchema,
  type NodeView,
  NodeViewSchema,
} from '@godocker/sdk';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { type ApiContext, currentUser, makeAuth } from '../context.js';

const errors = { 400: ErrorBodySchema, 401: ErrorBodySchema, 403: ErrorBodySchema, 404: ErrorBodySchema };
// Node names as executors give them: host names, Kubernetes node names, `local`.
const NodeParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 253 }) }, { additionalProperties: false });

export function nodeRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser, requireAdmin } = makeAuth(ctx);

  app.get(
    '/nodes',
    {
      onRequest: requireUser,
      schema: {
        summary: 'The nodes: state (ready, drained), labels, capacity, and what running jobs use',
        response: { 200: NodeListSchema, ...errors },
      },
    },
    async (): Promise<NodeList> => ({ nodes: ctx.runtime.nodeViews() }),
  );

  app.post<{ Params: { name: string }; Body: DrainRequest }>(
    '/nodes/:name/drain',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Drain a node (admin): it takes no new job; what runs there goes on',
        params: NodeParams,
        body: DrainRequestSchema,
        response: { 200: NodeViewSchema, ...errors },
      },
    },
    async (request): Promise<NodeView> => {
      const who = currentUser(request).name;
      return ctx.runtime.drainNode(request.params.name, request.body?.reason ?? `drained by ${who}`, who);
    },
  );

  app.post<{ Params: { name: string } }>(
    '/nodes/:name/resume',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Resume a node (admin): it takes new jobs again; resuming a node that is not drained changes nothing',
        params: NodeParams,
        response: { 200: NodeViewSchema, ...errors },
      },
    },
    async (request): Promise<NodeView> => ctx.runtime.resumeNode(request.params.name, currentUser(request).name),
  );
}
