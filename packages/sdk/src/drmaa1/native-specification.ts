/**
 * DRMAA1's `nativeSpecification`: options as `godocker submit` takes them, e.g.
 * `-c 2 -m 4G --gpus 1 --image local/debian:bookworm --project genomics --time 1h`.
 * `libdrmaa` reads the same options.
 *
 * ```ts
 * parseNativeSpecification('-c 2 -m 4G'); // { minSlots: 2, minPhysMemory: 4194304 }
 * ```
 */
import { UnsupportedAttributeError } from '../drmaa-errors.js';
import type { JobTemplate as Drmaa2Template } from '../drmaa2/job-template.js';
import { ValidationError } from '../errors.js';
import { parseDuration, parseMemory } from '../quantities.js';

const FIELD = 'nativeSpecification';

type Setter = (t: Drmaa2Template, value: string) => void;

function number(value: string, option: string, integer: boolean): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new ValidationError(`${FIELD}: ${option} needs ${integer ? 'an integer' : 'a number'}, not "${value}"`, FIELD);
  }
  return n;
}

const WITH_VALUE: Record<string, Setter> = {
  '--cpu': (t, v) => {
    t.minSlots = number(v, '--cpu', false);
  },
  '--mem': (t, v) => {
    t.minPhysMemory = parseMemory(v, FIELD) * 1024;
  },
  '--gpus': (t, v) => {
    t.gpus = number(v, '--gpus', true);
  },
  '--image': (t, v) => {
    t.image = v;
  },
  '--project': (t, v) => {
    t.queueName = v;
  },
  '--time': (t, v) => {
    t.wallclockTimeLimit = parseDuration(v, FIELD);
  },
  '--volume': (t, v) => {
    t.volumes = [...(t.volumes ?? []), v];
  },
  '--tag': (t, v) => {
    t.tags = [...(t.tags ?? []), v];
  },
  '--priority': (t, v) => {
    t.priority = number(v, '--priority', true);
  },
};
const SHORT: Record<string, string> = { '-c': '--cpu', '-m': '--mem', '-t': '--time', '-v': '--volume', '-p': '--project' };
const FLAGS: Record<string, (t: Drmaa2Template) => void> = {
  '--network': (t) => {
    t.network = true;
  },
};

/** Splits on blanks, keeping '...' and "..." together. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/** The template fields the options stand for. */
export function parseNativeSpecification(text: string): Drmaa2Template {
  const out: Drmaa2Template = {};
  const list = words(text);
  for (let i = 0; i < list.length; i++) {
    const word = list[i] as string;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = eq === -1 ? (SHORT[word] ?? word) : word.slice(0, eq);
    const flag = FLAGS[name];
    if (flag && eq === -1) {
      flag(out);
      continue;
    }
    const set = WITH_VALUE[name];
    if (!set) {
      throw new UnsupportedAttributeError(
        `${FIELD}: unknown option "${word}"; GoDocker takes -c/--cpu, -m/--mem, --gpus, --image, -p/--project, -t/--time, -v/--volume, --tag, --priority, --network`,
        FIELD,
      );
    }
    const value = eq === -1 ? list[++i] : word.slice(eq + 1);
    if (value === undefined) throw new ValidationError(`${FIELD}: ${word} needs a value`, FIELD);
    set(out, value);
  }
  return out;
}
