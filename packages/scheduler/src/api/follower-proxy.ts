/**
 * A follower daemon (several daemons on one store, one elected leader) serves the whole API:
 * what it can answer from the store and the shared event bus alone (waits, event streams,
 * status) it answers itself; the rest, which the leader's scheduler, executors and log files
 * hold, it forwards to the leader as it came, and the leader's answer goes back as it is.
 */
import replyFrom from '@fastify/reply-from';
import { API_PREFIX, ErrorCodes, GodockerError } from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';

export interface FollowerRole {
  isLeader(): boolean;
  /** Null while no daemon leads. */
  leaderUrl(): Promise<string | null>;
}

/**
 * Answered by any daemon: long-poll waits and event streams (the bus is shared), status, and
 * password logins and tokens (the store and the directory are shared; a login forwarded would
 * reach the leader from this daemon's address, not the client's, which its rate limit counts).
 */
const LOCAL = new RegExp(`^${API_PREFIX}/(jobs/wait|jobs/[0-9]+/wait|events|status|auth/login|tokens|tokens/[^/]+)$`);

export async function forwardToLeader(app: FastifyInstance, role: FollowerRole): Promise<void> {
  // Long-polls and logs that follow are held as long as the leader holds them.
  await app.register(replyFrom, { undici: { headersTimeout: 0, bodyTimeout: 0 } });
  app.addHook('onRequest', async (request, reply) => {
    if (role.isLeader()) return;
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith(`${API_PREFIX}/`) || LOCAL.test(path)) return;
    const leader = await role.leaderUrl();
    if (leader === null) {
      throw new GodockerError(
        ErrorCodes.UNAVAILABLE,
        'no daemon leads this cluster right now (an election is under way): try again',
      );
    }
    reply.header('x-godocker-forwarded-to', leader);
    // Not parsed here: the body goes on as the client sent it, streamed.
    if (request.method !== 'GET' && request.method !== 'HEAD') request.body = request.raw;
    return reply.from(`${leader.replace(/\/$/, '')}${request.url}`);
  });
}
