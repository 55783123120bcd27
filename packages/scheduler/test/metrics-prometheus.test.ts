/**
 * A real Prometheus (Debian's) scrapes a live daemon running real containers on the Docker
 * engine, through the bearer token, and PromQL over its HTTP API gives back the numbers of a
 * known workload: jobs done, failed and killed, jobs waiting (held, and pending on a dependency),
 * submits and starts, per-project counts, node capacity, leadership, request durations. Every
 * query of the Grafana dashboard in examples/ is parsed and answered by the same Prometheus.
 */
import { readFileSync } from 'node:fs';
import type { Job } from '@godocker/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExprs, GRAFANA_DASHBOARD } from './helpers/grafana-dashboard.js';
import { startPrometheus, type TestPrometheus } from './helpers/prometheus-server.js';
import { startTestDaemon, type TestDaemon, waitJob } from './helpers/test-daemon.js';

const TOKEN = 'metrics-scrape-token-0123456789';
const DONE = 3;
const FAILED = 2;
const HELD = 2;

describe('Prometheus scrapes /metrics of a daemon running a known workload', () => {
  let t: TestDaemon;
  let prom: TestPrometheus;
  const submit = async (body: Record<string, unknown>): Promise<Job> => {
    const r = await t.admin.call<Job>('POST', '/api/v1/jobs', body);
    if (r.status !== 201) throw new Error(`submit failed: ${r.status} ${r.text}`);
    return r.body;
  };

  beforeAll(async () => {
    t = await startTestDaemon('docker', { metrics: { token: TOKEN } });
    prom = await startPrometheus({ target: new URL(t.url).host, token: TOKEN });
    expect((await t.admin.call('POST', '/api/v1/projects', { name: 'genomics' })).status).toBe(201);
    const ends: Promise<Job>[] = [];
    for (let i = 0; i < DONE; i++) {
      const job = await submit({ command: { script: 'echo ok' }, project: i === 0 ? 'genomics' : 'default' });
      ends.push(waitJob(t.admin, job.id));
    }
    for (let i = 0; i < FAILED; i++) ends.push(waitJob(t.admin, (await submit({ command: { script: 'exit 3' } })).id));
    const sleeper = await submit({ command: { script: 'sleep 300' } });
    await waitJob(t.admin, sleeper.id, 'started');
    expect((await t.admin.call('POST', `/api/v1/jobs/${sleeper.id}/actions`, { action: 'kill' })).status).toBe(200);
    ends.push(waitJob(t.admin, sleeper.id));
    const held: Job[] = [];
    for (let i = 0; i < HELD; i++) held.push(await submit({ command: { script: 'true' }, hold: true }));
    // Pending, waiting for a held job to end well.
    await submit({ command: { script: 'true' }, dependencies: [{ type: 'afterok', jobId: (held[0] as Job).id }] });
    const ended = await Promise.all(ends);
    expect(ended.map((j) => j.status.state).sort()).toEqual([...Array(DONE).fill('done'), ...Array(FAILED + 1).fill('failed')]);
  }, 180_000);

  afterAll(async () => {
    await prom?.close();
    await t?.stop();
  });

  it('scrapes the target through its bearer token', async () => {
    expect(await prom.waitFor('up{job="godocker"}', 1)).toBe(1);
  });

  it('counts jobs by state from the store: done, failed, held, pending', async () => {
    expect(await prom.waitFor('sum(godocker_jobs{state="done"})', DONE)).toBe(DONE);
    expect(await prom.waitFor('sum(godocker_jobs{state="failed"})', FAILED + 1)).toBe(FAILED + 1);
    expect(await prom.waitFor('sum(godocker_jobs{state="held"})', HELD)).toBe(HELD);
    expect(await prom.waitFor('sum(godocker_jobs{state="pending"})', 1)).toBe(1);
    expect(await prom.value('sum(godocker_jobs{state="running"})')).toBeNull();
    // By project: the one genomics job.
    expect(await prom.value('godocker_jobs{state="done",project="genomics"}')).toBe(1);
    expect(await prom.value('godocker_jobs{state="done",project="default"}')).toBe(DONE - 1);
  });

  it('counts ends by result, submits and starts', async () => {
    expect(await prom.waitFor('sum(godocker_jobs_ended_total{result="done"})', DONE)).toBe(DONE);
    expect(await prom.value('sum(godocker_jobs_ended_total{result="failed"})')).toBe(FAILED);
    expect(await prom.value('sum(godocker_jobs_ended_total{result="killed"})')).toBe(1);
    expect(await prom.value('sum(godocker_jobs_submitted_total)')).toBe(DONE + FAILED + 1 + HELD + 1);
    expect(await prom.value('sum(godocker_jobs_started_total)')).toBe(DONE + FAILED + 1);
    expect(await prom.value('sum(godocker_job_queue_wait_seconds_count)')).toBe(DONE + FAILED + 1);
    expect(await prom.value('sum(godocker_job_run_seconds_count)')).toBe(DONE + FAILED + 1);
    // The killed sleeper ran for a while; nothing waited for minutes.
    expect(await prom.value('sum(godocker_job_run_seconds_sum)')).toBeGreaterThan(0);
    expect(await prom.value('histogram_quantile(1, sum by (le) (godocker_job_queue_wait_seconds_bucket))')).toBeLessThanOrEqual(
      60,
    );
  });

  it('times scheduling passes and executor calls by executor and operation', async () => {
    expect(await prom.value('godocker_scheduling_pass_duration_seconds_count')).toBeGreaterThan(0);
    expect(await prom.value('sum(godocker_executor_call_duration_seconds_count{operation="start"})')).toBe(DONE + FAILED + 1);
    expect(await prom.value('sum(godocker_executor_call_duration_seconds_count{operation="kill"})')).toBeGreaterThanOrEqual(1);
    const executors = await prom.query('sum by (executor) (godocker_executor_call_duration_seconds_count)');
    expect(executors.map((s) => s.metric.executor)).toEqual(['docker']);
    expect(await prom.value('sum(godocker_executor_errors_total{operation="start"})')).toBeNull();
  });

  it('reports node capacity with nothing used once the jobs ended, and this daemon leads', async () => {
    expect(await prom.value('sum(godocker_node_cpus)')).toBe(16);
    expect(await prom.value('sum(godocker_node_memory_bytes)')).toBe(16384 * 1024 * 1024);
    expect(await prom.value('sum(godocker_node_cpus_used)')).toBe(0);
    expect(await prom.value('godocker_leader')).toBe(1);
  });

  it('times HTTP requests by route pattern and status class, never by URL', async () => {
    expect(
      await prom.value(
        'sum(godocker_http_request_duration_seconds_count{method="POST",route="/api/v1/jobs",status_class="2xx"})',
      ),
    ).toBe(DONE + FAILED + 1 + HELD + 1);
    const routes = await prom.query('count by (route) (godocker_http_request_duration_seconds_count)');
    expect(routes.map((s) => s.metric.route)).toContain('/api/v1/jobs/:id/wait');
    // No path segment of digits: a job id would make a series per job.
    expect(routes.map((s) => s.metric.route).filter((r) => /\/\d+(\/|$)/.test(r ?? ''))).toEqual([]);
  });

  it('has the process metrics', async () => {
    expect(await prom.value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('answers every query of the Grafana dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(GRAFANA_DASHBOARD, 'utf8')) as unknown;
    const exprs = dashboardExprs(dashboard);
    expect(exprs.length).toBeGreaterThan(5);
    for (const expr of exprs) {
      // As Grafana sends them: its variables filled in.
      const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$project', '.*').replaceAll('$instance', '.*');
      await expect(prom.query(promql), promql).resolves.toBeInstanceOf(Array);
    }
  });
});
