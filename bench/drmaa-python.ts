/**
 * libdrmaa.so (issue 5), through Debian's unmodified Python `drmaa` package:
 * 1,000 jobs of `true` with runBulkJobs + synchronize, and 1,000 with runJob +
 * wait; jobs/s for each, beside the same work through the TypeScript SDK's
 * DRMAA1 facade in the same run, on the same daemon (local process executor,
 * 8 slots, so the figures measure submission and waiting, not containers).
 * N: BENCH_DRMAA_JOBS (default 1,000).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drmaa1 } from '@godocker/sdk';
import { type BenchDaemon, shutdown, startBenchDaemon } from './lib/daemon.js';
import { fixed, memory, processMemory, row, target, title } from './lib/report.js';
import { perSecond, since } from './lib/stats.js';

const JOBS = Number(process.env.BENCH_DRMAA_JOBS ?? 1000);
const SLOTS = 8;
const PYTHON = '/usr/bin/python3';

const benchDir = dirname(dirname(fileURLToPath(import.meta.url)));
const rootDir = dirname(benchDir);
const LIBRARY = join(rootDir, 'packages', 'drmaa-bridge', 'build', 'libdrmaa.so');
const SCRIPT = join(benchDir, 'python', 'drmaa_jobs.py');

type Mode = 'bulk' | 'single';

/** Seconds per mode, measured inside Python. */
function python(daemon: BenchDaemon, modes: Mode[]): Promise<Record<Mode, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT, String(JOBS), ...modes], {
      env: { ...process.env, DRMAA_LIBRARY_PATH: LIBRARY, GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) {
        reject(new Error(`${PYTHON} ${SCRIPT} exited with ${code}`));
        return;
      }
      const seconds = {} as Record<Mode, number>;
      for (const line of out.trim().split('\n')) {
        const r = JSON.parse(line) as { mode: Mode; seconds: number };
        seconds[r.mode] = r.seconds;
      }
      resolve(seconds);
    });
  });
}

/** The same two runs through the SDK's DRMAA1 facade, in the same order of calls. */
async function sdk(daemon: BenchDaemon, mode: Mode): Promise<number> {
  const session = new drmaa1.Session({ url: daemon.url, token: daemon.token });
  await session.init();
  const jt: drmaa1.JobTemplate = { remoteCommand: 'true', nativeSpecification: '-c 1' };
  const t0 = performance.now();
  if (mode === 'bulk') {
    await session.runBulkJobs(jt, 1, JOBS, 1);
    await session.synchronize([drmaa1.SESSION_ALL], drmaa1.TIMEOUT_WAIT_FOREVER, true);
  } else {
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) ids.push(await session.runJob(jt));
    for (const id of ids) await session.wait(id, drmaa1.TIMEOUT_WAIT_FOREVER);
  }
  const ms = since(t0);
  await session.exit();
  return ms / 1000;
}

async function main(): Promise<void> {
  title('drmaa-python', [
    `what:     ${JOBS} jobs of \`true\`: runBulkJobs + synchronize, and runJob + wait each,`,
    `          through Debian's python3-drmaa on our libdrmaa.so; local executor, ${SLOTS} slots`,
    "baseline: the same calls through the TypeScript SDK's drmaa1.Session, same daemon, same run",
  ]);
  if (!existsSync(LIBRARY)) throw new Error(`${LIBRARY} is missing: run npm run build first`);
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: SLOTS, ram: 16384 } });
  try {
    const py = await python(daemon, ['bulk', 'single']);
    const ts = { bulk: await sdk(daemon, 'bulk'), single: await sdk(daemon, 'single') };
    for (const mode of ['bulk', 'single'] as const) {
      const p = perSecond(JOBS, py[mode] * 1000);
      const s = perSecond(JOBS, ts[mode] * 1000);
      const what = mode === 'bulk' ? 'runBulkJobs + synchronize' : 'runJob + wait';
      row(`${mode} python`, `${fixed(p, 1)} jobs/s`, `${what}, Python drmaa -> libdrmaa.so`);
      row(`${mode} sdk`, `${fixed(s, 1)} jobs/s`, `${what}, TypeScript drmaa1.Session`);
      row(`${mode} ratio`, fixed(p / s, 2), 'python / sdk');
    }
    target('informational: both printed beside each other (the issue sets no target)', true);
    memory('daemon', await daemon.memory());
  } finally {
    await shutdown(daemon);
  }
  memory('bench', processMemory());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
