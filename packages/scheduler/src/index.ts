/**
 * @godocker/scheduler — the GoDocker daemon.
 *
 * ```ts
 * import { startDaemon } from '@godocker/scheduler';
 * const daemon = await startDaemon({ config: { server: { port: 0 } } });
 * console.log(daemon.url, daemon.adminToken);
 * await daemon.stop();
 * ```
 *
 * Or embedded, behind the SDK's DRMAA2 session manager:
 *
 * ```ts
 * import { createEmbeddedScheduler } from '@godocker/scheduler';
 * const scheduler = await createEmbeddedScheduler();
 * const session = await scheduler.createJobSession();
 * await scheduler.close();
 * ```
 *
 * Several daemons on one store coordinate through Redis: one leader schedules, every daemon
 * hears every job event.
 *
 * ```ts
 * import { coordinationKeys, RedisEventBus, RedisLeaderLease } from '@godocker/scheduler';
 * const keys = coordinationKeys(clusterId);
 * const lease = new RedisLeaderLease({ redis: url, key: keys.leader, holder: daemonId });
 * const bus = new RedisEventBus({ redis: url, channel: keys.events, daemonId });
 * await Promise.all([lease.start(), bus.start()]);
 * ```
 */

export { defaultWebRoot } from './api/web-dashboard.js';
export { ConfigSchema, type DeepPartial, type GodockerConfig } from './config/config-schema.js';
export { defaultDataDir, type LoadConfigOptions, loadConfig, mergeConfig } from './config/load-config.js';
export {
  CoordinationUnavailableError,
  type LeaseLossReason,
  LeaseLostError,
  NotLeaderError,
} from './coordination/coordination-errors.js';
export { type CoordinationKeys, coordinationKeys, epochKeyFor } from './coordination/coordination-keys.js';
export { EPOCH_LABEL, leaderExecutor } from './coordination/leader-executor.js';
export { RedisLeaderLease, type RedisLeaderLeaseOptions } from './coordination/leader-lease.js';
export { RedisEventBus, type RedisEventBusOptions, type ResyncReason } from './coordination/redis-event-bus.js';
export { type Daemon, type DaemonOptions, startDaemon } from './daemon.js';
export { createEmbeddedScheduler, type EmbeddedOptions, type EmbeddedScheduler } from './embedded.js';
export { type EngineInput, type EngineOutput, type Placement, schedule, type WaitReason } from './engine/fifo-engine.js';
export { type EventBus, type JobListener, LocalEventBus } from './events/event-bus.js';
export { parseLogin, parseTarget, SshGateway, type SshGatewayDeps } from './ssh/ssh-gateway.js';
export * from './store/index.js';
