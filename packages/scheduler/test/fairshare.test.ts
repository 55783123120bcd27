import { describe, expect, it } from 'vitest';
import {
  billingUnits,
  classicFairShare,
  DEFAULT_BILLING_WEIGHTS,
  decay,
  fairShareFactor,
  fairShareTree,
  type ShareAssoc,
  type ShareTreeInput,
  userKey,
} from '../src/engine/fairshare.js';

const DAY = 24 * 3600;

/** A compact two-level description: { project: [shares, usage, { user: [shares, usage] }] }. */
type Spec = Record<string, [number, number, Record<string, [number, number]>]>;

function input(spec: Spec, total?: number): ShareTreeInput {
  const project = new Map<string, number>();
  const user = new Map<string, number>();
  const projects = Object.entries(spec).map(([name, [shares, usage, members]]) => {
    project.set(name, usage);
    for (const [u, [, uu]] of Object.entries(members)) user.set(userKey(name, u), uu);
    return { name, shares, members: Object.entries(members).map(([u, [s]]) => ({ user: u, shares: s })) };
  });
  return { projects, usage: { project, user, ...(total === undefined ? {} : { total }) } };
}

function factorOf(tree: ReturnType<typeof fairShareTree>, project: string, user: string): number {
  const node = tree.users.get(userKey(project, user));
  if (!node) throw new Error(`no node ${project}/${user}`);
  return node.factor;
}

