/**
 * The DRMAA 1.0 job template (the attribute names of the Java and Python
 * bindings), with GoDocker's extensions, turned into the DRMAA2 template the
 * rest of the SDK maps onto a submission. Unsupported attributes are refused.
 *
 * ```ts
 * const id = await session.runJob({ remoteCommand: '/bin/sleep', args: ['5'], nativeSpecification: '-c 2 -m 1G' });
 * ```
 */
import { UnsupportedAttributeError } from '../drmaa-errors.js';
import { parseDrmaaStartTime } from '../drmaa-start-time.js';
import type { JobTemplate as Drmaa2Template } from '../drmaa2/job-template.js';
import { ValidationError } from '../errors.js';
import type { Dependency, VolumeRequest } from '../job.js';
import { parseDuration } from '../quantities.js';
import { JobSubmissionState, type JobSubmissionStateValue } from './constants.js';
import { parseNativeSpecification } from './native-specification.js';

export interface JobTemplate {
  remoteCommand?: string;
  args?: string[];
  /** `drmaa_hold` submits the job held. */
  jobSubmissionState?: JobSubmissionStateValue;
  jobEnvironment?: Record<string, string>;
  workingDirectory?: string;
  jobCategory?: string;
  /** GoDocker options: `-c 2 -m 4G --gpus 1 --image X --project P --time 1h`. */
  nativeSpecification?: string;
  /** One address: mailed when the job ends (the site must send mail), unless `blockEmail`. */
  email?: string[];
  blockEmail?: boolean;
  /** `[[[[CC]YY/]MM/]DD] hh:mm[:ss] [{-|+}UU:uu]` (drmaa-start-time.ts): the job does not start before it. */
  startTime?: string;
  jobName?: string;
  /** `[hostname]:path`; the host must be empty: paths are inside the job's container. */
  inputPath?: string;
  outputPath?: string;
  errorPath?: string;
  joinFiles?: boolean;
  transferFiles?: string;
  deadlineTime?: string;
  /** Seconds, or `[[h:]m:]s`. */
  hardWallclockTimeLimit?: number | string;
  softWallclockTimeLimit?: number | string;
  hardRunDurationLimit?: number | string;
  softRunDurationLimit?: number | string;

  // GoDocker extensions, as in the DRMAA2 template
  script?: string;
  image?: string;
  volumes?: Array<VolumeRequest | string>;
  gpus?: number;
  tags?: string[];
  dependencies?: Dependency[];
  network?: boolean;
  description?: string;
  labels?: Record<string, string>;
}

const UNSUPPORTED: Record<string, string> = {
  jobCategory: 'GoDocker has no job categories: choose an image in nativeSpecification (--image)',
  transferFiles: 'GoDocker transfers no files: use catalogue volumes',
  deadlineTime: 'GoDocker has no deadlines: use hardWallclockTimeLimit',
  softWallclockTimeLimit: 'GoDocker has only a hard wall-clock limit (hardWallclockTimeLimit)',
  hardRunDurationLimit: 'use hardWallclockTimeLimit, the one limit GoDocker enforces',
  softRunDurationLimit: 'use hardWallclockTimeLimit, the one limit GoDocker enforces',
};

/** Passed to the DRMAA2 template under the same name. */
const SAME: ReadonlyArray<keyof JobTemplate & keyof Drmaa2Template> = [
  'remoteCommand',
  'args',
  'jobEnvironment',
  'workingDirectory',
  'jobName',
  'inputPath',
  'outputPath',
  'errorPath',
  'joinFiles',
  'script',
  'image',
  'volumes',
  'gpus',
  'tags',
  'dependencies',
  'network',
  'description',
  'labels',
];
const KNOWN = new Set<string>([
  ...SAME,
  ...Object.keys(UNSUPPORTED),
  'jobSubmissionState',
  'nativeSpecification',
  'email',
  'blockEmail',
  'hardWallclockTimeLimit',
  'startTime',
]);

function isSet(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === false) return false;
  return !(Array.isArray(value) && value.length === 0);
}

/** The DRMAA2 template a DRMAA1 template stands for. */
export function toDrmaa2Template(jt: JobTemplate): Drmaa2Template {
  for (const [key, value] of Object.entries(jt)) {
    if (!KNOWN.has(key)) throw new UnsupportedAttributeError(`"${key}" is not a DRMAA job template attribute`, key);
    const why = UNSUPPORTED[key];
    if (why && isSet(value)) throw new UnsupportedAttributeError(`${key} is not supported: ${why}`, key);
  }
  const out: Drmaa2Template = {};
  for (const key of SAME) {
    if (jt[key] !== undefined) Object.assign(out, { [key]: jt[key] });
  }
  const state = jt.jobSubmissionState;
  if (state !== undefined && state !== JobSubmissionState.HOLD_STATE && state !== JobSubmissionState.ACTIVE_STATE) {
    throw new ValidationError(
      `jobSubmissionState must be drmaa_hold or drmaa_active, not "${String(state)}"`,
      'jobSubmissionState',
    );
  }
  if (state === JobSubmissionState.HOLD_STATE) out.submitAsHold = true;
  // DRMAA 1 leaves when to mail to the implementation: at the end, as Grid Engine's -m e.
  if (isSet(jt.email) && !jt.blockEmail) {
    out.email = jt.email as string[];
    out.emailOnTerminated = true;
  }
  if (isSet(jt.startTime)) out.startTime = parseDrmaaStartTime(jt.startTime as string);
  const limit = jt.hardWallclockTimeLimit;
  if (limit !== undefined) {
    out.wallclockTimeLimit = typeof limit === 'number' ? limit : parseDuration(limit, 'hardWallclockTimeLimit');
  }
  if (isSet(jt.nativeSpecification)) {
    const native = parseNativeSpecification(jt.nativeSpecification as string);
    for (const [key, value] of Object.entries(native)) {
      if (key in out && key !== 'volumes' && key !== 'tags') {
        throw new ValidationError(
          `nativeSpecification sets ${key}, which the template's attributes already set: give it once`,
          'nativeSpecification',
        );
      }
      const merged = key === 'volumes' || key === 'tags' ? [...((out[key] as unknown[]) ?? []), ...(value as unknown[])] : value;
      Object.assign(out, { [key]: merged });
    }
  }
  return out;
}
