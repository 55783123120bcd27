/**
 * A container's usage from the engine's one-shot stats (`GET /containers/ID/stats?stream=false`),
 * for cgroup v1 and v2 engines alike (Debian's docker.io 20.10 here runs cgroup v1):
 *
 * - cpu: `cpu_stats.cpu_usage.total_usage`, nanoseconds of every process of the container;
 * - memory: `usage` less the inactive page cache (what `docker stats` shows: v1
 *   `total_inactive_file`, v2 `inactive_file`); peak: v1 `max_usage` (which counts page cache
 *   too), none on v2 (the engine does not report `memory.peak`);
 * - block io: `blkio_stats.io_service_bytes_recursive`, `Read`/`Write` on v1, `read`/`write` on v2;
 * - network: `networks.*.rx_bytes`/`tx_bytes` (absent with no network).
 *
 * The answer is the engine's, so every field is checked: anything missing or odd is null.
 */
import type { UsageSample } from '@godocker/sdk';

type Json = Record<string, unknown>;

function obj(value: unknown): Json | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null;
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function memoryOf(stats: Json | null): { now: number | null; peak: number | null } {
  const usage = num(stats?.usage);
  if (usage === null) return { now: null, peak: null };
  const detail = obj(stats?.stats);
  const inactive = num(detail?.total_inactive_file) ?? num(detail?.inactive_file) ?? 0;
  return { now: Math.max(0, usage - inactive), peak: num(stats?.max_usage) };
}

function blockIo(stats: Json | null): { read: number | null; write: number | null } {
  const entries = stats?.io_service_bytes_recursive;
  if (!Array.isArray(entries)) return { read: null, write: null };
  let read = 0;
  let write = 0;
  for (const entry of entries) {
    const e = obj(entry);
    const value = num(e?.value) ?? 0;
    const op = typeof e?.op === 'string' ? e.op.toLowerCase() : '';
    if (op === 'read') read += value;
    else if (op === 'write') write += value;
  }
  return { read, write };
}

function network(networks: Json | null): { rx: number | null; tx: number | null } {
  if (networks === null) return { rx: null, tx: null };
  let rx = 0;
  let tx = 0;
  for (const value of Object.values(networks)) {
    const n = obj(value);
    rx += num(n?.rx_bytes) ?? 0;
    tx += num(n?.tx_bytes) ?? 0;
  }
  return { rx, tx };
}

/** null when the container is not running (the engine then answers zeroes with the year 1 as its time). */
export function usageOfStats(raw: unknown): UsageSample | null {
  const stats = obj(raw);
  const read = typeof stats?.read === 'string' ? Date.parse(stats.read) : Number.NaN;
  if (stats === null || !Number.isFinite(read) || read <= 0) return null;
  const cpuNs = num(obj(obj(stats.cpu_stats)?.cpu_usage)?.total_usage);
  const memory = memoryOf(obj(stats.memory_stats));
  const io = blockIo(obj(stats.blkio_stats));
  const net = network(obj(stats.networks));
  return {
    at: new Date(read).toISOString(),
    cpuSeconds: cpuNs === null ? null : cpuNs / 1e9,
    memoryBytes: memory.now,
    peakMemoryBytes: memory.peak,
    readBytes: io.read,
    writeBytes: io.write,
    rxBytes: net.rx,
    txBytes: net.tx,
  };
}
