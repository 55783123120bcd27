/**
 * A GoDocker job as a DRMAA 1.0 job template: what the target system must run,
 * where its output goes (the job's own files, else the spool folder, so this daemon can serve the logs),
 * and its limits. Only standard attributes are used, so any DRMAA system takes it.
 */
import { join } from 'node:path';
import type { RunSpec } from '@godocker/sdk';
import type { JobTemplate } from '../job-template.js';
import type { ResolvedForwardOptions } from './forward-options.js';

export interface SpoolFiles {
  stdout: string;
  stderr: string;
  /** A script with its own #! line is run as a file; others go to /bin/sh -c. */
  script: string;
}

/** The task's files in the spool folder, named after its key (unique across daemons). */
export function spoolFiles(spoolDir: string, key: string): SpoolFiles {
  return {
    stdout: join(spoolDir, `${key}.stdout`),
    stderr: join(spoolDir, `${key}.stderr`),
    script: join(spoolDir, `${key}.script`),
  };
}

export function hasShebang(script: string): boolean {
  return script.startsWith('#!');
}

/** DRMAA's time format for limits: [[h:]m:]s, as every implementation parses it. */
export function clockTime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

export function nativeSpecificationOf(template: string, spec: RunSpec): string {
  const values: Record<string, string> = {
    cpu: String(spec.cpu),
    ram: String(spec.ram),
    gpus: String(spec.gpus),
    image: spec.image,
  };
  return template.replace(/\{(cpu|ram|gpus|image)\}/g, (_, name: string) => values[name] ?? '');
}

/** Fills `jt` for `spec`; the script file, when one is needed, is written by the caller. */
export function fillTemplate(jt: JobTemplate, spec: RunSpec, options: ResolvedForwardOptions): void {
  const files = spoolFiles(options.spoolDir, spec.key);
  if (hasShebang(spec.script)) {
    jt.set('drmaa_remote_command', files.script);
    jt.setVector('drmaa_v_argv', spec.args);
  } else {
    // $0 is the job's name in messages of the shell; the job's args follow as $1...
    jt.set('drmaa_remote_command', '/bin/sh');
    jt.setVector('drmaa_v_argv', ['-c', spec.script, spec.key, ...spec.args]);
  }
  jt.set('drmaa_job_name', spec.key);
  jt.setVector(
    'drmaa_v_env',
    Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
  );
  if (spec.workdir !== null) jt.set('drmaa_wd', spec.workdir);
  // "[hostname]:path": no host, any host that sees the shared spool folder. The job's own
  // files (RunSpec.files) are the target's to open: it aborts a job whose files it cannot open,
  // and names a file in a folder given as a path its own way (Grid Engine: NAME.oJOBID).
  const own = spec.files ?? {};
  if (own.stdin !== undefined) jt.set('drmaa_input_path', `:${own.stdin}`);
  jt.set('drmaa_output_path', `:${own.stdout ?? files.stdout}`);
  jt.set('drmaa_error_path', `:${own.stderr ?? files.stderr}`);
  jt.set('drmaa_join_files', own.joinStderr ? 'y' : 'n');
  const limit = spec.job.requirements.timeLimit;
  if (limit !== null) jt.set('drmaa_wct_hlimit', clockTime(limit));
  if (options.nativeSpecification !== null) {
    jt.set('drmaa_native_specification', nativeSpecificationOf(options.nativeSpecification, spec));
  }
}
