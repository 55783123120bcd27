/**
 * The Redis event bus against a real redis-server of its own: every event reaches every
 * daemon's listeners exactly once (its own daemon's too), garbage on the channel is dropped
 * without stopping the bus, and a Redis restart ends with a resync and a bus that works.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobEvent, Logger } from '@godocker/sdk';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { coordinationKeys, RedisEventBus, type RedisEventBusOptions, type ResyncReason } from '../src/index.js';
import { median, waitFor } from './helpers/coordination-waits.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis-server.js';
import { job } from './sim/builders.js';

let server: TestRedisServer;
const buses: RedisEventBus[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop().catch(() => {})));
  for (const client of clients.splice(0)) client.disconnect();
});

afterAll(async () => {
  await server?.close();
});

interface Heard {
  bus: RedisEventBus;
  /** Times each job id was heard, and when it was first heard. */
  counts: Map<number, number>;
  firstAt: Map<number, number>;
  resyncs: ResyncReason[];
  warnings: string[];
}

function recordingLogger(warnings: string[]): Logger {
  return {
    debug() {},
    info() {},
    error() {},
    warn: (_fields: object | string, message?: string) => warnings.push(message ?? ''),
  };
}

async function newBus(channel: string, daemonId: string, options: Partial<RedisEventBusOptions> = {}): Promise<Heard> {
  const warnings: string[] = [];
  const bus = new RedisEventBus({ redis: server.url, channel, daemonId, logger: recordingLogger(warnings), ...options });
  buses.push(bus);
  const heard: Heard = { bus, counts: new Map(), firstAt: new Map(), resyncs: [], warnings };
  bus.subscribe((event) => {
    const id = event.job.id;
    heard.counts.set(id, (heard.counts.get(id) ?? 0) + 1);
    if (!heard.firstAt.has(id)) heard.firstAt.set(id, performance.now());
  });
  bus.onResync((reason) => heard.resyncs.push(reason));
  await bus.start();
  return heard;
}

const freshChannel = () => coordinationKeys(`test-${randomUUID()}`).events;
const eventOf = (id: number): JobEvent => ({
  type: 'job',
  job: job(id, { state: 'running', node: 'n1' }),
  previousState: 'pending',
});

function expectEachOnce(heard: Heard, ids: number[]): void {
  for (const id of ids) expect(heard.counts.get(id), `job ${id} heard by ${heard.bus.daemonId}`).toBe(1);
}

