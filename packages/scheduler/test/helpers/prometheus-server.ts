/**
 * A private Prometheus for a test file (Debian's /usr/bin/prometheus): its own config and
 * storage in a temporary folder, on a free port of 127.0.0.1, scraping the targets given every
 * second. Never a system one. Queries go through its HTTP API, as Grafana's would.
 *
 * ```ts
 * const prom = await startPrometheus({ target: new URL(daemon.url).host, token });
 * afterAll(() => prom.close());
 * expect(await prom.value('sum(godocker_jobs{state="done"})')).toBe(3);
 * ```
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.js';

export const PROMETHEUS = process.env.GODOCKER_TEST_PROMETHEUS ?? '/usr/bin/prometheus';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface TestPrometheus {
  readonly url: string;
  /** An instant query; throws with Prometheus' own message when it refuses the expression. */
  query(promql: string): Promise<PromSample[]>;
  /** The single value of a query that gives one sample, or null when it gives none. */
  value(promql: string): Promise<number | null>;
  /** Polls `promql` until its single value is `want` (scrapes land every second); the last value seen otherwise. */
  waitFor(promql: string, want: number, seconds?: number): Promise<number | null>;
  close(): Promise<void>;
}

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

export async function startPrometheus(options: { target: string; token?: string; path?: string }): Promise<TestPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'godocker-prometheus-'));
  const port = await freePort();
  const scrape = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: godocker',
    `    metrics_path: ${JSON.stringify(options.path ?? '/metrics')}`,
    ...(options.token ? ['    authorization:', '      type: Bearer', `      credentials: ${JSON.stringify(options.token)}`] : []),
    '    static_configs:',
    `      - targets: [${JSON.stringify(options.target)}]`,
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), `${scrape}\n`);
  const log: string[] = [];
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  alive.add(child);
  child.stderr?.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([exited, delay(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    alive.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  const end = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`prometheus exited at start (${child.exitCode}): ${log.join('')}`);
    }
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > end) {
      await close();
      throw new Error(`prometheus did not get ready in 30 s: ${log.join('')}`);
    }
    await delay(100);
  }
  const query = async (promql: string): Promise<PromSample[]> => {
    const r = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await r.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`prometheus refused ${promql}: ${body.error ?? r.status}`);
    if (body.data.resultType !== 'vector') throw new Error(`${promql} gives a ${body.data.resultType}, not an instant vector`);
    return body.data.result;
  };
  const value = async (promql: string): Promise<number | null> => {
    const result = await query(promql);
    if (result.length > 1) throw new Error(`${promql} gives ${result.length} samples: ${JSON.stringify(result)}`);
    return result[0] ? Number(result[0].value[1]) : null;
  };
  return {
    url,
    query,
    value,
    async waitFor(promql, want, seconds = 20) {
      const until = Date.now() + seconds * 1000;
      for (;;) {
        const seen = await value(promql);
        if (seen === want || Date.now() > until) return seen;
        await delay(250);
      }
    },
    close,
  };
}
