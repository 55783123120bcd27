/**
 * Slurm's classic fair-share algorithm over a share tree of any depth: accounts
 * with sub-accounts, users as leaves. Pure arithmetic; GoDocker's two-level
 * view (projects, then users) is built on it in `fairshare.ts`.
 *
 * https://slurm.schedmd.com/classic_fair_share.html — the formulas, each as
 * Slurm's priority/multifactor plugin computes it (PriorityFlags=NO_FAIR_TREE):
 *
 *   normalized shares  S  = (S_child / S_all_siblings) * (S_parent / S_parent_siblings) * ... up to the root
 *                           (0 when a level's shares sum to 0)
 *   normalized usage   U  = U_raw / R_raw             (R_raw: the root's raw usage; U = 0 when R_raw = 0)
 *   effective usage    UE = U                                          for an account just under the root
 *                      UE = U + (UE_parent - U) * S_child / S_all_siblings   below it (raw shares of one level)
 *                      UE = UE_parent                                  when that level's shares sum to 0
 *   factor             F  = 2^(-UE / S)                                F = 0 when S = 0
 *
 * So with no usage anywhere every association with shares has F = 1, and one
 * that uses exactly its share of a quiet tree has F = 0.5.
 */

/** One association: an account (with children) or a user (a leaf). */
export interface ShareAssocInput {
  name: string;
  /** Raw shares among its siblings; negative or non-finite counts as 0. */
  shares: number;
  /**
   * Decayed raw usage charged to this association. Slurm charges a job's usage
   * to every association on the path to the root, so an account holds at least
   * its children's sum; it may hold more (usage of former members). The larger
   * of this value and the children's sum is used; omitted means the sum.
   */
  usage?: number;
  children?: ReadonlyArray<ShareAssocInput>;
}

export interface ShareRootInput {
  /**
   * The root's raw usage R_raw, the denominator of normalized usage: all usage
   * delivered by the cluster. At least the children's sum is used; omitted
   * means the sum (nothing charged outside the tree).
   */
  usage?: number;
  children: ReadonlyArray<ShareAssocInput>;
}

export interface ShareAssoc {
  name: string;
  rawShares: number;
  normShares: number;
  rawUsage: number;
  normUsage: number;
  effectiveUsage: number;
  factor: number;
  children: ShareAssoc[];
}

export interface ShareTreeResult {
  /** R_raw, the root's raw usage. */
  rawUsage: number;
  children: ShareAssoc[];
}

/** Negative, NaN and infinite inputs count as nothing, so one bad figure cannot poison the whole tree. */
function nonNegative(x: number | undefined): number {
  return x !== undefined && Number.isFinite(x) && x > 0 ? x : 0;
}

/** Raw usage of an association: its own figure, never less than its children's sum. */
function rawUsageOf(a: ShareAssocInput): number {
  let sum = 0;
  for (const c of a.children ?? []) sum += rawUsageOf(c);
  return Math.max(nonNegative(a.usage), sum);
}

/** F = 2^(-UE/S); an association without shares gets the lowest factor, as Slurm's priority_p_calc_fs_factor. */
export function classicFactor(effectiveUsage: number, normShares: number): number {
  if (!(normShares > 0)) return 0;
  return 2 ** (-effectiveUsage / normShares);
}

interface Parent {
  normShares: number;
  effectiveUsage: number;
  /** True for the root: its children's effective usage is their actual usage. */
  isRoot: boolean;
}

function computeLevel(
  inputs: ReadonlyArray<ShareAssocInput>,
  usages: readonly number[],
  parent: Parent,
  total: number,
): ShareAssoc[] {
  let levelShares = 0;
  for (const c of inputs) levelShares += nonNegative(c.shares);
  return inputs.map((input, i) => {
    const rawShares = nonNegative(input.shares);
    const share = levelShares > 0 ? rawShares / levelShares : 0;
    const normShares = parent.normShares * share;
    const rawUsage = usages[i] ?? 0;
    const normUsage = total > 0 ? rawUsage / total : 0;
    let effectiveUsage: number;
    if (parent.isRoot) effectiveUsage = normUsage;
    else if (levelShares === 0) effectiveUsage = parent.effectiveUsage;
    else effectiveUsage = normUsage + (parent.effectiveUsage - normUsage) * share;
    const node: ShareAssoc = {
      name: input.name,
      rawShares,
      normShares,
      rawUsage,
      normUsage,
      effectiveUsage,
      factor: classicFactor(effectiveUsage, normShares),
      children: [],
    };
    const kids = input.children ?? [];
    if (kids.length > 0) {
      node.children = computeLevel(kids, kids.map(rawUsageOf), { normShares, effectiveUsage, isRoot: false }, total);
    }
    return node;
  });
}

/**
 * The classic fair-share values of every association of the tree, computed top
 * down because each effective usage needs its parent's.
 */
export function classicFairShare(root: ShareRootInput): ShareTreeResult {
  const usages = root.children.map(rawUsageOf);
  let sum = 0;
  for (const u of usages) sum += u;
  const total = Math.max(nonNegative(root.usage), sum);
  // The root's own values, as Slurm sets them: all the shares, all the usage.
  const children = computeLevel(root.children, usages, { normShares: 1, effectiveUsage: 1, isRoot: true }, total);
  return { rawUsage: total, children };
}
