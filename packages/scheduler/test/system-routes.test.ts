import { connect } from 'node:net';
import type { Info } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller } from './helpers/api-caller.js';
import { startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

describe('info, health and the OpenAPI document', () => {
  let t: TestDaemon;
  beforeAll(async () => {
    t = await startTestDaemon('local', { volumes: [{ name: 'ref', hostPath: '/srv/ref', containerPath: '/ref', mode: 'ro' }] });
  });
  afterAll(async () => t?.stop());

  it('serves an OpenAPI 3.1 document with every core route', async () => {
    const r = await caller(t.url, '').call<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      '/api/v1/openapi.json',
    );
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\.1/);
    const routes = Object.entries(r.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/jobs',
        'GET /api/v1/jobs',
        'GET /api/v1/jobs/{id}',
        'POST /api/v1/jobs/{id}/actions',
        'GET /api/v1/jobs/{id}/wait',
        'POST /api/v1/jobs/wait',
        'GET /api/v1/jobs/{id}/logs/{stream}',
        'GET /api/v1/events',
        'GET /api/v1/info',
      ]),
    );
    const submit = r.body.paths['/api/v1/jobs']?.post as {
      requestBody?: { content?: Record<string, { schema?: { properties?: object } }> };
    };
    expect(Object.keys(submit.requestBody?.content?.['application/json']?.schema?.properties ?? {})).toContain('requirements');
  });

  it('documents every status each route can answer, errors in the GOD envelope, text and event streams as such', async () => {
    type Op = { responses: Record<string, { content?: Record<string, { schema?: { properties?: object } }> }> };
    const r = await caller(t.url, '').call<{ paths: Record<string, Record<string, Op>> }>('GET', '/api/v1/openapi.json');
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(r.body.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const status of ['400', '401', '404', '408', '413', '414', '415', '422', '431', '500', '503']) {
          const schema = op.responses[status]?.content?.['application/json']?.schema;
          if (!schema?.properties || !('error' in schema.properties)) missing.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
    }
    expect(missing).toEqual([]);
    const logs = r.body.paths['/api/v1/jobs/{id}/logs/{stream}']?.get;
    expect(Object.keys(logs?.responses['200']?.content ?? {}).sort()).toEqual(['text/event-stream', 'text/plain']);
    expect(Object.keys(r.body.paths['/api/v1/events']?.get?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
  });

  it('answers what Node and the router refuse (431, 414) in the GOD envelope too', async () => {
    const big = await rawExchange(t.url, `GET /api/v1/info HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'GOD_INVALID_REQUEST' } });
    const long = await caller(t.url, t.admin.token).call<{ error: { code: string } }>(
      'GET',
      `/api/v1/projects/${'p'.repeat(300)}`,
    );
    expect([long.status, long.body.error.code]).toEqual([414, 'GOD_INVALID_REQUEST']);
  });

  it('tells the executor, nodes, catalogues and limits, and who is asking', async () => {
    const anonymous = await caller(t.url, '').call<Info>('GET', '/api/v1/info');
    expect(anonymous.body).toMatchObject({ name: 'GoDocker', executor: 'local', user: null });
    expect(anonymous.body.nodes[0]).toMatchObject({ cpu: 16, ram: 16384 });
    expect(anonymous.body.volumes).toEqual([{ name: 'ref', mode: 'ro', containerPath: '/ref' }]);
    expect(anonymous.body.images.default).toBe('local/busybox:latest');
    const admin = await t.admin.call<Info>('GET', '/api/v1/info');
    expect(admin.body.user?.name).toBe('admin');
  });

  it('answers health and readiness', async () => {
    expect((await caller(t.url, '').call('GET', '/healthz')).status).toBe(200);
    expect((await caller(t.url, '').call('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });
});

/** One raw HTTP exchange on its own socket: what the server writes until it hangs up. */
function rawExchange(url: string, request: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
    socket.on('connect', () => socket.write(request));
    setTimeout(() => reject(new Error(`no answer: ${text}`)), 10_000).unref();
  });
}
