/**
 * /metrics as Prometheus reads it, on live daemons (local executor, real SQLite): the bearer
 * token, the exposition linted by Prometheus' own promtool, names and labels by its conventions,
 * route patterns instead of URLs, a registry per daemon, the switches of the config, and the
 * Grafana dashboard of examples/ naming only metrics the daemon exports.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caller } from './helpers/api-caller.js';
import { families, samples, sampleValue } from './helpers/exposition.js';
import { dashboardExprs, GRAFANA_DASHBOARD, metricNames, variableSelectors } from './helpers/grafana-dashboard.js';
import { ADMIN_TOKEN, startTestDaemon, type TestDaemon } from './helpers/test-daemon.js';

const TOKEN = 'metrics-token-for-the-test-0123';
const PROMTOOL = process.env.GODOCKER_TEST_PROMTOOL ?? '/usr/bin/promtool';

describe('/metrics of a daemon', () => {
  let t: TestDaemon;
  const scrape = async (token = TOKEN) => {
    const r = await caller(t.url, token).call('GET', '/metrics');
    if (r.status !== 200) throw new Error(`/metrics answered ${r.status}: ${r.text}`);
    return r.text;
  };

  beforeAll(async () => {
    // Readings often enough that a short job is sampled (the sampler's `usage` calls are timed too).
    t = await startTestDaemon('local', { metrics: { token: TOKEN }, usage: { sampleSeconds: 0.2 } });
  });
  afterAll(async () => t?.stop());

  it('refuses a scrape without the token, or with another, with 401 in the GOD envelope', async () => {
    // The admin's API token is not the scrape token either.
    for (const token of ['', 'not-the-metrics-token-at-all', ADMIN_TOKEN]) {
      const r = await caller(t.url, token).call<{ error: { code: string; message: string } }>('GET', '/metrics');
      expect(r.status, token).toBe(401);
      expect(r.body.error.code).toBe('GOD_UNAUTHENTICATED');
      expect(r.body.error.message).toMatch(/metrics\.token/);
      expect(r.text).not.toMatch(/godocker_/);
    }
  });

  it('answers the exposition format with the token, which promtool lints clean', async () => {
    const r = await caller(t.url, TOKEN).call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    // Exits non-zero, naming the metric, on a bad line or a name against the conventions.
    let lint = '';
    try {
      execFileSync(PROMTOOL, ['check', 'metrics'], { input: r.text, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      lint = String((e as { stderr?: string; stdout?: string }).stdout ?? '') + String((e as { stderr?: string }).stderr ?? '');
    }
    // prom-client's own gauges of handles, requests and resources end in _total; dashboards know them by those names.
    const problems = lint
      .split('\n')
      .filter((l) => l !== '' && !/^nodejs_active_(handles|requests|resources)_total non-counter/.test(l));
    expect(problems).toEqual([]);
  });

  it('names every metric of its own godocker_, counters _total, durations in seconds, sizes in bytes', async () => {
    const types = families(await scrape());
    const ours = [...types].filter(([name]) => name.startsWith('godocker_'));
    expect(ours.length).toBeGreaterThanOrEqual(20);
    for (const [name, type] of ours) {
      if (type === 'counter') expect(name).toMatch(/_total$/);
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
      expect(name).not.toMatch(/_(ms|milliseconds|mb|mib|kb)(_|$)/);
    }
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
      expect(types.has(name), name).toBe(true);
    }
  });

  it('counts jobs by state and project, and ends by result, with no job id and no user in any label', async () => {
    const done = await t.run(t.admin, { command: { script: 'true' } });
    const failed = await t.run(t.admin, { command: { script: 'exit 4' } });
    const held = await t.admin.call<Job>('POST', '/api/v1/jobs', { command: { script: 'true' }, hold: true });
    expect(held.status).toBe(201);
    const text = await scrape();
    expect(sampleValue(text, 'godocker_jobs', { state: 'done', project: 'default' })).toBe(1);
    expect(sampleValue(text, 'godocker_jobs', { state: 'failed', project: 'default' })).toBe(1);
    expect(sampleValue(text, 'godocker_jobs', { state: 'held', project: 'default' })).toBe(1);
    expect(sampleValue(text, 'godocker_jobs', { state: 'running' })).toBeUndefined();
    expect(sampleValue(text, 'godocker_jobs_ended_total', { result: 'done' })).toBe(1);
    expect(sampleValue(text, 'godocker_jobs_ended_total', { result: 'failed' })).toBe(1);
    expect(sampleValue(text, 'godocker_jobs_submitted_total', { project: 'default' })).toBe(3);
    expect(sampleValue(text, 'godocker_executor_call_duration_seconds_count', { executor: 'local', operation: 'start' })).toBe(2);
    expect(sampleValue(text, 'godocker_leader')).toBe(1);
    const ids = [done.id, failed.id, held.body.id].map(String);
    for (const s of samples(text).filter((s) => s.name.startsWith('godocker_'))) {
      expect(
        Object.keys(s.labels).filter((k) => ['user', 'job', 'id', 'job_id'].includes(k)),
        s.name,
      ).toEqual([]);
      const { le: _bucket, ...labels } = s.labels;
      expect(
        Object.values(labels).filter((v) => ids.includes(v)),
        s.name,
      ).toEqual([]);
    }
  });

  it('times the sampler’s usage readings as executor calls', async () => {
    const sampled = await t.run(t.admin, { command: { script: 'sleep 1.5' } });
    expect(sampled.status.state).toBe('done');
    const readings = sampleValue(await scrape(), 'godocker_executor_call_duration_seconds_count', {
      executor: 'local',
      operation: 'usage',
    });
    expect(readings).toBeGreaterThanOrEqual(2);
  });

  it('times requests by route pattern and status class, not by URL', async () => {
    expect((await t.admin.call('GET', '/api/v1/jobs/987654321')).status).toBe(404);
    expect((await caller(t.url, '').call('GET', '/no/such/page/123')).status).toBe(404);
    const text = await scrape();
    expect(
      sampleValue(text, 'godocker_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/jobs/:id',
        status_class: '4xx',
      }),
    ).toBe(1);
    expect(sampleValue(text, 'godocker_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' })).toBe(
      1,
    );
    expect(text).not.toMatch(/987654321|\/no\/such/);
  });

  it('keeps a registry of its own: a second daemon in the same process counts only its jobs', async () => {
    const other = await startTestDaemon('local');
    try {
      const before = sampleValue(await scrape(), 'godocker_jobs_submitted_total', { project: 'default' }) ?? 0;
      await other.run(other.admin, { command: { script: 'true' } });
      const mine = await caller(other.url, '').call('GET', '/metrics');
      // No token configured there: open.
      expect(mine.status).toBe(200);
      expect(sampleValue(mine.text, 'godocker_jobs_submitted_total', { project: 'default' })).toBe(1);
      expect(sampleValue(await scrape(), 'godocker_jobs_submitted_total', { project: 'default' })).toBe(before);
    } finally {
      await other.stop();
    }
  });

  it('exports every metric the Grafana dashboard of examples/ queries', async () => {
    const types = families(await scrape());
    const exported = new Set<string>();
    for (const [name, type] of types) {
      exported.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(name + suffix);
      if (type === 'summary') for (const suffix of ['_sum', '_count']) exported.add(name + suffix);
    }
    const dashboard = JSON.parse(readFileSync(GRAFANA_DASHBOARD, 'utf8')) as unknown;
    const exprs = [...dashboardExprs(dashboard), ...variableSelectors(dashboard)];
    expect(exprs.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const expr of exprs) {
      const names = metricNames(expr);
      if (names.length === 0) missing.push(`no metric in: ${expr}`);
      for (const name of names) if (!exported.has(name)) missing.push(`${name} in: ${expr}`);
    }
    expect(missing).toEqual([]);
  });

  it('has the shape of a Grafana dashboard: unique panel ids, a place on the grid, the Prometheus data source', () => {
    type Panel = {
      id: number;
      type: string;
      gridPos: { x: number; y: number; w: number; h: number };
      datasource?: { type: string };
    };
    const dashboard = JSON.parse(readFileSync(GRAFANA_DASHBOARD, 'utf8')) as {
      uid: string;
      title: string;
      schemaVersion: number;
      panels: Panel[];
    };
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.title).toBe('GoDocker');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, `panel ${p.id}`).toBeLessThanOrEqual(24);
      expect(p.gridPos.h, `panel ${p.id}`).toBeGreaterThan(0);
      if (p.type !== 'row') expect(p.datasource?.type, `panel ${p.id}`).toBe('prometheus');
    }
  });

  it('finds a misspelt metric in a query (the dashboard check can fail)', () => {
    expect(metricNames('sum by (state) (rate(godocker_jobs_endd_total{result!="done"}[5m])) / on (x) godocker_leader')).toEqual([
      'godocker_jobs_endd_total',
      'godocker_leader',
    ]);
  });
});

describe('/metrics switches', () => {
  it('is not served when metrics.enabled is false', async () => {
    const t = await startTestDaemon('local', { metrics: { enabled: false } });
    try {
      expect((await caller(t.url, '').call('GET', '/metrics')).status).toBe(404);
      expect((await caller(t.url, '').call('GET', '/healthz')).status).toBe(200);
    } finally {
      await t.stop();
    }
  });

  it('adds a user label to the job counters with metrics.userLabels', async () => {
    const t = await startTestDaemon('local', { metrics: { userLabels: true } });
    try {
      await t.run(t.admin, { command: { script: 'true' } });
      const text = (await caller(t.url, '').call('GET', '/metrics')).text;
      expect(sampleValue(text, 'godocker_jobs_submitted_total', { project: 'default', user: 'admin' })).toBe(1);
      expect(sampleValue(text, 'godocker_jobs_ended_total', { result: 'done', user: 'admin' })).toBe(1);
    } finally {
      await t.stop();
    }
  });

  it('reads the token from metrics.tokenFile, and refuses to start with a short one or with both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'godocker-metrics-token-'));
    try {
      await writeFile(join(dir, 'token'), `${TOKEN}\n`);
      await writeFile(join(dir, 'short'), 'abc\n');
      const t = await startTestDaemon('local', { metrics: { tokenFile: join(dir, 'token') } });
      try {
        expect((await caller(t.url, '').call('GET', '/metrics')).status).toBe(401);
        expect((await caller(t.url, TOKEN).call('GET', '/metrics')).status).toBe(200);
      } finally {
        await t.stop();
      }
      await expect(startTestDaemon('local', { metrics: { tokenFile: join(dir, 'short') } })).rejects.toThrow(
        /metrics\.tokenFile holds fewer than 16 characters/,
      );
      await expect(startTestDaemon('local', { metrics: { token: TOKEN, tokenFile: join(dir, 'token') } })).rejects.toThrow(
        /metrics\.token and metrics\.tokenFile are both set/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
