/**
 * The job document: one shape in the store, on the wire and in the SDK.
 * Schemas are TypeBox, so the server validates with exactly the JSON Schema
 * from which the SDK's types are derived.
 *
 * Units: `ram` and `tmpstorage` in MiB, `cpu` in (fractional) cores,
 * `timeLimit` in seconds, timestamps as ISO 8601 strings.
 */
import { type Static, Type } from '@sinclair/typebox';
import { NotifySchema, NotifySubmitSchema } from './notify.js';
import { DEPENDENCY_TYPES, JOB_STATES } from './wire-constants.js';

export { DEPENDENCY_TYPES, JOB_STATES } from './wire-constants.js';
export const JobStateSchema = Type.Union(
  JOB_STATES.map((s) => Type.Literal(s)),
  { description: 'pending, held, running, suspended, done (exit 0) or failed' },
);
export type JobState = (typeof JOB_STATES)[number];

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._@-]*$' });
const EnvName = Type.String({ minLength: 1, maxLength: 256, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' });

export const UserRefSchema = Type.Object({
  name: Type.String(),
  uid: Type.Integer(),
  gid: Type.Integer(),
});
export type UserRef = Static<typeof UserRefSchema>;

export const VolumeRequestSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
      description: 'a volume of the admin catalogue, never a host path',
    }),
    mode: Type.Optional(
      Type.Union([Type.Literal('ro'), Type.Literal('rw')], {
        description: 'defaults to the catalogue mode; rw only where the catalogue allows it',
      }),
    ),
  },
  { additionalProperties: false },
);
export type VolumeRequest = Static<typeof VolumeRequestSchema>;

/** Hard bounds of the wire format; the admin's configured limits are checked after these. */
export const WIRE_LIMITS = {
  scriptBytes: 4 * 1024 * 1024,
  cpu: 4096,
  /** The least cpu a job may ask for, and the step: a CPU limit finer than this is none at all. */
  cpuStep: 0.01,
  /** All NAME=VALUE of the env, and all args, in UTF-8 bytes: what Linux takes for one exec, with room for ours. */
  envBytes: 128 * 1024,
  argsBytes: 128 * 1024,
  ramMb: 64 * 1024 * 1024,
  gpus: 1024,
  timeLimitSeconds: 366 * 24 * 3600,
  args: 4096,
  tags: 64,
  /** Container ports one job may publish; the admin's `limits.maxPorts` is checked after. */
  ports: 64,
} as const;

export const MetaSubmitSchema = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    description: Type.Optional(Type.String({ maxLength: 4096 })),
    tags: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[^,\\s]+$' }), { maxItems: WIRE_LIMITS.tags }),
    ),
  },
  { additionalProperties: false },
);

/**
 * A file of a job's standard streams. The job's own user opens it before the command
 * starts, where the job runs (in the container on container executors); one that
 * cannot be opened is a start failure: the job fails and never runs.
 */
function StreamPath(description: string) {
  return Type.String({
    minLength: 1,
    maxLength: 4096,
    description: `${description}. Absolute, $HOME/... (the owner's home) or relative to workdir; $GODOCKER_TASK_ID is an array task's index`,
  });
}

export const CommandSchema = Type.Object(
  {
    script: Type.String({
      minLength: 1,
      maxLength: WIRE_LIMITS.scriptBytes,
      description: 'run with /bin/sh unless it starts with #!',
    }),
    args: Type.Optional(Type.Array(Type.String({ maxLength: 65536 }), { maxItems: WIRE_LIMITS.args })),
    env: Type.Optional(
      Type.Record(EnvName, Type.String({ maxLength: 65536 }), { additionalProperties: false, maxProperties: 4096 }),
    ),
    workdir: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4096,
        pattern: '^(/|\\$HOME(/|$))',
        description: "absolute, or $HOME/...: the owner's home, filled in at submit",
      }),
    ),
    stdin: Type.Optional(StreamPath('the file the job reads as its standard input (default: none)')),
    stdout: Type.Optional(
      StreamPath('the file its standard output goes to (default: the job log); a folder gets NAME.oJOBID in it'),
    ),
    stderr: Type.Optional(
      StreamPath('the file its standard error goes to (default: the job log); a folder gets NAME.eJOBID in it'),
    ),
    joinStderr: Type.Optional(Type.Boolean({ description: 'standard error goes where standard output goes' })),
  },
  { additionalProperties: false },
);

export const PORT_PROTOCOLS = ['tcp', 'udp'] as const;
export type PortProtocol = (typeof PORT_PROTOCOLS)[number];
const PortProtocolSchema = Type.Union(
  PORT_PROTOCOLS.map((p) => Type.Literal(p)),
  { description: 'tcp (the default) or udp' },
);

/** A port the job listens on inside its container (`--port 8080`, `--port 9090/udp`). */
export const PortRequestSchema = Type.Object(
  {
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(PortProtocolSchema),
  },
  { additionalProperties: false },
);
export type PortRequest = Static<typeof PortRequestSchema>;

