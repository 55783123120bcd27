/**
 * @godocker/plugins — executors that run GoDocker jobs: `docker` (a Docker
 * engine), `swarm` (a Docker Swarm, one service per job), `kubernetes` (a
 * Kubernetes cluster, one batch/v1 Job per job) and `local` (plain processes,
 * for machines without Docker).
 * Each is an `ExecutorFactory` of `@godocker/sdk`. And the `ldap` authenticator (an
 * `Authenticator` of `@godocker/sdk`): password logins against OpenLDAP or Active Directory.
 */
export * from './docker/index.js';
export * from './kubernetes/index.js';
export * from './ldap/index.js';
export * from './local/index.js';
export * from './swarm/index.js';
