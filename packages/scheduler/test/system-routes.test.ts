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

  it('documents every answer of every route, errors with the GOD envelope, streams with their media types', async () => {
    type Response = { content?: Record<string, { schema?: { properties?: Record<string, { required?: string[] }> } }> };
    type Operation = { requestBody?: unknown; responses: Record<string, Response> };
    const r = await caller(t.url, '').call<{ paths: Record<string, Record<string, Operation>> }>('GET', '/api/v1/openapi.json');
    const operations = Object.entries(r.body.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(operations.length).toBeGreaterThan(30);
    for (const { name, op } of operations) {
      const expected = ['400', '401', '404', '414', '431', '500', '503', ...(op.requestBody ? ['413', '415'] : [])];
      expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(expected));
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const envelope = response.content?.['application/json']?.schema?.properties?.error;
        expect(envelope?.required, `${name} ${status}`).toEqual(expect.arrayContaining(['code', 'message']));
      }
    }
    const op = (name: string) => operations.find((o) => o.name === name)?.op;
    expect(Object.keys(op('POST /api/v1/jobs')?.responses ?? {})).toEqual(expect.arrayContaining(['201', '202', '200', '422']));
    expect(Object.keys(op('POST /api/v1/sessions/{name}/drmaa1/jobs')?.responses ?? {})).toContain('422');
    expect(Object.keys(op('GET /api/v1/events')?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(op('GET /api/v1/jobs/{id}/logs/{stream}')?.responses['200']?.content ?? {})).toEqual([
      'text/plain',
      'text/event-stream',
    ]);
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