/** A container port as stored on the job: the protocol filled in. */
export const JobPortSchema = Type.Object({
  containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  protocol: PortProtocolSchema,
});
export type JobPort = Static<typeof JobPortSchema>;

/**
 * A host port given to a running job from its node's pool: reach the job at `host:hostPort`.
 * The local executor maps nothing: the job itself listens on `hostPort` (`$GODOCKER_PORT_8080`).
 */
export const HostPortSchema = Type.Object({
  containerPort: Type.Integer(),
  protocol: PortProtocolSchema,
  hostPort: Type.Integer(),
  /** The node the port is open on. */
  node: Type.String(),
  /** The address it is bound to, when not every address of the node (`0.0.0.0`). */
  hostIp: Type.Optional(Type.String()),
});
export type HostPort = Static<typeof HostPortSchema>;

export const ContainerSubmitSchema = Type.Object(
  {
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    volumes: Type.Optional(Type.Array(VolumeRequestSchema, { maxItems: 64 })),
    network: Type.Optional(Type.Boolean({ description: 'ask for network access; granted only where the admin allows it' })),
    root: Type.Optional(Type.Boolean({ description: 'run as root inside the container; refused unless the admin allows it' })),
    /** Each gets a host port of its node's pool while the job runs (status.ports); implies network. */
    ports: Type.Optional(Type.Array(PortRequestSchema, { maxItems: WIRE_LIMITS.ports })),
    interactive: Type.Optional(
      Type.Boolean({
        description:
          'a job its user works in through the SSH gateway (godocker submit --interactive): it ends, done, once no SSH ' +
          'session has been open for ssh.interactiveIdleSeconds (none since its start, or since the last one closed)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RequirementsSubmitSchema = Type.Object(
  {
    cpu: Type.Optional(
      Type.Number({ minimum: WIRE_LIMITS.cpuStep, maximum: WIRE_LIMITS.cpu, description: 'cores, in steps of 0.01' }),
    ),
    ram: Type.Optional(Type.Integer({ minimum: 1, maximum: WIRE_LIMITS.ramMb, description: 'MiB' })),
    gpus: Type.Optional(Type.Integer({ minimum: 0, maximum: WIRE_LIMITS.gpus })),
    tmpstorage: Type.Optional(Type.Integer({ minimum: 0, maximum: WIRE_LIMITS.ramMb, description: 'MiB' })),
    timeLimit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: WIRE_LIMITS.timeLimitSeconds, description: 'seconds of wall time' }),
    ),
    /**
     * The executor to run on, by its name in the daemon's `executors:` list (`--executor k8s`);
     * absent: the first. Stored as the `godocker.io/executor` label its nodes carry.
     */
    executor: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' })),
    labels: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }), Type.String({ maxLength: 63 }), {
        additionalProperties: false,
        maxProperties: 64,
      }),
    ),
  },
  { additionalProperties: false },
);

export type DependencyType = (typeof DEPENDENCY_TYPES)[number];

/** Slurm's words: afterok (ended done), afternotok (ended failed), afterany (ended). */
export const DependencySchema = Type.Object(
  {
    type: Type.Union(DEPENDENCY_TYPES.map((t) => Type.Literal(t))),
    /** A job or a whole array (its parent's id). */
    jobId: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type Dependency = Static<typeof DependencySchema>;

/** What a user sends to `POST /api/v1/jobs`. */
export const JobSubmissionSchema = Type.Object(
  {
    meta: Type.Optional(MetaSubmitSchema),
    project: Type.Optional(Name),
    session: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    command: CommandSchema,
    container: Type.Optional(ContainerSubmitSchema),
    requirements: Type.Optional(RequirementsSubmitSchema),
    array: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'START-END[:STEP][%MAX], e.g. 0-99:2 or 1-1000%10' }),
    ),
    /** All must be met (AND), as `--dependency afterok:42,afterany:43`. */
    dependencies: Type.Optional(Type.Array(DependencySchema, { maxItems: 1024 })),
    priority: Type.Optional(Type.Integer({ minimum: -10000, maximum: 10000 })),
    hold: Type.Optional(Type.Boolean()),
    /** Slurm's `--begin`, DRMAA's start time. */
    beginAt: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description:
          'ISO 8601 timestamp with a zone (2026-11-29T14:00:00Z): the job does not start before it; a time already past means now',
      }),
    ),
    /** Slurm's `--mail-type`/`--mail-user`, and a webhook. */
    notify: Type.Optional(NotifySubmitSchema),
  },
  { additionalProperties: false },
);
export type JobSubmission = Static<typeof JobSubmissionSchema>;

export const TransitionSchema = Type.Object({
  state: JobStateSchema,
  at: Type.String(),
  reason: Type.String(),
});
export type Transition = Static<typeof TransitionSchema>;

