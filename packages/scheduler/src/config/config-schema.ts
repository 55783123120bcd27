/**
 * The daemon's configuration: a YAML file plus environment overrides, validated
 * at start against this schema. Every key has a default, so no file is needed.
 */
import { type Static, Type } from '@sinclair/typebox';

const Strict = { additionalProperties: false } as const;
// A section with default {} so that Value.Default fills in its keys when it is absent.
const Section = { additionalProperties: false, default: {} } as const;

export const VolumeConfigSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' }),
    /** Host folder; `$USER` and `$HOME` are replaced with the job owner's. */
    hostPath: Type.String({ minLength: 1, pattern: '^/' }),
    /** Where it appears in the container (same substitutions); defaults to hostPath. */
    containerPath: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
    /** The most a job may ask: `ro`, or `rw` (then a job may still ask `ro`). */
    mode: Type.Union([Type.Literal('ro'), Type.Literal('rw')], { default: 'ro' }),
  },
  Strict,
);
export type VolumeConfig = Static<typeof VolumeConfigSchema>;

/** The executors GoDocker brings; `auto` (docker if an engine answers, else local) only in the one-executor form. */
const ExecutorTypeSchema = Type.Union([
  Type.Literal('docker'),
  Type.Literal('swarm'),
  Type.Literal('kubernetes'),
  Type.Literal('local'),
  Type.Literal('drmaa-forward'),
]);
export type ExecutorType = Static<typeof ExecutorTypeSchema>;

function LoginLimitSchema(failures: number) {
  return Type.Object(
    {
      failures: Type.Integer({ minimum: 1, maximum: 10_000, default: failures }),
      windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
    },
    Section,
  );
}

const AttributeName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z][A-Za-z0-9-]*$' });

