/**
 * The DRMAA2-style API (GFD.231 names): `connect()` gives the SessionManager,
 * which makes JobSessions and MonitoringSessions.
 *
 * ```ts
 * import { connect } from '@godocker/sdk';
 * const manager = await connect();
 * const session = await manager.createJobSession();
 * const job = await session.runJob({ remoteCommand: 'echo', args: ['hello'] });
 * await job.waitTerminated();
 * ```
 */
export { TIMEOUT_NO_WAIT as ZERO_TIME, TIMEOUT_WAIT_FOREVER as INFINITE_TIME } from '../drmaa-timeouts.js';
export { type ConnectOptions, connect } from './connect.js';
export type { Drmaa2Event, WatchOptions } from './events.js';
export { type JobStateInfo, SessionJob, SessionJob as Job } from './job.js';
export { JobArray } from './job-array.js';
export { type JobInfo, type JobInfoFilter, jobInfoOf } from './job-info.js';
export { JobSession } from './job-session.js';
export { type JobTemplate, templateToSubmission } from './job-template.js';
export { type Machine, MonitoringSession, type QueueInfo } from './monitoring-session.js';
export { SessionManager, type WatchFilter } from './session-manager.js';
