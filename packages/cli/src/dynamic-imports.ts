/**
 * The modules the command imports at run time rather than at start. In the executable
 * this file is its own CommonJS module (dist/dynamic-imports.cjs), outside the bundle
 * that bin.ts runs from V8's code cache: Node 20 loses a script's dynamic-import
 * callback when its code comes from a cache, so an import() inside that bundle fails.
 */

/** The daemon, for `godocker server` only: Fastify, SQLite and the executors. */
export const importScheduler = () => import('@godocker/scheduler');

/** TLS, for an https:// daemon URL only. */
export const importHttps = () => import('node:https');

/** The no-echo password prompt, for `godocker login --user` on a terminal only. */
export const importRead = () => import('read');
