/**
 * Projects, memberships, shares and quotas: the shapes of the admin API and
 * of the scheduling engine's policy input.
 */
import { type Static, Type } from '@sinclair/typebox';

const Limit = (description: string, integer = false) =>
  Type.Optional(Type.Union([integer ? Type.Integer({ minimum: 0 }) : Type.Number({ minimum: 0 }), Type.Null()], { description }));

/** A missing or null limit means none. */
export const QuotaSchema = Type.Object(
  {
    cpu: Limit('cores running at once'),
    ram: Limit('MiB running at once', true),
    gpus: Limit('gpus running at once', true),
    runningJobs: Limit('jobs running at once', true),
    pendingJobs: Limit('jobs waiting at once (checked at submit)', true),
    /** GoDocker's time quota: cumulative cpu-seconds over a rolling window. */
    cpuTime: Type.Optional(
      Type.Union([
        Type.Object(
          { seconds: Type.Number({ minimum: 0 }), windowSeconds: Type.Integer({ minimum: 60 }) },
          { additionalProperties: false },
        ),
        Type.Null(),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type Quota = Static<typeof QuotaSchema>;

export const MemberSchema = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 64 }),
    /** The user's shares inside the project (Slurm's user shares in an account). */
    shares: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
  },
  { additionalProperties: false },
);
export type Member = Static<typeof MemberSchema>;

export const ProjectSchema = Type.Object({
  name: Type.String(),
  description: Type.String(),
  /** The project's shares of the whole cluster. */
  shares: Type.Integer(),
  priority: Type.Integer(),
  quota: QuotaSchema,
  members: Type.Array(MemberSchema),
  createdAt: Type.String(),
});
export type Project = Static<typeof ProjectSchema>;
