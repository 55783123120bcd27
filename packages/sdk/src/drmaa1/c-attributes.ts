/**
 * The job template attributes of the DRMAA 1.0 C binding (`drmaa_set_attribute`,
 * `drmaa_set_vector_attribute`) and the DRMAA1 JobTemplate they stand for.
 * `libdrmaa.so` sends the strings exactly as set; the daemon turns them into a
 * template here, then into a submission with the same code the TypeScript
 * facade uses, so the C library and the SDK agree by construction.
 *
 * ```ts
 * fromCAttributes({ drmaa_remote_command: '/bin/sleep', drmaa_js_state: 'drmaa_hold' }, { drmaa_v_argv: ['5'] });
 * // { remoteCommand: '/bin/sleep', jobSubmissionState: 'drmaa_hold', args: ['5'] }
 * ```
 */
import { GodockerError, ValidationError } from '../errors.js';
import { JobSubmissionState } from './constants.js';
import type { JobTemplate } from './job-template.js';

/** Scalar attribute names of the C binding, with the JobTemplate field each one sets. */
export const C_ATTRIBUTES = {
  drmaa_remote_command: 'remoteCommand',
  drmaa_js_state: 'jobSubmissionState',
  drmaa_wd: 'workingDirectory',
  drmaa_job_category: 'jobCategory',
  drmaa_native_specification: 'nativeSpecification',
  drmaa_block_email: 'blockEmail',
  drmaa_start_time: 'startTime',
  drmaa_job_name: 'jobName',
  drmaa_input_path: 'inputPath',
  drmaa_output_path: 'outputPath',
  drmaa_error_path: 'errorPath',
  drmaa_join_files: 'joinFiles',
  drmaa_transfer_files: 'transferFiles',
  drmaa_deadline_time: 'deadlineTime',
  drmaa_wct_hlimit: 'hardWallclockTimeLimit',
  drmaa_wct_slimit: 'softWallclockTimeLimit',
  drmaa_duration_hlimit: 'hardRunDurationLimit',
  drmaa_duration_slimit: 'softRunDurationLimit',
} as const satisfies Record<string, keyof JobTemplate>;
export type CAttributeName = keyof typeof C_ATTRIBUTES;

/** Vector attribute names of the C binding, with the JobTemplate field each one sets. */
export const C_VECTOR_ATTRIBUTES = {
  drmaa_v_argv: 'args',
  drmaa_v_env: 'jobEnvironment',
  drmaa_v_email: 'email',
} as const satisfies Record<string, keyof JobTemplate>;
export type CVectorAttributeName = keyof typeof C_VECTOR_ATTRIBUTES;

export interface CAttributeOptions {
  /**
   * What `drmaa_job_category` may name: category → native specification text
   * (Grid Engine's qtask file), put before the template's own native specification,
   * which wins where both give an option. Without it, a category is unsupported.
   */
  categories?: Readonly<Record<string, string>>;
}

const has = (o: object, k: string): boolean => Object.hasOwn(o, k);

/** The C attribute (or vector attribute) name of a JobTemplate field, to name it in errors as the caller wrote it. */
export function cNameOf(field: string): string | undefined {
  const head = field.split('.')[0] ?? field;
  for (const [c, ts] of [...Object.entries(C_ATTRIBUTES), ...Object.entries(C_VECTOR_ATTRIBUTES)]) {
    if (ts === head) return c;
  }
  return undefined;
}

/**
 * Re-labels an error about a JobTemplate field with the C attribute it came
 * from, so a C or Python caller reads the name it set.
 */
export function inCTerms(e: unknown): unknown {
  if (!GodockerError.is(e) || e.field === undefined) return e;
  const c = cNameOf(e.field);
  if (c === undefined || e.message.startsWith(c)) return e;
  return new GodockerError(e.code, `${c}: ${e.message}`, { field: c, cause: e, status: e.status });
}

function flag(name: string, value: string, yes: string, no: string): boolean {
  if (value === yes) return true;
  if (value === no) return false;
  throw new ValidationError(`${name} must be "${yes}" or "${no}", not "${value}"`, name);
}

