import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PRIORITY_WEIGHTS,
  describePriority,
  jobPriority,
  type PriorityInput,
  type PriorityWeights,
  priorityValue,
} from '../src/engine/priority.js';

const DAY = 24 * 3600;

const job = (o: Partial<PriorityInput> = {}): PriorityInput => ({
  fairShareFactor: 0.5,
  ageSeconds: 0,
  jobPriority: 0,
  userPriority: 0,
  projectPriority: 0,
  ...o,
});

const total = (i: PriorityInput, w: PriorityWeights = DEFAULT_PRIORITY_WEIGHTS) => jobPriority(i, w).total;

describe('jobPriority', () => {
  it('lets fair share dominate with the default weights', () => {
    const favoured = job({ fairShareFactor: 0.6 });
    // Waited the full 7 days and raised to the maximum, but its user is 0.2 further over share.
    const other = job({ fairShareFactor: 0.4, ageSeconds: 7 * DAY, jobPriority: 10_000 });
    expect(total(favoured)).toBeGreaterThan(total(other));
    expect(DEFAULT_PRIORITY_WEIGHTS.maxAgeSeconds).toBe(7 * DAY);
  });

  it('orders by the weights: fair share first, or age first', () => {
    const underServed = job({ fairShareFactor: 0.9, ageSeconds: 60 });
    const waitedLong = job({ fairShareFactor: 0.2, ageSeconds: 6 * DAY });
    const byShare: PriorityWeights = { ...DEFAULT_PRIORITY_WEIGHTS, fairshare: 10_000, age: 1_000 };
    const byAge: PriorityWeights = { ...DEFAULT_PRIORITY_WEIGHTS, fairshare: 1_000, age: 10_000 };
    expect(total(underServed, byShare)).toBeGreaterThan(total(waitedLong, byShare));
    expect(total(waitedLong, byAge)).toBeGreaterThan(total(underServed, byAge));
  });

  it('caps age at maxAgeSeconds', () => {
    const w = DEFAULT_PRIORITY_WEIGHTS;
    expect(jobPriority(job({ ageSeconds: 3.5 * DAY }), w).factors.age).toBeCloseTo(0.5, 12);
    expect(jobPriority(job({ ageSeconds: 7 * DAY }), w).factors.age).toBe(1);
    expect(total(job({ ageSeconds: 30 * DAY }))).toBe(total(job({ ageSeconds: 7 * DAY })));
    expect(total(job({ ageSeconds: 1 * DAY }))).toBeGreaterThan(total(job({ ageSeconds: 0 })));
    expect(jobPriority(job({ ageSeconds: -5 }), w).factors.age).toBe(0);
  });

  it('gives every job the full age factor when maxAgeSeconds is 0, as Slurm', () => {
    const w = { ...DEFAULT_PRIORITY_WEIGHTS, maxAgeSeconds: 0 };
    expect(jobPriority(job({ ageSeconds: 0 }), w).factors.age).toBe(1);
  });

  it("moves a job by its own priority: higher runs sooner, and can pass a sibling's small fair-share edge", () => {
    expect(total(job({ jobPriority: 100 }))).toBeGreaterThan(total(job()));
    expect(total(job({ jobPriority: -100 }))).toBeLessThan(total(job()));
    const raised = job({ fairShareFactor: 0.5, jobPriority: 10_000 });
    const plain = job({ fairShareFactor: 0.52 });
    expect(total(raised)).toBeGreaterThan(total(plain));
  });

  it('moves jobs by user and project priority', () => {
    expect(total(job({ userPriority: 5_000 }))).toBeGreaterThan(total(job()));
    expect(total(job({ projectPriority: -5_000 }))).toBeLessThan(total(job()));
  });

  it('maps -10000..10000 onto [0, 1] and clamps beyond', () => {
    const w = DEFAULT_PRIORITY_WEIGHTS;
    expect(jobPriority(job({ jobPriority: -10_000 }), w).factors.job).toBe(0);
    expect(jobPriority(job({ jobPriority: 0 }), w).factors.job).toBe(0.5);
    expect(jobPriority(job({ jobPriority: 10_000 }), w).factors.job).toBe(1);
    expect(jobPriority(job({ userPriority: 50_000, projectPriority: -50_000 }), w).factors).toMatchObject({
      user: 1,
      project: 0,
    });
    expect(jobPriority(job({ fairShareFactor: 1.5 }), w).factors.fairshare).toBe(1);
    expect(jobPriority(job({ fairShareFactor: Number.NaN }), w).factors.fairshare).toBe(0);
  });

  it('normalizes the total to [0, 1] and splits it into the weighted terms', () => {
    const w: PriorityWeights = { fairshare: 5, age: 3, maxAgeSeconds: 100, job: 1, user: 1, project: 0 };
    const b = jobPriority(job({ fairShareFactor: 0.8, ageSeconds: 50, jobPriority: 10_000, userPriority: -10_000 }), w);
    expect(b.factors).toEqual({ fairshare: 0.8, age: 0.5, job: 1, user: 0, project: 0.5 });
    expect(b.weighted.fairshare).toBeCloseTo(0.4, 12);
    expect(b.weighted.age).toBeCloseTo(0.15, 12);
    expect(b.weighted.job).toBeCloseTo(0.1, 12);
    expect(b.weighted.user).toBe(0);
    expect(b.weighted.project).toBe(0);
    expect(b.total).toBeCloseTo(0.65, 12);
    const all = jobPriority(
      job({ fairShareFactor: 1, ageSeconds: 1e9, jobPriority: 1e5, userPriority: 1e5, projectPriority: 1e5 }),
      w,
    );
    expect(all.total).toBe(1);
    expect(jobPriority(job({ fairShareFactor: 0, jobPriority: -1e5, userPriority: -1e5, projectPriority: -1e5 }), w).total).toBe(
      0,
    );
  });

  it('ignores negative weights and gives 0 when every weight is 0', () => {
    const zero: PriorityWeights = { fairshare: 0, age: 0, maxAgeSeconds: DAY, job: 0, user: 0, project: 0 };
    expect(jobPriority(job({ fairShareFactor: 1 }), zero).total).toBe(0);
    const negative: PriorityWeights = { ...zero, fairshare: 1, age: -5 };
    expect(jobPriority(job({ fairShareFactor: 0.25, ageSeconds: DAY }), negative).total).toBe(0.25);
  });

  it('agrees with priorityValue, the allocation-free total', () => {
    const cases = [
      job(),
      job({ fairShareFactor: 0.123, ageSeconds: 4321, jobPriority: -77, userPriority: 300, projectPriority: 9_999 }),
      job({ fairShareFactor: 0.999, ageSeconds: 30 * DAY, jobPriority: 10_000 }),
    ];
    for (const c of cases)
      expect(priorityValue(c, DEFAULT_PRIORITY_WEIGHTS)).toBe(jobPriority(c, DEFAULT_PRIORITY_WEIGHTS).total);
  });
});

describe('describePriority', () => {
  it('says the total and each weighted term with two decimals', () => {
    const w: PriorityWeights = { fairshare: 50, age: 20, maxAgeSeconds: 7 * DAY, job: 4, user: 2, project: 24 };
    const b = jobPriority(job({ fairShareFactor: 0.6, ageSeconds: 3.5 * DAY, projectPriority: -10_000 }), w);
    expect(describePriority(b)).toBe('priority 0.43: fair share 0.30, age 0.10, job 0.02, user 0.01, project 0.00');
  });

  it('shows the default weighting of a fresh job', () => {
    const text = describePriority(jobPriority(job({ fairShareFactor: 1 }), DEFAULT_PRIORITY_WEIGHTS));
    expect(text).toMatch(/^priority 0\.\d\d: fair share 0\.\d\d, age 0\.00, job 0\.\d\d, user 0\.\d\d, project 0\.\d\d$/);
  });
});
