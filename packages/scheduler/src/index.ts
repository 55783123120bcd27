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

export { ConfigSchema, type DeepPartial, type GodockerConfig } from './config/config-schema.js';
export { defaultDataDir, type LoadConfigOptions, loadConfig, mergeConfig } from './config/load-config.js';
export { type Daemon, type DaemonOptions, startDaemon } from './daemon.js';
export { type EngineInput, type EngineOutput, type Placement, schedule, type WaitReason } from './engine/fifo-engine.js';
export { type EventBus, LocalEventBus } from './events/event-bus.js';
export * from './store/index.js';
