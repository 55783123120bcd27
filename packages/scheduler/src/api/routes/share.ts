/** `GET /api/v1/share`: the fair-share tree with shares, usage and factors (Slurm's `sshare`). */
import { ErrorBodySchema, ShareTreeSchema, type ShareTreeView } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { fairShareTree, userKey } from '../../engine/fairshare.js';
import { type ApiContext, makeAuth } from '../context.js';

export function shareRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const { requireUser } = makeAuth(ctx);
  app.get(
    '/share',
    {
      onRequest: requireUser,
      schema: {
        summary: 'The fair-share tree: projects, then their users',
        response: { 200: ShareTreeSchema, 401: ErrorBodySchema },
      },
    },
    async (): Promise<ShareTreeView> => {
      const { projects } = await ctx.runtime.inputs.refreshPolicy(Date.now());
      const tree = fairShareTree({ projects, usage: ctx.runtime.inputs.usage.fairShare() });
      const rows: ShareTreeView['rows'] = [];
      for (const p of [...projects].sort((a, b) => a.name.localeCompare(b.name))) {
        const node = tree.projects.get(p.name);
        if (node) rows.push(node);
        for (const m of [...p.members].sort((a, b) => a.user.localeCompare(b.user))) {
          const u = tree.users.get(userKey(p.name, m.user));
          if (u) rows.push(u);
        }
      }
      return { rows };
    },
  );
}
