/**
 * The swarm the swarm executor tests run against: the manager engine scripts/swarm-up.sh starts
 * (its own socket, apart from the main engine). It must answer: a test run without it fails and
 * says how to start it, it does not skip.
 */
import { execFileSync } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { startPrivateEngine } from './private-docker.js';

export const SWARM_SOCKET = process.env.GODOCKER_SWARM_SOCKET ?? '/var/run/godocker-swarm.sock';

/** The docker CLI against the swarm's manager. */
export function swarmDocker(...args: string[]): string {
  return execFileSync('docker', ['-H', `unix://${SWARM_SOCKET}`, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Throws a readable error unless the swarm manager answers and is an active manager. */
export function requireSwarm(): void {
  let state: string;
  try {
    state = swarmDocker('info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}').trim();
  } catch (error) {
    throw new Error(
      `no Docker engine answers on ${SWARM_SOCKET} (${(error as Error).message.split('\n')[0]}): ` +
        'start the test swarm with `bash scripts/swarm-up.sh` (or set GODOCKER_SWARM_SOCKET to a manager’s socket)',
    );
  }
  if (state !== 'active true') {
    throw new Error(
      `the engine on ${SWARM_SOCKET} is not a swarm manager (swarm state "${state}"): run \`bash scripts/swarm-up.sh\``,
    );
  }
}

export interface SwarmWorker {
  /** The worker's node id in the swarm. */
  nodeId: string;
  /** Stops the worker's engine (its node goes down in the swarm; its containers stop). */
  stop(): Promise<void>;
  /** Leaves the swarm, stops and removes the engine, and removes its node from the swarm. */
  destroy(): Promise<void>;
}

/**
 * A second node for the test swarm: a private engine (helpers/private-docker.ts, with the busybox
 * image) joined as a worker. Its swarm addresses are on 127.0.0.2, so its gossip port does not
 * collide with the manager's on 127.0.0.1. It has the manager's host name, as two engines of one
 * machine do: nodes are then told apart by id.
 */
export async function joinSwarmWorker(): Promise<SwarmWorker> {
  const engine = await startPrivateEngine();
  const onWorker = (...args: string[]): string =>
    execFileSync('docker', ['-H', `unix://${engine.socketPath}`, ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  let nodeId = '';
  try {
    const token = swarmDocker('swarm', 'join-token', '-q', 'worker').trim();
    onWorker(
      'swarm',
      'join',
      '--token',
      token,
      '--advertise-addr',
      '127.0.0.2',
      '--listen-addr',
      '127.0.0.2:2377',
      '127.0.0.1:2377',
    );
    nodeId = onWorker('info', '--format', '{{.Swarm.NodeID}}').trim();
    for (let i = 0; i < 60 && !swarmDocker('node', 'inspect', nodeId, '--format', '{{.Status.State}}').includes('ready'); i++) {
      await delay(250);
    }
  } catch (error) {
    await engine.destroy();
    throw error;
  }
  return {
    nodeId,
    stop: () => engine.stop(),
    async destroy() {
      try {
        onWorker('swarm', 'leave', '--force');
      } catch {
        // Stopped already: the manager removes its node below.
      }
      await engine.destroy();
      try {
        swarmDocker('node', 'rm', '--force', nodeId);
      } catch {
        // Gone already.
      }
    },
  };
}