describe('RedisEventBus', () => {
  it('an event published on one daemon reaches both daemons exactly once, quickly', async () => {
    const channel = freshChannel();
    const a = await newBus(channel, 'daemon-a');
    const b = await newBus(channel, 'daemon-b');

    const sentAt = new Map<number, number>();
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const id of ids) {
      sentAt.set(id, performance.now());
      a.bus.publish(eventOf(id));
      await delay(2);
    }
    // Own events are heard at publish, not when Redis echoes them.
    expectEachOnce(a, ids);
    await waitFor('b to hear all 100', 5000, () => (ids.every((id) => b.counts.has(id)) ? true : undefined));
    // Room for a duplicate (an echo not skipped, a second subscription) to arrive.
    await delay(300);
    expectEachOnce(a, ids);
    expectEachOnce(b, ids);
    const latencies = ids.map((id) => (b.firstAt.get(id) ?? Number.POSITIVE_INFINITY) - (sentAt.get(id) ?? 0));
    // A sanity bound, not a benchmark: local Redis answers in well under a millisecond.
    expect(median(latencies)).toBeLessThan(100);

    // And the other way round, with the job document intact.
    const received: JobEvent[] = [];
    a.bus.subscribe((event) => received.push(event));
    const back = eventOf(1001);
    b.bus.publish(back);
    await waitFor('a to hear b', 2000, () => (a.counts.has(1001) ? true : undefined));
    expect(received).toEqual([back]);
    expect(b.counts.get(1001)).toBe(1);
  }, 20_000);

  it('garbage on the channel is dropped with one rate-limited warning, and the bus keeps working', async () => {
    const channel = freshChannel();
    const b = await newBus(channel, 'daemon-b', { maxMessageLength: 64 * 1024 });
    const a = await newBus(channel, 'daemon-a');
    const raw = new Redis(server.url);
    clients.push(raw);
    const valid = eventOf(7);
    const garbage = [
      'not json',
      '',
      '[]',
      'null',
      '42',
      '{"v":1}',
      JSON.stringify({ v: 2, kind: 'job', daemon: 'x', instance: 'y', event: valid }),
      JSON.stringify({ v: 1, kind: 'job', daemon: 'x', instance: 'y', event: { type: 'job' } }),
      JSON.stringify({ v: 1, kind: 'job', daemon: 'x', instance: 'y', event: { ...valid, job: { ...valid.job, id: '7' } } }),
      JSON.stringify({ v: 1, kind: 'job', daemon: 'x', instance: 'y', event: { ...valid, previousState: 'exploded' } }),
      JSON.stringify({
        v: 1,
        kind: 'job',
        daemon: 'x',
        instance: 'y',
        event: { ...valid, job: { ...valid.job, id: 8, padding: 'x'.repeat(70 * 1024) } },
      }),
      JSON.stringify({ v: 1, kind: 'bogus', daemon: 'x', instance: 'y' }),
      JSON.stringify({ v: 1, kind: 'job', event: valid }),
      '{"v":1,"kind":"job","daemon":"x","instance":"y","__proto__":{"polluted":true},"event":null}',
    ];
    for (const message of garbage) await raw.publish(channel, message);
    // A valid event from a daemon this bus does not know is a valid event.
    await raw.publish(channel, JSON.stringify({ v: 1, kind: 'job', daemon: 'x', instance: 'y', event: valid }));
    a.bus.publish(eventOf(9));
    await waitFor('b to hear 9', 2000, () => (b.counts.has(9) ? true : undefined));
    await delay(200);
    expect([...b.counts.entries()].sort()).toEqual([
      [7, 1],
      [9, 1],
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Fourteen bad messages, one line in the log.
    expect(b.warnings.filter((w) => w.includes('not a valid job event'))).toHaveLength(1);
    expect(a.counts.get(9)).toBe(1);
  }, 15_000);

  it('a listener that throws does not stop the others', async () => {
    const channel = freshChannel();
    const a = await newBus(channel, 'daemon-a');
    const b = await newBus(channel, 'daemon-b');
    b.bus.subscribe(() => {
      throw new Error('broken listener');
    });
    a.bus.publish(eventOf(1));
    a.bus.publish(eventOf(2));
    await waitFor('b to hear both', 2000, () => (b.counts.has(1) && b.counts.has(2) ? true : undefined));
  }, 10_000);

  it('across a redis restart: onResync after resubscribing, own events heard throughout, and events flow again after', async () => {
    const channel = freshChannel();
    const a = await newBus(channel, 'daemon-a');
    const b = await newBus(channel, 'daemon-b');
    a.bus.publish(eventOf(1));
    await waitFor('b to hear 1', 2000, () => (b.counts.has(1) ? true : undefined));
    expect(a.resyncs).toEqual([]);

    await server.stop();
    // While Redis is away a daemon still hears its own changes (a local wait must not hang).
    a.bus.publish(eventOf(2));
    expect(a.counts.get(2)).toBe(1);
    await delay(300);
    await server.start();

    await waitFor('both buses to resync', 10_000, () =>
      a.resyncs.includes('resubscribed') && b.resyncs.includes('resubscribed') ? true : undefined,
    );
    // The publisher may reconnect a moment after the subscriber: publish until one gets through.
    let id = 100;
    await waitFor('b to hear a after the restart', 10_000, () => {
      if ([...b.counts.keys()].some((k) => k >= 100)) return true;
      a.bus.publish(eventOf(id++));
      return undefined;
    });
    const fromB = eventOf(5000);
    b.bus.publish(fromB);
    await waitFor('a to hear b after the restart', 5000, () => (a.counts.has(5000) ? true : undefined));
    await delay(200);
    for (const [jobId, count] of [...a.counts, ...b.counts]) expect(count, `job ${jobId}`).toBe(1);
    // Event 2 was never sent: b was asked to re-read the store instead (its own resubscription or a's request).
    expect(b.counts.has(2)).toBe(false);
  }, 30_000);

  it('a daemon whose publishing connection alone was cut asks the others to resync once it is back', async () => {
    const channel = freshChannel();
    const a = await newBus(channel, 'daemon-a');
    const b = await newBus(channel, 'daemon-b');
    const raw = new Redis(server.url);
    clients.push(raw);
    // Publishers are ordinary clients, subscribers are not: this cuts the former only (and not raw itself).
    await raw.call('CLIENT', 'KILL', 'TYPE', 'normal');
    let id = 1;
    await waitFor('b to be asked to resync by a', 5000, () => {
      if (b.resyncs.includes('peer-dropped-events')) return true;
      a.bus.publish(eventOf(id++));
      return undefined;
    });
    // b's own subscription never broke.
    expect(b.resyncs).not.toContain('resubscribed');
    expect(a.warnings.some((w) => w.includes('event not sent'))).toBe(true);
    for (let i = 1; i < id; i++) expect(a.counts.get(i)).toBe(1);
  }, 15_000);

  it('start fails with a typed error when redis cannot be reached', async () => {
    const bus = new RedisEventBus({ redis: 'redis://127.0.0.1:1', channel: freshChannel(), daemonId: 'x', startTimeoutMs: 500 });
    buses.push(bus);
    await expect(bus.start()).rejects.toMatchObject({ name: 'CoordinationUnavailableError', code: 'GOD_UNAVAILABLE' });
  }, 10_000);
});
