/**
 * HTTP load from wrk (Debian's `wrk`, C, epoll): the load generator of single-submit
 * benchmarks. On 2 cores the client shares the machine with the daemon it measures, and
 * a lone client waits on its own CPU as much as on the daemon's: measured here per
 * request, node:http costs 0.17–0.27 ms of CPU, undici 0.15–0.21, autocannon 0.14–0.23,
 * wrk a few microseconds. A Lua script gives every request an Idempotency-Key of its own
 * (as the SDK and the CLI send one) and reports the counts as JSON.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkLoad {
  url: string;
  token: string;
  /** Path and JSON body of every request (POST). */
  path: string;
  body: string;
  connections: number;
  seconds: number;
}

export interface WrkResult {
  requests: number;
  perSecond: number;
  /** Answers outside 2xx/3xx, and socket errors (connect, read, write, timeout). */
  failed: number;
}

// Headers are given whole to wrk.format: it replaces wrk.headers rather than merging.
const SCRIPT = `
local prefix, token = "", ""
local n = 0
function init(args) prefix = args[1]; token = args[2] end
function request()
  n = n + 1
  return wrk.format(nil, nil, {
    ["Host"] = wrk.host .. ":" .. wrk.port,
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
    ["Idempotency-Key"] = prefix .. "-" .. n,
  })
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%d,"us":%d,"failed":%d}\\n', summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout))
end
`;

export function checkWrk(): Promise<void> {
  return run('wrk', ['--version']).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => {
      // wrk --version exits 1 after printing its usage: only a missing program is a failure.
      if (e.code === 'ENOENT') throw new Error('this benchmark needs wrk: apt-get install wrk');
    },
  );
}

export async function wrk(load: WrkLoad): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'godocker-wrk-'));
  try {
    const script = join(dir, 'submit.lua');
    await writeFile(script, `wrk.method = "POST"\nwrk.body = ${JSON.stringify(load.body)}\n${SCRIPT}`);
    const { stdout } = await run('wrk', [
      '-t1',
      `-c${load.connections}`,
      `-d${load.seconds}s`,
      '-s',
      script,
      `${load.url}${load.path}`,
      '--',
      randomUUID(),
      load.token,
    ]);
    const line = stdout.trim().split('\n').at(-1) ?? '';
    const { requests, us, failed } = JSON.parse(line) as { requests: number; us: number; failed: number };
    return { requests, perSecond: requests / (us / 1e6), failed };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
