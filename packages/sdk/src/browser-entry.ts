/**
 * `@godocker/sdk/browser`: the HTTP client for a web page (the GoDocker dashboard), with
 * what a page needs beside it (errors, states, quantities) and the API's shapes as types
 * only. Nothing here touches Node's modules or builds a TypeBox schema, so a bundler
 * keeps the page small.
 *
 * ```ts
 * import { GodockerClient } from '@godocker/sdk/browser';
 * const client = new GodockerClient({ url: location.origin, token });
 * for await (const event of client.events()) console.log(event.job.status.state);
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
export type * from './projects.js';
export * from './quantities.js';
export * from './states.js';
export * from './time-spec.js';
export * from './usage-hints.js';
export * from './version.js';
export * from './wire-constants.js';