function environment(entries: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      throw new ValidationError(`drmaa_v_env entry "${entry}" must be NAME=value`, 'drmaa_v_env');
    }
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * The DRMAA1 JobTemplate the C attributes stand for. An empty string (or an empty
 * vector) means unset, for every attribute. An unknown name is a ValidationError
 * naming it; values are checked further by `toDrmaa2Template`.
 */
export function fromCAttributes(
  attributes: Readonly<Record<string, string>>,
  vectors: Readonly<Record<string, readonly string[]>> = {},
  options: CAttributeOptions = {},
): JobTemplate {
  const jt: JobTemplate = {};
  let category: string | undefined;
  for (const [name, value] of Object.entries(attributes)) {
    if (!has(C_ATTRIBUTES, name)) {
      throw new ValidationError(
        `"${name}" is not a DRMAA job template attribute; known: ${Object.keys(C_ATTRIBUTES).join(', ')}`,
        name,
      );
    }
    if (value === '') continue;
    switch (name as CAttributeName) {
      case 'drmaa_js_state':
        if (value !== JobSubmissionState.HOLD_STATE && value !== JobSubmissionState.ACTIVE_STATE) {
          throw new ValidationError(`drmaa_js_state must be drmaa_hold or drmaa_active, not "${value}"`, name);
        }
        jt.jobSubmissionState = value;
        break;
      case 'drmaa_join_files':
        jt.joinFiles = flag(name, value, 'y', 'n');
        break;
      case 'drmaa_block_email':
        jt.blockEmail = flag(name, value, '1', '0');
        break;
      case 'drmaa_job_category':
        category = value;
        break;
      default:
        Object.assign(jt, { [C_ATTRIBUTES[name as CAttributeName]]: value });
    }
  }
  for (const [name, values] of Object.entries(vectors)) {
    if (!has(C_VECTOR_ATTRIBUTES, name)) {
      throw new ValidationError(
        `"${name}" is not a DRMAA vector attribute; known: ${Object.keys(C_VECTOR_ATTRIBUTES).join(', ')}`,
        name,
      );
    }
    if (values.length === 0) continue;
    if (name === 'drmaa_v_env') jt.jobEnvironment = environment(values);
    else Object.assign(jt, { [C_VECTOR_ATTRIBUTES[name as CVectorAttributeName]]: [...values] });
  }
  if (category !== undefined) {
    const categories = options.categories ?? {};
    const spec = has(categories, category) ? categories[category] : undefined;
    if (spec === undefined) {
      const known = Object.keys(categories);
      throw new ValidationError(
        `drmaa_job_category "${category}" is not a category of this GoDocker; ${known.length > 0 ? `known: ${known.join(', ')}` : 'the admin defines none (config drmaa.categories)'}`,
        'drmaa_job_category',
      );
    }
    const own = jt.nativeSpecification;
    jt.nativeSpecification = own === undefined ? spec : `${spec} ${own}`;
  }
  return jt;
}

/** The C attributes of a DRMAA1 JobTemplate (its GoDocker extensions have none and are refused). */
export function toCAttributes(jt: JobTemplate): {
  attributes: Record<string, string>;
  vectors: Record<string, string[]>;
} {
  const attributes: Record<string, string> = {};
  const vectors: Record<string, string[]> = {};
  const byField = new Map<string, string>(Object.entries(C_ATTRIBUTES).map(([c, ts]) => [ts, c]));
  const vectorByField = new Map<string, string>(Object.entries(C_VECTOR_ATTRIBUTES).map(([c, ts]) => [ts, c]));
  for (const [field, value] of Object.entries(jt)) {
    if (value === undefined) continue;
    const c = byField.get(field);
    const v = vectorByField.get(field);
    if (field === 'jobEnvironment') {
      vectors.drmaa_v_env = Object.entries(value as Record<string, string>).map(([k, x]) => `${k}=${x}`);
    } else if (v) {
      vectors[v] = [...(value as string[])];
    } else if (field === 'joinFiles') {
      attributes.drmaa_join_files = value ? 'y' : 'n';
    } else if (field === 'blockEmail') {
      attributes.drmaa_block_email = value ? '1' : '0';
    } else if (c) {
      attributes[c] = String(value);
    } else {
      throw new ValidationError(`${field} has no DRMAA 1.0 C attribute: it is a GoDocker extension`, field);
    }
  }
  return { attributes, vectors };
}
