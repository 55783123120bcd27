/**
 * Server-sent event streams (api/sse.ts) on a real Fastify server over real sockets: a stream the
 * client leaves lets go of the daemon's shutdown signal, and the daemon's shutdown ends those open.
 */
import { getEventListeners, setMaxListeners } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse } from '../src/api/sse.js';

const shutdown = new AbortController();
// As the daemon does: many open streams listen on it at once.
setMaxListeners(0, shutdown.signal);
const app = Fastify();
let port = 0;

beforeAll(async () => {
  app.get('/stream', (_request, reply) => {
    const sse = openSse(reply, shutdown.signal);
    sse.send('hello', { n: 1 });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as AddressInfo).port;
});

afterAll(async () => {
  shutdown.abort();
  await app.close();
});

/** Opens a stream and resolves once its first event came, with the request (to leave) and its end. */
function open(): Promise<{ leave: () => void; ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/stream' }, (res) => {
      let body = '';
      const ended = new Promise<string>((done) => {
        res.on('end', () => done(body));
        res.on('close', () => done(body));
      });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (body.includes('event: hello')) resolve({ leave: () => req.destroy(), ended });
      });
    });
    req.on('error', (e) => {
      if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(e);
    });
  });
}

async function listeners(count: number): Promise<number> {
  for (let i = 0; i < 50 && getEventListeners(shutdown.signal, 'abort').length !== count; i++) await delay(20);
  return getEventListeners(shutdown.signal, 'abort').length;
}

describe('server-sent event streams', () => {
  it("a stream the client left no longer listens on the daemon's shutdown: 30 come and go, none stays", async () => {
    for (let i = 0; i < 30; i++) {
      const s = await open();
      s.leave();
    }
    expect(await listeners(0)).toBe(0);
  });

  it("the daemon's shutdown ends every open stream", async () => {
    const streams = await Promise.all(Array.from({ length: 12 }, open));
    expect(await listeners(12)).toBe(12);
    shutdown.abort();
    const bodies = await Promise.all(streams.map((s) => s.ended));
    for (const body of bodies) expect(body).toContain('data: {"n":1}');
    expect(await listeners(0)).toBe(0);
  });
});
