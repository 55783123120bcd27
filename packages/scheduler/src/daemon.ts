/**
 * The composition root: config, store, executor, runtime and API, started in
 * that order and stopped in reverse. Nothing global lives outside this.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import {
  createDockerExecutor,
  createKubernetesExecutor,
  createLdapAuthenticator,
  createLocalExecutor,
  createSwarmExecutor,
} from '@godocker/plugins';
import {
  type Authenticator,
  ConfigError,
  type Executor,
  ExecutorSet,
  type ExecutorSetMember,
  GodockerError,
  isExecutorUnavailable,
  type Logger,
  type PluginContext,
  VERSION,
} from '@godocker/sdk';
import type { FastifyInstance } from 'fastify';
import { destination, type Logger as PinoLogger, pino } from 'pino';
import { buildApp } from './api/app.js';
import type { ApiContext } from './api/context.js';
import { metricsToken } from './api/routes/metrics.js';
import { LoginService } from './auth/login-service.js';
import { ensureAdmin, TokenAuthenticator } from './auth/tokens.js';
import type { DeepPartial, ExecutorType, GodockerConfig } from './config/config-schema.js';
import { loadConfig } from './config/load-config.js';
import { coordinationKeys } from './coordination/coordination-keys.js';
import { DaemonHeartbeat } from './coordination/daemon-status.js';
import { EtcdDaemonKey } from './coordination/etcd-daemon-key.js';
import { leaderExecutor } from './coordination/leader-executor.js';
import { RedisEventBus } from './coordination/redis-event-bus.js';
import { SiteRole } from './coordination/site-role.js';
import { preparePrivateFolder } from './data-folder.js';
import { DeferredExecutor } from './deferred-executor.js';
import { type EventBus, LocalEventBus } from './events/event-bus.js';
import { JobArchiver } from './job-files/archiver.js';
import { isInside, jobDirOwnershipNote, jobsDirOf, prepareJobsDir } from './job-files/job-dir.js';
import { DaemonMetrics } from './metrics/daemon-metrics.js';
import { type ExecutorCallSink, measuredExecutor } from './metrics/measured-executor.js';
import { Notifier } from './notify/notifier.js';
import { JobRuntime } from './runtime/job-runtime.js';
import { SshGateway } from './ssh/ssh-gateway.js';
import { MongoStore } from './store/mongo-store.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface DaemonOptions {
  /** YAML config file (GODOCKER_CONFIG otherwise). */
  configPath?: string;
  /** Overrides applied last (tests, embedding). */
  config?: DeepPartial<GodockerConfig>;
  env?: NodeJS.ProcessEnv;
  /** false: silent; undefined: pino to stderr at GODOCKER_LOG_LEVEL (info). */
  logger?: false | PinoLogger;
  /** The embedder's executor (a plugin built on `@godocker/sdk` alone), instead of `executor.type`. */
  executor?: (context: PluginContext) => Executor | Promise<Executor>;
}

