/**
 * The leader lease against a real redis-server of its own: one leader at a time, a takeover
 * within the promised bounds when the leader leaves, crashes or is paused, fencing epochs
 * that never go backwards, also across a Redis restart that loses the counter.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  coordinationKeys,
  epochKeyFor,
  type LeaseLossReason,
  RedisLeaderLease,
  type RedisLeaderLeaseOptions,
} from '../src/index.js';
import { freezeEventLoop, waitFor } from './helpers/coordination-waits.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis-server.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const LEASE_MS = 2000;

let server: TestRedisServer;
const leases: RedisLeaderLease[] = [];
const clients: Redis[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  await Promise.all(leases.splice(0).map((lease) => lease.stop().catch(() => {})));
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await server?.close();
});

interface Recorded {
  holder: string;
  lease: RedisLeaderLease;
  acquired: { epoch: number; at: number }[];
  lost: { reason: LeaseLossReason; epoch: number; at: number }[];
}

function newLease(key: string, holder: string, options: Partial<RedisLeaderLeaseOptions> = {}): Recorded {
  const lease = new RedisLeaderLease({ redis: server.url, key, holder, leaseMs: LEASE_MS, ...options });
  leases.push(lease);
  const recorded: Recorded = { holder, lease, acquired: [], lost: [] };
  lease.onAcquired((epoch) => recorded.acquired.push({ epoch, at: performance.now() }));
  lease.onLost((loss) => recorded.lost.push({ reason: loss.reason, epoch: loss.epoch, at: performance.now() }));
  return recorded;
}

const freshKey = () => coordinationKeys(`test-${randomUUID()}`).leader;
const leadersOf = (all: Recorded[]) => all.filter((r) => r.lease.isLeader());

function expectStrictlyIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) expect(values[i], `epochs ${values.join(', ')}`).toBeGreaterThan(values[i - 1] ?? 0);
}

/** Samples every 10 ms for `ms`: never two leaders at once. */
async function expectNeverTwoLeaders(all: Recorded[], ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const leaders = leadersOf(all);
    expect(leaders.length, `leaders at once: ${leaders.map((l) => l.holder).join(', ')}`).toBeLessThanOrEqual(1);
    await delay(10);
  }
}

async function oneLeader(all: Recorded[], timeoutMs: number): Promise<Recorded> {
  return await waitFor('exactly one leader', timeoutMs, () => {
    const leaders = leadersOf(all);
    return leaders.length === 1 ? leaders[0] : undefined;
  });
}

