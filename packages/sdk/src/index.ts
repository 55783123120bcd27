/**
 * @godocker/sdk — types, API schemas, HTTP client, DRMAA-style job sessions and
 * plugin interfaces of GoDocker.
 *
 * ```ts
 * import { connect, drmaa1 } from '@godocker/sdk';
 * const manager = await connect(); // GODOCKER_URL / GODOCKER_TOKEN, else `godocker login`
 * const session = await manager.createJobSession();
 * const job = await session.runJob({ remoteCommand: 'echo', args: ['hello'] });
 * await job.waitTerminated();
 * ```
 *
 * The plain REST client is there too:
 *
 * ```ts
 * import { GodockerClient } from '@godocker/sdk';
 * const client = new GodockerClient({ url: 'http://127.0.0.1:6543', token });
 * const job = await client.submit({ command: { script: 'echo hello' } });
 * const { job: done } = await client.wait(job.id, { for: 'terminated' });
 * ```
 */

export * from './accounting.js';
export * from './api.js';
export * from './authenticator.js';
export * from './client.js';
export * from './drmaa-errors.js';
export * from './drmaa-start-time.js';
export { TIMEOUT_NO_WAIT, TIMEOUT_WAIT_FOREVER, waitSeconds } from './drmaa-timeouts.js';
export * as drmaa1 from './drmaa1/index.js';
export * as drmaa2 from './drmaa2/index.js';
export {
  type ConnectOptions,
  connect,
  type Drmaa2Event,
  INFINITE_TIME,
  JobArray,
  type JobInfo,
  type JobInfoFilter,
  JobSession,
  type JobStateInfo,
  type JobTemplate,
  type Machine,
  MonitoringSession,
  type QueueInfo,
  SessionJob,
  SessionManager,
  type WatchFilter,
  type WatchOptions,
  ZERO_TIME,
} from './drmaa2/index.js';
export * from './errors.js';
export * from './executor.js';
export * from './executor-set.js';
export * from './in-flight.js';
export * from './job.js';
export * from './job-paths.js';
export * from './job-search.js';
export * from './job-usage.js';
export * from './login-file.js';
export * from './notify.js';
export * from './ports.js';
export * from './projects.js';
export * from './quantities.js';
export * from './session-contact.js';
export * from './sse.js';
export * from './ssh-keys.js';
export * from './states.js';
export * from './storage-faults.js';
export * from './usage-hints.js';
export * from './version.js';
