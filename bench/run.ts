/**
 * Runs the benchmarks: `npm run bench` runs all of them, `npm run bench -- NAME...`
 * only those named (docker-throughput, docker-latency, submit-throughput,
 * local-throughput, ...), one after the other so they do not compete for the
 * 2 cores. Each runs in its own node process, so its memory figures are its own.
 *
 * Compiled benchmarks (bench/dist/NAME.js, run against the built packages) run
 * with plain node. A benchmark left out of bench/tsconfig.json because it
 * imports package internals from src (scheduling-pass.ts) runs with vite-node
 * and the "@godocker/source" condition of vitest.config.ts.
 *
 * Options (`--name value` or `--name=value`) go to every benchmark named, e.g.
 * `npm run bench -- depth-curve --max-depth 1000000`; each says which it takes.
 *
 * Exit code: non-zero when a benchmark failed to run; a MISS is only printed.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const distDir = dirname(fileURLToPath(import.meta.url));
const benchDir = dirname(distDir);
const rootDir = dirname(benchDir);

interface Outcome {
  name: string;
  ok: boolean;
  seconds: number;
  targets: string[];
}

function available(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -'.ts'.length))
    .sort();
}

function command(name: string): string[] {
  const compiled = join(distDir, `${name}.js`);
  if (existsSync(compiled)) return [compiled];
  const viteNode = join(rootDir, 'node_modules', 'vite-node', 'vite-node.mjs');
  return [viteNode, '-c', join(rootDir, 'vitest.config.ts'), join(benchDir, `${name}.ts`)];
}

function runOne(name: string, options: readonly string[]): Promise<Outcome> {
  const start = performance.now();
  return new Promise((resolve) => {
    // --expose-gc: heap figures after a full collection.
    const child = spawn(process.execPath, ['--expose-gc', ...command(name), ...options], {
      cwd: rootDir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      output += chunk.toString();
    });
    const done = (ok: boolean) => {
      const targets = output
        .split('\n')
        .filter((l) => l.trimStart().startsWith('target:'))
        .map((l) => l.trim().slice('target: '.length));
      resolve({ name, ok, seconds: (performance.now() - start) / 1000, targets });
    };
    child.on('error', (e) => {
      console.error(`${name}: ${e.message}`);
      done(false);
    });
    child.on('close', (code, signal) => {
      if (code !== 0) console.error(`${name}: exited with ${signal ?? `code ${code}`}`);
      done(code === 0);
    });
  });
}

/** Benchmark names, and the options with their values (a value is the word after an option without `=`). */
function splitArgs(args: readonly string[], names: readonly string[]): { asked: string[]; options: string[] } {
  const asked: string[] = [];
  const options: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-')) {
      asked.push(arg.replace(/^bench\//, '').replace(/\.(ts|js)$/, ''));
      continue;
    }
    options.push(arg);
    const next = args[i + 1];
    if (!arg.includes('=') && next !== undefined && !next.startsWith('-') && !names.includes(next)) {
      options.push(next);
      i++;
    }
  }
  return { asked, options };
}

async function main(): Promise<void> {
  const all = available();
  const { asked, options } = splitArgs(process.argv.slice(2), all);
  if (options.length > 0 && asked.length === 0) {
    console.error(`options (${options.join(' ')}) need the benchmark they are for: npm run bench -- NAME ${options.join(' ')}`);
    process.exitCode = 2;
    return;
  }
  const unknown = asked.filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${all.join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const outcomes: Outcome[] = [];
  for (const name of asked.length > 0 ? asked : all) outcomes.push(await runOne(name, options));
  console.log('\n=== summary ===');
  for (const o of outcomes) {
    const head = `  ${o.name.padEnd(20)} ${(o.ok ? 'ran' : 'ERROR').padEnd(6)} ${o.seconds.toFixed(0).padStart(4)} s`;
    console.log(
      o.targets.length === 0
        ? head
        : o.targets.map((t, i) => (i === 0 ? `${head}   ${t}` : `${' '.repeat(head.length)}   ${t}`)).join('\n'),
    );
  }
  if (outcomes.some((o) => !o.ok)) process.exitCode = 1;
}

await main();