export interface Daemon {
  url: string;
  config: GodockerConfig;
  /** The admin token when this start created the admin, to be shown once; else null. */
  adminToken: string | null;
  adminTokenGenerated: boolean;
  executorName: string;
  clusterId: string;
  /** Where the SSH gateway listens; null when `ssh.enabled` is false. */
  ssh: { host: string; port: number } | null;
  stop(): Promise<void>;
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

async function createExecutor(type: ExecutorType, options: Record<string, unknown>, context: PluginContext): Promise<Executor> {
  if (type === 'docker') return createDockerExecutor(options, context);
  if (type === 'swarm') return createSwarmExecutor(options, context);
  if (type === 'kubernetes') return createKubernetesExecutor(options, context);
  if (type === 'local') return createLocalExecutor(options, context);
  // Loaded only when chosen: it brings koffi and a native library into the process.
  const { createDrmaaForwardExecutor } = await import('@godocker/drmaa-bridge');
  return createDrmaaForwardExecutor(options, context);
}

/** The one-executor form, `executor:`; `auto` is docker when an engine answers, else local. */
async function pickExecutor(config: GodockerConfig, context: PluginContext, logger: Logger): Promise<Executor> {
  const { type, options } = config.executor;
  if (type !== 'auto') return createExecutor(type, options, context);
  try {
    return await createDockerExecutor(options, context);
  } catch (e) {
    logger.warn(
      { reason: (e as Error).message },
      'no Docker engine answers: using the local process executor (jobs run as plain processes, without images or limits). Start Docker or set executor.type',
    );
    return createLocalExecutor({}, context);
  }
}

/**
 * Every executor of the config behind one `ExecutorSet`, even a lone one: its nodes then carry
 * the executor label like any, and `--executor NAME` means the same whatever the site runs.
 */
/** The executors that say when their nodes change (`watchNodes`), known before one is made. */
const WATCHES_NODES = new Set<ExecutorType>(['docker', 'swarm', 'kubernetes']);

async function buildExecutors(
  config: GodockerConfig,
  context: PluginContext,
  logger: Logger,
  injected: DaemonOptions['executor'],
  record: ExecutorCallSink | null,
): Promise<ExecutorSet> {
  const members: ExecutorSetMember[] = [];
  try {
    if (injected) {
      const one = await injected(context);
      members.push({ name: one.name, executor: one });
    } else if (config.executors) {
      for (const [i, e] of config.executors.entries()) {
        try {
          members.push({ name: e.name, executor: await createExecutor(e.type, e.options, context) });
        } catch (error) {
          if (isExecutorUnavailable(error) && config.executors.length > 1) {
            // One backend away at start does not keep the others from running jobs.
            logger.error(
              { executor: e.name, reason: error.message },
              'an executor does not answer: the daemon starts without it and keeps asking',
            );
            const make = () => createExecutor(e.type, e.options, context);
            members.push({
              name: e.name,
              executor: new DeferredExecutor(e.type, make, error.message, logger, WATCHES_NODES.has(e.type)),
            });
            continue;
          }
          if (!(error instanceof GodockerError)) throw error;
          // The admin reads which of several executors failed, and where its options sit.
          throw new ConfigError(`executor "${e.name}" (executors.${i}): ${error.message}`, `executors.${i}.options`);
        }
      }
    } else {
      const one = await pickExecutor(config, context, logger);
      members.push({ name: one.name, executor: one });
    }
  } catch (e) {
    await Promise.allSettled(members.map((m) => m.executor.close()));
    throw e;
  }
  const measured = record ? members.map((m) => ({ ...m, executor: measuredExecutor(m.executor, m.name, record) })) : members;
  return new ExecutorSet({
    name: members.map((m) => m.name).join('+'),
    members: measured,
    labelNodes: true,
    qualifyNodes: members.length > 1,
    logger,
  });
}

export async function startDaemon(options: DaemonOptions = {}): Promise<Daemon> {
  const env = options.env ?? process.env;
  const config = loadConfig({ path: options.configPath, env, ...(options.config ? { overrides: options.config } : {}) });
  const pinoLogger =
    options.logger === false ? null : (options.logger ?? pino({ level: env.GODOCKER_LOG_LEVEL ?? 'info' }, destination(2)));
  const logger: Logger = pinoLogger ?? silent;

  // The daemon's alone; jobs pass through it (0711) only when their directories are inside it.
  await preparePrivateFolder(config.dataDir, logger, { traversable: isInside(config.dataDir, jobsDirOf(config)) });
  await prepareJobsDir(config);
  const ownership = jobDirOwnershipNote();
  if (ownership) logger.warn({ jobsDir: jobsDirOf(config) }, ownership);
  const store: Store = await openStore(config, logger);
  let executor: Executor | undefined;
  let runtime: JobRuntime | undefined;
  let archiver: JobArchiver | undefined;
  let app: FastifyInstance | undefined;
  let site: SiteRole | undefined;
  let bus: EventBus | undefined;
  let heartbeat: DaemonHeartbeat | undefined;
  let gateway: SshGateway | undefined;
  let authenticator: Authenticator | undefined;
  let notifier: Notifier | undefined;
  try {
    await store.migrate();
    let clusterId = await store.getMeta('clusterId');
    if (!clusterId) {
      clusterId = randomUUID().slice(0, 8);
      await store.setMeta('clusterId', clusterId);
    }
    const seed = await ensureAdmin(store, config, env, new Date());
    const context: PluginContext = { clusterId, dataDir: config.dataDir, logger };
    const scrapeToken = config.metrics.enabled ? metricsToken(config.metrics) : null;
    const metrics = config.metrics.enabled
      ? new DaemonMetrics(
          {
            countByProjectState: () => store.countByProjectState(),
            nodes: () => ctx.runtime.nodeViews(),
            isLeader: () => (site ? site.isLeader() : true),
          },
          { userLabels: config.metrics.userLabels, jobCountsMaxAgeMs: config.metrics.jobCountsMaxAgeSeconds * 1000 },
        )
      : null;
    const executors = await buildExecutors(
      config,
      context,
      logger,
      options.executor,
      metrics ? (...a) => metrics.executorCall(...a) : null,
    );
    executor = executors;
    const redisUrl = config.coordination.type === 'redis' ? (config.coordination.url as string) : null;
    const daemonId = `${hostname()}-${process.pid}-${randomUUID().slice(0, 4)}`;
    if (redisUrl) {
      const redisBus = new RedisEventBus({ redis: redisUrl, channel: coordinationKeys(clusterId).events, daemonId, logger });
      await redisBus.start();
      bus = redisBus;
    } else bus = new LocalEventBus();
    const shutdown = new AbortController();
    // Each open event or log stream listens on it: hundreds at once are normal, not a leak.
    setMaxListeners(0, shutdown.signal);
    const runtimeDeps = {
      store,
      executor,
      executorNames: executors.memberNames,
      bus,
      config,
      clusterId,
      logger,
      ...(metrics ? { observer: metrics } : {}),
    };
    runtime = new JobRuntime(runtimeDeps);
    // Checked at start (bind password, CA file), not at the first login.
    if (config.auth.ldap) authenticator = await createLdapAuthenticator(config.auth.ldap, context, env);
    const logins = authenticator ? new LoginService({ store, authenticator, auth: config.auth, logger }) : null;
    const tokens = new TokenAuthenticator(store);
    archiver = new JobArchiver({ store, config, logger, bus });
    const leaderNotifier = new Notifier({ store, bus, config, logger });
    notifier = leaderNotifier;
    const ctx: ApiContext = {
      store,
      runtime,
      archiver,
      bus,
      config,
      executor,
      clusterId,
      shutdown: shutdown.signal,
      tokens,
      logins,
    };
    if (redisUrl) {
      const role = new SiteRole(redisUrl, clusterId, config.coordination.leaseMs, logger);
      site = role;
      if (store instanceof MongoStore) {
        const mongo = store;
        // Job changes carry this daemon's epoch while it leads, and are refused once a later leader claimed the site.
        mongo.fence(() => (role.isLeader() ? role.epoch() : null));
        role.minEpoch = () => mongo.siteEpoch();
      }
    }
    let ready = false;
    app = await buildApp(ctx, {
      logger: pinoLogger ?? false,
      isReady: () => ready,
      ...(site ? { follower: site } : {}),
      ...(metrics ? { metrics: { metrics, token: scrapeToken } } : {}),
    });
    // One daemon alone leads from the start; on a site, the one the election picks. The
    // notifier listens first, so that what the runtime's reconciling changes is told too.
    if (!site) {
      await leaderNotifier.start();
      await runtime.start();
      archiver.start();
    }
    const address = await app.listen({ host: config.server.host, port: config.server.port });
    const url = address.replace('[::1]', 'localhost');
    if (config.ssh.enabled) {
      // Every daemon of a site serves it: running a command in a job changes no state, so no leader is needed.
      gateway = new SshGateway({
        store,
        tokens,
        executor: executors,
        bus,
        config,
        clusterId,
        logger,
        // A gateway counts only the sessions it serves: on a site of several daemons a user's
        // session may be on another one, so there interactive jobs end at their time limit.
        ...(site ? {} : { finish: async (jobId: number, reason: string) => (await runtime?.finish(jobId, reason)) ?? false }),
      });
      if (site) logger.info('ssh gateway: on a site of several daemons, interactive jobs end at their time limit, not when idle');
      ctx.ssh = await gateway.start();
    }
    if (site) {
      await site.start(config.coordination.advertiseUrl ?? url, {
        lead: async (epoch) => {
          if (store instanceof MongoStore) await store.claimLeadership(epoch);
          const leads = (e: number) => site?.isLeader() === true && site.epoch() === e;
          const leading = new JobRuntime({ ...runtimeDeps, executor: leaderExecutor(executors, epoch, leads, daemonId) });
          ctx.runtime = leading;
          runtime = leading;
          await leaderNotifier.start();
          await leading.start();
          archiver?.start();
          await heartbeat?.beat();
        },
        follow: async () => {
          archiver?.stop();
          await leaderNotifier.stop();
          await runtime?.stop();
          await heartbeat?.beat();
        },
      });
    }
    heartbeat = new DaemonHeartbeat(
      store,
      () => ({
        id: daemonId,
        role: site ? (site.isLeader() ? 'leader' : 'follower') : 'single',
        epoch: site?.isLeader() ? site.epoch() : null,
        version: VERSION,
        url: config.coordination.advertiseUrl ?? url,
        executors: executors.memberNames.map((name) => ({ name, answers: executors.memberDown(name) === null })),
      }),
      logger,
      config.status.etcd ? new EtcdDaemonKey(config.status.etcd, clusterId, daemonId, logger) : null,
    );
    await heartbeat.start();
    ready = true;
    logger.info(
      {
        url,
        executor: executor.name,
        dataDir: config.dataDir,
        version: VERSION,
        store: config.store.type,
        coordination: config.coordination.type,
      },
      'GoDocker is listening',
    );
    const stoppers = { app, executor, site, bus, heartbeat: heartbeat as DaemonHeartbeat, gateway };
    return {
      url,
      config,
      adminToken: seed.token,
      adminTokenGenerated: seed.generated,
      executorName: executor.name,
      clusterId,
      ssh: ctx.ssh ?? null,
      async stop() {
        ready = false;
        shutdown.abort();
        await stoppers.gateway?.stop();
        await stoppers.app.close();
        await stoppers.heartbeat.stop();
        // Released before anything else stops: a follower takes over at once, not a lease later.
        await stoppers.site?.stop();
        archiver?.stop();
        await runtime?.stop();
        await leaderNotifier.stop();
        await stoppers.executor.close();
        if (stoppers.bus instanceof RedisEventBus) await stoppers.bus.stop();
        await authenticator?.close();
        await store.close();
      },
    };
  } catch (e) {
    await gateway?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await site?.stop().catch(() => undefined);
    archiver?.stop();
    await runtime?.stop().catch(() => undefined);
    await notifier?.stop().catch(() => undefined);
    if (bus instanceof RedisEventBus) await bus.stop().catch(() => undefined);
    await executor?.close().catch(() => undefined);
    await authenticator?.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw e;
  }
}
