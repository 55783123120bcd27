/**
 * The plain Node script the local executor is measured against: COUNT runs of
 * `sh -c true`, WIDTH at a time, spawned by a node process that does nothing else.
 * Prints {"ms": ..., "cpuMs": ...}: the spawns' wall time and the process's CPU, start excluded.
 *
 *   node sh-true-pool.js COUNT WIDTH
 */
import { spawn } from 'node:child_process';

function shTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', 'true'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sh -c true exited ${code}`))));
  });
}

const count = Number(process.argv[2]);
const width = Number(process.argv[3]);
const cpuBefore = process.cpuUsage();
const start = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: width }, async () => {
    while (next < count) {
      next++;
      await shTrue();
    }
  }),
);
const ms = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000 }));
