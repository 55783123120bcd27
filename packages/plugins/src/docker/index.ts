/** The docker executor plugin: one Docker engine, one node, one container per job. */
export { createDockerExecutor } from './docker-executor.js';
export { DEFAULT_KILL_GRACE_SECONDS, DEFAULT_SOCKET, type DockerExecutorOptions, parseDockerOptions } from './docker-options.js';
export { buildScriptArchive, SCRIPT_PATH, scriptCommand } from './script-archive.js';