describe('RedisLeaderLease', () => {
  it('three leases on one redis: exactly one leader, and every takeover has a greater epoch', async () => {
    const key = freshKey();
    const all = ['a', 'b', 'c'].map((h) => newLease(key, h));
    await Promise.all(all.map((r) => r.lease.start()));
    expect(leadersOf(all)).toHaveLength(1);

    const epochs: number[] = [];
    const alive = [...all];
    for (let round = 0; round < 4; round++) {
      const leader = await oneLeader(all, LEASE_MS * 2);
      await expectNeverTwoLeaders(all, 500);
      epochs.push(leader.lease.epoch() ?? -1);
      await leader.lease.stop();
      alive.splice(alive.indexOf(leader), 1);
      if (alive.length < 2) {
        const joined = newLease(key, `late-${round}`);
        all.push(joined);
        alive.push(joined);
        await joined.lease.start();
      }
    }
    expectStrictlyIncreasing(epochs);
    // Every leadership any lease saw, in the order they happened.
    const acquired = all.flatMap((r) => r.acquired).sort((x, y) => x.at - y.at);
    expectStrictlyIncreasing(acquired.map((a) => a.epoch));
    expect(new Set(acquired.map((a) => a.epoch)).size).toBe(acquired.length);
  }, 30_000);

  it('a leader that stops and releases is followed within 1 s', async () => {
    const key = freshKey();
    const a = newLease(key, 'a');
    await a.lease.start();
    const b = newLease(key, 'b');
    await b.lease.start();
    expect(a.lease.isLeader()).toBe(true);
    expect(b.lease.isLeader()).toBe(false);
    const epochA = a.lease.epoch() ?? -1;

    const stoppedAt = performance.now();
    await a.lease.stop();
    expect(a.lease.isLeader()).toBe(false);
    expect(a.lost.map((l) => l.reason)).toEqual(['released']);
    await waitFor('b to lead', 1000, () => (b.lease.isLeader() ? true : undefined));
    expect((b.acquired[0]?.at ?? Number.POSITIVE_INFINITY) - stoppedAt).toBeLessThan(1000);
    expect(b.lease.epoch()).toBeGreaterThan(epochA);
  }, 15_000);

  it('release deletes the key only while it is ours', async () => {
    const key = freshKey();
    const raw = new Redis(server.url);
    clients.push(raw);
    const a = newLease(key, 'a');
    await a.lease.start();
    expect(a.lease.isLeader()).toBe(true);
    // As if the key had expired and another daemon had taken it meanwhile.
    await raw.set(key, '999|someone-else', 'PX', 60_000);
    expect(await a.lease.release()).toBe(false);
    expect(await raw.get(key)).toBe('999|someone-else');
    expect(a.lease.isLeader()).toBe(false);
  }, 10_000);

  it('a leader that crashes (its connection cut, no release) is followed within lease + 1 s, after it knew it lost', async () => {
    const key = freshKey();
    const clientA = new Redis(server.url);
    clients.push(clientA);
    const a = newLease(key, 'a', { redis: clientA });
    await a.lease.start();
    const b = newLease(key, 'b');
    await b.lease.start();
    expect(a.lease.isLeader()).toBe(true);
    const epochA = a.lease.epoch() ?? -1;

    const crashedAt = performance.now();
    clientA.disconnect();
    await waitFor('b to lead', LEASE_MS + 1500, () => (b.lease.isLeader() ? true : undefined));
    const takeover = b.acquired[0]?.at ?? Number.POSITIVE_INFINITY;
    expect(takeover - crashedAt).toBeLessThanOrEqual(LEASE_MS + 1000);
    expect(b.lease.epoch()).toBeGreaterThan(epochA);
    // The cut-off leader gave up on its own deadline, before the other took over.
    expect(a.lost).toHaveLength(1);
    expect(a.lost[0]?.reason).toBe('deadline-passed');
    expect(a.lost[0]?.at ?? Number.POSITIVE_INFINITY).toBeLessThanOrEqual(takeover);
    expect(a.lease.isLeader()).toBe(false);
  }, 15_000);

  it('a leader paused by SIGSTOP for twice the lease knows on waking that it lost, before it acts', async () => {
    const key = freshKey();
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules', 'vite-node', 'vite-node.mjs'),
        '-c',
        join(root, 'vitest.config.ts'),
        join(here, 'helpers', 'lease-process.ts'),
        server.url,
        key,
        'paused',
        String(LEASE_MS),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    child.stdout?.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    });
    const line = (ev: string, timeoutMs: number) =>
      waitFor(`the child's ${ev} line`, timeoutMs, () => lines.find((l) => l.ev === ev));

    const acquired = await line('acquired', 30_000);
    const epochA = acquired.epoch as number;
    const b = newLease(key, 'b');
    await b.lease.start();
    expect(b.lease.isLeader()).toBe(false);

    child.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await waitFor('b to lead while the leader is frozen', LEASE_MS + 1500, () => (b.lease.isLeader() ? true : undefined));
    await delay(2 * LEASE_MS - (performance.now() - stoppedAt));
    child.kill('SIGCONT');

    const woke = await line('woke', 5000);
    expect(woke.gapMs as number).toBeGreaterThanOrEqual(2 * LEASE_MS - 100);
    expect(woke.leader).toBe(false);
    expect(woke.epoch).toBeNull();
    const lost = await line('lost', 2000);
    expect(lost).toMatchObject({ epoch: epochA, reason: 'deadline-passed' });
    expect(b.lease.epoch()).toBeGreaterThan(epochA);
    // It does not take the lease back from the leader that replaced it.
    await delay(LEASE_MS);
    expect(b.lease.isLeader()).toBe(true);
    expect(lines.filter((l) => l.ev === 'acquired')).toHaveLength(1);
  }, 60_000);

  it('a stop-the-world pause in the leader process: isLeader() is false the moment it resumes, and no epoch repeats', async () => {
    const key = freshKey();
    const a = newLease(key, 'a');
    await a.lease.start();
    const b = newLease(key, 'b');
    await b.lease.start();
    const epochA = a.lease.epoch() ?? -1;
    expect(epochA).toBeGreaterThan(0);

    freezeEventLoop(2 * LEASE_MS);
    // Synchronously after the pause: no timer or socket callback has run yet.
    expect(a.lease.isLeader()).toBe(false);
    expect(a.lease.epoch()).toBeNull();
    expect(a.lost.map((l) => l.reason)).toEqual(['deadline-passed']);
    expect(() => a.lease.requireEpoch()).toThrow(/not the leader/);

    const next = await oneLeader([a, b], LEASE_MS * 2);
    expect(next.lease.epoch()).toBeGreaterThan(epochA);
  }, 20_000);

  it('a host suspension (the monotonic clock stood still, the wall clock went on) also ends leadership', async () => {
    const key = freshKey();
    let skew = 0;
    const a = newLease(key, 'a', { wallNow: () => Date.now() + skew });
    await a.lease.start();
    expect(a.lease.isLeader()).toBe(true);
    skew = 2 * LEASE_MS;
    expect(a.lease.isLeader()).toBe(false);
    expect(a.lost.map((l) => l.reason)).toEqual(['deadline-passed']);
  }, 10_000);

  it('redis frozen longer than the lease: the leader loses at its deadline, nobody leads meanwhile, then one does with a greater epoch', async () => {
    const key = freshKey();
    const all = ['a', 'b'].map((h) => newLease(key, h));
    await Promise.all(all.map((r) => r.lease.start()));
    const first = await oneLeader(all, LEASE_MS);
    const epochFirst = first.lease.epoch() ?? -1;

    server.pause();
    const frozenAt = performance.now();
    try {
      await waitFor('the leader to lose', LEASE_MS + 500, () => first.lost[0]);
      expect(first.lost[0]?.reason).toBe('deadline-passed');
      await expectNeverTwoLeaders(all, 200);
      expect(leadersOf(all)).toHaveLength(0);
      await delay(2 * LEASE_MS - (performance.now() - frozenAt));
      expect(leadersOf(all)).toHaveLength(0);
    } finally {
      server.resume();
    }
    const next = await oneLeader(all, LEASE_MS * 2);
    expect(next.lease.epoch()).toBeGreaterThan(epochFirst);
  }, 30_000);

  it('redis restarted (its counter lost): a leader again, never two at once, epochs never go backwards', async () => {
    const key = freshKey();
    const all = ['a', 'b', 'c'].map((h) => newLease(key, h));
    await Promise.all(all.map((r) => r.lease.start()));
    // A few takeovers first, so the epoch is well above what a fresh counter starts at.
    for (let i = 0; i < 3; i++) {
      const leader = await oneLeader(all, LEASE_MS * 2);
      await leader.lease.release();
    }
    const before = await oneLeader(all, LEASE_MS * 2);
    const epochBefore = before.lease.epoch() ?? -1;
    expect(epochBefore).toBeGreaterThanOrEqual(4);

    const sampling = expectNeverTwoLeaders(all, LEASE_MS * 4);
    await server.restart();
    await sampling;
    const after = await oneLeader(all, LEASE_MS * 3);
    expect(after.lease.epoch()).toBeGreaterThan(epochBefore);
    const acquired = all.flatMap((r) => r.acquired).sort((x, y) => x.at - y.at);
    expectStrictlyIncreasing(acquired.map((a) => a.epoch));
  }, 40_000);

  it('minEpoch: a lease that never saw the old epochs still gives one above what the store has seen', async () => {
    const key = freshKey();
    const raw = new Redis(server.url);
    clients.push(raw);
    // The counter is gone, as after a restart without persistence; the store has seen epoch 41.
    const a = newLease(key, 'a', { minEpoch: async () => 41 });
    await a.lease.start();
    // Redis lost its data while leaders were known: nobody leads for a lease period.
    expect(a.lease.isLeader()).toBe(false);
    await waitFor('a to lead', LEASE_MS * 2, () => (a.lease.isLeader() ? true : undefined));
    expect(a.lease.epoch()).toBe(42);
    await a.lease.release();
    // With the counter present and above the floor, the floor changes nothing.
    await waitFor('a to lead again', LEASE_MS, () => (a.lease.isLeader() ? true : undefined));
    expect(a.lease.epoch()).toBe(43);
    expect(await raw.get(epochKeyFor(key))).toBe('43');
  }, 20_000);

  it('minEpoch that fails: no acquisition at all (an unknown floor is unsafe)', async () => {
    const key = freshKey();
    let calls = 0;
    const a = newLease(key, 'a', {
      minEpoch: async () => {
        calls++;
        throw new Error('store unreachable');
      },
    });
    await a.lease.start();
    await delay(LEASE_MS);
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(a.lease.isLeader()).toBe(false);
    expect(a.acquired).toHaveLength(0);
  }, 10_000);
});
