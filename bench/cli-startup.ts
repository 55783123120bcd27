/**
 * CLI startup: one `godocker submit --cmd true` process, start to exit, against
 * Node's own floor (`node -e 0`) in the same run. Rounds interleave the commands
 * (node, submit, version, node, submit, version...) and each round gives a ratio;
 * the figure is the median of the ratios, since one baseline then one measured
 * run swings ±25% on this machine. Target: submit ≤ 1.5× Node's floor.
 *
 * The jobs are submitted held (--hold), so the daemon (local executor, a child
 * process) never runs them: a job starting during the next baseline run would
 * slow the baseline and flatter the ratio. The request and its answer are the
 * same as without --hold. When Slurm's `sbatch` is installed and answers, its
 * figure is printed beside (sbatch --hold --wrap true, interleaved the same way).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shutdown, startBenchDaemon } from './lib/daemon.js';
import { fixed, row, target, title } from './lib/report.js';
import { median, percentile } from './lib/stats.js';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 40);
const WARMUP = 3;
const TARGET_RATIO = 1.5;

const cliDir = join(dirname(dirname(dirname(fileURLToPath(import.meta.url)))), 'packages/cli');
// The executable npm links as `godocker`.
const cliMain = join(
  cliDir,
  (JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')) as { bin: { godocker: string } }).bin.godocker,
);

interface Command {
  label: string;
  file: string;
  args: string[];
}

/** Wall time of one run, start to exit, in ms; a run that fails stops the benchmark. */
function timed(cmd: Command, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(cmd.file, cmd.args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - start;
      if (code === 0) resolve(ms);
      else reject(new Error(`${cmd.label} exited with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
    });
  });
}

/** sbatch when Slurm is installed and takes a job; why not otherwise. */
function slurm(): { cmd: Command } | { reason: string } {
  const probe = spawnSync('sbatch', ['--hold', '--wrap', 'true'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error)
    return { reason: (probe.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : probe.error.message };
  if (probe.status !== 0) return { reason: `sbatch failed: ${probe.stderr.trim() || `exit ${probe.status}`}` };
  return { cmd: { label: 'sbatch', file: 'sbatch', args: ['--hold', '--wrap', 'true'] } };
}

function line(xs: readonly number[]): string {
  return `median ${fixed(median(xs), 0)} ms, p10 ${fixed(percentile(xs, 10), 0)}, p90 ${fixed(percentile(xs, 90), 0)}`;
}

async function main(): Promise<void> {
  const daemon = await startBenchDaemon({ executor: 'local', capacity: { cpu: 8, ram: 16384 } });
  // No saved login in the way: the connection comes from the environment only.
  const config = await mkdtemp(join(tmpdir(), 'godocker-bench-cli-'));
  const env = { ...process.env, GODOCKER_URL: daemon.url, GODOCKER_TOKEN: daemon.token, XDG_CONFIG_HOME: config };
  try {
    const node: Command = { label: 'node -e 0', file: process.execPath, args: ['-e', '0'] };
    const submit: Command = { label: 'submit', file: process.execPath, args: [cliMain, 'submit', '--cmd', 'true', '--hold'] };
    const version: Command = { label: 'version', file: process.execPath, args: [cliMain, '--version'] };
    const sbatch = slurm();
    const commands = [node, submit, version, ...('cmd' in sbatch ? [sbatch.cmd] : [])];
    title('cli-startup', [
      `what:     \`godocker submit --cmd true --hold\` (and \`godocker --version\`), one process per call, ${ROUNDS} rounds`,
      `baseline: \`node -e 0\` in the same rounds, interleaved (${commands.map((c) => c.label).join(', ')}, ...)`,
      'figure:   median over rounds of (command ms / node -e 0 ms) of the same round',
    ]);
    for (let i = 0; i < WARMUP; i++) for (const c of commands) await timed(c, env);
    const samples = new Map<Command, number[]>(commands.map((c) => [c, []]));
    for (let i = 0; i < ROUNDS; i++) for (const c of commands) samples.get(c)?.push(await timed(c, env));

    const floor = samples.get(node) ?? [];
    const ratios = (c: Command) => (samples.get(c) ?? []).map((ms, i) => ms / (floor[i] as number));
    row('node -e 0', `${fixed(median(floor), 0)} ms`, line(floor));
    for (const c of commands.slice(1)) {
      const ms = samples.get(c) ?? [];
      row(c.label, `${fixed(median(ms), 0)} ms`, line(ms));
      row('', `${fixed(median(ratios(c)), 2)}x`, `${c.label} / node -e 0, median of ${ROUNDS} interleaved ratios`);
    }
    if (!('cmd' in sbatch)) row('sbatch', '-', `not measured: ${sbatch.reason}`);
    row(
      'rate',
      `${fixed(1000 / median(samples.get(submit) ?? []), 1)} jobs/s`,
      'a shell loop of `godocker submit`, one at a time',
    );
    target(`submit <= ${TARGET_RATIO}x node -e 0`, median(ratios(submit)) <= TARGET_RATIO);
  } finally {
    await shutdown(daemon);
    await rm(config, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
