/**
 * The `local` executor: jobs as plain processes on this machine, for hosts
 * without Docker. Tasks survive a daemon restart.
 */
export { createLocalExecutor } from './local-executor.js';
export { type LocalExecutorOptions, parseLocalOptions, type ResolvedLocalOptions } from './local-options.js';
/** `tail -f` of a log file that ends with its task; other executors that keep log files use it too. */
export { FollowStream } from './log-follow.js';
