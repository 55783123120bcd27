/**
 * `@godocker/sdk/client`: the HTTP client and what a command-line client needs
 * beside it (errors, the saved login, quantities, states, wire constants), with
 * the API's shapes as types only. Nothing here builds a TypeBox schema, so a
 * short-lived process (the `godocker` command) starts without paying for them.
 *
 * ```ts
 * import { GodockerClient, resolveConnection } from '@godocker/sdk/client';
 * const client = new GodockerClient(resolveConnection());
 * ```
 */

export type * from './accounting.js';
export type * from './api.js';
export * from './client.js';
export * from './errors.js';
export type { LogStream } from './executor.js';
export type * from './job.js';
export * from './job-search.js';
export type { JobUsage, UsagePoint, UsageTotals } from './job-usage.js';
export * from './login-file.js';
export type * from './notify.js';
export * from './ports.js';
export type * from './projects.js';
export * from './quantities.js';
export type * from './ssh-keys.js';
export * from './states.js';
export * from './time-spec.js';
export * from './usage-hints.js';
export { mergeUsagePoints } from './usage-points.js';
export * from './version.js';
export * from './wire-constants.js';