/** Deterministic pseudo-random numbers (mulberry32), so property checks replay the same cases. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("Slurm's classic fair-share worked example", () => {
  // https://slurm.schedmd.com/classic_fair_share.html#example — a three-level tree:
  //   root ─ A (40) ─ B (30) ─ user1         usage 0.20
  //        │        └ C (10) ─ user2 (1)     usage 0.25
  //        │                 └ user3 (1)     usage 0
  //        └ D (60) ─ E (25) ─ user4         usage 0.25
  //                 └ F (35) ─ user5         usage 0
  // Usages are fractions of the whole machine, so the root's usage (the
  // denominator of normalized usage) is 1, not the 0.7 the listed users sum to.
  const result = classicFairShare({
    usage: 1,
    children: [
      {
        name: 'A',
        shares: 40,
        children: [
          { name: 'B', shares: 30, children: [{ name: 'user1', shares: 1, usage: 0.2 }] },
          {
            name: 'C',
            shares: 10,
            children: [
              { name: 'user2', shares: 1, usage: 0.25 },
              { name: 'user3', shares: 1, usage: 0 },
            ],
          },
        ],
      },
      {
        name: 'D',
        shares: 60,
        children: [
          { name: 'E', shares: 25, children: [{ name: 'user4', shares: 1, usage: 0.25 }] },
          { name: 'F', shares: 35, children: [{ name: 'user5', shares: 1, usage: 0 }] },
        ],
      },
    ],
  });
  const byName = new Map<string, ShareAssoc>();
  const walk = (nodes: ShareAssoc[]) => {
    for (const n of nodes) {
      byName.set(n.name, n);
      walk(n.children);
    }
  };
  walk(result.children);
  const node = (name: string): ShareAssoc => {
    const n = byName.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  };

  it('gives the published fair-share factors to six decimals', () => {
    expect(node('user1').factor).toBeCloseTo(0.408479, 6);
    expect(node('user2').factor).toBeCloseTo(0.022097, 6);
    expect(node('user3').factor).toBeCloseTo(0.125, 6);
    expect(node('user4').factor).toBeCloseTo(0.5, 6);
    expect(node('user5').factor).toBeCloseTo(0.749154, 6);
  });

  it('gives the published normalized shares', () => {
    expect(node('A').normShares).toBeCloseTo(0.4, 12);
    expect(node('B').normShares).toBeCloseTo(0.3, 12);
    expect(node('user1').normShares).toBeCloseTo(0.3, 12);
    expect(node('user2').normShares).toBeCloseTo(0.05, 12);
    expect(node('user3').normShares).toBeCloseTo(0.05, 12);
    expect(node('user4').normShares).toBeCloseTo(0.25, 12);
    expect(node('user5').normShares).toBeCloseTo(0.35, 12);
  });

  it('gives the published effective usages', () => {
    expect(node('A').effectiveUsage).toBeCloseTo(0.45, 12);
    expect(node('D').effectiveUsage).toBeCloseTo(0.25, 12);
    expect(node('B').effectiveUsage).toBeCloseTo(0.3875, 12);
    expect(node('C').effectiveUsage).toBeCloseTo(0.3, 12);
    expect(node('E').effectiveUsage).toBeCloseTo(0.25, 12);
    expect(node('F').effectiveUsage).toBeCloseTo(0.25 * (35 / 60), 12);
    expect(node('user1').effectiveUsage).toBeCloseTo(0.3875, 12);
    expect(node('user2').effectiveUsage).toBeCloseTo(0.275, 12);
    expect(node('user3').effectiveUsage).toBeCloseTo(0.15, 12);
    expect(node('user4').effectiveUsage).toBeCloseTo(0.25, 12);
    expect(node('user5').effectiveUsage).toBeCloseTo(0.25 * (35 / 60), 12);
  });

  it("sums the children's usage up the tree", () => {
    expect(node('A').rawUsage).toBeCloseTo(0.45, 12);
    expect(node('C').rawUsage).toBeCloseTo(0.25, 12);
    expect(result.rawUsage).toBe(1);
  });

  it('ranks user 5 first, as the page concludes', () => {
    const ranked = ['user1', 'user2', 'user3', 'user4', 'user5'].sort((a, b) => node(b).factor - node(a).factor);
    expect(ranked[0]).toBe('user5');
  });
});

describe('fairShareTree (projects, then users)', () => {
  it('gives equal factors for equal shares and equal usage', () => {
    const tree = fairShareTree(
      input({
        p: [1, 200, { a: [1, 100], b: [1, 100] }],
        q: [1, 200, { c: [1, 100], d: [1, 100] }],
      }),
    );
    const factors = [factorOf(tree, 'p', 'a'), factorOf(tree, 'p', 'b'), factorOf(tree, 'q', 'c'), factorOf(tree, 'q', 'd')];
    for (const f of factors) expect(f).toBeCloseTo(factors[0] ?? Number.NaN, 12);
    expect(tree.projects.get('p')?.factor).toBeCloseTo(tree.projects.get('q')?.factor ?? Number.NaN, 12);
  });

  it('gives 0.5 to a project whose usage is exactly its share, and to its sole member', () => {
    const tree = fairShareTree(input({ big: [2, 200, { a: [1, 200] }], small: [1, 100, { c: [3, 100] }] }));
    for (const node of [...tree.projects.values(), ...tree.users.values()]) expect(node.factor).toBeCloseTo(0.5, 12);
  });

  it("charges members part of their project's effective usage, as the classic formula does", () => {
    // Both projects use exactly their share. The classic UE of a member mixes in
    // the project's UE unscaled: a = 1/3 + (2/3 - 1/3) * 1/2 = 1/2 against
    // S = 1/3, so two busy members each get 2^-1.5 where a sole member gets 2^-1.
    // (Slurm's depth-oblivious and Fair Tree variants exist because of this.)
    const tree = fairShareTree(input({ big: [2, 200, { a: [1, 100], b: [1, 100] }], small: [1, 100, { c: [1, 100] }] }));
    expect(tree.users.get('big/a')?.effectiveUsage).toBeCloseTo(0.5, 12);
    expect(factorOf(tree, 'big', 'a')).toBeCloseTo(2 ** -1.5, 12);
    expect(factorOf(tree, 'big', 'b')).toBeCloseTo(2 ** -1.5, 12);
    expect(factorOf(tree, 'small', 'c')).toBeCloseTo(0.5, 12);
    // Equal factors, hence the scheduler's balance, come at 40% against 60%.
    const balanced = fairShareTree(input({ big: [1, 40, { a: [1, 20], b: [1, 20] }], small: [1, 60, { c: [1, 60] }] }));
    expect(factorOf(balanced, 'big', 'a')).toBeCloseTo(2 ** -1.2, 12);
    expect(factorOf(balanced, 'small', 'c')).toBeCloseTo(2 ** -1.2, 12);
  });

  it('lowers the factor of a user who used a lot recently below a sibling who did not', () => {
    const halfLife = 7 * DAY;
    const recent = decay(5000, 1 * DAY, halfLife);
    const old = decay(5000, 40 * DAY, halfLife);
    const tree = fairShareTree(
      input({ p: [1, recent + old, { heavy: [1, recent], quiet: [1, old] }], q: [1, 1000, { r: [1, 1000] }] }),
    );
    expect(factorOf(tree, 'p', 'heavy')).toBeLessThan(factorOf(tree, 'p', 'quiet'));
    // The sibling still pays for the project's usage: below a fresh user of an idle project.
    const fresh = fairShareTree(
      input({ p: [1, recent + old, { heavy: [1, recent], quiet: [1, old] }], idle: [1, 0, { n: [1, 0] }] }),
    );
    expect(factorOf(fresh, 'p', 'quiet')).toBeLessThan(factorOf(fresh, 'idle', 'n'));
  });

  it('gives every node with shares a factor of 1 when nobody has used anything', () => {
    const tree = fairShareTree(input({ p: [3, 0, { a: [1, 0], b: [2, 0] }], q: [1, 0, { c: [1, 0] }] }));
    for (const node of [...tree.projects.values(), ...tree.users.values()]) {
      expect(node.normUsage).toBe(0);
      expect(node.effectiveUsage).toBe(0);
      expect(node.factor).toBe(1);
    }
  });

  it('gives a factor of 0 to a user without shares, and to every member of a project without shares', () => {
    const tree = fairShareTree(input({ p: [1, 10, { a: [0, 0], b: [1, 10] }], z: [0, 0, { c: [1, 0] }] }));
    expect(tree.users.get('p/a')?.normShares).toBe(0);
    expect(factorOf(tree, 'p', 'a')).toBe(0);
    expect(tree.projects.get('z')?.factor).toBe(0);
    expect(factorOf(tree, 'z', 'c')).toBe(0);
    expect(factorOf(tree, 'p', 'b')).toBeGreaterThan(0);
  });

  it("passes the project's effective usage to members when all their shares are 0", () => {
    const tree = fairShareTree(input({ p: [1, 30, { a: [0, 10], b: [0, 20] }], q: [1, 70, { c: [1, 70] }] }));
    expect(tree.users.get('p/a')?.effectiveUsage).toBeCloseTo(0.3, 12);
    expect(tree.users.get('p/b')?.effectiveUsage).toBeCloseTo(0.3, 12);
    expect(factorOf(tree, 'p', 'a')).toBe(0);
  });

  it('fills in the nodes as sshare shows them', () => {
    const tree = fairShareTree(input({ p: [1, 60, { a: [3, 60], b: [1, 0] }], q: [3, 40, { c: [1, 40] }] }));
    expect(tree.projects.get('p')).toEqual({
      project: 'p',
      user: null,
      rawShares: 1,
      normShares: 0.25,
      rawUsage: 60,
      normUsage: 0.6,
      effectiveUsage: 0.6,
      factor: 2 ** (-0.6 / 0.25),
    });
    const a = tree.users.get('p/a');
    expect(a).toMatchObject({ project: 'p', user: 'a', rawShares: 3, rawUsage: 60 });
    expect(a?.normShares).toBeCloseTo(0.1875, 12);
    expect(a?.normUsage).toBeCloseTo(0.6, 12);
    // 0.6 + (0.6 - 0.6) * 3/4
    expect(a?.effectiveUsage).toBeCloseTo(0.6, 12);
    // b: 0 + (0.6 - 0) * 1/4
    expect(tree.users.get('p/b')?.effectiveUsage).toBeCloseTo(0.15, 12);
  });

  it("never counts a project's usage below its members' sum", () => {
    const tree = fairShareTree(input({ p: [1, 5, { a: [1, 50] }], q: [1, 50, { b: [1, 50] }] }));
    expect(tree.projects.get('p')?.rawUsage).toBe(50);
    expect(tree.projects.get('p')?.factor).toBeCloseTo(tree.projects.get('q')?.factor ?? Number.NaN, 12);
  });

  it('counts usage of former members against the project', () => {
    const tree = fairShareTree(input({ p: [1, 80, { a: [1, 0] }], q: [1, 20, { b: [1, 0] }] }));
    expect(factorOf(tree, 'p', 'a')).toBeLessThan(factorOf(tree, 'q', 'b'));
  });

  it('normalizes usage by the given cluster total when there is one', () => {
    const tree = fairShareTree(input({ p: [1, 25, { a: [1, 25] }] }, 100));
    expect(tree.projects.get('p')?.normUsage).toBe(0.25);
    expect(factorOf(tree, 'p', 'a')).toBeCloseTo(2 ** -0.25, 12);
    // Without it, the listed projects are the whole cluster.
    expect(fairShareTree(input({ p: [1, 25, { a: [1, 25] }] })).projects.get('p')?.normUsage).toBe(1);
  });

  it('counts a member listed twice once', () => {
    const twice = fairShareTree({
      projects: [
        {
          name: 'p',
          shares: 1,
          members: [
            { user: 'a', shares: 1 },
            { user: 'a', shares: 5 },
            { user: 'b', shares: 1 },
          ],
        },
      ],
      usage: { project: new Map([['p', 10]]), user: new Map([['p/a', 10]]) },
    });
    expect(twice.users.size).toBe(2);
    expect(twice.users.get('p/a')?.normShares).toBe(0.5);
  });

  it('gives 0 to a user who is not a member', () => {
    const tree = fairShareTree(input({ p: [1, 0, { a: [1, 0] }] }));
    expect(fairShareFactor(tree, 'p', 'a')).toBe(1);
    expect(fairShareFactor(tree, 'p', 'stranger')).toBe(0);
    expect(fairShareFactor(tree, 'nowhere', 'a')).toBe(0);
  });

  it('agrees with the general tree', () => {
    const spec: Spec = { p: [2, 70, { a: [1, 30], b: [4, 40] }], q: [5, 30, { c: [1, 30], d: [1, 0] }] };
    const tree = fairShareTree(input(spec));
    const general = classicFairShare({
      children: Object.entries(spec).map(([name, [shares, usage, members]]) => ({
        name,
        shares,
        usage,
        children: Object.entries(members).map(([u, [s, uu]]) => ({ name: u, shares: s, usage: uu })),
      })),
    });
    for (const p of general.children) {
      expect(tree.projects.get(p.name)?.factor).toBe(p.factor);
      for (const u of p.children) expect(tree.users.get(userKey(p.name, u.name))?.factor).toBe(u.factor);
    }
  });
});

describe('fair-share properties (seeded random trees)', () => {
  function randomSpec(next: () => number): Spec {
    const spec: Spec = {};
    const nProjects = 1 + Math.floor(next() * 5);
    for (let p = 0; p < nProjects; p++) {
      const members: Record<string, [number, number]> = {};
      let sum = 0;
      const nUsers = 1 + Math.floor(next() * 6);
      for (let u = 0; u < nUsers; u++) {
        const usage = next() < 0.3 ? 0 : next() * 1e6;
        sum += usage;
        members[`u${u}`] = [Math.floor(next() * 10), usage];
      }
      spec[`p${p}`] = [Math.floor(next() * 10), sum + (next() < 0.2 ? next() * 1e5 : 0), members];
    }
    return spec;
  }

  it('keeps every factor and usage in [0, 1]', () => {
    const next = rng(42);
    for (let i = 0; i < 300; i++) {
      const tree = fairShareTree(input(randomSpec(next)));
      for (const node of [...tree.projects.values(), ...tree.users.values()]) {
        for (const x of [node.factor, node.normShares, node.normUsage, node.effectiveUsage]) {
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
        }
      }
    }
  });

  it("never raises a user's factor when the user uses more", () => {
    const next = rng(7);
    for (let i = 0; i < 300; i++) {
      const spec = randomSpec(next);
      const projects = Object.keys(spec);
      const p = projects[Math.floor(next() * projects.length)] ?? 'p0';
      const entry = spec[p];
      if (!entry) continue;
      const users = Object.keys(entry[2]);
      const u = users[Math.floor(next() * users.length)] ?? 'u0';
      const before = fairShareFactor(fairShareTree(input(spec)), p, u);
      // Charge more to the user, hence to its project (usage goes up the tree).
      const extra = next() * 1e6;
      const member = entry[2][u] ?? [0, 0];
      const more: Spec = { ...spec, [p]: [entry[0], entry[1] + extra, { ...entry[2], [u]: [member[0], member[1] + extra] }] };
      const after = fairShareFactor(fairShareTree(input(more)), p, u);
      expect(after).toBeLessThanOrEqual(before + 1e-12);
    }
  });

  it("never lowers a user's factor when a user of another project uses more", () => {
    const next = rng(99);
    for (let i = 0; i < 300; i++) {
      const spec = randomSpec(next);
      spec.other = [1 + Math.floor(next() * 10), 1000, { x: [1, 1000] }];
      const more: Spec = { ...spec, other: [spec.other[0], 1000 + next() * 1e6, { x: [1, 1000] }] };
      for (const [p, [, , members]] of Object.entries(spec)) {
        if (p === 'other') continue;
        for (const u of Object.keys(members)) {
          const before = fairShareFactor(fairShareTree(input(spec)), p, u);
          const after = fairShareFactor(fairShareTree(input(more)), p, u);
          expect(after).toBeGreaterThanOrEqual(before - 1e-12);
        }
      }
    }
  });
});

describe('decay', () => {
  it('halves usage at the half-life', () => {
    expect(decay(1000, 7 * DAY, 7 * DAY)).toBeCloseTo(500, 9);
    expect(decay(1000, 14 * DAY, 7 * DAY)).toBeCloseTo(250, 9);
    expect(decay(1000, 3.5 * DAY, 7 * DAY)).toBeCloseTo(1000 / Math.SQRT2, 9);
  });

  it('composes: decaying twice equals decaying once over the sum', () => {
    expect(decay(decay(1234, 100, 3600), 250, 3600)).toBeCloseTo(decay(1234, 350, 3600), 9);
  });

  it('leaves usage alone with no elapsed time, a clock stepping back, or a half-life of 0 (Slurm: no decay)', () => {
    expect(decay(1000, 0, 3600)).toBe(1000);
    expect(decay(1000, -60, 3600)).toBe(1000);
    expect(decay(1000, 3600, 0)).toBe(1000);
  });
});

describe('billingUnits', () => {
  it('counts cpu-seconds plus weighted GiB-seconds and gpu-seconds', () => {
    expect(billingUnits({ cpu: 2, ram: 4096, gpus: 1 }, 10, { cpu: 1, ramGiB: 0.25, gpu: 10 })).toBe(10 * (2 + 1 + 10));
  });

  it('bills only cpus by default, as Slurm', () => {
    expect(billingUnits({ cpu: 4, ram: 65536, gpus: 2 }, 60, DEFAULT_BILLING_WEIGHTS)).toBe(240);
  });

  it('bills nothing for no time', () => {
    expect(billingUnits({ cpu: 4, ram: 1024, gpus: 0 }, 0, DEFAULT_BILLING_WEIGHTS)).toBe(0);
    expect(billingUnits({ cpu: 4, ram: 1024, gpus: 0 }, -5, DEFAULT_BILLING_WEIGHTS)).toBe(0);
  });
});
