/**
 * @godocker/sdk — types, API schemas, HTTP client and plugin interfaces of GoDocker.
 *
 * ```ts
 * import { GodockerClient } from '@godocker/sdk';
 * const client = new GodockerClient({ url: 'http://127.0.0.1:6543', token });
 * const job = await client.submit({ command: { script: 'echo hello' } });
 * const { job: done } = await client.wait(job.id, { for: 'terminated' });
 * ```
 */

export * from './api.js';
export * from './client.js';
export * from './errors.js';
export * from './executor.js';
export * from './job.js';
export * from './login-file.js';
export * from './projects.js';
export * from './quantities.js';
export * from './sse.js';
export * from './states.js';
export * from './version.js';
