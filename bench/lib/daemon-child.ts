/**
 * A GoDocker daemon in its own process, as `godocker server` runs: the load the
 * benchmark generates (HTTP clients, JSON) then does not share the daemon's
 * event loop, and the daemon's memory is measured apart from the benchmark's.
 */
import { rm } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type DeepPartial, type GodockerConfig, startDaemon } from '@godocker/scheduler';
import { CONFIG_ENV, type FromDaemon, TOKEN_ENV, type ToDaemon } from './daemon-protocol.js';
import { cpuMs, processMemory } from './report.js';

function send(message: FromDaemon): void {
  process.send?.(message);
}

const config = JSON.parse(process.env[CONFIG_ENV] ?? '{}') as DeepPartial<GodockerConfig>;
try {
  const daemon = await startDaemon({
    config,
    // Product logging as deployed, minus info lines: warnings and errors show up in the benchmark output.
    env: {
      GODOCKER_ADMIN_TOKEN: process.env[TOKEN_ENV] ?? '',
      GODOCKER_LOG_LEVEL: 'warn',
      HOME: config.dataDir ?? '/tmp',
    },
  });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let stopping = false;
  const stop = async (orphaned: boolean): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await daemon.stop();
    // Orphaned (the benchmark was interrupted): nobody else will remove the data folder.
    if (orphaned && config.dataDir) await rm(config.dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('message', (message: ToDaemon) => {
    if (message.type === 'memory') send({ type: 'memory', memory: processMemory() });
    else if (message.type === 'cpu') send({ type: 'cpu', cpuMs: cpuMs() });
    else if (message.type === 'loop') {
      send({ type: 'loop', delay: { maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 } });
      loop.reset();
    } else void stop(false);
  });
  // The benchmark died: do not outlive it.
  process.on('disconnect', () => void stop(true));
  send({ type: 'ready', url: daemon.url, clusterId: daemon.clusterId });
} catch (e) {
  send({ type: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}