/** `auth.ldap`: the directory people log in with. */
export const LdapConfigSchema = Type.Object(
  {
    /** ldap://host:389 (with startTls: true for StartTLS) or ldaps://host:636. */
    url: Type.String({ pattern: '^ldaps?://' }),
    /** Upgrade ldap:// to TLS with StartTLS before anything is sent. */
    startTls: Type.Boolean({ default: false }),
    /** PEM file of the CA that signed the directory's certificate (else the system's CAs). */
    caFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
    /** The service account that searches for users; absent: searches anonymously. */
    bindDn: Type.Optional(Type.String({ minLength: 1 })),
    /** Its password, in a file (first line) or... */
    bindPasswordFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
    /** ...in this environment variable of the daemon. */
    bindPasswordEnv: Type.Optional(Type.String({ minLength: 1, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    /** Where users are searched (subtree). */
    baseDn: Type.String({ minLength: 1 }),
    /** Extra filter users must match, e.g. (objectClass=posixAccount). */
    userFilter: Type.Optional(Type.String({ minLength: 3, pattern: '^\\(.*\\)$' })),
    /** What a person may type as their user name: any of these attributes. */
    loginAttributes: Type.Array(AttributeName, { minItems: 1, default: ['uid', 'sAMAccountName', 'mail'] }),
    /** Which attribute holds what; the GoDocker user name is the first of `name` the entry has. */
    attributes: Type.Object(
      {
        name: Type.Array(AttributeName, { minItems: 1, default: ['uid', 'sAMAccountName'] }),
        uid: Type.Array(AttributeName, { minItems: 1, default: ['uidNumber'] }),
        gid: Type.Array(AttributeName, { minItems: 1, default: ['gidNumber'] }),
        home: Type.Array(AttributeName, { minItems: 1, default: ['homeDirectory', 'unixHomeDirectory'] }),
        mail: Type.Array(AttributeName, { minItems: 1, default: ['mail'] }),
      },
      Section,
    ),
    groups: Type.Optional(
      Type.Object(
        {
          /** Where groups are searched (subtree); absent: only the user's memberOf is read (Active Directory). */
          baseDn: Type.Optional(Type.String({ minLength: 1 })),
          /** {uid} and {dn} are the user's (escaped); default: posixGroup memberUid or groupOfNames member. */
          filter: Type.String({ minLength: 3, default: '(|(memberUid={uid})(member={dn}))' }),
          /**
           * Directory group (cn) -> GoDocker project: a member of the group is made a member of
           * the project at each login, and removed from it at the first login after they left.
           */
          projects: Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1, maxLength: 128 }), { default: {} }),
          /** Members of this group (cn) are GoDocker admins; the right follows the group at each login. */
          admin: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    /** Seconds to wait for the directory before a login answers that it is unreachable. */
    timeoutSeconds: Type.Integer({ minimum: 1, maximum: 120, default: 5 }),
  },
  { additionalProperties: false },
);

/**
 * The host ports each node hands to jobs that publish container ports (GoDocker's
 * `port_start`/`port_range`): `start` to `start + range - 1`, all within 1024-65535.
 * A job asking for N ports is placed only on a node with N of them free.
 */
export const PortPoolConfigSchema = Type.Object(
  {
    start: Type.Integer({ minimum: 1024, maximum: 65535 }),
    range: Type.Integer({ minimum: 1, maximum: 64512 }),
    /**
     * The host address the docker executor binds published ports to (default 0.0.0.0, every
     * address); 127.0.0.1 keeps jobs reachable from their node only.
     */
    bindAddress: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  Strict,
);
export type PortPoolConfig = Static<typeof PortPoolConfigSchema>;

export const ConfigSchema = Type.Object(
  {
    /** Folder for the SQLite file and executor state; private to the daemon (0700, or 0711 when jobsDir is in it). */
    dataDir: Type.String({ minLength: 1 }),
    /**
     * Where each job gets its directory, `jobsDir/ID` (its files, stdout and stderr), owned by the
     * job's uid, mounted at /mnt/godocker in its container, GODOCKER_JOB_DIR in its env. Default
     * DATADIR/jobs; GODOCKER_JOBS_DIR sets it. On a multi-node Swarm or Kubernetes cluster, and on
     * a site of several daemons, it must be one shared file system mounted at this same path on
     * every node and every daemon.
     */
    jobsDir: Type.Optional(Type.String({ minLength: 1 })),
    server: Type.Object(
      {
        host: Type.String({ default: '127.0.0.1' }),
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 6543 }),
        /** Largest request body; script size is limited separately by limits.maxScriptBytes. */
        bodyLimitBytes: Type.Integer({ minimum: 1024, default: 16 * 1024 * 1024 }),
        /**
         * The web dashboard served at `/`: the folder of its built assets (`npm run build -w packages/web`
         * makes packages/web/dist, the default). Without them the daemon still starts, and `/` says how to build them.
         */
        webRoot: Type.Optional(Type.String({ minLength: 1 })),
      },
      Section,
    ),
    store: Type.Object(
      {
        /**
         * sqlite: one file in the data folder (one daemon). mongodb: a MongoDB-wire server
         * (MongoDB, FerretDB) that several daemons share; GODOCKER_MONGO_URL sets it.
         */
        type: Type.Union([Type.Literal('sqlite'), Type.Literal('mongodb')], { default: 'sqlite' }),
        /** sqlite: defaults to DATADIR/godocker.db */
        path: Type.Optional(Type.String({ minLength: 1 })),
        /** mongodb: mongodb://host:port/ */
        url: Type.Optional(Type.String({ pattern: '^mongodb(\\+srv)?://' })),
        /** mongodb: the database GoDocker keeps its collections in. */
        database: Type.String({ minLength: 1, pattern: '^[^/\\\\. "$]+$', default: 'godocker' }),
        /**
         * Submits that arrive together are stored in one transaction (each still answered,
         * and refused, on its own). false: one transaction each, only to measure the difference.
         */
        groupCommit: Type.Boolean({ default: true }),
      },
      Section,
    ),
    /**
     * How several daemons on one store agree (store.type mongodb): none, one daemon per store;
     * redis, every daemon serves the API, one elected leader schedules, starts and watches.
     * GODOCKER_REDIS_URL sets it.
     */
    coordination: Type.Object(
      {
        type: Type.Union([Type.Literal('none'), Type.Literal('redis')], { default: 'none' }),
        /** redis://host:port */
        url: Type.Optional(Type.String({ pattern: '^rediss?://' })),
        /** How long the leader's lease lasts unless renewed: a follower takes over within this and 1 s. */
        leaseMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 10_000 }),
        /** The address other daemons forward to when this one leads (default: the address it listens on). */
        advertiseUrl: Type.Optional(Type.String({ pattern: '^https?://' })),
      },
      Section,
    ),
    /**
     * The SSH gateway: `ssh -p PORT USER@HOST JOBID` opens a shell inside a running job (no
     * sshd in its image), `... JOBID -- CMD` runs one command, `sftp -P PORT USER+JOBID@HOST`
     * opens the job's directory (limits.maxUploadBytes and maxJobDirBytes apply). Users log in with a key they
     * registered (`godocker key add`) or their API token as the password. Off by default: a
     * daemon started with no config opens no port it was not asked for (and several daemons on
     * one host would fight over 2222); GODOCKER_SSH_PORT turns it on too.
     */
    ssh: Type.Object(
      {
        enabled: Type.Boolean({ default: false }),
        /** Default: server.host (loopback unless the API is served wider). */
        host: Type.Optional(Type.String({ minLength: 1 })),
        /** 0 picks a free port (tests); `godocker ssh` learns it from GET /api/v1/info. */
        port: Type.Integer({ minimum: 0, maximum: 65535, default: 2222 }),
        /** Made once (ed25519, 0600) and kept, so clients see the same host key after a restart. Default: DATADIR/ssh_host_ed25519_key */
        hostKeyFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
        /**
         * An interactive job (`godocker submit --interactive`) ends, done, once it has had no SSH
         * session (shell, command or sftp) for this long: from its start if nobody came in, or from
         * the close of its last session. Long enough to come back after a dropped connection.
         */
        interactiveIdleSeconds: Type.Integer({ minimum: 1, maximum: 86_400, default: 300 }),
      },
      Section,
    ),
    /** Where else each daemon says it runs: `etcd`, a key with a TTL per daemon (service discovery, monitoring). */
    status: Type.Object(
      {
        etcd: Type.Optional(
          Type.Object(
            {
              endpoints: Type.Array(Type.String({ pattern: '^https?://' }), { minItems: 1 }),
              /** Keys go under PREFIX/CLUSTER-ID/daemons/DAEMON-ID. */
              prefix: Type.String({ default: '/godocker', pattern: '^/' }),
              /** A daemon that dies loses its key this long after. */
              ttlSeconds: Type.Integer({ minimum: 5, maximum: 3600, default: 15 }),
            },
            { additionalProperties: false },
          ),
        ),
      },
      Section,
    ),
    executor: Type.Object(
      {
        /**
         * auto: docker when an engine answers, else local (with a warning).
         * drmaa-forward: jobs go to another DRMAA system through its libdrmaa.so (@godocker/drmaa-bridge).
         */
        type: Type.Union([Type.Literal('auto'), ExecutorTypeSchema], { default: 'auto' }),
        /** Passed to the executor plugin (see its options). */
        options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
      },
      Section,
    ),
    /**
     * Several executors at once, each named: `[{ name: k8s, type: kubernetes, options: {...} }, ...]`.
     * A job asks for one with `--executor NAME` (the `godocker.io/executor` node label); a job that
     * asks for none goes to the first. When set, `executor` is not used: it is the one-executor form.
     */
    executors: Type.Optional(
      Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' }),
            type: ExecutorTypeSchema,
            options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
            /** The host-port pool of this executor's nodes; absent: the top-level `ports`. */
            ports: Type.Optional(PortPoolConfigSchema),
          },
          Strict,
        ),
        { minItems: 1, maxItems: 16 },
      ),
    ),
    images: Type.Object(
      {
        default: Type.String({ minLength: 1, default: 'local/busybox:latest' }),
        catalogue: Type.Array(Type.String({ minLength: 1 }), { default: ['local/busybox:latest'] }),
        allowUserImages: Type.Boolean({ default: false }),
      },
      Section,
    ),
    volumes: Type.Array(VolumeConfigSchema, { default: [] }),
    /** The host-port pool of every node (an executor of `executors` may set its own). */
    ports: Type.Object(
      {
        start: Type.Integer({ minimum: 1024, maximum: 65535, default: 20000 }),
        range: Type.Integer({ minimum: 1, maximum: 64512, default: 100 }),
        bindAddress: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
      },
      Section,
    ),
    /**
     * Jobs from `libdrmaa.so` (HPC tools) name host commands and paths. On a container
     * executor their working directory, input/output/error folders (and their command,
     * when one is there) are mounted at the same absolute paths from the catalogue
     * volumes whose containerPath is their hostPath; a path no such volume covers is
     * refused. On the local executor the paths are the host's own.
     */
    drmaa: Type.Object(
      {
        /** Image of DRMAA jobs that name none (`--image` in the native specification); images.default when not set. */
        image: Type.Optional(Type.String({ minLength: 1 })),
        /** `drmaa_job_category` name → native specification text, e.g. `bigmem: "-m 64G -c 8"`. */
        categories: Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.String(), { default: {} }),
      },
      Section,
    ),
    security: Type.Object(
      {
        /** Users (by name) who may run jobs as root in the container; "*" for everyone. */
        rootUsers: Type.Array(Type.String(), { default: [] }),
      },
      Section,
    ),
    network: Type.Object(
      {
        /** Network mode of jobs that do not ask for network. */
        defaultMode: Type.String({ minLength: 1, default: 'none' }),
        /** Network mode given to jobs that ask for network; null refuses them. */
        allowedMode: Type.Union([Type.String({ minLength: 1 }), Type.Null()], { default: null }),
      },
      Section,
    ),
    limits: Type.Object(
      {
        defaultCpu: Type.Number({ exclusiveMinimum: 0, default: 1 }),
        /** MiB */
        defaultRam: Type.Integer({ minimum: 1, default: 512 }),
        maxCpu: Type.Number({ exclusiveMinimum: 0, default: 256 }),
        /** MiB */
        maxRam: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
        maxGpus: Type.Integer({ minimum: 0, default: 64 }),
        /** MiB of scratch space a job may ask for. */
        maxTmpStorage: Type.Integer({ minimum: 0, default: 1024 * 1024 }),
        /** Seconds; jobs with no time limit get defaultTimeLimit (null: none). */
        defaultTimeLimit: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { default: null }),
        maxTimeLimit: Type.Integer({ minimum: 1, default: 30 * 24 * 3600 }),
        maxScriptBytes: Type.Integer({ minimum: 1, default: 1024 * 1024 }),
        maxArraySize: Type.Integer({ minimum: 1, default: 100000 }),
        /** Container ports one job may publish (`--port`), each taking a host port of its node's pool. */
        maxPorts: Type.Integer({ minimum: 0, maximum: 64, default: 8 }),
        /** Seconds between SIGTERM and SIGKILL when a job is killed. */
        killGraceSeconds: Type.Number({ minimum: 0, default: 10 }),
        /** Largest file one upload into a job's directory may write (bytes). */
        maxUploadBytes: Type.Integer({ minimum: 1, default: 1024 * 1024 * 1024 }),
        /** Uploads are refused once the job's directory holds this much (bytes, files written by the job included). */
        maxJobDirBytes: Type.Integer({ minimum: 1, default: 10 * 1024 * 1024 * 1024 }),
      },
      Section,
    ),
    archive: Type.Object(
      {
        /**
         * Days after its end a job is archived: its directory (files, stdout, stderr) is removed,
         * its record and usage stay, and its files and logs answer 410. 0: never.
         */
        afterDays: Type.Number({ minimum: 0, default: 30 }),
        /** Minutes between two archiving runs of the leader. */
        intervalMinutes: Type.Number({ exclusiveMinimum: 0, default: 60 }),
      },
      Section,
    ),
    /**
     * Per-job resource usage, read from the executor while jobs run (Docker stats; Swarm tasks
     * whose container runs on the manager's engine; the local executor's /proc; Kubernetes jobs
     * are not sampled): `GET /jobs/{id}/usage`, `godocker show ID --usage`. A reading that fails
     * or is late is skipped, never waited on.
     */
    usage: Type.Object(
      {
        /** Seconds between two readings of each running job (the dashboard's job page reads its usage as often, at most once a second). */
        sampleSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** Points a job's series keeps at most: when full, neighbours merge (each covers twice the time). */
        maxPoints: Type.Integer({ minimum: 2, maximum: 10_000, default: 240 }),
        /** Seconds between saves of the series to the store (a crash loses at most this much of it; totals from the executor's counters are kept). */
        saveSeconds: Type.Number({ minimum: 0, default: 60 }),
      },
      Section,
    ),
    scheduler: Type.Object(
      {
        /** fairshare (Slurm classic fair share + age + priorities) or fifo (priority, then age). */
        policy: Type.Union([Type.Literal('fairshare'), Type.Literal('fifo')], { default: 'fairshare' }),
        /** EASY backfill: a lower-priority job may start if it does not delay the top waiting job. */
        backfill: Type.Boolean({ default: true }),
        /** Fair-share usage counts half after this many seconds (Slurm's PriorityDecayHalfLife). */
        halfLifeSeconds: Type.Number({ minimum: 0, default: 7 * 24 * 3600 }),
        /** Billing units per second: cpu per core, memory per GiB, gpus per gpu. */
        billing: Type.Object(
          {
            cpu: Type.Number({ minimum: 0, default: 1 }),
            ramGiB: Type.Number({ minimum: 0, default: 0 }),
            gpu: Type.Number({ minimum: 0, default: 0 }),
          },
          Section,
        ),
        /** Weights of the job priority number (see `godocker why`). */
        weights: Type.Object(
          {
            fairshare: Type.Number({ minimum: 0, default: 10000 }),
            age: Type.Number({ minimum: 0, default: 1000 }),
            maxAgeSeconds: Type.Number({ minimum: 0, default: 7 * 24 * 3600 }),
            job: Type.Number({ minimum: 0, default: 1000 }),
            user: Type.Number({ minimum: 0, default: 500 }),
            project: Type.Number({ minimum: 0, default: 500 }),
          },
          Section,
        ),
        /** Seconds between usage accruals saved to the store (fair share, cpu-time quotas). */
        usageSeconds: Type.Number({ exclusiveMinimum: 0, default: 15 }),
        /**
         * What fair share charges for cpu: `reserved`, the cores a job asked for times its run time
         * (Slurm's default); `used`, the cpu seconds its task actually used, as sampled (`usage`).
         * A job of an executor that is not sampled is charged what it reserved either way.
         */
        cpuCharge: Type.Union([Type.Literal('reserved'), Type.Literal('used')], { default: 'reserved' }),
        /** Seconds between passes when nothing happens (passes also run on every event). */
        tickSeconds: Type.Number({ exclusiveMinimum: 0, default: 10 }),
        /** Seconds between checks of running tasks against the executor (a safety net for missed exits). */
        reconcileSeconds: Type.Number({ exclusiveMinimum: 0, default: 30 }),
        /**
         * GoDocker's failure_policy: a running job whose task vanished (its node or engine went
         * away, its container was removed) is put back in the queue this many times, then fails
         * with a reason that names the node.
         */
        failurePolicy: Type.Object(
          {
            requeues: Type.Integer({ minimum: 0, maximum: 100, default: 1 }),
            /**
             * How long a node may not answer before its jobs count as lost and go through the
             * policy. Shorter outages (an engine restart with live-restore, a network blip) leave
             * them running.
             */
            nodeLostSeconds: Type.Number({ minimum: 0, maximum: 86_400, default: 60 }),
          },
          Section,
        ),
      },
      Section,
    ),
    /**
     * Job notifications (`godocker submit --mail-type end,fail --mail-user ...`, `--notify-url`).
     * The leader delivers them from the store's outbox, after the change that made them and
     * never in its way: a restart resumes what was not yet sent; a delivery that fails its
     * last attempt is logged with the reason and marked failed.
     */
    notifications: Type.Object(
      {
        /** Absent: no mail is sent, and a submit that asks for mail is refused with a 400 that says so. */
        smtp: Type.Optional(
          Type.Object(
            {
              host: Type.String({ minLength: 1 }),
              port: Type.Integer({ minimum: 1, maximum: 65535, default: 25 }),
              /** true: TLS from the start (port 465); false: STARTTLS when the server offers it. */
              secure: Type.Boolean({ default: false }),
              user: Type.Optional(Type.String({ minLength: 1 })),
              /** A file holding the SMTP password (kept out of the config file); read at start. */
              passwordFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
              /** The From: of every mail. */
              from: Type.String({ minLength: 3, default: 'godocker@localhost' }),
            },
            { additionalProperties: false },
          ),
        ),
        webhook: Type.Object(
          {
            /**
             * Signs each POST (`X-GoDocker-Signature: t=UNIX_SECONDS,v1=HEX`, HMAC-SHA256 of
             * "t.body"); give it inline or, better, as secretFile. Absent: webhooks are refused.
             */
            secret: Type.Optional(Type.String({ minLength: 16 })),
            secretFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
            /**
             * Host names or addresses (or host:port) a job's --notify-url may name; empty: any host.
             * Whatever it is, a webhook goes only to public unicast addresses: loopback, private
             * (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the cloud's
             * metadata, fe80::/10), unspecified, multicast and other reserved addresses are refused
             * at submit (400 GOD_WEBHOOK_TARGET_REFUSED) and at each delivery, after DNS, unless the
             * host is named here: a host named here is trusted wherever it resolves.
             */
            allowedHosts: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
            /**
             * Networks in CIDR notation (10.20.0.0/16, fd00:1::/64, 127.0.0.1/32) whose addresses a
             * webhook may reach although they are not public: for a site's own receivers, under any
             * host name allowedHosts lets through.
             */
            allowedNetworks: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
            /** How long one POST may take before it counts as failed (and is tried again). */
            timeoutMs: Type.Integer({ minimum: 100, maximum: 120_000, default: 10_000 }),
          },
          Section,
        ),
        /**
         * Attempts per delivery (mail or POST) before it is marked failed. A network error, an
         * SMTP 4xx or an HTTP 5xx/429 is tried again; a refusal (SMTP 5xx, HTTP 4xx) is final at once.
         */
        attempts: Type.Integer({ minimum: 1, maximum: 50, default: 5 }),
        /** The first retry waits this long, each next one twice as long (up to 10 minutes). */
        backoffMs: Type.Integer({ minimum: 10, maximum: 600_000, default: 2_000 }),
        /**
         * How long a delivery sent or given up stays in the outbox (and in `GET /api/v1/jobs/ID/notifications`,
         * `godocker show`) before the leader deletes it; fractions allowed (0.5: twelve hours). An
         * event older than this is not notified any more either: it would have been purged.
         */
        keepDays: Type.Number({ exclusiveMinimum: 0, maximum: 3650, default: 30 }),
      },
      Section,
    ),
    /**
     * Prometheus metrics at `GET /metrics` (outside /api/v1; every daemon of a site serves its
     * own): jobs by state and project, submits, starts and ends, queue wait and run times,
     * scheduling passes, executor calls, nodes, leadership, HTTP requests, the process.
     */
    metrics: Type.Object(
      {
        /** false: no /metrics route (404). */
        enabled: Type.Boolean({ default: true }),
        /**
         * A bearer token Prometheus must send (`authorization: {credentials: ...}` in its scrape
         * config); without it, or with another, /metrics answers 401. Absent: anyone who reaches
         * the port may read the metrics (they name projects and nodes, never jobs or users).
         * Give it inline or, better, as tokenFile.
         */
        token: Type.Optional(Type.String({ minLength: 16, maxLength: 1024 })),
        /** A file holding the token (its first line), read at start. */
        tokenFile: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
        /**
         * Adds a `user` label to the job counters (submitted, started, ended): one series per
         * user and project, which a site with thousands of users may not want in Prometheus.
         */
        userLabels: Type.Boolean({ default: false }),
        /**
         * Job counts (godocker_jobs) younger than this are reused by a scrape; 0: counted at every
         * scrape. The SQLite store counts 100,000 jobs in about 10 ms; the MongoDB store reads every
         * job's record (seconds for tens of thousands on FerretDB): give it a minute or more there.
         * A scrape waits 5 s at most for a count, then answers with the last one.
         */
        jobCountsMaxAgeSeconds: Type.Integer({ minimum: 0, maximum: 86_400, default: 0 }),
      },
      Section,
    ),
    auth: Type.Object(
      {
        admin: Type.Object(
          {
            name: Type.String({ minLength: 1, default: 'admin' }),
            uid: Type.Integer({ minimum: 0, default: 1000 }),
            gid: Type.Integer({ minimum: 0, default: 1000 }),
            /** Where the admin's jobs start on the local executor; default /home/NAME. */
            home: Type.Optional(Type.String({ minLength: 1, pattern: '^/' })),
          },
          Section,
        ),
        /**
         * How long a token from a password login (`godocker login --user`) lasts: 30s, 12h, 7d...
         * Then it answers 401 and the user logs in again. Tokens an admin makes do not expire.
         */
        tokenTtl: Type.String({ minLength: 1, default: '7d' }),
        /**
         * Failed password logins allowed per user name and per client address within a sliding
         * window; past that, logins answer 429 with Retry-After. Counted in each daemon's memory.
         */
        loginLimits: Type.Object(
          {
            perUser: LoginLimitSchema(5),
            perAddress: LoginLimitSchema(20),
          },
          Section,
        ),
        /** Password logins against an LDAP directory (OpenLDAP, Active Directory). Absent: tokens only. */
        ldap: Type.Optional(LdapConfigSchema),
      },
      Section,
    ),
  },
  Strict,
);
export type GodockerConfig = Static<typeof ConfigSchema>;
export type LdapConfig = Static<typeof LdapConfigSchema>;

export type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
