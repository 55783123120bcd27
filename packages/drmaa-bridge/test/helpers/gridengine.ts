/**
 * The Grid Engine on this host (Debian's gridengine 8.1.9, brought up by
 * scripts/gridengine-up.sh, which setup.sh runs): a real DRMAA system for the
 * tests of loadDrmaa and the drmaa-forward executor, and its own commands to
 * check what it did.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const GE_LIBRARY = '/usr/lib/gridengine-drmaa/lib/libdrmaa.so';
export const GE_ENV = { SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default' };

/** Fails with what to run when Grid Engine is not installed or its daemons are not up. */
export function requireGridEngine(): void {
  const master = join(GE_ENV.SGE_ROOT, GE_ENV.SGE_CELL, 'common', 'act_qmaster');
  const up = (name: string) => ge('pgrep', '-x', name) !== null;
  if (!existsSync(GE_LIBRARY) || !existsSync(master) || !up('sge_qmaster') || !up('sge_execd')) {
    throw new Error(`Grid Engine is not up here (${GE_LIBRARY}, sge_qmaster, sge_execd): run scripts/gridengine-up.sh`);
  }
}

/** A Grid Engine command's output; null when it fails (qstat -j of a job it no longer has). */
export function ge(command: string, ...args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe', env: { ...process.env, ...GE_ENV } });
  } catch {
    return null;
  }
}

/** Grid Engine's accounting of a job (by id or name; written each second), as field → value. */
export async function accounting(job: string): Promise<Record<string, string>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const text = ge('qacct', '-j', job);
    if (text !== null) {
      return Object.fromEntries(
        text
          .split('\n')
          .map((line) => /^(\S+)\s+(.*?)\s*$/.exec(line))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1], m[2]]),
      );
    }
    if (Date.now() > deadline) throw new Error(`qacct has no job ${job}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
