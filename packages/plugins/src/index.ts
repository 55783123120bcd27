/**
 * @godocker/plugins — executors that run GoDocker jobs: `docker` (a Docker
 * engine) and `local` (plain processes, for machines without Docker).
 * Each is an `ExecutorFactory` of `@godocker/sdk`.
 */
export * from './docker/index.js';
export * from './local/index.js';
