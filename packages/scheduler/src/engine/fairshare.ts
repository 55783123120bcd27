/**
 * Fair share for GoDocker: Slurm's classic algorithm over a two-level tree,
 * projects (Slurm accounts) under the root and users within projects; plus the
 * usage it runs on — billing units decayed with a half-life. Pure: time comes
 * in as arguments, nothing is read or written.
 *
 * https://slurm.schedmd.com/classic_fair_share.html and the "Fair-share
 * Factor" section of https://slurm.schedmd.com/priority_multifactor.html.
 * The formulas are in `fairshare-tree.ts`; for this tree they read:
 *
 *   project p:  S_p  = s_p / Σ s_projects          U_p = u_p / R      UE_p = U_p
 *   user u in p: S_u = S_p * s_u / Σ s_members(p)  U_u = u_u / R      UE_u = U_u + (UE_p - U_u) * s_u / Σ s_members(p)
 *   factor:      F   = 2^(-UE / S)
 *
 * where R is the cluster's total decayed usage. Edge cases as Slurm's code:
 * no usage anywhere gives every node with shares F = 1; zero shares gives
 * F = 0 (S = 0); a project whose members all have zero shares passes its own
 * effective usage down to them (and their F is 0, having no shares).
 *
 * As in Slurm, a member's UE mixes in the project's UE unscaled by the
 * member's part of the project, so busy siblings pay for each other: at usage
 * equal to share, a sole member has F = 0.5 but each of two equal members has
 * F = 2^-1.5. So a project with several active users settles below its
 * share against one with a single user: at equal shares, two equal users
 * against one reach equal factors at 40% against 60% of the usage. Slurm's
 * depth-oblivious and Fair Tree variants were made for this; the classic
 * formula is kept because it is the one the issue asks for and the one users
 * can check against Slurm's documentation.
 */
import { classicFairShare, type ShareAssoc } from './fairshare-tree.js';

export {
  classicFactor,
  classicFairShare,
  type ShareAssoc,
  type ShareAssocInput,
  type ShareTreeResult,
} from './fairshare-tree.js';

export interface ShareTreeInput {
  projects: ReadonlyArray<{ name: string; shares: number; members: ReadonlyArray<{ user: string; shares: number }> }>;
  /**
   * Decayed usage in billing units, per project and per `${project}/${user}` key.
   * A project's usage should include its members' (usage is charged up the
   * tree); the larger of its figure and its members' sum is used, so usage of
   * former members keeps counting against the project. `total` is the
   * denominator R of normalized usage; it defaults to the sum over the listed
   * projects (usage of deleted projects then no longer counts).
   */
  usage: { project: ReadonlyMap<string, number>; user: ReadonlyMap<string, number>; total?: number };
}

export interface ShareNode {
  project: string;
  user: string | null;
  /** S, normalized down the tree. */
  rawShares: number;
  normShares: number;
  /** U = raw / R. */
  rawUsage: number;
  normUsage: number;
  /** Slurm classic "EffectvUsage". */
  effectiveUsage: number;
  /** F = 2^(-EffectvUsage/NormShares); 0 with no shares, 1 with shares and no effective usage. */
  factor: number;
}

export interface ShareTree {
  projects: Map<string, ShareNode>;
  /** Keyed by `${project}/${user}`. */
  users: Map<string, ShareNode>;
}

export function userKey(project: string, user: string): string {
  return `${project}/${user}`;
}

function toNode(project: string, user: string | null, a: ShareAssoc): ShareNode {
  return {
    project,
    user,
    rawShares: a.rawShares,
    normShares: a.normShares,
    rawUsage: a.rawUsage,
    normUsage: a.normUsage,
    effectiveUsage: a.effectiveUsage,
    factor: a.factor,
  };
}

/** The classic fair-share values of every project and every member. */
export function fairShareTree(input: ShareTreeInput): ShareTree {
  const { usage } = input;
  const projects = input.projects.map((p) => {
    // A member listed twice would take shares twice; the first listing counts.
    const members = new Map<string, number>();
    for (const m of p.members) if (!members.has(m.user)) members.set(m.user, m.shares);
    const children = [...members].map(([user, shares]) => ({
      name: user,
      shares,
      usage: usage.user.get(userKey(p.name, user)) ?? 0,
    }));
    return { name: p.name, shares: p.shares, usage: usage.project.get(p.name) ?? 0, children };
  });
  const result = classicFairShare({ usage: usage.total, children: projects });
  const tree: ShareTree = { projects: new Map(), users: new Map() };
  for (const p of result.children) {
    tree.projects.set(p.name, toNode(p.name, null, p));
    for (const u of p.children) tree.users.set(userKey(p.name, u.name), toNode(p.name, u.name, u));
  }
  return tree;
}

/**
 * The factor a job of `user` in `project` gets: 0 for a user who is not a
 * member (no shares, as Slurm gives an association without shares).
 */
export function fairShareFactor(tree: ShareTree, project: string, user: string): number {
  return tree.users.get(userKey(project, user))?.factor ?? 0;
}

/**
 * Usage decays with a half-life: after halfLife seconds it counts half.
 *
 *   U(t) = U(0) * 2^(-t / halfLife)
 *
 * the continuous form of Slurm's U_H = U_now + D*U_last + D²*U_prev + ...
 * (PriorityDecayHalfLife). A half-life of 0 (or less) means no decay, as in
 * Slurm; a negative elapsed time (a clock stepping back) decays nothing rather
 * than inflating usage.
 */
export function decay(usage: number, elapsedSeconds: number, halfLifeSeconds: number): number {
  if (!(halfLifeSeconds > 0) || !(elapsedSeconds > 0)) return usage;
  return usage * 2 ** (-elapsedSeconds / halfLifeSeconds);
}

/** Billing units of a running job over `seconds`: cpu-seconds plus configurable weights for memory (per GiB-second) and gpus (per gpu-second). */
export interface BillingWeights {
  cpu: number;
  ramGiB: number;
  gpu: number;
}

/** Slurm bills only cpus unless TRESBillingWeights says otherwise. */
export const DEFAULT_BILLING_WEIGHTS: Readonly<BillingWeights> = { cpu: 1, ramGiB: 0, gpu: 0 };

/**
 * Slurm's TRESBillingWeights sum (without MAX_TRES):
 *
 *   units = seconds * (cpu * w.cpu + ram/1024 * w.ramGiB + gpus * w.gpu)
 *
 * `ram` is in MiB as everywhere in GoDocker, hence the 1024.
 */
export function billingUnits(
  req: { cpu: number; ram: number /* MiB */; gpus: number },
  seconds: number,
  weights: BillingWeights,
): number {
  if (!(seconds > 0)) return 0;
  const perSecond = req.cpu * weights.cpu + (req.ram / 1024) * weights.ramGiB + req.gpus * weights.gpu;
  return perSecond * seconds;
}
