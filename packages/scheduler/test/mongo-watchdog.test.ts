/**
 * The watch kept on the MongoDB driver from outside it (src/store/mongo-watchdog.ts), with a FAKE
 * client and clock: a check that never ends cannot be caused on demand. The fake replays what the
 * real driver (mongodb 7) was recorded doing against a FerretDB killed under load: a
 * serverHeartbeatStarted with no Succeeded or Failed after it, ever. store-outage.test.ts drives
 * the real driver against a real server killed and restarted.
 */
import { EventEmitter } from 'node:events';
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { CHECK_STUCK_MS, DriverWatchdog } from '../src/store/mongo-watchdog.js';

function fakeClient(connects: () => Promise<void>) {
  const client = Object.assign(new EventEmitter(), {
    closed: 0,
    connected: 0,
    async close() {
      client.closed++;
    },
    async connect() {
      await connects();
      client.connected++;
    },
  });
  return client;
}

function recorder() {
  const lines: string[] = [];
  const log = (level: string) => (_: object | string, msg?: string) => lines.push(`${level} ${msg}`);
  return { lines, logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') } };
}

describe('DriverWatchdog', () => {
  it('opens the client anew when a check of the server never ends, and again while the server is away', async () => {
    let now = 0;
    let serverUp = false;
    const client = fakeClient(async () => {
      if (!serverUp) throw new Error('connect ECONNREFUSED');
    });
    const { lines, logger } = recorder();
    const dog = new DriverWatchdog(client as unknown as MongoClient, logger, () => now);
    client.emit('serverHeartbeatStarted');
    now = CHECK_STUCK_MS - 1;
    await dog.look();
    expect(client.closed).toBe(0);
    now = CHECK_STUCK_MS + 1;
    await dog.look();
    expect(client.closed).toBe(1);
    expect(client.connected).toBe(0);
    serverUp = true;
    await dog.look();
    expect(client.closed).toBe(1);
    expect(client.connected).toBe(1);
    await dog.look();
    expect(client.connected).toBe(1);
    expect(lines.filter((l) => l.includes('opened anew'))).toHaveLength(1);
  });

  it('leaves alone a client whose checks end, failed or not', async () => {
    let now = 0;
    const client = fakeClient(async () => undefined);
    const dog = new DriverWatchdog(client as unknown as MongoClient, recorder().logger, () => now);
    for (const end of ['serverHeartbeatFailed', 'serverHeartbeatSucceeded']) {
      client.emit('serverHeartbeatStarted');
      now += CHECK_STUCK_MS;
      client.emit(end);
      now += CHECK_STUCK_MS;
      await dog.look();
    }
    expect(client.closed).toBe(0);
  });

  it('says once that the store went away and once that it is back', () => {
    const client = fakeClient(async () => undefined);
    const { lines, logger } = recorder();
    new DriverWatchdog(client as unknown as MongoClient, logger);
    const change = (type: string) =>
      client.emit('serverDescriptionChanged', { address: 'db:27017', newDescription: { type, error: null } });
    change('Standalone');
    for (let i = 0; i < 5; i++) change('Unknown');
    change('Standalone');
    change('Standalone');
    expect(lines).toEqual([
      'warn the store does not answer: the API answers 503 with Retry-After, job changes wait, and the daemon keeps trying',
      'info the store answers again',
    ]);
  });
});