export const JobStatusSchema = Type.Object({
  state: JobStateSchema,
  /** A sentence a person can read: why it waits, why it failed, how it ended. */
  reason: Type.String(),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  signal: Type.Union([Type.String(), Type.Null()]),
  oomKilled: Type.Boolean(),
  submittedAt: Type.String(),
  startedAt: Type.Union([Type.String(), Type.Null()]),
  endedAt: Type.Union([Type.String(), Type.Null()]),
  node: Type.Union([Type.String(), Type.Null()]),
  containerId: Type.Union([Type.String(), Type.Null()]),
  /**
   * Why GoDocker is stopping the running task (a kill, the time limit), set when it sends the stop:
   * a daemon restarted before the task's end still records that end as this kill, with its signal.
   */
  killReason: Type.Optional(Type.String()),
  /**
   * Why GoDocker is stopping the running task as finished, not killed (an interactive job whose
   * last SSH session closed): the job then ends `done` with this reason, after a restart too.
   */
  finishReason: Type.Optional(Type.String()),
  /**
   * When the job's directory (its files and logs) was removed by archiving, some days after
   * its end; its record and usage stay. Absent: not archived.
   */
  archivedAt: Type.Optional(Type.String()),
  /**
   * The host ports of the job's `container.ports`, chosen when it is placed (in the same write
   * as its node) and held while it runs; emptied when it is requeued. Absent: it asked for none.
   */
  ports: Type.Optional(Type.Array(HostPortSchema)),
  history: Type.Array(TransitionSchema),
});
export type JobStatus = Static<typeof JobStatusSchema>;

export const ArrayInfoSchema = Type.Object({
  start: Type.Integer(),
  end: Type.Integer(),
  step: Type.Integer(),
  throttle: Type.Union([Type.Integer(), Type.Null()]),
  count: Type.Integer(),
  /**
   * How many tasks exist so far: a large array is answered before all its tasks are
   * stored (202), and this reaches `count` as they land. Absent on arrays stored whole.
   */
  created: Type.Optional(Type.Integer()),
  /** Number of tasks in each state, kept up to date on the parent. */
  tasks: Type.Record(Type.String(), Type.Integer()),
});
export type ArrayInfo = Static<typeof ArrayInfoSchema>;

export const JobSchema = Type.Object({
  id: Type.Integer(),
  user: UserRefSchema,
  project: Type.String(),
  session: Type.Union([Type.String(), Type.Null()]),
  meta: Type.Object({ name: Type.String(), description: Type.String(), tags: Type.Array(Type.String()) }),
  command: Type.Object({
    script: Type.String(),
    args: Type.Array(Type.String()),
    env: Type.Record(Type.String(), Type.String()),
    workdir: Type.Union([Type.String(), Type.Null()]),
    // Absent when not asked for, so that documents stored before they existed are still whole jobs.
    /** Absolute paths, resolved at submit (home, working directory, task index). */
    stdin: Type.Optional(Type.String()),
    stdout: Type.Optional(Type.String()),
    stderr: Type.Optional(Type.String()),
    joinStderr: Type.Optional(Type.Boolean()),
  }),
  container: Type.Object({
    image: Type.String(),
    volumes: Type.Array(Type.Object({ name: Type.String(), mode: Type.Union([Type.Literal('ro'), Type.Literal('rw')]) })),
    network: Type.Boolean(),
    root: Type.Boolean(),
    /** Absent when none were asked for (and on documents stored before ports existed). */
    ports: Type.Optional(Type.Array(JobPortSchema)),
    /** true: ended by the SSH gateway once idle (see the submission's `interactive`); absent: false. */
    interactive: Type.Optional(Type.Boolean()),
  }),
  requirements: Type.Object({
    cpu: Type.Number(),
    ram: Type.Integer(),
    gpus: Type.Integer(),
    tmpstorage: Type.Integer(),
    timeLimit: Type.Union([Type.Integer(), Type.Null()]),
    labels: Type.Record(Type.String(), Type.String()),
  }),
  /** On an array's parent: the range and per-state task counts. */
  array: Type.Union([ArrayInfoSchema, Type.Null()]),
  /** On an array task: its parent's id and its index. */
  parentId: Type.Union([Type.Integer(), Type.Null()]),
  taskIndex: Type.Union([Type.Integer(), Type.Null()]),
  dependencies: Type.Array(DependencySchema),
  priority: Type.Integer(),
  hold: Type.Boolean(),
  /**
   * The earliest start, as `toISOString` writes it; absent when the job may start
   * at once. Absent rather than null so that documents stored before it existed
   * are still whole jobs.
   */
  beginAt: Type.Optional(Type.String()),
  /** Who is told of which changes (absent: nobody); an array's parent tells for the whole array. */
  notify: Type.Optional(NotifySchema),
  status: JobStatusSchema,
  usage: Type.Object({
    wallSeconds: Type.Number(),
    cpuSeconds: Type.Union([Type.Number(), Type.Null()]),
    maxMemoryMb: Type.Union([Type.Number(), Type.Null()]),
    /**
     * Bytes of block io and network, from the samples taken while it ran (`GET /jobs/{id}/usage`),
     * set at its end. Absent: not sampled (or stored before sampling existed).
     */
    readBytes: Type.Optional(Type.Number()),
    writeBytes: Type.Optional(Type.Number()),
    rxBytes: Type.Optional(Type.Number()),
    txBytes: Type.Optional(Type.Number()),
  }),
});
export type Job = Static<typeof JobSchema>;
