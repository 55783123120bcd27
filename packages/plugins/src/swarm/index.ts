/** The swarm executor plugin: one Docker Swarm, through a manager's engine; one service per job. */

export { createSwarmExecutor } from './swarm-executor.js';
export {
  DEFAULT_POLL_SECONDS,
  DEFAULT_SWARM_KILL_GRACE_SECONDS,
  parseSwarmOptions,
  type ResolvedSwarmOptions,
  type SwarmExecutorOptions,
} from './swarm-options.js';
