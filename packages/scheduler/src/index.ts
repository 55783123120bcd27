/**
 * @godocker/scheduler — the GoDocker daemon.
 *
 * ```ts
 * import { startDaemon } from '@godocker/scheduler';
 * const daemon = await startDaemon({ config: { server: { port: 0 } } });
 * console.log(daemon.url, daemon.adminToken);
 * await daemon.stop();
 * ```
 */
export { startDaemon, type Daemon, type DaemonOptions } from './daemon.js';
export { loadConfig, defaultDataDir, type LoadConfigOptions } from './config/load-config.js';
export { ConfigSchema, type GodockerConfig, type DeepPartial } from './config/config-schema.js';
export { schedule, type EngineInput, type EngineOutput, type Placement, type WaitReason } from './engine/fifo-engine.js';
export { LocalEventBus, type EventBus } from './events/event-bus.js';
export * from './store/index.js';
