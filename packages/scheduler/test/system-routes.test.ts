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
